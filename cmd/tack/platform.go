package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

func init() {
	extraCommands["robot"] = robotCmd
	extraCommands["robots"] = robotCmd
	extraCommands["app"] = appCmd
	extraCommands["apps"] = appCmd
	extraCommands["modules"] = modulesCmd
}

const robotUsage = `tack robot — custom robots of a group (DingTalk-compatible webhooks)

  tack robot list CONVERSATION
  tack robot add CONVERSATION NAME [--keyword K]... [--ip CIDR]... [--unsigned] [--outgoing URL]
                                   prints the webhook URL and secret, once
  tack robot reset CONVERSATION ROBOT   new token and secret; the old webhook stops
  tack robot remove CONVERSATION ROBOT
  tack robot send WEBHOOK_URL [--secret SEC...] TEXT...
                                   post as a robot, signed as DingTalk does (any DingTalk script works too)
  tack robot send WEBHOOK_URL --json-body '{"msgtype":"markdown",...}'

Add --json for JSON.
`

const appUsage = `tack app — apps of an organisation (admins)

  tack app list [--org ORG]
  tack app create NAME [--org ORG] [--scope S]... [--callback URL] [--event E]...
                                   prints the client ID, client secret and callback secret, once
                                   scopes: chat:write directory:read attendance:read approval:read approval:write
                                   events: message approval membership directory attendance
                                   (each event but message needs its read scope)
  tack app update APP [--org ORG] [--scope S]... [--event E]... [--callback URL]
                                   replaces the scopes or events given; fewer scopes revoke its tokens
  tack app rotate APP [--org ORG]  new secrets; revokes the app's tokens
  tack app remove APP [--org ORG]
  tack app calls APP [--org ORG]   the app's recent API calls (audit)
  tack app deliveries APP [--org ORG] [--state pending|delivered|dead]
  tack app replay APP DELIVERY [--org ORG]
  tack app test APP [--org ORG]    queue a test event to the callback URL

tack modules [--org ORG] [on|off MODULE...]   the module switchboard
`

type platFlags struct {
	attFlags
	keywords, ips, scopes, events multi
	unsigned                      bool
	secret, callback, state, body string
}

func platRunner(name string, args []string, usage string, extra func(*flag.FlagSet, *platFlags)) (*orgRunner, *platFlags, []string, error) {
	var f platFlags
	fs := attFlagSet(name, &f.attFlags)
	fs.Usage = func() { fmt.Fprint(os.Stderr, usage) }
	if extra != nil {
		extra(fs, &f)
	}
	pos, err := parseMixed(fs, args)
	if err != nil {
		return nil, nil, nil, err
	}
	r, err := attClient(&f.attFlags)
	if err != nil {
		return nil, nil, nil, err
	}
	r.ctx = context.Background()
	return r, &f, pos, nil
}

