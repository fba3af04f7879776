package api

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/attendance"
	"github.com/tackhq/tack/sheet"
)

func init() {
	statusOf[attendance.EOutsideArea] = http.StatusUnprocessableEntity
	statusOf[attendance.ENotInWindow] = http.StatusUnprocessableEntity
}

// attendanceRoutes are the attendance routes (see package attendance).
func (s *Server) attendanceRoutes() []route {
	a := s.withAttendance
	const p = "/api/v1/orgs/{org_id}/attendance"
	return []route{
		{method: "POST", path: p + "/groups", summary: "Make an attendance group (admins; sub-admins within their scope)", auth: true, req: "AttGroupIn", resp: "AttGroup", status: 201, h: a(s.createAttGroup)},
		{method: "GET", path: p + "/groups", summary: "Attendance groups you manage, and yours", auth: true, resp: "AttGroups", status: 200, h: a(s.attGroups)},
		{method: "GET", path: p + "/groups/{group_id}", summary: "One attendance group", auth: true, resp: "AttGroup", status: 200, h: a(s.attGroup)},
		{method: "PATCH", path: p + "/groups/{group_id}", summary: "Change an attendance group (its admins); days already planned keep their rules", auth: true, req: "AttGroupIn", resp: "AttGroup", status: 200, h: a(s.updateAttGroup)},
		{method: "DELETE", path: p + "/groups/{group_id}", summary: "Delete an attendance group", auth: true, status: 204, h: a(s.deleteAttGroup)},
		{method: "GET", path: p + "/groups/{group_id}/schedules", summary: "A scheduled group's schedule (?from=&to=)", auth: true, resp: "AttSchedules", status: 200, h: a(s.attSchedules)},
		{method: "PUT", path: p + "/groups/{group_id}/schedules", summary: "Set schedule entries (排班) of a scheduled group", auth: true, req: "AttScheduleIn", resp: "AttCount", status: 200, h: a(s.setAttSchedule)},
		{method: "POST", path: p + "/groups/{group_id}/schedules/import", summary: "Import a schedule from CSV or XLSX (long: member,date,shift; or wide: a column per date)", auth: true, resp: "AttCount", status: 200, h: a(s.importAttSchedule), maxBody: MaxImport},

		{method: "POST", path: p + "/shifts", summary: "Make a named shift for schedules (admins, sub-admins)", auth: true, req: "AttShift", resp: "AttShift", status: 201, h: a(s.createShift)},
		{method: "GET", path: p + "/shifts", summary: "Named shifts", auth: true, resp: "AttShifts", status: 200, h: a(s.shifts)},
		{method: "PATCH", path: p + "/shifts/{shift_id}", summary: "Change a named shift", auth: true, req: "AttShift", resp: "AttShift", status: 200, h: a(s.updateShift)},
		{method: "DELETE", path: p + "/shifts/{shift_id}", summary: "Delete a named shift no schedule uses", auth: true, status: 204, h: a(s.deleteShift)},

		{method: "GET", path: p + "/calendar", summary: "Holidays and make-up workdays of a year (?year=)", auth: true, resp: "AttCalendar", status: 200, h: a(s.calendar)},
		{method: "PUT", path: p + "/calendar", summary: "Add, change or remove calendar entries (admins)", auth: true, req: "AttCalendarIn", resp: "AttCalendar", status: 200, h: a(s.setCalendar)},
		{method: "POST", path: p + "/calendar/import", summary: "Import calendar entries from CSV or XLSX (date, kind, name) (admins)", auth: true, resp: "AttCalendar", status: 200, h: a(s.importCalendar), maxBody: MaxImport},
		{method: "GET", path: p + "/calendar/presets", summary: "Holiday calendars shipped with Tack", auth: true, resp: "AttPresets", status: 200, h: a(s.presets)},
		{method: "POST", path: p + "/calendar/presets/{preset_id}", summary: "Apply a shipped calendar, e.g. cn-2026 (admins)", auth: true, resp: "AttCalendar", status: 200, h: a(s.applyPreset)},

		{method: "POST", path: p + "/punches", summary: "Punch (server time): inside a place or office network, else a field punch with a note or outside_area", auth: true, req: "AttPunchIn", resp: "AttPunch", status: 201, h: a(s.punch)},
		{method: "GET", path: p + "/punches", summary: "Punch history with field-punch coordinates (?user_id=&from=&to=); others' views are recorded", auth: true, resp: "AttPunches", status: 200, h: a(s.punches)},
		{method: "GET", path: p + "/records", summary: "Check records like DingTalk's attendance list (?user_id=&from=&to=)", auth: true, resp: "AttRecords", status: 200, h: a(s.records)},
		{method: "GET", path: p + "/month", summary: "A member's month as a calendar (?user_id=&month=YYYY-MM)", auth: true, resp: "AttMonth", status: 200, h: a(s.month)},
		{method: "GET", path: p + "/today", summary: "Your group, today's shift and checks", auth: true, resp: "AttToday", status: 200, h: a(s.today)},
		{method: "GET", path: p + "/reports/monthly", summary: "Monthly report (?month=&department_id=&user_id=&format=json|csv|xlsx)", auth: true, resp: "AttReport", status: 200, h: a(s.monthlyReport)},
		{method: "POST", path: p + "/corrections", summary: "Correct a member's check (admins; source_type ADMIN)", auth: true, req: "AttCorrectionIn", resp: "AttCheck", status: 201, h: a(s.correct)},
		{method: "GET", path: p + "/corrections/quota", summary: "Your make-up punches used this month (?month=)", auth: true, resp: "AttQuota", status: 200, h: a(s.quota)},
		{method: "POST", path: p + "/covers", summary: "Record leave, a trip or an outing by hand (admins; source_type ADMIN)", auth: true, req: "AttCoverIn", resp: "AttCover", status: 201, h: a(s.adminCover)},
		{method: "GET", path: p + "/views", summary: "Who looked at your attendance or locations, newest first (?before=&limit=)", auth: true, resp: "AttViews", status: 200, h: a(s.attViews)},
		{method: "GET", path: p + "/audit", summary: "Attendance audit log (admins; ?before=&limit=)", auth: true, resp: "AttAudit", status: 200, h: a(s.attAudit)},

		{method: "GET", path: "/api/v1/me/quiet-hours", summary: "Your quiet hours for the next 7 days: off-shift time, widened by your own ranges", auth: true, resp: "QuietHours", status: 200, h: a(s.quietHours)},
		{method: "PUT", path: "/api/v1/me/quiet-hours", summary: "Set your own quiet ranges (they widen the defaults)", auth: true, req: "QuietPrefs", resp: "QuietHours", status: 200, h: a(s.setQuietHours)},
	}
}

