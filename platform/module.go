package platform

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/tackhq/tack"
)

// Modules an organisation may switch off.
const (
	ModAttendance = "attendance"
	ModApprovals  = "approvals"
	ModDing       = "ding"
	ModSecret     = "secret_chat"
	ModExternal   = "external_contacts"
	ModRobots     = "robots"
	ModApps       = "apps"
	ModCircle     = "circle"
)

// Modules lists every module of the switchboard; all are on until an
// admin turns one off.
var Modules = []string{ModAttendance, ModApprovals, ModDing, ModSecret, ModExternal, ModRobots, ModApps, ModCircle}

// ModuleStore keeps the switchboard: only modules switched off are rows.
type ModuleStore interface {
	// ModulesOff lists the modules orgID switched off.
	ModulesOff(ctx context.Context, orgID tack.ID) ([]string, error)
	// SetModules switches each module of set on (true) or off for orgID,
	// all or none.
	SetModules(ctx context.Context, orgID tack.ID, set map[string]bool) error
}

// ModuleOn reports whether orgID has module on.
func (s *Service) ModuleOn(ctx context.Context, orgID tack.ID, module string) (bool, error) {
	off, err := s.modulesOff(ctx, orgID)
	if err != nil {
		return false, err
	}
	return !slices.Contains(off, module), nil
}

// moduleOn is nil when module is on for orgID, else a module_off error.
func (s *Service) moduleOn(ctx context.Context, orgID tack.ID, module string) error {
	on, err := s.ModuleOn(ctx, orgID, module)
	if err != nil {
		return err
	}
	if !on {
		return ModuleOff(module)
	}
	return nil
}

// ModuleOff is the error of a request to a module switched off.
func ModuleOff(module string) error {
	return tack.Errorf(EModuleOff, "the organisation switched %s off", module)
}

