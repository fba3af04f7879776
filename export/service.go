package export

import (
	"archive/zip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/account"
	"github.com/tackhq/tack/approval"
	"github.com/tackhq/tack/attendance"
	"github.com/tackhq/tack/blob"
	"github.com/tackhq/tack/limit"
	"github.com/tackhq/tack/media"
	"github.com/tackhq/tack/org"
)

// Profile gives the caller's account (account.Service implements it).
type Profile interface {
	Me(ctx context.Context) (account.User, error)
}

// Directory is what an export reads of organisations (org.Service
// implements it).
type Directory interface {
	Mine(ctx context.Context) ([]org.Org, []org.Member, error)
	Get(ctx context.Context, orgID tack.ID) (org.Org, org.Member, error)
	DirectoryActiveMembers(ctx context.Context, orgID tack.ID, paths []string) ([]org.Member, error)
	DirectoryDepartments(ctx context.Context, orgID tack.ID) ([]org.Department, error)
}

// Files opens a file the caller may read (media.Service implements it).
type Files interface {
	Open(ctx context.Context, id tack.ID, thumb bool) (media.FileInfo, blob.Object, error)
}

// Attendance lists attendance records (attendance.Service implements it).
type Attendance interface {
	Records(ctx context.Context, orgID tack.ID, q attendance.Range) ([]attendance.Record, error)
}

// Approvals lists approvals (approval.Service implements it).
type Approvals interface {
	Box(ctx context.Context, orgID tack.ID, box, cursor string, limit int) (approval.Page, error)
	Get(ctx context.Context, orgID, id tack.ID) (approval.View, error)
}

// Config wires a Service; Files, Attendance and Approvals may be nil (the
// node has no such capability: those parts of an export are empty).
type Config struct {
	Profile    Profile
	Directory  Directory
	Files      Files
	Attendance Attendance
	Approvals  Approvals
	// Limit bounds how often one person may start an export (default 10
	// an hour, 3 at once in a burst).
	Limit  *limit.Keyed
	Logger *slog.Logger
}

// Service makes exports.
type Service struct {
	store Store
	cfg   Config
	clock tack.Clock
	log   *slog.Logger
	busy  sync.Map // user ID: an export of theirs is being written
}