func init() {
	shift := obj("id", str(), "name", str(), "on", str(), "off", str(), "pairs", arr(obj("on", str(), "off", str())),
		"flex_minutes", integer(), "flex_mode", enum("forgive", "late_out"), "serious_late_minutes", integer(),
		"absent_late_minutes", integer(), "on_before_minutes", integer(), "off_after_minutes", integer(),
		"breaks", arr(obj("from", str(), "to", str())))
	place := obj("name", str(), "lat", map[string]any{"type": "number"}, "lng", map[string]any{"type": "number"}, "radius_m", integer())
	groupFields := []any{"name", str(), "kind", enum(attendance.Fixed, attendance.Scheduled, attendance.Free), "time_zone", str(),
		"member_ids", arr(str()), "department_ids", arr(str()), "excluded_ids", arr(str()), "shift", shift,
		"workdays", arr(integer()), "follow_calendar", boolean(), "places", arr(place), "networks", arr(str()),
		"wifi", arr(obj("ssid", str(), "bssid", str())), "field_punch", boolean(), "free_minutes", integer(),
		"makeup_quota", integer(), "makeup_days", integer(), "field_retention_days", integer()}
	group := obj(append([]any{"id", str(), "org_id", str(), "version", integer(), "created_at", timeT(), "updated_at", timeT()}, groupFields...)...)
	rule := obj("group_id", str(), "group_name", str(), "version", integer(), "day", enum("work", "rest", "free"), "reason", str(),
		"holiday", str(), "shift", str(), "shift_name", str(), "time_zone", str(), "flex_minutes", integer(), "flex_mode", str(),
		"serious_late_minutes", integer(), "absent_late_minutes", integer())
	checkTypes := enum(attendance.OnDuty, attendance.OffDuty)
	timeResults := enum(attendance.Normal, attendance.Early, attendance.Late, attendance.SeriousLate, attendance.Absenteeism, attendance.NotSigned)
	locResults := enum(attendance.Normal, attendance.Outside, attendance.NotSigned)
	sources := enum(attendance.SourceUser, attendance.SourceApprove, attendance.SourceSystem, attendance.SourceAdmin)
	check := obj("pair", integer(), "check_type", checkTypes, "base_check_time", timeT(), "user_check_time", timeT(), "time_result", timeResults,
		"location_result", locResults, "source_type", sources, "minutes", integer(), "punch_id", str(), "place", str(), "distance_m", integer(),
		"via", enum("place", "network", "wifi", "field", "correction"), "client_reported", boolean(), "approve_id", str(),
		"approve_type", enum("leave", "trip", "outing", "correction"), "leave_type", str(), "correction", boolean())
	summary := obj("status", str(), "workday", boolean(), "expected_minutes", integer(), "worked_minutes", integer(), "late_count", integer(),
		"late_minutes", integer(), "serious_late_count", integer(), "early_count", integer(), "early_minutes", integer(), "absent", boolean(),
		"absent_minutes", integer(), "not_signed", integer(), "field_punches", integer(), "leave_minutes", map[string]any{"type": "object"},
		"trip_minutes", integer(), "outing_minutes", integer(), "overtime_minutes", integer())
	cover := obj("id", str(), "org_id", str(), "user_id", str(), "kind", enum("leave", "trip", "outing"), "leave_type", str(), "start", timeT(),
		"end", timeT(), "approval_id", str(), "source_type", sources, "created_by", str(), "created_at", timeT())
	day := obj("org_id", str(), "user_id", str(), "member_id", str(), "group_id", str(), "work_date", str(), "state", enum("open", "closed"),
		"plan", map[string]any{"type": "object"}, "checks", arr(check), "summary", summary, "covers", arr(cover), "due_at", timeT(),
		"closed_at", timeT(), "updated_at", timeT())
	totals := []any{"expected_days", integer(), "actual_days", integer(), "rest_days", integer(), "expected_minutes", integer(),
		"worked_minutes", integer(), "late_count", integer(), "late_minutes", integer(), "serious_late_count", integer(), "early_count", integer(),
		"early_minutes", integer(), "absent_days", integer(), "absent_minutes", integer(), "not_signed", integer(), "field_punches", integer(),
		"leave_minutes", map[string]any{"type": "object"}, "trip_minutes", integer(), "outing_minutes", integer(), "overtime_minutes", integer()}
	holiday := obj("date", str(), "kind", enum(attendance.HolidayOff, attendance.HolidayWork), "name", str())
	interval := obj("start", timeT(), "end", timeT())
	quietRange := obj("days", arr(integer()), "from", str(), "to", str())
	for k, v := range map[string]any{
		"AttGroupIn":    obj(groupFields...),
		"AttGroup":      group,
		"AttGroups":     obj("groups", arr(group)),
		"AttShift":      shift,
		"AttShifts":     obj("shifts", arr(shift)),
		"AttScheduleIn": obj("entries", arr(obj("member", str(), "date", str(), "shift", str()))),
		"AttSchedules":  obj("entries", arr(obj("group_id", str(), "user_id", str(), "date", str(), "shift_id", str()))),
		"AttCount":      obj("count", integer()),
		"AttCalendar":   obj("holidays", arr(holiday)),
		"AttCalendarIn": obj("holidays", arr(holiday), "remove", arr(str())),
		"AttPresets":    obj("presets", arr(obj("id", str(), "holidays", arr(holiday)))),
		"AttPunchIn": obj("lat", map[string]any{"type": "number"}, "lng", map[string]any{"type": "number"}, "accuracy_m", map[string]any{"type": "number"},
			"note", str(), "ssid", str(), "bssid", str()),
		"AttPunch": obj("id", str(), "check_type", checkTypes, "time_result", timeResults, "location_result", locResults, "source_type", sources,
			"work_date", str(), "user_check_time", timeT(), "base_check_time", timeT(), "minutes", integer(), "place", str(), "distance_m", integer(),
			"via", str(), "client_reported", boolean(), "replaced", boolean(), "rule", rule),
		"AttPunches": obj("punches", arr(obj("id", str(), "work_date", str(), "at", timeT(), "check_type", checkTypes, "source_type", sources,
			"location_result", locResults, "via", str(), "place", str(), "distance_m", integer(), "note", str(), "lat", map[string]any{"type": "number"},
			"lng", map[string]any{"type": "number"}, "erase_at", timeT()))),
		"AttRecords": obj("records", arr(obj("id", str(), "user_id", str(), "member_id", str(), "group_id", str(), "work_date", str(), "pair", integer(),
			"check_type", checkTypes, "time_result", timeResults, "location_result", locResults, "source_type", sources, "base_check_time", timeT(),
			"user_check_time", timeT(), "minutes", integer(), "place", str(), "distance_m", integer(), "via", str(), "approve_id", str(),
			"approve_type", str(), "leave_type", str(), "day_status", str(), "day_state", str(), "rule", rule))),
		"AttMonth":        obj("user_id", str(), "member_id", str(), "name", str(), "month", str(), "days", arr(day), "totals", obj(totals...)),
		"AttToday":        obj("group", group, "day", day, "now", timeT(), "in_group", boolean()),
		"AttReport":       obj("month", str(), "department_id", str(), "rows", arr(obj(append([]any{"user_id", str(), "member_id", str(), "name", str(), "employee_no", str(), "departments", arr(str())}, totals...)...)), "total", obj(totals...)),
		"AttCorrectionIn": obj("user_id", str(), "work_date", str(), "check_type", checkTypes, "pair", integer(), "reason", str()),
		"AttCheck":        check,
		"AttQuota":        obj("month", str(), "used", integer(), "limit", integer(), "deadline_days", integer()),
		"AttCoverIn": obj("user_id", str(), "kind", enum("leave", "trip", "outing"), "leave_type", str(), "start", timeT(), "end", timeT(),
			"from_date", str(), "to_date", str(), "approval_id", str()),
		"AttCover": cover,
		"AttViews": obj("views", arr(obj("id", str(), "viewer_id", str(), "viewer_name", str(), "subject_id", str(), "what", str(),
			"from", str(), "to", str(), "at", timeT())), "next_before", str()),
		"AttAudit":   obj("entries", arr(obj("id", str(), "actor_id", str(), "action", str(), "target", str(), "detail", map[string]any{}, "at", timeT())), "next_before", str()),
		"QuietHours": obj("time_zone", str(), "from", timeT(), "to", timeT(), "work", arr(interval), "quiet", arr(interval), "extra", arr(quietRange), "from_shifts", boolean()),
		"QuietPrefs": obj("time_zone", str(), "extra", arr(quietRange)),
	} {
		schemas[k] = v
	}
}

