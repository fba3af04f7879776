package account_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/account"
)

// Logins and email addresses may be 254 bytes long (the longest address
// SMTP carries), not one byte more.
func TestLoginLengthLimit(t *testing.T) {
	at254 := strings.Repeat("a", 242) + "@example.com"
	if len(at254) != 254 {
		t.Fatalf("test address is %d bytes", len(at254))
	}
	if got, err := account.NormalizeLogin(at254); err != nil || got != at254 {
		t.Errorf("a 254-byte login: %q, %v; want accepted", got, err)
	}
	if got, err := account.NormalizeEmail("email", at254); err != nil || got != at254 {
		t.Errorf("a 254-byte email: %q, %v; want accepted", got, err)
	}
	// Upper case folds to the same 254 bytes.
	if got, err := account.NormalizeEmail("email", strings.ToUpper(at254)); err != nil || got != at254 {
		t.Errorf("a 254-byte email in capitals: %q, %v", got, err)
	}
	at255 := "a" + at254
	if _, err := account.NormalizeLogin(at255); tack.ErrorCode(err) != tack.EInvalid {
		t.Errorf("a 255-byte login: %v; want invalid", err)
	}
	if _, err := account.NormalizeEmail("email", at255); tack.ErrorCode(err) != tack.EInvalid {
		t.Errorf("a 255-byte email: %v; want invalid", err)
	}
	// Full-width letters are three bytes each before they fold: the email
	// check counts the folded address, so 100 of them (300 bytes) fold to
	// an address of 112 that is accepted as an email, while a login of
	// 300 bytes is refused before it is read.
	wide := strings.Repeat("ａ", 100) + "@example.com"
	if got, err := account.NormalizeEmail("email", wide); err != nil || got != strings.Repeat("a", 100)+"@example.com" {
		t.Errorf("a full-width email: %q, %v", got, err)
	}
	if _, err := account.NormalizeLogin(wide); tack.ErrorCode(err) != tack.EInvalid {
		t.Errorf("a 312-byte login: %v; want invalid", err)
	}
}