// NewService returns a Service; nil clock is the wall clock.
func NewService(store Store, clock tack.Clock, cfg Config) *Service {
	if cfg.Limit == nil {
		cfg.Limit = &limit.Keyed{Rate: 10.0 / 3600, Burst: 3}
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Service{store: store, cfg: cfg, clock: clock, log: log}
}

// AttendanceDays is how far back a member's own export reaches into their
// attendance.
const AttendanceDays = 366

// MaxOrgRange bounds an organisation export's attendance range, in days.
const MaxOrgRange = 62

// Export is an export that was checked and logged and can now be written.
type Export struct {
	Record Record
	// Name is a file name for it.
	Name  string
	write func(ctx context.Context, zw *zip.Writer) error
	done  func()
}

// WriteTo writes the ZIP to w. Call it once; it releases the caller's
// one-export-at-a-time slot.
func (e *Export) WriteTo(ctx context.Context, w io.Writer) error {
	defer e.done()
	zw := zip.NewWriter(w)
	if err := e.write(ctx, zw); err != nil {
		return err
	}
	return zw.Close()
}

// Release frees the slot of an export that will not be written.
func (e *Export) Release() { e.done() }

func (s *Service) begin(ctx context.Context) (tack.ID, func(), error) {
	uid := tack.UserID(ctx)
	if uid == "" {
		return "", nil, tack.Errorf(tack.EUnauthorized, "sign in first")
	}
	if _, busy := s.busy.LoadOrStore(uid, true); busy {
		return "", nil, tack.Errorf(tack.EConflict, "an export of yours is being written: wait until it is done")
	}
	release := sync.OnceFunc(func() { s.busy.Delete(uid) })
	if ok, wait := s.cfg.Limit.Take(string(uid), time.Now()); !ok {
		release()
		return "", nil, tack.RateLimited(wait, "too many exports: try again later")
	}
	return uid, release, nil
}

// Mine checks and logs the caller's export of their own data.
func (s *Service) Mine(ctx context.Context) (*Export, error) {
	uid, release, err := s.begin(ctx)
	if err != nil {
		return nil, err
	}
	me, err := s.cfg.Profile.Me(ctx)
	if err != nil {
		release()
		return nil, err
	}
	now := s.clock.Now().UTC()
	r := Record{ID: tack.NewID(), UserID: uid, Kind: KindMine, At: now}
	if err := s.store.RecordExport(ctx, r, nil); err != nil {
		release()
		return nil, fmt.Errorf("record export: %w", err)
	}
	e := &Export{Record: r, Name: "tack-export-" + now.Format("20060102-150405") + ".zip", done: release}
	e.write = func(ctx context.Context, zw *zip.Writer) error { return s.writeMine(ctx, zw, me, now) }
	return e, nil
}

// Org checks and logs an organisation export (owner and admins): the
// directory, and the attendance records of every active member from from
// to to (YYYY-MM-DD, at most MaxOrgRange days; default the last 31 days).
// Reading a member's records is recorded as a view they are shown, as
// whenever an admin looks.
func (s *Service) Org(ctx context.Context, orgID tack.ID, from, to string) (*Export, error) {
	now := s.clock.Now().UTC()
	f, t, err := orgRange(now, from, to)
	if err != nil {
		return nil, err
	}
	if tack.UserID(ctx) == "" {
		return nil, tack.Errorf(tack.EUnauthorized, "sign in first")
	}
	o, me, err := s.cfg.Directory.Get(ctx, orgID)
	if err != nil {
		return nil, err
	}
	if me.Needs2FA {
		return nil, tack.Errorf(tack.EForbidden, "this organisation requires admins to sign in with two steps: turn on two-step sign-in first")
	}
	if me.Role != org.RoleOwner && me.Role != org.RoleAdmin {
		return nil, tack.Errorf(tack.EForbidden, "only the owner and admins may export the organisation")
	}
	uid, release, err := s.begin(ctx)
	if err != nil {
		return nil, err
	}
	r := Record{ID: tack.NewID(), UserID: uid, OrgID: orgID, Kind: KindOrg, At: now}
	a := &org.Audit{ID: tack.NewID(), OrgID: orgID, ActorID: uid, Action: "org.export", Target: string(orgID),
		After: map[string]any{"from": f, "to": t}, At: now}
	if err := s.store.RecordExport(ctx, r, a); err != nil {
		release()
		return nil, fmt.Errorf("record export: %w", err)
	}
	e := &Export{Record: r, Name: "tack-org-" + string(orgID) + "-" + now.Format("20060102") + ".zip", done: release}
	e.write = func(ctx context.Context, zw *zip.Writer) error { return s.writeOrg(ctx, zw, o, f, t) }
	return e, nil
}

func orgRange(now time.Time, from, to string) (string, string, error) {
	t := now
	if to != "" {
		x, err := time.Parse(time.DateOnly, to)
		if err != nil {
			return "", "", tack.Invalid("to", "to must be a date like 2026-03-31")
		}
		t = x
	}
	f := t.AddDate(0, 0, -30)
	if from != "" {
		x, err := time.Parse(time.DateOnly, from)
		if err != nil {
			return "", "", tack.Invalid("from", "from must be a date like 2026-03-01")
		}
		f = x
	}
	if f.After(t) {
		return "", "", tack.Invalid("from", "from must not be after to")
	}
	if t.Sub(f) >= MaxOrgRange*24*time.Hour {
		return "", "", tack.Invalid("from", "an export covers at most %d days of attendance", MaxOrgRange)
	}
	return f.Format(time.DateOnly), t.Format(time.DateOnly), nil
}

// Exports lists the caller's own exports (orgID "") or, for its owner and
// admins, an organisation's, newest first.
func (s *Service) Exports(ctx context.Context, orgID tack.ID) ([]Record, error) {
	uid := tack.UserID(ctx)
	if uid == "" {
		return nil, tack.Errorf(tack.EUnauthorized, "sign in first")
	}
	if orgID != "" {
		_, me, err := s.cfg.Directory.Get(ctx, orgID)
		if err != nil {
			return nil, err
		}
		if me.Needs2FA || (me.Role != org.RoleOwner && me.Role != org.RoleAdmin) {
			return nil, tack.Errorf(tack.EForbidden, "only the owner and admins may see the organisation's exports")
		}
	}
	rs, err := s.store.Exports(ctx, uid, orgID, 100)
	if err != nil {
		return nil, fmt.Errorf("exports: %w", err)
	}
	if rs == nil {
		rs = []Record{}
	}
	return rs, nil
}

const readme = `Tack data export

profile.json      your account and your memberships of organisations
messages.json     the messages you sent (never secret chats' messages)
files.json        the files you uploaded; their bytes are under files/
attendance.json   your attendance records of the last year, per organisation
approvals.json    the approvals you asked for, per organisation
`

func (s *Service) writeMine(ctx context.Context, zw *zip.Writer, me account.User, now time.Time) error {
	if err := writeText(zw, "README.txt", readme); err != nil {
		return err
	}
	orgs, members, err := s.cfg.Directory.Mine(ctx)
	if err != nil {
		return fmt.Errorf("organisations: %w", err)
	}
	type membership struct {
		Org    org.Org    `json:"org"`
		Member org.Member `json:"member"`
	}
	ms := []membership{}
	for i := range orgs {
		o := orgs[i]
		o.Privacy = org.Privacy{}
		ms = append(ms, membership{Org: o, Member: members[i]})
	}
	if err := writeJSON(zw, "profile.json", map[string]any{"user": me, "organisations": ms, "exported_at": now}); err != nil {
		return err
	}
	if err := s.writeMessages(ctx, zw, me.ID); err != nil {
		return err
	}
	if err := s.writeFiles(ctx, zw, me.ID); err != nil {
		return err
	}
	type orgRecords struct {
		OrgID   tack.ID             `json:"org_id"`
		OrgName string              `json:"org_name"`
		Records []attendance.Record `json:"records"`
	}
	att := []orgRecords{}
	type orgApprovals struct {
		OrgID     tack.ID         `json:"org_id"`
		OrgName   string          `json:"org_name"`
		Approvals []approval.View `json:"approvals"`
	}
	apps := []orgApprovals{}
	for _, o := range orgs {
		if s.cfg.Attendance != nil {
			rs, err := s.myRecords(ctx, o.ID, now)
			if err != nil {
				return err
			}
			att = append(att, orgRecords{OrgID: o.ID, OrgName: o.Name, Records: rs})
		}
		if s.cfg.Approvals != nil {
			vs, err := s.myApprovals(ctx, o.ID)
			if err != nil {
				return err
			}
			apps = append(apps, orgApprovals{OrgID: o.ID, OrgName: o.Name, Approvals: vs})
		}
	}
	if err := writeJSON(zw, "attendance.json", att); err != nil {
		return err
	}
	return writeJSON(zw, "approvals.json", apps)
}

// quiet reports whether err only says that a capability has nothing for
// the caller (no attendance group, approvals switched off, ...).
func quiet(err error) bool {
	switch tack.ErrorCode(err) {
	case tack.ENotFound, tack.EForbidden, tack.EUnavailable:
		return true
	}
	return false
}

func (s *Service) myRecords(ctx context.Context, orgID tack.ID, now time.Time) ([]attendance.Record, error) {
	out := []attendance.Record{}
	end := now
	start := now.AddDate(0, 0, -AttendanceDays)
	for to := end; !to.Before(start); to = to.AddDate(0, 0, -MaxOrgRange) {
		from := to.AddDate(0, 0, -(MaxOrgRange - 1))
		if from.Before(start) {
			from = start
		}
		rs, err := s.cfg.Attendance.Records(ctx, orgID, attendance.Range{From: from.Format(time.DateOnly), To: to.Format(time.DateOnly)})
		if quiet(err) {
			return out, nil
		} else if err != nil {
			return nil, fmt.Errorf("attendance: %w", err)
		}
		out = append(rs, out...)
	}
	return out, nil
}

func (s *Service) myApprovals(ctx context.Context, orgID tack.ID) ([]approval.View, error) {
	out := []approval.View{}
	cursor := ""
	for {
		p, err := s.cfg.Approvals.Box(ctx, orgID, approval.BoxMine, cursor, approval.MaxPage)
		if quiet(err) {
			return out, nil
		} else if err != nil {
			return nil, fmt.Errorf("approvals: %w", err)
		}
		for _, a := range p.Approvals {
			v, err := s.cfg.Approvals.Get(ctx, orgID, a.ID)
			if quiet(err) {
				continue
			} else if err != nil {
				return nil, fmt.Errorf("approval: %w", err)
			}
			out = append(out, v)
		}
		if p.Next == "" {
			return out, nil
		}
		cursor = p.Next
	}
}

const page = 500

func (s *Service) writeMessages(ctx context.Context, zw *zip.Writer, uid tack.ID) error {
	w, err := zw.Create("messages.json")
	if err != nil {
		return err
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	io.WriteString(w, "[\n")
	after, first := "", true
	for {
		ms, err := s.store.SentMessages(ctx, uid, after, page)
		if err != nil {
			return fmt.Errorf("messages: %w", err)
		}
		for _, m := range ms {
			if !first {
				io.WriteString(w, ",")
			}
			first = false
			if err := enc.Encode(m); err != nil {
				return err
			}
		}
		if len(ms) < page {
			break
		}
		after = ms[len(ms)-1].ClientID
	}
	_, err = io.WriteString(w, "]\n")
	return err
}

func (s *Service) writeFiles(ctx context.Context, zw *zip.Writer, uid tack.ID) error {
	infos := []media.FileInfo{}
	if s.cfg.Files != nil {
		after := tack.ID("")
		for {
			ids, err := s.store.UploadedFiles(ctx, uid, after, page)
			if err != nil {
				return fmt.Errorf("files: %w", err)
			}
			for _, id := range ids {
				f, o, err := s.cfg.Files.Open(ctx, id, false)
				if errors.Is(err, tack.ErrNotFound) || tack.ErrorCode(err) == tack.ENotFound {
					continue // collected meanwhile
				} else if err != nil {
					return fmt.Errorf("file: %w", err)
				}
				w, err := zw.CreateHeader(&zip.FileHeader{Name: "files/" + string(f.ID) + "-" + safeName(f.Name), Method: zip.Store, Modified: f.CreatedAt})
				if err == nil {
					_, err = io.Copy(w, o)
				}
				o.Close()
				if err != nil {
					return fmt.Errorf("file %s: %w", f.ID, err)
				}
				infos = append(infos, f)
			}
			if len(ids) < page {
				break
			}
			after = ids[len(ids)-1]
		}
	}
	return writeJSON(zw, "files.json", infos)
}

// safeName keeps a file name readable in a ZIP and free of paths.
func safeName(name string) string {
	name = strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == ':' || unicode.IsControl(r) {
			return '_'
		}
		return r
	}, name)
	name = strings.TrimLeft(name, ".")
	if name == "" {
		name = "file"
	}
	if r := []rune(name); len(r) > 100 {
		name = string(r[:100])
	}
	return name
}