func robotCmd(args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Print(robotUsage)
		return nil
	}
	sub := args[0]
	if sub == "send" {
		return robotSendCmd(args[1:])
	}
	r, f, pos, err := platRunner("robot "+sub, args[1:], robotUsage, func(fs *flag.FlagSet, f *platFlags) {
		fs.Var(&f.keywords, "keyword", "a keyword every message must contain (repeat)")
		fs.Var(&f.ips, "ip", "an IP address or CIDR allowed to post (repeat)")
		fs.BoolVar(&f.unsigned, "unsigned", false, "do not require signed requests (needs a keyword or an IP)")
		fs.StringVar(&f.callback, "outgoing", "", "outgoing URL: receives the group's messages that say @NAME")
	})
	if err != nil {
		return err
	}
	need := func(n int) error {
		if len(pos) < n {
			return fmt.Errorf("usage: see 'tack robot -h'")
		}
		return nil
	}
	if err := need(1); err != nil {
		return err
	}
	base := "/api/v1/conversations/" + url.PathEscape(pos[0]) + "/robots"
	switch sub {
	case "list":
		var out struct {
			Robots []struct {
				ID       string   `json:"id"`
				Name     string   `json:"name"`
				Signed   bool     `json:"signed"`
				Keywords []string `json:"keywords"`
				IPs      []string `json:"ip_allow"`
			} `json:"robots"`
		}
		if err := r.c.Do(r.ctx, "GET", base, nil, &out); err != nil {
			return err
		}
		if f.json {
			r.print(out)
			return nil
		}
		tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tSIGNED\tKEYWORDS\tIP ALLOW-LIST")
		for _, x := range out.Robots {
			fmt.Fprintf(tw, "%s\t%s\t%v\t%s\t%s\n", x.ID, x.Name, x.Signed, strings.Join(x.Keywords, ","), strings.Join(x.IPs, ","))
		}
		return tw.Flush()
	case "add":
		if err := need(2); err != nil {
			return err
		}
		body := map[string]any{"name": strings.Join(pos[1:], " "), "signed": !f.unsigned}
		if len(f.keywords) > 0 {
			body["keywords"] = []string(f.keywords)
		}
		if len(f.ips) > 0 {
			body["ip_allow"] = []string(f.ips)
		}
		if f.callback != "" {
			body["outgoing_url"] = f.callback
		}
		return robotCreds(r, f, "POST", base, body)
	case "reset":
		if err := need(2); err != nil {
			return err
		}
		return robotCreds(r, f, "POST", base+"/"+url.PathEscape(pos[1])+"/reset", nil)
	case "remove":
		if err := need(2); err != nil {
			return err
		}
		if err := r.c.Do(r.ctx, "DELETE", base+"/"+url.PathEscape(pos[1]), nil, nil); err != nil {
			return err
		}
		fmt.Println("removed")
		return nil
	}
	return fmt.Errorf("unknown robot command %q ('tack robot -h')", sub)
}

func robotCreds(r *orgRunner, f *platFlags, method, path string, body any) error {
	var out struct {
		ID      string `json:"id"`
		Name    string `json:"name"`
		Webhook string `json:"webhook"`
		Secret  string `json:"secret"`
	}
	if err := r.c.Do(r.ctx, method, path, body, &out); err != nil {
		return err
	}
	out.Webhook = strings.TrimRight(r.c.BaseURL, "/") + out.Webhook
	if f.json {
		r.print(out)
		return nil
	}
	fmt.Printf("robot %s (%s)\n  webhook: %s\n", out.Name, out.ID, out.Webhook)
	if out.Secret != "" {
		fmt.Printf("  secret:  %s\n", out.Secret)
	}
	fmt.Println("  (shown once: keep them somewhere safe)")
	return nil
}

