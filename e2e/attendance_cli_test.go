package e2e

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tackhq/tack/client"
)

// TestAttendanceCLI punches with `tack punch` against a server process (on
// its wall clock) and reads the month back with `tack attendance month`.
func TestAttendanceCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	p := startProcess(t, "--data", t.TempDir())
	cfgPath := filepath.Join(t.TempDir(), "cfg", "config.json")
	run := func(wantOK bool, args ...string) string {
		t.Helper()
		cmd := exec.Command(tackBinary(t), args...)
		cmd.Env = append(os.Environ(), "TACK_CONFIG="+cfgPath, "TACK_PASSWORD=password123", "TACK_SERVER="+p.URL)
		out, err := cmd.CombinedOutput()
		if (err == nil) != wantOK {
			t.Fatalf("tack %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	run(true, "register", "--login", "punch@example.com", "--name", "打卡人")
	run(true, "org", "create", "Acme", "--tz", "UTC")
	var cfg struct{ Token string }
	b, _ := os.ReadFile(cfgPath)
	json.Unmarshal(b, &cfg)
	c := client.New(p.URL)
	c.Token = cfg.Token
	ctx := context.Background()
	orgs, err := c.Orgs(ctx)
	if err != nil || len(orgs) != 1 {
		t.Fatalf("orgs: %v %v", orgs, err)
	}
	// A shift starting half an hour from now: punching now is on time.
	on := time.Now().UTC().Add(30 * time.Minute)
	_, err = c.CreateAttGroup(ctx, string(orgs[0].ID), map[string]any{"name": "Office", "member_ids": []string{string(orgs[0].Me.ID)},
		"shift": map[string]string{"on": on.Format("15:04"), "off": on.Add(8 * time.Hour).Format("15:04")}, "workdays": []int{1, 2, 3, 4, 5, 6, 7},
		"follow_calendar": false, "places": []map[string]any{{"name": "HQ", "lat": 31.2304, "lng": 121.4737}}})
	if err != nil {
		t.Fatal(err)
	}
	out := run(false, "punch", "--lat", "31.30", "--lng", "121.4737")
	if !strings.Contains(out, "outside the punch area: HQ is 7.7 km away") {
		t.Errorf("outside: %s", out)
	}
	out = run(true, "punch", "--lat", "31.2314", "--lng", "121.4737")
	if !strings.Contains(out, "OnDuty") || !strings.Contains(out, "Normal") || !strings.Contains(out, "HQ (110 m)") {
		t.Errorf("punch: %s", out)
	}
	now := time.Now().UTC()
	out = run(true, "attendance", "records", "--json", "--from", now.AddDate(0, 0, -1).Format("2006-01-02"), "--to", now.AddDate(0, 0, 1).Format("2006-01-02"))
	var all, recs []client.AttRecord
	if err := json.Unmarshal([]byte(out), &all); err != nil {
		t.Fatalf("records: %v %s", err, out)
	}
	// Near midnight UTC the shift of the day before has closed too, with
	// records of its own (absent): only the punched one counts here.
	for _, r := range all {
		if r.UserCheckTime != nil {
			recs = append(recs, r)
		}
	}
	if len(recs) != 1 || recs[0].Place != "HQ" {
		t.Fatalf("records: %s", out)
	}
	out = run(true, "attendance", "month", "--month", recs[0].WorkDate[:7])
	if !strings.Contains(out, "打卡人") || !strings.Contains(out, recs[0].WorkDate) || !strings.Contains(out, "Normal") {
		t.Errorf("month: %s", out)
	}
}