// withAttendance answers unavailable when the node has no attendance.
func (s *Server) withAttendance(h func(*attendance.Service, http.ResponseWriter, *http.Request) error) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		if s.cfg.Attendance == nil {
			return tack.Errorf(tack.EUnavailable, "attendance is not available on this server")
		}
		return h(s.cfg.Attendance, w, r)
	}
}

// idParam reads an ID from the path without judging it: the service says
// not_found after checking the caller belongs to the organisation.
func idParam(r *http.Request, name string) tack.ID { return tack.ID(r.PathValue(name)) }

func (s *Server) createAttGroup(as *attendance.Service, w http.ResponseWriter, r *http.Request) error {
	id, err := orgID(r)
	if err != nil {
		return err
	}
	var in attendance.GroupInput
	if err := decode(r, &in); err != nil {
		return err
	}
	g, err := as.CreateGroup(r.Context(), id, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, g)
	return nil
}

func (s *Server) attGroups(as *attendance.Service, w http.ResponseWriter, r *http.Request) error {
	id, err := orgID(r)
	if err != nil {
		return err
	}
	gs, err := as.Groups(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"groups": gs})
	return nil
}

func (s *Server) attGroup(as *attendance.Service, w http.ResponseWriter, r *http.Request) error {
	id, err := orgID(r)
	if err != nil {
		return err
	}
	g, err := as.Group(r.Context(), id, idParam(r, "group_id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, g)
	return nil
}

func (s *Server) updateAttGroup(as *attendance.Service, w http.ResponseWriter, r *http.Request) error {
	id, err := orgID(r)
	if err != nil {
		return err
	}
	var in attendance.GroupInput
	if err := decode(r, &in); err != nil {
		return err
	}
	g, err := as.UpdateGroup(r.Context(), id, idParam(r, "group_id"), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, g)
	return nil
}

func (s *Server) deleteAttGroup(as *attendance.Service, w http.ResponseWriter, r *http.Request) error {
	id, err := orgID(r)
	if err != nil {
		return err
	}
	if err := as.DeleteGroup(r.Context(), id, idParam(r, "group_id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) attSchedules(as *attendance.Service, w http.ResponseWriter, r *http.Request) error {
	id, err := orgID(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	list, err := as.Schedule(r.Context(), id, idParam(r, "group_id"), q.Get("from"), q.Get("to"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"entries": list})
	return nil
}

func (s *Server) setAttSchedule(as *attendance.Service, w http.ResponseWriter, r *http.Request) error {
	id, err := orgID(r)
	if err != nil {
		return err
	}
	var in struct {
		Entries []attendance.ScheduleInput `json:"entries"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	n, err := as.SetSchedule(r.Context(), id, idParam(r, "group_id"), in.Entries)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]int{"count": n})
	return nil
}

// readTable reads an uploaded CSV or XLSX file (raw body or multipart
// "file").
func readTable(r *http.Request) ([][]string, error) {
	format := strings.ToLower(r.URL.Query().Get("format"))
	var data []byte
	var err error
	if ct := r.Header.Get("Content-Type"); strings.HasPrefix(ct, "multipart/form-data") {
		f, name, err := formFile(r)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		if data, err = io.ReadAll(f); err != nil {
			return nil, bodyError(err)
		}
		if format == "" && strings.HasSuffix(strings.ToLower(name), ".xlsx") {
			format = sheet.XLSX
		}
	} else {
		if data, err = io.ReadAll(r.Body); err != nil {
			return nil, bodyError(err)
		}
		if format == "" && strings.Contains(ct, "spreadsheetml") {
			format = sheet.XLSX
		}
	}
	if len(data) == 0 {
		return nil, tack.Invalid("file", "send the CSV or XLSX file as the request body")
	}
	return sheet.Read(data, format, r.URL.Query().Get("encoding"))
}

func (s *Server) importAttSchedule(as *attendance.Service, w http.ResponseWriter, r *http.Request) error {
	id, err := orgID(r)
	if err != nil {
		return err
	}
	rows, err := readTable(r)
	if err != nil {
		return err
	}
	n, err := as.ImportSchedule(r.Context(), id, idParam(r, "group_id"), rows)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]int{"count": n})
	return nil
}

func (s *Server) createShift(as *attendance.Service, w http.ResponseWriter, r *http.Request) error {
	id, err := orgID(r)
	if err != nil {
		return err
	}
	var in attendance.Shift
	if err := decode(r, &in); err != nil {
		return err
	}
	sh, err := as.CreateShift(r.Context(), id, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, sh)
	return nil
}

func (s *Server) shifts(as *attendance.Service, w http.ResponseWriter, r *http.Request) error {
	id, err := orgID(r)
	if err != nil {
		return err
	}
	list, err := as.Shifts(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"shifts": list})
	return nil
}

func (s *Server) updateShift(as *attendance.Service, w http.ResponseWriter, r *http.Request) error {
	id, err := orgID(r)
	if err != nil {
		return err
	}
	var in attendance.Shift
	if err := decode(r, &in); err != nil {
		return err
	}
	sh, err := as.UpdateShift(r.Context(), id, idParam(r, "shift_id"), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, sh)
	return nil
}

func (s *Server) deleteShift(as *attendance.Service, w http.ResponseWriter, r *http.Request) error {
	id, err := orgID(r)
	if err != nil {
		return err
	}
	if err := as.DeleteShift(r.Context(), id, idParam(r, "shift_id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) calendar(as *attendance.Service, w http.ResponseWriter, r *http.Request) error {
	id, err := orgID(r)
	if err != nil {
		return err
	}
	year := time.Now().UTC().Year()
	if v := r.URL.Query().Get("year"); v != "" {
		if year, err = strconv.Atoi(v); err != nil {
			return tack.Invalid("year", "year must be a year like 2026")
		}
	}
	hs, err := as.Calendar(r.Context(), id, year)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"holidays": hs})
	return nil
}

func (s *Server) setCalendar(as *attendance.Service, w http.ResponseWriter, r *http.Request) error {
	id, err := orgID(r)
	if err != nil {
		return err
	}
	var in struct {
		Holidays []attendance.Holiday `json:"holidays"`
		Remove   []string             `json:"remove"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	if err := as.SetCalendar(r.Context(), id, in.Holidays, in.Remove); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"holidays": nonNil(in.Holidays)})
	return nil
}

func (s *Server) importCalendar(as *attendance.Service, w http.ResponseWriter, r *http.Request) error {
	id, err := orgID(r)
	if err != nil {
		return err
	}
	rows, err := readTable(r)
	if err != nil {
		return err
	}
	hs, err := as.ImportCalendar(r.Context(), id, rows)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"holidays": hs})
	return nil
}

func (s *Server) presets(as *attendance.Service, w http.ResponseWriter, r *http.Request) error {
	id, err := orgID(r)
	if err != nil {
		return err
	}
	// Members only: the presets are no secret, but the path is the
	// organisation's.
	if _, err := as.Calendar(r.Context(), id, time.Now().UTC().Year()); err != nil {
		return err
	}
	ps, err := attendance.Presets()
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"presets": ps})
	return nil
}

