package media

import (
	"context"
	"errors"
	"testing"

	"github.com/tackhq/tack"
)

// grantStore knows one file; chat reaches it for reachable only.
type grantStore struct {
	Store
	f         FileInfo
	reachable tack.ID
}

func (s grantStore) File(_ context.Context, id tack.ID) (FileInfo, error) {
	if id == s.f.ID {
		return s.f, nil
	}
	return FileInfo{}, tack.ErrNotFound
}

func (s grantStore) Reachable(_ context.Context, _, userID tack.ID) (bool, error) {
	return userID == s.reachable, nil
}

type grantFunc func(fileID, userID tack.ID) (bool, error)

func (g grantFunc) CanReadFile(_ context.Context, fileID, userID tack.ID) (bool, error) {
	return g(fileID, userID)
}

// TestGrants: grants are asked, in order, only after the uploader and chat
// rules said no; any of them may open a file; an error is an error, not a
// yes; without a yes the file does not exist for the caller.
func TestGrants(t *testing.T) {
	up, chatter, approver, outsider := tack.NewID(), tack.NewID(), tack.NewID(), tack.NewID()
	f := FileInfo{ID: tack.NewID(), UploaderID: up, Kind: File, Name: "proof.pdf"}
	s := NewService(grantStore{f: f, reachable: chatter}, nil, Config{})
	as := func(u tack.ID) context.Context { return tack.WithCaller(context.Background(), tack.Caller{UserID: u}) }
	var asked []string
	boom := errors.New("store down")
	var fail bool
	s.AddGrant(grantFunc(func(_, u tack.ID) (bool, error) {
		asked = append(asked, "first")
		if fail {
			return false, boom
		}
		return false, nil
	}))
	s.AddGrant(grantFunc(func(id, u tack.ID) (bool, error) {
		asked = append(asked, "second")
		return id == f.ID && u == approver, nil
	}))
	for _, c := range []struct {
		who   string
		u     tack.ID
		ok    bool
		asked int
	}{
		{"uploader", up, true, 0},
		{"chat member", chatter, true, 0},
		{"granted", approver, true, 2},
		{"outsider", outsider, false, 2},
	} {
		asked = nil
		_, err := s.Info(as(c.u), f.ID)
		if c.ok && err != nil || !c.ok && tack.ErrorCode(err) != tack.ENotFound {
			t.Errorf("%s: %v", c.who, err)
		}
		if len(asked) != c.asked {
			t.Errorf("%s: grants asked %v, want %d", c.who, asked, c.asked)
		}
	}
	fail = true
	if _, err := s.Info(as(approver), f.ID); !errors.Is(err, boom) {
		t.Errorf("a grant's error: %v, want it passed on", err)
	}
	if _, err := s.Info(as(approver), tack.NewID()); tack.ErrorCode(err) != tack.ENotFound {
		t.Errorf("a file that does not exist: %v", err)
	}
}
