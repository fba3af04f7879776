package bench

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// scrapeMetrics reads the gauges of a Tack server's /metrics, with its
// metrics token; nil if it has none (the fan-out floor) or refuses.
func scrapeMetrics(server, token string) map[string]float64 {
	c := &http.Client{Timeout: 5 * time.Second}
	req, err := http.NewRequest("GET", server+"/metrics", nil)
	if err != nil {
		return nil
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return nil
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		l := sc.Text()
		if strings.HasPrefix(l, "#") {
			continue
		}
		k, v, ok := strings.Cut(l, " ")
		if !ok || strings.Contains(k, "{") {
			continue
		}
		f, err := strconv.ParseFloat(v, 64)
		if err == nil {
			out[k] = f
		}
	}
	return out
}

func ms(x float64) string {
	if x == 0 {
		return "-"
	}
	if x < 10 {
		return strconv.FormatFloat(x, 'f', 2, 64)
	}
	return strconv.FormatFloat(x, 'f', 1, 64)
}

func num(x float64) string {
	switch {
	case x >= 100:
		return strconv.FormatFloat(x, 'f', 0, 64)
	case x >= 10:
		return strconv.FormatFloat(x, 'f', 1, 64)
	default:
		return strconv.FormatFloat(x, 'f', 2, 64)
	}
}

// WriteTable prints the report for people: one line per phase, then each
// phase's extra figures, ratios and goal.
func (r *Report) WriteTable(w io.Writer) {
	fmt.Fprintf(w, "machine: %s, %d cores, %d MB, Linux %s, %s\n\n", r.Machine.CPU, r.Machine.Cores, r.Machine.MemMB, r.Machine.Kernel, r.Machine.Go)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\tphase\ttarget\tconns\tresult\tunit\tp50 ms\tp90 ms\tp99 ms\tp99.9 ms\tmax ms\terrors\tlost\tdups\tsrv cpu\tsrv rss MB\tclient cpu\t")
	for _, x := range r.Rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%.2f\t%.0f\t%.2f\t\n",
			x.Scenario, x.Phase, x.Target, x.Conns, num(x.Rate), x.Unit, ms(x.Latency.P50), ms(x.Latency.P90), ms(x.Latency.P99),
			ms(x.Latency.P999), ms(x.Latency.Max), x.Errors, x.Lost, x.Dups, x.ServerCPU, float64(x.ServerRSS)/(1<<20), x.ClientCPU)
	}
	tw.Flush()
	fmt.Fprintln(w)
	for _, x := range r.Rows {
		var parts []string
		if x.Ack.N > 0 {
			parts = append(parts, fmt.Sprintf("ack p50/p99 %s/%s ms", ms(x.Ack.P50), ms(x.Ack.P99)))
		}
		keys := make([]string, 0, len(x.Extra))
		for k := range x.Extra {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			parts = append(parts, fmt.Sprintf("%s=%s", k, num(x.Extra[k])))
		}
		if len(x.ErrCodes) > 0 {
			parts = append(parts, fmt.Sprintf("error codes %v", x.ErrCodes))
		}
		if len(x.Closed) > 0 {
			parts = append(parts, fmt.Sprintf("closed by server %v", x.Closed))
		}
		rk := make([]string, 0, len(x.Ratio))
		for k := range x.Ratio {
			rk = append(rk, k)
		}
		sort.Strings(rk)
		for _, k := range rk {
			parts = append(parts, fmt.Sprintf("ratio to %s = %.2f", k, x.Ratio[k]))
		}
		if x.Goal != "" {
			mark := ""
			if x.Met != nil {
				mark = " [not met]"
				if *x.Met {
					mark = " [met]"
				}
			}
			parts = append(parts, "goal: "+x.Goal+mark)
		}
		if len(parts) > 0 {
			fmt.Fprintf(w, "%s/%s/%s: %s\n", x.Scenario, x.Phase, x.Target, strings.Join(parts, "; "))
		}
	}
	for _, e := range r.Errors {
		fmt.Fprintf(w, "error: %s\n", e)
	}
}

// WriteJSON prints the report as JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