func (s *Server) applyPreset(as *attendance.Service, w http.ResponseWriter, r *http.Request) error {
	id, err := orgID(r)
	if err != nil {
		return err
	}
	hs, err := as.ApplyPreset(r.Context(), id, r.PathValue("preset_id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"holidays": hs})
	return nil
}

func (s *Server) punch(as *attendance.Service, w http.ResponseWriter, r *http.Request) error {
	id, err := orgID(r)
	if err != nil {
		return err
	}
	var in struct {
		Lat       *float64 `json:"lat"`
		Lng       *float64 `json:"lng"`
		AccuracyM *float64 `json:"accuracy_m"`
		Note      string   `json:"note"`
		SSID      string   `json:"ssid"`
		BSSID     string   `json:"bssid"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	// The office-network check uses the address the request came from, as
	// sign-in does: clientAddr, which the server set from X-Forwarded-For
	// when the request came through a --trusted-proxy (realClient).
	res, err := as.Punch(r.Context(), id, attendance.PunchInput{Note: in.Note, Position: attendance.Position{
		Lat: in.Lat, Lng: in.Lng, AccuracyM: in.AccuracyM, ClientIP: clientAddr(r), SSID: in.SSID, BSSID: in.BSSID}})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, res)
	return nil
}

// rangeQuery reads user_id, from and to; the range defaults to the last
// seven days (UTC).
func rangeQuery(r *http.Request) attendance.Range {
	q := r.URL.Query()
	rg := attendance.Range{UserID: tack.ID(q.Get("user_id")), From: q.Get("from"), To: q.Get("to")}
	if rg.To == "" && rg.From == "" {
		now := time.Now().UTC()
		rg.To, rg.From = now.Format("2006-01-02"), now.AddDate(0, 0, -6).Format("2006-01-02")
	} else if rg.To == "" {
		rg.To = rg.From
	} else if rg.From == "" {
		rg.From = rg.To
	}
	return rg
}

func (s *Server) punches(as *attendance.Service, w http.ResponseWriter, r *http.Request) error {
	id, err := orgID(r)
	if err != nil {
		return err
	}
	ps, err := as.Punches(r.Context(), id, rangeQuery(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"punches": ps})
	return nil
}

func (s *Server) records(as *attendance.Service, w http.ResponseWriter, r *http.Request) error {
	id, err := orgID(r)
	if err != nil {
		return err
	}
	recs, err := as.Records(r.Context(), id, rangeQuery(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"records": recs})
	return nil
}

func (s *Server) month(as *attendance.Service, w http.ResponseWriter, r *http.Request) error {
	id, err := orgID(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	m := q.Get("month")
	if m == "" {
		m = time.Now().UTC().Format("2006-01")
	}
	out, err := as.MonthOf(r.Context(), id, tack.ID(q.Get("user_id")), m)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) today(as *attendance.Service, w http.ResponseWriter, r *http.Request) error {
	id, err := orgID(r)
	if err != nil {
		return err
	}
	out, err := as.MyDay(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) monthlyReport(as *attendance.Service, w http.ResponseWriter, r *http.Request) error {
	id, err := orgID(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	format := strings.ToLower(q.Get("format"))
	switch format {
	case "", "json", "csv", "xlsx":
	default:
		return tack.Invalid("format", "format must be json, csv or xlsx")
	}
	m := q.Get("month")
	if m == "" {
		m = time.Now().UTC().Format("2006-01")
	}
	rep, err := as.MonthlyReport(r.Context(), id, attendance.ReportQuery{Month: m, DepartmentID: tack.ID(q.Get("department_id")), UserID: tack.ID(q.Get("user_id"))})
	if err != nil {
		return err
	}
	name := "attendance-" + rep.Month
	switch format {
	case "csv":
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.csv"`)
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(sheet.ReportCSV(rep.Table()))
	case "xlsx":
		b, err := sheet.ReportXLSX("考勤 "+rep.Month, rep.Table())
		if err != nil {
			return err
		}
		w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.xlsx"`)
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(b)
	default:
		writeJSON(w, http.StatusOK, rep)
	}
	return nil
}

func (s *Server) correct(as *attendance.Service, w http.ResponseWriter, r *http.Request) error {
	id, err := orgID(r)
	if err != nil {
		return err
	}
	var in attendance.CorrectionInput
	if err := decode(r, &in); err != nil {
		return err
	}
	c, err := as.Correct(r.Context(), id, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, c)
	return nil
}

func (s *Server) quota(as *attendance.Service, w http.ResponseWriter, r *http.Request) error {
	id, err := orgID(r)
	if err != nil {
		return err
	}
	m := r.URL.Query().Get("month")
	if m == "" {
		m = time.Now().UTC().Format("2006-01")
	}
	q, err := as.MyQuota(r.Context(), id, m)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, q)
	return nil
}