// A phone number has 5 to 17 digits, country code included: 10086 (a
// Chinese service number) is a possible directory number, and Germany
// has numbers of 15 national digits, 17 with +49.
func TestPhoneDigitBounds(t *testing.T) {
	for in, want := range map[string]string{
		"10086":                   "+8610086",
		"+49 311 111 111 111 111": "+49311111111111111",
	} {
		if got, err := account.NormalizePhone("phone", in); err != nil || got != want {
			t.Errorf("NormalizePhone(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"1008", "+1234", "+49 311 111 111 111 1111", "123456789012345678"} {
		_, err := account.NormalizePhone("phone", in)
		if tack.ErrorCode(err) != tack.EInvalid || !strings.Contains(err.Error(), "5 to 17 digits") {
			t.Errorf("NormalizePhone(%q): %v; want refused for its digit count", in, err)
		}
	}
}

// searchSpy records the queries Search sends to the store.
type searchSpy struct {
	account.Store
	mu sync.Mutex
	qs []account.UserQuery
}

func (s *searchSpy) SearchUsers(ctx context.Context, q account.UserQuery) ([]account.User, error) {
	s.mu.Lock()
	s.qs = append(s.qs, q)
	s.mu.Unlock()
	return s.Store.SearchUsers(ctx, q)
}

// Search asks for at most the caller's limit, 1 to 100; anything else
// (none, negative, more than 100) asks for 50.
func TestSearchLimit(t *testing.T) {
	r := newRig(t, account.Config{})
	spy := &searchSpy{Store: r.db}
	svc := account.NewService(spy, r.bus, r.clk.Now, account.Config{Argon2: account.Argon2Params{MemoryKiB: 64, Time: 1, Threads: 1}})
	a := r.register(t, "me@example.com", "192.0.2.1")
	for _, tt := range []struct{ ask, want int }{{1, 1}, {99, 99}, {100, 100}, {101, 50}, {0, 50}, {-1, 50}, {1000, 50}} {
		spy.qs = nil
		if _, err := svc.Search(as(a), "you", tt.ask); err != nil {
			t.Fatal(err)
		}
		if len(spy.qs) != 1 || spy.qs[0].Limit != tt.want {
			t.Errorf("Search(limit %d) asked the store %+v; want limit %d", tt.ask, spy.qs, tt.want)
		}
		if q := spy.qs[0]; q.Text != "you" || q.SharingWith != a.User.ID || q.Login != "" {
			t.Errorf("Search query %+v", q)
		}
	}
}

// botStore plays another node that makes the bot account at the same
// moment: the first lookups find nothing, and the create loses the race.
type botStore struct {
	account.Store
	mu         sync.Mutex
	lookups    int
	creates    int
	racer      *account.User // made by the "other node" on our first create
	neverShows bool          // every create conflicts and no lookup finds the account
}

func (s *botStore) UserByLogin(ctx context.Context, login string) (account.User, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lookups++
	if s.racer != nil && !s.neverShows {
		return *s.racer, "", nil
	}
	return account.User{}, "", tack.ErrNotFound
}

func (s *botStore) CreateUser(ctx context.Context, u account.User, hash string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.creates++
	if s.racer == nil {
		other := u
		other.ID = tack.NewID()
		s.racer = &other
	}
	return tack.Errorf(tack.EConflict, "login taken")
}

func TestBotRace(t *testing.T) {
	r := newRig(t, account.Config{})
	st := &botStore{Store: r.db}
	svc := account.NewService(st, r.bus, r.clk.Now, account.Config{})
	u, err := svc.Bot(context.Background(), "approvals", "Approvals")
	if err != nil || st.racer == nil || u.ID != st.racer.ID || u.Login != "bot:approvals" {
		t.Fatalf("Bot after losing the race: %+v, %v; want the other node's account %+v", u, err, st.racer)
	}
	if st.creates != 1 || st.lookups != 2 {
		t.Errorf("Bot looked up %d times and created %d; want 2 and 1", st.lookups, st.creates)
	}

	// A store that conflicts but never shows the account: Bot gives up
	// after three tries with an error rather than loop.
	st = &botStore{Store: r.db, neverShows: true}
	svc = account.NewService(st, r.bus, r.clk.Now, account.Config{})
	if u, err := svc.Bot(context.Background(), "approvals", "Approvals"); err == nil {
		t.Fatalf("Bot with a store that never shows the account: %+v", u)
	}
	if st.creates != 3 || st.lookups != 3 {
		t.Errorf("Bot gave up after %d lookups and %d creates; want 3 tries", st.lookups, st.creates)
	}
}

// A login that is neither an email address nor a phone number says what a
// login may be; a phone field says it wants a phone number.
func TestNotAPhoneNumberMessages(t *testing.T) {
	_, err := account.NormalizeLogin("138-1234-567x")
	if tack.ErrorCode(err) != tack.EInvalid || !strings.Contains(err.Error(), "login must be an email address or a phone number") {
		t.Errorf("NormalizeLogin(138-1234-567x): %v", err)
	}
	_, err = account.NormalizePhone("phone", "138-1234-567x")
	if tack.ErrorCode(err) != tack.EInvalid || !strings.Contains(err.Error(), "phone is not a phone number") {
		t.Errorf("NormalizePhone(138-1234-567x): %v", err)
	}
}

// Signing in with another spelling of the login (capitals, full-width
// forms, spaces around it) is signing in to the same account.
func TestSignInWithAnotherSpelling(t *testing.T) {
	r := newRig(t, account.Config{})
	a := r.register(t, "ada@example.com", "192.0.2.1")
	for _, login := range []string{"ADA@Example.com", " ada@example.com ", "ａｄａ＠ｅｘａｍｐｌｅ．ｃｏｍ"} {
		got, err := r.svc.SignIn(context.Background(), login, pw, account.Device{Address: "192.0.2.1"})
		if err != nil || got.User.ID != a.User.ID {
			t.Errorf("sign in as %q: %+v %v", login, got.User, err)
		}
	}
}

// A server that cannot send the code says which kind of message it lacks.
func TestSendCodeWithoutSender(t *testing.T) {
	r := newRig(t, account.Config{})
	a := r.register(t, "nomail@example.com", "192.0.2.1")
	p := r.register(t, "+8613800000009", "192.0.2.1")
	bare := account.NewService(r.db, nil, r.clk.Now, account.Config{})
	_, err := bare.SendCode(as(a), "")
	if errCode(err) != tack.EUnavailable || !strings.Contains(err.Error(), "cannot send email") {
		t.Errorf("an email code without a mail server: %v", err)
	}
	_, err = bare.SendCode(as(p), "")
	if errCode(err) != tack.EUnavailable || !strings.Contains(err.Error(), "cannot send text messages") {
		t.Errorf("a phone code without an SMS gateway: %v", err)
	}
}
