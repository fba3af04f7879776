package attendance

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/org"
)

// Place is a geofence: a punch within RadiusM metres of it is inside.
type Place struct {
	Name    string  `json:"name"`
	Lat     float64 `json:"lat"`
	Lng     float64 `json:"lng"`
	RadiusM int     `json:"radius_m"`
}

// WiFi is an office access point that native clients may report (the web
// cannot read Wi-Fi names). A punch that names one is inside, marked as
// client-reported.
type WiFi struct {
	SSID  string `json:"ssid"`
	BSSID string `json:"bssid"`
}

// Group is an attendance group (考勤组). Its members are the people listed
// and the active members of its departments (and their sub-departments),
// but not those excluded; a person is in at most one group (see groupOf).
type Group struct {
	ID            tack.ID   `json:"id"`
	OrgID         tack.ID   `json:"org_id"`
	Name          string    `json:"name"`
	Kind          string    `json:"kind"` // fixed, scheduled, free
	TimeZone      string    `json:"time_zone"`
	MemberIDs     []tack.ID `json:"member_ids"`
	DepartmentIDs []tack.ID `json:"department_ids"`
	ExcludedIDs   []tack.ID `json:"excluded_ids"`
	// Shift is the shift of a fixed group's workdays.
	Shift *Shift `json:"shift,omitempty"`
	// Workdays are the weekdays worked (Monday = 1 … Sunday = 7) by fixed
	// and free groups.
	Workdays []int `json:"workdays"`
	// FollowCalendar: the organisation's holidays are rest days and its
	// make-up workdays (调休) are worked, with the group's shift.
	FollowCalendar bool     `json:"follow_calendar"`
	Places         []Place  `json:"places"`
	Networks       []string `json:"networks"`
	WiFi           []WiFi   `json:"wifi"`
	FieldPunch     bool     `json:"field_punch"`
	// FreeMinutes is a free-hours workday's expected length.
	FreeMinutes int `json:"free_minutes,omitempty"`
	// Make-up punches: at most MakeupQuota a month, within MakeupDays
	// days of the work date.
	MakeupQuota int `json:"makeup_quota"`
	MakeupDays  int `json:"makeup_days"`
	// FieldRetentionDays is how long field punches keep coordinates.
	FieldRetentionDays int `json:"field_retention_days"`
	// Version counts changes; each day records the version that judged it.
	Version   int       `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// PlannedThrough is the last work date whose days are planned.
	PlannedThrough string `json:"-"`
}

// Target is a member or department assigned to a group; stores keep one
// per (organisation, ID), which is how a person or department ends up in
// at most one group.
type Target struct {
	OrgID   tack.ID
	ID      tack.ID // member or department ID
	GroupID tack.ID
	Kind    string // "member" or "department"
}

// GroupInput creates or changes a group; nil fields keep their value (on
// create: the default).
type GroupInput struct {
	Name               *string    `json:"name"`
	Kind               *string    `json:"kind"`
	TimeZone           *string    `json:"time_zone"`
	MemberIDs          *[]tack.ID `json:"member_ids"`
	DepartmentIDs      *[]tack.ID `json:"department_ids"`
	ExcludedIDs        *[]tack.ID `json:"excluded_ids"`
	Shift              *Shift     `json:"shift"`
	Workdays           *[]int     `json:"workdays"`
	FollowCalendar     *bool      `json:"follow_calendar"`
	Places             *[]Place   `json:"places"`
	Networks           *[]string  `json:"networks"`
	WiFi               *[]WiFi    `json:"wifi"`
	FieldPunch         *bool      `json:"field_punch"`
	FreeMinutes        *int       `json:"free_minutes"`
	MakeupQuota        *int       `json:"makeup_quota"`
	MakeupDays         *int       `json:"makeup_days"`
	FieldRetentionDays *int       `json:"field_retention_days"`
}

func (in GroupInput) apply(g *Group) {
	set := func(dst *[]tack.ID, src *[]tack.ID) {
		if src != nil {
			*dst = slices.Clone(*src)
		}
	}
	if in.Name != nil {
		g.Name = *in.Name
	}
	if in.Kind != nil {
		g.Kind = *in.Kind
	}
	if in.TimeZone != nil {
		g.TimeZone = *in.TimeZone
	}
	set(&g.MemberIDs, in.MemberIDs)
	set(&g.DepartmentIDs, in.DepartmentIDs)
	set(&g.ExcludedIDs, in.ExcludedIDs)
	if in.Shift != nil {
		sh := *in.Shift
		g.Shift = &sh
	}
	if in.Workdays != nil {
		g.Workdays = slices.Clone(*in.Workdays)
	}
	if in.FollowCalendar != nil {
		g.FollowCalendar = *in.FollowCalendar
	}
	if in.Places != nil {
		g.Places = slices.Clone(*in.Places)
	}
	if in.Networks != nil {
		g.Networks = slices.Clone(*in.Networks)
	}
	if in.WiFi != nil {
		g.WiFi = slices.Clone(*in.WiFi)
	}
	if in.FieldPunch != nil {
		g.FieldPunch = *in.FieldPunch
	}
	if in.FreeMinutes != nil {
		g.FreeMinutes = *in.FreeMinutes
	}
	if in.MakeupQuota != nil {
		g.MakeupQuota = *in.MakeupQuota
	}
	if in.MakeupDays != nil {
		g.MakeupDays = *in.MakeupDays
	}
	if in.FieldRetentionDays != nil {
		g.FieldRetentionDays = *in.FieldRetentionDays
	}
}

func validText(field, s string, max int) (string, error) {
	s = strings.TrimSpace(s)
	if !utf8.ValidString(s) {
		return "", tack.Invalid(field, "%s is not valid UTF-8", field)
	}
	if n := utf8.RuneCountInString(s); n > max {
		return "", tack.Invalid(field, "%s is longer than %d characters", field, max)
	}
	for _, r := range s {
		if unicode.IsControl(r) && r != '\n' {
			return "", tack.Invalid(field, "%s contains a control character", field)
		}
	}
	return s, nil
}

func validName(field, s string) (string, error) {
	s, err := validText(field, s, MaxNameRunes)
	if err != nil {
		return "", err
	}
	if s == "" || strings.Contains(s, "\n") {
		return "", tack.Invalid(field, "%s is required (one line)", field)
	}
	return s, nil
}

func validTimeZone(tz string) (string, error) {
	tz = strings.TrimSpace(tz)
	if tz == "" || len(tz) > 64 || strings.HasPrefix(tz, "/") || strings.Contains(tz, "..") || strings.EqualFold(tz, "local") {
		return "", tack.Invalid("time_zone", "time_zone must be an IANA zone such as Asia/Shanghai")
	}
	if _, err := loadLocation(tz); err != nil {
		return "", tack.Invalid("time_zone", "time_zone must be an IANA zone such as Asia/Shanghai")
	}
	return tz, nil
}

func validIDs(field string, ids []tack.ID) ([]tack.ID, error) {
	if len(ids) > MaxGroupTargets {
		return nil, tack.Errorf(tack.ETooLarge, "%s: at most %d", field, MaxGroupTargets)
	}
	out := make([]tack.ID, 0, len(ids))
	for _, id := range ids {
		if !id.Valid() {
			return nil, tack.Invalid(field, "%q is not an ID", string(id))
		}
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out, nil
}

func validCoord(field string, lat, lng float64) error {
	if math.IsNaN(lat) || math.IsNaN(lng) || lat < -90 || lat > 90 || lng < -180 || lng > 180 {
		return tack.Invalid(field, "%s must be a latitude in [-90, 90] and a longitude in [-180, 180]", field)
	}
	return nil
}

// validate checks and completes g (everything but members and departments).
func (g *Group) validate() error {
	var err error
	if g.Name, err = validName("name", g.Name); err != nil {
		return err
	}
	switch g.Kind {
	case Fixed, Scheduled, Free:
	default:
		return tack.Invalid("kind", "kind must be fixed, scheduled or free")
	}
	if g.TimeZone, err = validTimeZone(g.TimeZone); err != nil {
		return err
	}
	if g.Kind == Fixed {
		if g.Shift == nil {
			return tack.Invalid("shift", "a fixed group needs a shift: {\"on\": \"09:00\", \"off\": \"18:00\"}")
		}
		sh, err := g.Shift.normalize("shift")
		if err != nil {
			return err
		}
		sh.ID, sh.OrgID, sh.Name, sh.CreatedAt, sh.UpdatedAt = "", "", "", time.Time{}, time.Time{}
		g.Shift = &sh
	} else if g.Shift != nil && g.Kind == Free {
		g.Shift = nil
	}
	if g.Kind == Scheduled && g.Shift != nil {
		sh, err := g.Shift.normalize("shift")
		if err != nil {
			return err
		}
		g.Shift = &sh // the default shift of a schedule entry that names none
	}
	if g.Kind != Scheduled {
		if len(g.Workdays) == 0 {
			return tack.Invalid("workdays", "workdays must list the weekdays worked (Monday = 1 … Sunday = 7)")
		}
		var wd []int
		for _, d := range g.Workdays {
			if d < 1 || d > 7 {
				return tack.Invalid("workdays", "workdays are 1 (Monday) to 7 (Sunday), not %d", d)
			}
			if !slices.Contains(wd, d) {
				wd = append(wd, d)
			}
		}
		slices.Sort(wd)
		g.Workdays = wd
	}
	if g.Workdays == nil {
		g.Workdays = []int{}
	}
	if len(g.Places) > MaxPlaces {
		return tack.Errorf(tack.ETooLarge, "places: at most %d", MaxPlaces)
	}
	for i := range g.Places {
		p := &g.Places[i]
		f := fmt.Sprintf("places[%d]", i)
		if p.Name, err = validName(f+".name", p.Name); err != nil {
			return err
		}
		if err := validCoord(f, p.Lat, p.Lng); err != nil {
			return err
		}
		if p.RadiusM == 0 {
			p.RadiusM = DefaultRadiusM
		}
		if p.RadiusM < MinRadiusM || p.RadiusM > MaxRadiusM {
			return tack.Invalid(f+".radius_m", "radius_m must be between %d and %d metres", MinRadiusM, MaxRadiusM)
		}
	}
	if len(g.Networks) > MaxNetworks {
		return tack.Errorf(tack.ETooLarge, "networks: at most %d", MaxNetworks)
	}
	for i, n := range g.Networks {
		p, err := netip.ParsePrefix(strings.TrimSpace(n))
		if err != nil {
			a, aerr := netip.ParseAddr(strings.TrimSpace(n))
			if aerr != nil {
				return tack.Invalid(fmt.Sprintf("networks[%d]", i), "%q is not a network like 203.0.113.0/24", n)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		if p.Bits() < 8 && p.Addr().Is4() || p.Bits() < 32 && p.Addr().Is6() {
			return tack.Invalid(fmt.Sprintf("networks[%d]", i), "%q is too wide to be an office network", n)
		}
		g.Networks[i] = p.Masked().String()
	}
	if len(g.WiFi) > MaxWiFi {
		return tack.Errorf(tack.ETooLarge, "wifi: at most %d", MaxWiFi)
	}
	for i := range g.WiFi {
		w := &g.WiFi[i]
		if w.SSID, err = validText(fmt.Sprintf("wifi[%d].ssid", i), w.SSID, 32); err != nil {
			return err
		}
		w.BSSID = strings.ToLower(strings.TrimSpace(w.BSSID))
		if !validBSSID(w.BSSID) {
			return tack.Invalid(fmt.Sprintf("wifi[%d].bssid", i), "bssid must be a MAC address like 00:11:22:33:44:55")
		}
	}
	if g.Kind != Free && len(g.Places) == 0 && len(g.Networks) == 0 && len(g.WiFi) == 0 && !g.FieldPunch {
		return tack.Invalid("places", "give at least one place or network, or allow field punches")
	}
	if g.Kind == Free && len(g.Places) == 0 && len(g.Networks) == 0 && len(g.WiFi) == 0 && !g.FieldPunch {
		return tack.Invalid("places", "give at least one place or network, or allow field punches")
	}
	if g.FreeMinutes == 0 && g.Kind == Free {
		g.FreeMinutes = DefaultFreeMinutes
	}
	if g.FreeMinutes < 0 || g.FreeMinutes > 1440 {
		return tack.Invalid("free_minutes", "free_minutes must be between 1 and 1440")
	}
	if g.MakeupQuota < 0 || g.MakeupQuota > 31 {
		return tack.Invalid("makeup_quota", "makeup_quota must be between 0 and 31")
	}
	if g.MakeupDays < 0 || g.MakeupDays > 62 {
		return tack.Invalid("makeup_days", "makeup_days must be between 0 and 62")
	}
	if g.FieldRetentionDays < 1 || g.FieldRetentionDays > 3650 {
		return tack.Invalid("field_retention_days", "field_retention_days must be between 1 and 3650")
	}
	if g.Places == nil {
		g.Places = []Place{}
	}
	if g.Networks == nil {
		g.Networks = []string{}
	}
	if g.WiFi == nil {
		g.WiFi = []WiFi{}
	}
	return nil
}

func validBSSID(s string) bool {
	if len(s) != 17 {
		return false
	}
	for i := 0; i < 17; i++ {
		c := s[i]
		if i%3 == 2 {
			if c != ':' {
				return false
			}
		} else if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// targets lists the store targets of g.
func (g *Group) targets() []Target {
	var out []Target
	for _, id := range g.MemberIDs {
		out = append(out, Target{OrgID: g.OrgID, ID: id, GroupID: g.ID, Kind: "member"})
	}
	for _, id := range g.DepartmentIDs {
		out = append(out, Target{OrgID: g.OrgID, ID: id, GroupID: g.ID, Kind: "department"})
	}
	return out
}

// checkTargets validates the group's members and departments against the
// directory and the actor's rights.
func (s *Service) checkTargets(ctx context.Context, a *actor, t *tree, g *Group) error {
	var err error
	if g.MemberIDs, err = validIDs("member_ids", g.MemberIDs); err != nil {
		return err
	}
	if g.DepartmentIDs, err = validIDs("department_ids", g.DepartmentIDs); err != nil {
		return err
	}
	if g.ExcludedIDs, err = validIDs("excluded_ids", g.ExcludedIDs); err != nil {
		return err
	}
	ms, err := s.dir.DirectoryMembers(ctx, a.orgID, g.MemberIDs)
	if err != nil {
		return fmt.Errorf("members: %w", err)
	}
	found := map[tack.ID]bool{}
	for _, m := range ms {
		if m.Status != org.Left {
			found[m.ID] = true
		}
	}
	for _, id := range g.MemberIDs {
		if !found[id] {
			return tack.Invalid("member_ids", "%s is not a member of this organisation (member_ids are organisation member IDs)", id)
		}
	}
	for _, id := range g.DepartmentIDs {
		if _, ok := t.byID[id]; !ok {
			return tack.Invalid("department_ids", "%s is not a department of this organisation", id)
		}
	}
	for _, id := range g.ExcludedIDs {
		if slices.Contains(g.MemberIDs, id) {
			return tack.Invalid("excluded_ids", "%s is both listed and excluded", id)
		}
	}
	if !a.managesTargets(t, ms, g.DepartmentIDs) {
		return tack.Errorf(tack.EForbidden, "you may make groups only of departments and members you manage")
	}
	return nil
}

// CreateGroup makes an attendance group (admins; sub-admins within their
// scope).
func (s *Service) CreateGroup(ctx context.Context, orgID tack.ID, in GroupInput) (Group, error) {
	a, err := s.actor(ctx, orgID)
	if err != nil {
		return Group{}, err
	}
	if !a.admin() && a.me.Role != org.RoleSubAdmin {
		return Group{}, tack.Errorf(tack.EForbidden, "only admins and sub-admins may make attendance groups")
	}
	o, err := s.dir.DirectoryOrg(ctx, orgID)
	if err != nil {
		return Group{}, fmt.Errorf("organisation: %w", err)
	}
	now := s.now()
	g := Group{ID: tack.NewID(), OrgID: orgID, Kind: Fixed, TimeZone: o.TimeZone, FollowCalendar: true,
		MakeupQuota: DefaultMakeupQuota, MakeupDays: DefaultMakeupDays, FieldRetentionDays: DefaultFieldDays,
		Version: 1, CreatedAt: now, UpdatedAt: now}
	if g.TimeZone == "" {
		g.TimeZone = "UTC"
	}
	in.apply(&g)
	if in.Workdays == nil && g.Kind != Scheduled {
		g.Workdays = []int{1, 2, 3, 4, 5}
	}
	if err := g.validate(); err != nil {
		return Group{}, err
	}
	t, err := s.freshTree(ctx, orgID)
	if err != nil {
		return Group{}, err
	}
	if err := s.checkTargets(ctx, a, t, &g); err != nil {
		return Group{}, err
	}
	// Days before today are not judged: planning starts today.
	loc, _ := loadLocation(g.TimeZone)
	g.PlannedThrough = dateString(civil(now.In(loc)).AddDate(0, 0, -1))
	b := Batch{Groups: []GroupWrite{{Group: g, Targets: g.targets()}}, Audit: []Audit{s.audit(a, "group.create", g.ID, g)}}
	defer s.forgetGroups(orgID)
	if err := s.store.Apply(ctx, b); err != nil {
		if tack.ErrorCode(err) == tack.EConflict {
			return Group{}, tack.Errorf(tack.EConflict, "a member or department listed is already in another attendance group")
		}
		return Group{}, err
	}
	s.poke()
	return g, nil
}

// group reads a group of a's organisation.
func (s *Service) group(ctx context.Context, orgID, id tack.ID) (Group, error) {
	if !id.Valid() {
		return Group{}, errNoGroup
	}
	g, err := s.store.Group(ctx, orgID, id)
	if errors.Is(err, tack.ErrNotFound) {
		return Group{}, errNoGroup
	}
	return g, err
}

// managesGroup reports whether the actor may change g.
func (s *Service) managesGroup(ctx context.Context, a *actor, t *tree, g Group) (bool, error) {
	if a.admin() {
		return true, nil
	}
	if a.me.Role != org.RoleSubAdmin {
		return false, nil
	}
	ms, err := s.dir.DirectoryMembers(ctx, a.orgID, g.MemberIDs)
	if err != nil {
		return false, err
	}
	return a.managesTargets(t, ms, g.DepartmentIDs) && (len(g.DepartmentIDs) > 0 || len(g.MemberIDs) > 0), nil
}

// UpdateGroup changes a group. Days already planned keep the rules they
// were planned with (each record names its rule version); the change
// judges days from the next one planned.
func (s *Service) UpdateGroup(ctx context.Context, orgID, id tack.ID, in GroupInput) (Group, error) {
	a, err := s.actor(ctx, orgID)
	if err != nil {
		return Group{}, err
	}
	old, err := s.group(ctx, orgID, id)
	if err != nil {
		return Group{}, err
	}
	t, err := s.freshTree(ctx, orgID)
	if err != nil {
		return Group{}, err
	}
	if ok, err := s.managesGroup(ctx, a, t, old); err != nil {
		return Group{}, err
	} else if !ok {
		return Group{}, tack.Errorf(tack.EForbidden, "only the group's admins may change it")
	}
	g := old
	g.MemberIDs, g.DepartmentIDs, g.ExcludedIDs = slices.Clone(old.MemberIDs), slices.Clone(old.DepartmentIDs), slices.Clone(old.ExcludedIDs)
	g.Places, g.Networks, g.WiFi, g.Workdays = slices.Clone(old.Places), slices.Clone(old.Networks), slices.Clone(old.WiFi), slices.Clone(old.Workdays)
	in.apply(&g)
	if err := g.validate(); err != nil {
		return Group{}, err
	}
	if err := s.checkTargets(ctx, a, t, &g); err != nil {
		return Group{}, err
	}
	g.Version = old.Version + 1
	g.UpdatedAt = s.now()
	b := Batch{Groups: []GroupWrite{{Group: g, Targets: g.targets(), PrevVersion: old.Version}},
		Audit: []Audit{s.audit(a, "group.update", g.ID, g)}}
	defer s.forgetGroups(orgID)
	if err := s.store.Apply(ctx, b); err != nil {
		if tack.ErrorCode(err) == tack.EConflict {
			return Group{}, tack.Errorf(tack.EConflict, "a member or department listed is already in another attendance group, or the group changed meanwhile")
		}
		return Group{}, err
	}
	return g, nil
}

// DeleteGroup removes a group; its members' days already planned stay.
func (s *Service) DeleteGroup(ctx context.Context, orgID, id tack.ID) error {
	a, err := s.actor(ctx, orgID)
	if err != nil {
		return err
	}
	g, err := s.group(ctx, orgID, id)
	if err != nil {
		return err
	}
	t, err := s.freshTree(ctx, orgID)
	if err != nil {
		return err
	}
	if ok, err := s.managesGroup(ctx, a, t, g); err != nil {
		return err
	} else if !ok {
		return tack.Errorf(tack.EForbidden, "only the group's admins may delete it")
	}
	defer s.forgetGroups(orgID)
	return s.store.Apply(ctx, Batch{Groups: []GroupWrite{{Group: g, Delete: true}}, Audit: []Audit{s.audit(a, "group.delete", g.ID, nil)}})
}

// Group returns one group: to its admins, and to its members.
func (s *Service) Group(ctx context.Context, orgID, id tack.ID) (Group, error) {
	a, err := s.actor(ctx, orgID)
	if err != nil {
		return Group{}, err
	}
	g, err := s.group(ctx, orgID, id)
	if err != nil {
		return Group{}, err
	}
	if a.admin() {
		return g, nil
	}
	t, err := s.freshTree(ctx, orgID)
	if err != nil {
		return Group{}, err
	}
	if ok, err := s.managesGroup(ctx, a, t, g); err != nil || ok {
		return g, err
	}
	mine, ok, err := s.groupOf(ctx, t, a.me)
	if err != nil {
		return Group{}, err
	}
	if !ok || mine.ID != g.ID {
		return Group{}, errNoGroup
	}
	return g, nil
}

// Groups lists the groups the caller manages (admins: all), and the
// caller's own group.
func (s *Service) Groups(ctx context.Context, orgID tack.ID) ([]Group, error) {
	a, err := s.actor(ctx, orgID)
	if err != nil {
		return nil, err
	}
	gs, err := s.store.Groups(ctx, orgID)
	if err != nil || a.admin() {
		return gs, err
	}
	t, err := s.freshTree(ctx, orgID)
	if err != nil {
		return nil, err
	}
	mine, _, err := s.groupOf(ctx, t, a.me)
	if err != nil {
		return nil, err
	}
	out := gs[:0:0]
	for _, g := range gs {
		ok, err := s.managesGroup(ctx, a, t, g)
		if err != nil {
			return nil, err
		}
		if ok || g.ID == mine.ID {
			out = append(out, g)
		}
	}
	return out, nil
}

// groupOf finds m's group: a group that lists m wins; otherwise the group
// of m's most specific department (the deepest; between equals, the oldest
// group); a group that excludes m does not count. ok is false if m is in
// no group or not active. It reads the organisation's groups through a
// cache of groupCacheTTL.
func (s *Service) groupOf(ctx context.Context, t *tree, m org.Member) (Group, bool, error) {
	if m.Status != org.Active || m.UserID == "" {
		return Group{}, false, nil
	}
	gs, err := s.orgGroups(ctx, m.OrgID)
	if err != nil {
		return Group{}, false, err
	}
	var all []Target
	for _, g := range gs {
		all = append(all, g.targets()...)
	}
	id := bestTarget(t, m, all, gs)
	for _, g := range gs {
		if g.ID == id {
			return g, true, nil
		}
	}
	return Group{}, false, nil
}

// orgGroups returns an organisation's groups, read at most groupCacheTTL
// ago (changes made through this node are seen at once).
func (s *Service) orgGroups(ctx context.Context, orgID tack.ID) ([]Group, error) {
	s.groupMu.Lock()
	e, ok := s.groupCache[orgID]
	s.groupMu.Unlock()
	if ok && time.Since(e.at) < groupCacheTTL {
		return e.groups, nil
	}
	gs, err := s.store.Groups(ctx, orgID)
	if err != nil {
		return nil, err
	}
	s.groupMu.Lock()
	s.groupCache[orgID] = groupEntry{groups: gs, at: time.Now()}
	s.groupMu.Unlock()
	return gs, nil
}

// forgetGroups drops the cached groups of an organisation.
func (s *Service) forgetGroups(orgID tack.ID) {
	s.groupMu.Lock()
	delete(s.groupCache, orgID)
	s.groupMu.Unlock()
}

// members lists the active members of g (with user IDs), each only if g is
// their group.
func (s *Service) members(ctx context.Context, t *tree, g Group) ([]org.Member, error) {
	var ms []org.Member
	if len(g.DepartmentIDs) > 0 {
		paths := t.paths(g.DepartmentIDs)
		if len(paths) > 0 {
			got, err := s.dir.DirectoryActiveMembers(ctx, g.OrgID, paths)
			if err != nil {
				return nil, err
			}
			ms = got
		}
	}
	if len(g.MemberIDs) > 0 {
		got, err := s.dir.DirectoryMembers(ctx, g.OrgID, g.MemberIDs)
		if err != nil {
			return nil, err
		}
		for _, m := range got {
			if !slices.ContainsFunc(ms, func(x org.Member) bool { return x.ID == m.ID }) {
				ms = append(ms, m)
			}
		}
	}
	// Members listed here are certainly in g unless excluded; department
	// members may belong to a more specific group.
	others, err := s.orgGroups(ctx, g.OrgID)
	if err != nil {
		return nil, err
	}
	contested := len(others) > 1
	var all []Target
	if contested {
		for _, o := range others {
			all = append(all, o.targets()...)
		}
	}
	out := ms[:0:0]
	for _, m := range ms {
		if m.Status != org.Active || m.UserID == "" || slices.Contains(g.ExcludedIDs, m.ID) {
			continue
		}
		if contested && !slices.Contains(g.MemberIDs, m.ID) {
			if best := bestTarget(t, m, all, others); best != g.ID {
				continue
			}
		}
		out = append(out, m)
	}
	return out, nil
}

// bestTarget is groupOf without reads, over every target of the
// organisation.
func bestTarget(t *tree, m org.Member, all []Target, groups []Group) tack.ID {
	ids := append([]tack.ID{m.ID}, t.ancestry(m.Departments)...)
	var ts []Target
	for _, x := range all {
		if slices.Contains(ids, x.ID) {
			ts = append(ts, x)
		}
	}
	slices.SortFunc(ts, func(x, y Target) int {
		rank := func(v Target) int {
			if v.Kind == "member" {
				return 1 << 20
			}
			return t.depth(v.ID)
		}
		if d := rank(y) - rank(x); d != 0 {
			return d
		}
		return strings.Compare(string(x.GroupID), string(y.GroupID))
	})
	for _, x := range ts {
		for _, g := range groups {
			if g.ID == x.GroupID && !slices.Contains(g.ExcludedIDs, m.ID) {
				return g.ID
			}
		}
	}
	return ""
}
