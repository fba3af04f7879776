package api

import (
	"net/http"
	"strconv"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/circle"
)

func init() {
	field := obj("label", str(), "required", boolean())
	tpl := obj("id", str(), "org_id", str(), "name", str(), "kind", enum(circle.Daily, circle.Weekly, circle.Monthly, circle.Custom), "fields", arr(field))
	comment := obj("id", str(), "report_id", str(), "author_id", str(), "text", str(), "created_at", timeT())
	report := obj("id", str(), "org_id", str(), "author_id", str(), "template_id", str(), "kind", str(), "period", str(),
		"answers", arr(obj("label", str(), "value", str())), "recipients", arr(obj("user_id", str(), "read_at", timeT())),
		"created_at", timeT(), "comments", arr(comment))
	for k, v := range map[string]any{
		"ReportTemplate":  tpl,
		"ReportTemplates": obj("templates", arr(tpl)),
		"Report":          report,
		"Reports":         obj("reports", arr(report)),
		"ReportIn":        obj("template_id", str(), "answers", map[string]any{"type": "object", "additionalProperties": str()}, "to", arr(str())),
		"ReportComment":   comment,
		"ReportStats":     obj("kind", str(), "date", str(), "submitted", arr(str()), "missing", arr(str())),
		"ReportReminder":  obj("kind", str(), "at", str(), "days", arr(integer()), "time_zone", str(), "on", boolean()),
	} {
		schemas[k] = v
	}
}

// reportRoutes are the routes of work reports (日志).
func (s *Server) reportRoutes() []route {
	j := s.withJournal
	const o = "/api/v1/orgs/{org_id}"
	return []route{
		{method: "GET", path: o + "/report-templates", summary: "Report templates: daily, weekly, monthly and the organisation's own", auth: true, resp: "ReportTemplates", status: 200, h: j(s.reportTemplates)},
		{method: "POST", path: o + "/report-templates", summary: "Add a custom report template (admins)", auth: true, req: "ReportTemplate", resp: "ReportTemplate", status: 201, h: j(s.addReportTemplate)},
		{method: "POST", path: o + "/reports", summary: "Submit a work report (to: colleagues; default your manager)", auth: true, req: "ReportIn", resp: "Report", status: 201, h: j(s.submitReport)},
		{method: "GET", path: o + "/reports", summary: "Your reports (?box=received|sent&limit=)", auth: true, resp: "Reports", status: 200, h: j(s.reports)},
		{method: "GET", path: o + "/reports/stats", summary: "Who submitted a report of ?kind= on ?date= and who did not (every member sees it)", auth: true, resp: "ReportStats", status: 200, h: j(s.reportStats)},
		{method: "GET", path: o + "/reports/{report_id}", summary: "One report with who read it and comments (its author and recipients; a recipient's opening marks it read)", auth: true, resp: "Report", status: 200, h: j(s.getReport)},
		{method: "POST", path: o + "/reports/{report_id}/comments", summary: "Comment on a report", auth: true, req: "CommentIn", resp: "ReportComment", status: 201, h: j(s.commentReport)},
		{method: "GET", path: o + "/report-reminder", summary: "Your own reminder to write reports", auth: true, resp: "ReportReminder", status: 200, h: j(s.reportReminder)},
		{method: "PUT", path: o + "/report-reminder", summary: "Set your reminder: a time of your choosing, never in your quiet hours", auth: true, req: "ReportReminder", resp: "ReportReminder", status: 200, h: j(s.setReportReminder)},
	}
}

func (s *Server) withJournal(h func(*circle.Journal, http.ResponseWriter, *http.Request) error) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		if s.cfg.Journal == nil {
			return tack.Errorf(tack.EUnavailable, "work reports are not available on this server")
		}
		return h(s.cfg.Journal, w, r)
	}
}

func (s *Server) reportTemplates(j *circle.Journal, w http.ResponseWriter, r *http.Request) error {
	o, err := orgID(r)
	if err != nil {
		return err
	}
	ts, err := j.Templates(r.Context(), o)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"templates": ts})
	return nil
}

func (s *Server) addReportTemplate(j *circle.Journal, w http.ResponseWriter, r *http.Request) error {
	o, err := orgID(r)
	if err != nil {
		return err
	}
	var in circle.Template
	if err := decode(r, &in); err != nil {
		return err
	}
	t, err := j.AddTemplate(r.Context(), o, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, t)
	return nil
}

func (s *Server) submitReport(j *circle.Journal, w http.ResponseWriter, r *http.Request) error {
	o, err := orgID(r)
	if err != nil {
		return err
	}
	var in circle.ReportInput
	if err := decode(r, &in); err != nil {
		return err
	}
	rep, err := j.Submit(r.Context(), o, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, rep)
	return nil
}

func (s *Server) reports(j *circle.Journal, w http.ResponseWriter, r *http.Request) error {
	o, err := orgID(r)
	if err != nil {
		return err
	}
	limit := 0
	if q := r.URL.Query().Get("limit"); q != "" {
		if limit, err = strconv.Atoi(q); err != nil || limit == 0 {
			return tack.Invalid("limit", "limit must be between 1 and %d", circle.MaxPage)
		}
	}
	list, err := j.List(r.Context(), o, r.URL.Query().Get("box"), limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"reports": list})
	return nil
}

func (s *Server) reportStats(j *circle.Journal, w http.ResponseWriter, r *http.Request) error {
	o, err := orgID(r)
	if err != nil {
		return err
	}
	st, err := j.Stats(r.Context(), o, r.URL.Query().Get("kind"), r.URL.Query().Get("date"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}

func (s *Server) getReport(j *circle.Journal, w http.ResponseWriter, r *http.Request) error {
	o, id, err := orgAnd(r, "report_id")
	if err != nil {
		return err
	}
	rep, err := j.Get(r.Context(), o, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rep)
	return nil
}

func (s *Server) commentReport(j *circle.Journal, w http.ResponseWriter, r *http.Request) error {
	o, id, err := orgAnd(r, "report_id")
	if err != nil {
		return err
	}
	var in struct {
		Text string `json:"text"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	c, err := j.Comment(r.Context(), o, id, in.Text)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, c)
	return nil
}

func (s *Server) reportReminder(j *circle.Journal, w http.ResponseWriter, r *http.Request) error {
	o, err := orgID(r)
	if err != nil {
		return err
	}
	rm, err := j.MyReminder(r.Context(), o)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rm)
	return nil
}

func (s *Server) setReportReminder(j *circle.Journal, w http.ResponseWriter, r *http.Request) error {
	o, err := orgID(r)
	if err != nil {
		return err
	}
	var in circle.Reminder
	if err := decode(r, &in); err != nil {
		return err
	}
	rm, err := j.SetMyReminder(r.Context(), o, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rm)
	return nil
}