func (s *Server) adminCover(as *attendance.Service, w http.ResponseWriter, r *http.Request) error {
	id, err := orgID(r)
	if err != nil {
		return err
	}
	var in attendance.CoverInput
	if err := decode(r, &in); err != nil {
		return err
	}
	c, err := as.AdminCover(r.Context(), id, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, c)
	return nil
}

func pageQuery(r *http.Request) (tack.ID, int, error) {
	n, err := queryInt(r, "limit")
	if err != nil {
		return "", 0, err
	}
	return tack.ID(r.URL.Query().Get("before")), int(n), nil
}

func (s *Server) attViews(as *attendance.Service, w http.ResponseWriter, r *http.Request) error {
	id, err := orgID(r)
	if err != nil {
		return err
	}
	before, limit, err := pageQuery(r)
	if err != nil {
		return err
	}
	vs, err := as.Views(r.Context(), id, before, limit)
	if err != nil {
		return err
	}
	next := ""
	if len(vs) > 0 && (limit == 0 && len(vs) == 50 || len(vs) == limit) {
		next = string(vs[len(vs)-1].ID)
	}
	writeJSON(w, http.StatusOK, map[string]any{"views": vs, "next_before": next})
	return nil
}

func (s *Server) attAudit(as *attendance.Service, w http.ResponseWriter, r *http.Request) error {
	id, err := orgID(r)
	if err != nil {
		return err
	}
	before, limit, err := pageQuery(r)
	if err != nil {
		return err
	}
	es, err := as.AuditLog(r.Context(), id, before, limit)
	if err != nil {
		return err
	}
	next := ""
	if len(es) > 0 && (limit == 0 && len(es) == 50 || len(es) == limit) {
		next = string(es[len(es)-1].ID)
	}
	writeJSON(w, http.StatusOK, map[string]any{"entries": es, "next_before": next})
	return nil
}

func (s *Server) quietHours(as *attendance.Service, w http.ResponseWriter, r *http.Request) error {
	q, err := as.QuietHours(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, q)
	return nil
}

func (s *Server) setQuietHours(as *attendance.Service, w http.ResponseWriter, r *http.Request) error {
	var in attendance.QuietPrefs
	if err := decode(r, &in); err != nil {
		return err
	}
	q, err := as.SetQuietHours(r.Context(), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, q)
	return nil
}