func (s *Service) writeOrg(ctx context.Context, zw *zip.Writer, o org.Org, from, to string) error {
	depts, err := s.cfg.Directory.DirectoryDepartments(ctx, o.ID)
	if err != nil {
		return fmt.Errorf("departments: %w", err)
	}
	if depts == nil {
		depts = []org.Department{}
	}
	members, err := s.cfg.Directory.DirectoryActiveMembers(ctx, o.ID, nil)
	if err != nil {
		return fmt.Errorf("members: %w", err)
	}
	if members == nil {
		members = []org.Member{}
	}
	if err := writeJSON(zw, "organisation.json", o); err != nil {
		return err
	}
	if err := writeJSON(zw, "departments.json", depts); err != nil {
		return err
	}
	if err := writeJSON(zw, "members.json", members); err != nil {
		return err
	}
	records := []attendance.Record{}
	if s.cfg.Attendance != nil {
		for _, m := range members {
			if m.UserID == "" {
				continue
			}
			rs, err := s.cfg.Attendance.Records(ctx, o.ID, attendance.Range{UserID: m.UserID, From: from, To: to})
			if quiet(err) || tack.ErrorCode(err) == tack.EInvalid {
				continue
			} else if err != nil {
				return fmt.Errorf("attendance: %w", err)
			}
			records = append(records, rs...)
		}
	}
	return writeJSON(zw, "attendance.json", map[string]any{"from": from, "to": to, "records": records})
}

func writeJSON(zw *zip.Writer, name string, v any) error {
	w, err := zw.Create(name)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", " ")
	return enc.Encode(v)
}

func writeText(zw *zip.Writer, name, text string) error {
	w, err := zw.Create(name)
	if err != nil {
		return err
	}
	_, err = io.WriteString(w, text)
	return err
}