// Switchboard returns each module and whether orgID has it on (any
// member may read it: clients hide what is off).
func (s *Service) Switchboard(ctx context.Context, orgID tack.ID) (map[string]bool, error) {
	uid, err := callerID(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := s.orgs.OrgRole(ctx, orgID, uid); err != nil {
		if tack.ErrorCode(err) == tack.ENotFound {
			return nil, tack.Errorf(tack.ENotFound, "no such organisation")
		}
		return nil, err
	}
	off, err := s.modulesOff(ctx, orgID)
	if err != nil {
		return nil, err
	}
	out := make(map[string]bool, len(Modules))
	for _, m := range Modules {
		out[m] = !slices.Contains(off, m)
	}
	return out, nil
}

// SetSwitchboard switches modules on or off (owner and admins).
func (s *Service) SetSwitchboard(ctx context.Context, orgID tack.ID, set map[string]bool) (map[string]bool, error) {
	uid, err := callerID(ctx)
	if err != nil {
		return nil, err
	}
	role, err := s.orgs.OrgRole(ctx, orgID, uid)
	if err != nil {
		if tack.ErrorCode(err) == tack.ENotFound {
			return nil, tack.Errorf(tack.ENotFound, "no such organisation")
		}
		return nil, err
	}
	if role != "owner" && role != "admin" {
		return nil, tack.Errorf(tack.EForbidden, "only the organisation's owner and admins switch modules")
	}
	for m := range set {
		if !slices.Contains(Modules, m) {
			return nil, tack.Invalid("modules", "unknown module %q", m)
		}
	}
	if err := s.store.SetModules(ctx, orgID, set); err != nil {
		return nil, err
	}
	s.mods.Delete(orgID)
	return s.Switchboard(ctx, orgID)
}

// modulesTTL is how long a node trusts what it read of an organisation's
// switchboard: a change on another node takes effect here within it (on
// this node at once).
const modulesTTL = 2 * time.Second

type modulesEntry struct {
	off []string
	at  time.Time
}

func (s *Service) modulesOff(ctx context.Context, orgID tack.ID) ([]string, error) {
	e, ok := s.mods.Load(orgID)
	if ok && time.Since(e.(modulesEntry).at) < modulesTTL {
		return e.(modulesEntry).off, nil
	}
	if ok { // stale: one caller reads it again, the others use it meanwhile
		if _, busy := s.modsReading.LoadOrStore(orgID, true); busy {
			return e.(modulesEntry).off, nil
		}
		defer s.modsReading.Delete(orgID)
	}
	off, err := s.store.ModulesOff(ctx, orgID)
	if err == nil {
		// The module gate asks before it knows the caller is a member, so
		// any signed-in caller can name organisations: the cache is
		// bounded (emptied when it holds modulesCacheMax of them).
		if _, loaded := s.mods.Swap(orgID, modulesEntry{off, time.Now()}); !loaded && s.modsN.Add(1) > modulesCacheMax {
			s.mods.Clear()
			s.modsN.Store(0)
		}
	}
	return off, err
}

// governTTL is how long a node trusts what it found of the organisations
// governing a group (its owner's): a change of owner, or of the owner's
// organisations, applies within it.
const governTTL = 2 * time.Second

type governEntry struct {
	orgs []tack.ID
	at   time.Time
}

// governing returns the organisations whose switchboard governs group
// convID: those its owner is an active member of (an organisation's
// groups are owned by its admins; a group of colleagues by one of them).
// A stale entry is refreshed by one caller while the others use it, so a
// busy webhook does not send every concurrent post to the database when
// the entry expires.
func (s *Service) governing(ctx context.Context, convID tack.ID) ([]tack.ID, error) {
	e, ok := s.govern.Load(convID)
	if ok && time.Since(e.(governEntry).at) < governTTL {
		return e.(governEntry).orgs, nil
	}
	if ok {
		if _, busy := s.governing1.LoadOrStore(convID, true); busy {
			return e.(governEntry).orgs, nil // another caller is refreshing it
		}
		defer s.governing1.Delete(convID)
	}
	owner, err := s.groups.Owner(ctx, convID)
	if err != nil {
		return nil, err
	}
	var orgs []tack.ID
	if owner != "" {
		if orgs, err = s.orgs.OrgsOf(ctx, owner); err != nil {
			return nil, err
		}
	}
	s.govern.Store(convID, governEntry{orgs, time.Now()})
	return orgs, nil
}

// RobotsOn is nil when robots may post in group convID: no organisation
// governing it (its owner's) switched robots off; else a module_off
// error.
func (s *Service) RobotsOn(ctx context.Context, convID tack.ID) error {
	orgs, err := s.governing(ctx, convID)
	if err != nil {
		return err
	}
	for _, o := range orgs {
		if err := s.moduleOn(ctx, o, ModRobots); err != nil {
			return err
		}
	}
	return nil
}

// SecretAllowed is nil when a and b may start a secret chat: neither is
// an active member of an organisation that switched secret chats off;
// else a module_off error.
func (s *Service) SecretAllowed(ctx context.Context, a, b tack.ID) error {
	for _, u := range []tack.ID{a, b} {
		orgs, err := s.orgs.OrgsOf(ctx, u)
		if err != nil {
			return err
		}
		for _, o := range orgs {
			if err := s.moduleOn(ctx, o, ModSecret); err != nil {
				return err
			}
		}
	}
	return nil
}

// ConversationModules says which switchable features the caller's clients
// show in conversation convID (members only; others: not found): robots
// (a group whose governing organisations have robots on) and secret_chat
// (the caller belongs to no organisation that switched secret chats off;
// the other person's organisations are checked when one is started).
func (s *Service) ConversationModules(ctx context.Context, convID tack.ID) (map[string]bool, error) {
	uid, err := callerID(ctx)
	if err != nil {
		return nil, err
	}
	kind, _, err := s.groups.Role(ctx, convID, uid)
	if errors.Is(err, tack.ErrNotFound) {
		return nil, tack.Errorf(tack.ENotFound, "no such conversation")
	} else if err != nil {
		return nil, err
	}
	out := map[string]bool{ModRobots: false, ModSecret: true}
	if kind == "group" {
		err := s.RobotsOn(ctx, convID)
		if err != nil && tack.ErrorCode(err) != EModuleOff {
			return nil, err
		}
		out[ModRobots] = err == nil
	}
	orgs, err := s.orgs.OrgsOf(ctx, uid)
	if err != nil {
		return nil, err
	}
	for _, o := range orgs {
		on, err := s.ModuleOn(ctx, o, ModSecret)
		if err != nil {
			return nil, err
		}
		out[ModSecret] = out[ModSecret] && on
	}
	return out, nil
}

// modulesCacheMax bounds the switchboards a node keeps.
const modulesCacheMax = 10_000