// robotSendCmd posts through a webhook exactly as a DingTalk script does.
func robotSendCmd(args []string) error {
	var f platFlags
	fs := flag.NewFlagSet("robot send", flag.ContinueOnError)
	fs.StringVar(&f.secret, "secret", envOr("TACK_ROBOT_SECRET", ""), "the robot's secret (SEC...), to sign the request")
	fs.StringVar(&f.body, "json-body", "", "a DingTalk message body (JSON) instead of TEXT")
	fs.Usage = func() { fmt.Fprint(os.Stderr, robotUsage) }
	pos, err := parseMixed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) < 1 || len(pos) == 1 && f.body == "" {
		return errors.New("usage: tack robot send WEBHOOK_URL [--secret SEC] TEXT")
	}
	u := pos[0]
	body := []byte(f.body)
	if f.body == "" {
		body, _ = json.Marshal(map[string]any{"msgtype": "text", "text": map[string]string{"content": strings.Join(pos[1:], " ")}})
	}
	if f.secret != "" {
		ts := time.Now().UnixMilli()
		m := hmac.New(sha256.New, []byte(f.secret))
		fmt.Fprintf(m, "%d\n%s", ts, f.secret)
		u += "&timestamp=" + strconv.FormatInt(ts, 10) + "&sign=" + url.QueryEscape(base64.StdEncoding.EncodeToString(m.Sum(nil)))
	}
	resp, err := http.Post(u, "application/json", bytes.NewReader(body))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var out struct {
		ErrCode int    `json:"errcode"`
		ErrMsg  string `json:"errmsg"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return fmt.Errorf("HTTP %d: not a robot answer", resp.StatusCode)
	}
	if out.ErrCode != 0 {
		return fmt.Errorf("errcode %d: %s", out.ErrCode, out.ErrMsg)
	}
	fmt.Println("ok")
	return nil
}

func appCmd(args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Print(appUsage)
		return nil
	}
	sub := args[0]
	r, f, pos, err := platRunner("app "+sub, args[1:], appUsage, func(fs *flag.FlagSet, f *platFlags) {
		fs.Var(&f.scopes, "scope", "a scope to grant (repeat)")
		fs.Var(&f.events, "event", "an event to subscribe to (repeat)")
		fs.StringVar(&f.callback, "callback", "", "callback URL for events")
		fs.StringVar(&f.state, "state", "", "deliveries in this state")
	})
	if err != nil {
		return err
	}
	oid, err := r.resolveOrg(f.org)
	if err != nil {
		return err
	}
	base := "/api/v1/orgs/" + oid + "/apps"
	app := func() (string, error) {
		if len(pos) < 1 {
			return "", errors.New("say which app (its ID; 'tack app list')")
		}
		return base + "/" + url.PathEscape(pos[0]), nil
	}
	switch sub {
	case "list":
		var out struct {
			Apps []struct {
				ID       string   `json:"id"`
				Name     string   `json:"name"`
				ClientID string   `json:"client_id"`
				Scopes   []string `json:"scopes"`
				Callback string   `json:"callback_url"`
				Events   []string `json:"events"`
			} `json:"apps"`
		}
		if err := r.c.Do(r.ctx, "GET", base, nil, &out); err != nil {
			return err
		}
		if f.json {
			r.print(out)
			return nil
		}
		tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tCLIENT ID\tSCOPES\tEVENTS\tCALLBACK")
		for _, a := range out.Apps {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", a.ID, a.Name, a.ClientID, strings.Join(a.Scopes, " "), strings.Join(a.Events, " "), a.Callback)
		}
		return tw.Flush()
	case "create":
		if len(pos) < 1 {
			return errors.New("usage: tack app create NAME [--scope S]... [--callback URL] [--event E]...")
		}
		body := map[string]any{"name": strings.Join(pos, " "), "scopes": append([]string{}, f.scopes...), "events": append([]string{}, f.events...),
			"callback_url": f.callback}
		return appCreds(r, f, base, body)
	case "update":
		p, err := app()
		if err != nil {
			return err
		}
		body := map[string]any{}
		if len(f.scopes) > 0 {
			body["scopes"] = []string(f.scopes)
		}
		if len(f.events) > 0 {
			body["events"] = []string(f.events)
		}
		if f.callback != "" {
			body["callback_url"] = f.callback
		}
		if len(body) == 0 {
			return errors.New("usage: tack app update APP [--scope S]... [--event E]... [--callback URL]")
		}
		var out struct {
			ID     string   `json:"id"`
			Name   string   `json:"name"`
			Scopes []string `json:"scopes"`
			Events []string `json:"events"`
		}
		if err := r.c.Do(r.ctx, "PATCH", p, body, &out); err != nil {
			return err
		}
		if f.json {
			r.print(out)
			return nil
		}
		fmt.Printf("%s: scopes %s; events %s\n", out.Name, strings.Join(out.Scopes, " "), strings.Join(out.Events, " "))
		return nil
	case "rotate":
		p, err := app()
		if err != nil {
			return err
		}
		return appCreds(r, f, p+"/rotate", nil)
	case "remove":
		p, err := app()
		if err != nil {
			return err
		}
		if err := r.c.Do(r.ctx, "DELETE", p, nil, nil); err != nil {
			return err
		}
		fmt.Println("removed")
		return nil
	case "calls":
		p, err := app()
		if err != nil {
			return err
		}
		var out struct {
			Calls []struct {
				At     time.Time `json:"at"`
				Method string    `json:"method"`
				Path   string    `json:"path"`
				Status int       `json:"status"`
			} `json:"calls"`
		}
		if err := r.c.Do(r.ctx, "GET", p+"/calls", nil, &out); err != nil {
			return err
		}
		if f.json {
			r.print(out)
			return nil
		}
		for _, c := range out.Calls {
			fmt.Printf("%s  %d  %s %s\n", c.At.Local().Format("2006-01-02 15:04:05"), c.Status, c.Method, c.Path)
		}
		return nil
	case "deliveries":
		p, err := app()
		if err != nil {
			return err
		}
		var out struct {
			Deliveries []struct {
				ID         string    `json:"id"`
				Event      string    `json:"event"`
				State      string    `json:"state"`
				Attempts   int       `json:"attempts"`
				CreatedAt  time.Time `json:"created_at"`
				LastStatus int       `json:"last_status"`
				LastError  string    `json:"last_error"`
			} `json:"deliveries"`
		}
		if err := r.c.Do(r.ctx, "GET", p+"/deliveries?state="+url.QueryEscape(f.state), nil, &out); err != nil {
			return err
		}
		if f.json {
			r.print(out)
			return nil
		}
		tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tEVENT\tSTATE\tATTEMPTS\tCREATED\tLAST")
		for _, d := range out.Deliveries {
			last := d.LastError
			if last == "" && d.LastStatus != 0 {
				last = strconv.Itoa(d.LastStatus)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\n", d.ID, d.Event, d.State, d.Attempts, d.CreatedAt.Local().Format("01-02 15:04:05"), last)
		}
		return tw.Flush()
	case "replay", "test":
		p, err := app()
		if err != nil {
			return err
		}
		if sub == "replay" {
			if len(pos) < 2 {
				return errors.New("usage: tack app replay APP DELIVERY")
			}
			p += "/deliveries/" + url.PathEscape(pos[1]) + "/replay"
		} else {
			p += "/test"
		}
		var d struct {
			ID    string `json:"id"`
			State string `json:"state"`
		}
		if err := r.c.Do(r.ctx, "POST", p, nil, &d); err != nil {
			return err
		}
		fmt.Printf("delivery %s: %s\n", d.ID, d.State)
		return nil
	}
	return fmt.Errorf("unknown app command %q ('tack app -h')", sub)
}

func appCreds(r *orgRunner, f *platFlags, path string, body any) error {
	var out struct {
		ID             string `json:"id"`
		Name           string `json:"name"`
		ClientID       string `json:"client_id"`
		ClientSecret   string `json:"client_secret"`
		CallbackSecret string `json:"callback_secret"`
	}
	if err := r.c.Do(r.ctx, "POST", path, body, &out); err != nil {
		return err
	}
	if f.json {
		r.print(out)
		return nil
	}
	fmt.Printf("app %s (%s)\n  client_id:       %s\n  client_secret:   %s\n  callback_secret: %s\n  (shown once: keep them somewhere safe)\n",
		out.Name, out.ID, out.ClientID, out.ClientSecret, out.CallbackSecret)
	return nil
}

func modulesCmd(args []string) error {
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
		fmt.Print(appUsage)
		return nil
	}
	r, f, pos, err := platRunner("modules", args, appUsage, nil)
	if err != nil {
		return err
	}
	oid, err := r.resolveOrg(f.org)
	if err != nil {
		return err
	}
	var out struct {
		Modules map[string]bool `json:"modules"`
	}
	path := "/api/v1/orgs/" + oid + "/modules"
	if len(pos) > 0 {
		if len(pos) < 2 || pos[0] != "on" && pos[0] != "off" {
			return errors.New("usage: tack modules [on|off MODULE...]")
		}
		set := map[string]bool{}
		for _, m := range pos[1:] {
			set[m] = pos[0] == "on"
		}
		err = r.c.Do(r.ctx, "PUT", path, map[string]any{"modules": set}, &out)
	} else {
		err = r.c.Do(r.ctx, "GET", path, nil, &out)
	}
	if err != nil {
		return err
	}
	if f.json {
		r.print(out)
		return nil
	}
	for _, m := range []string{"attendance", "approvals", "ding", "secret_chat", "external_contacts", "robots", "apps", "circle"} {
		state := "on"
		if !out.Modules[m] {
			state = "off"
		}
		fmt.Printf("%-18s %s\n", m, state)
	}
	return nil
}
