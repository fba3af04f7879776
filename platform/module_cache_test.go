package platform

import (
	"context"
	"fmt"
	"testing"

	"github.com/tackhq/tack"
)

type offStore struct {
	Store // only ModulesOff is called
	reads int
}

func (s *offStore) ModulesOff(ctx context.Context, orgID tack.ID) ([]string, error) {
	s.reads++
	return []string{ModDing}, nil
}

// TestModulesCacheBounded: the module gate asks about any organisation a
// signed-in caller names, so the switchboard cache must not grow without
// end; what it holds is still read once within modulesTTL.
func TestModulesCacheBounded(t *testing.T) {
	st := &offStore{}
	s := &Service{store: st}
	ctx := context.Background()
	for i := range modulesCacheMax + 10 {
		if on, err := s.ModuleOn(ctx, tack.ID(fmt.Sprintf("org%d", i)), ModDing); err != nil || on {
			t.Fatalf("org%d: on %v, %v", i, on, err)
		}
	}
	n := 0
	s.mods.Range(func(any, any) bool { n++; return true })
	if n > modulesCacheMax || s.modsN.Load() > modulesCacheMax {
		t.Errorf("cache holds %d (counted %d), more than %d", n, s.modsN.Load(), modulesCacheMax)
	}
	reads := st.reads
	last := tack.ID(fmt.Sprintf("org%d", modulesCacheMax+9))
	if on, err := s.ModuleOn(ctx, last, ModApprovals); err != nil || !on {
		t.Fatalf("approvals: %v %v", on, err)
	}
	if st.reads != reads {
		t.Errorf("a cached switchboard was read again")
	}
}
