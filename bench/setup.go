package bench

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/tackhq/tack/client"
)

// user is a registered user with a session token.
type user struct {
	ID    string
	Token string
}

// pool registers users on demand and keeps them for later scenarios of
// the same run. Against the baseline server it makes up users instead.
type pool struct {
	server   string
	runID    string
	baseline bool
	mu       sync.Mutex
	users    []user
	api      *client.Client
}

func (p *pool) client(token string) *client.Client {
	c := client.New(p.server)
	c.HTTP = sharedHTTP
	c.Token = token
	return c
}

var sharedHTTP = httpClientFrom("")

// get returns the first n users, registering more concurrently as needed.
func (p *pool) get(ctx context.Context, n int) ([]user, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.baseline {
		for i := len(p.users); i < n; i++ {
			id := fmt.Sprintf("u%015d", i)
			p.users = append(p.users, user{ID: id, Token: id})
		}
		return p.users[:n], nil
	}
	have := len(p.users)
	if have >= n {
		return p.users[:n], nil
	}
	more := make([]user, n-have)
	var firstErr atomic.Value
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for i := range more {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			c := p.client("")
			login := fmt.Sprintf("bench-%s-%d@example.com", p.runID, have+i)
			u, err := c.Register(ctx, login, "bench password 1", fmt.Sprintf("Bench %d", have+i))
			if err != nil {
				firstErr.CompareAndSwap(nil, fmt.Errorf("register %s: %w", login, err))
				return
			}
			more[i] = user{ID: string(u.ID), Token: c.Token}
		}()
	}
	wg.Wait()
	if err, _ := firstErr.Load().(error); err != nil {
		return nil, err
	}
	p.users = append(p.users, more...)
	return p.users[:n], nil
}

// directs creates one direct conversation per pair (users 2i, 2i+1).
func (p *pool) directs(ctx context.Context, us []user) ([]string, error) {
	ids := make([]string, len(us)/2)
	if p.baseline {
		for i := range ids {
			ids[i] = fmt.Sprintf("d%015d", i)
		}
		return ids, nil
	}
	var firstErr atomic.Value
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for i := range ids {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			conv, err := p.client(us[2*i].Token).CreateConversation(ctx, "direct", []string{us[2*i+1].ID}, "")
			if err != nil {
				firstErr.CompareAndSwap(nil, fmt.Errorf("create direct chat: %w", err))
				return
			}
			ids[i] = string(conv.ID)
		}()
	}
	wg.Wait()
	if err, _ := firstErr.Load().(error); err != nil {
		return nil, err
	}
	return ids, nil
}

var groupSeq atomic.Int64

// group creates a group owned by owner with the others as members, adding
// them in chunks that fit the API's body limit.
func (p *pool) group(ctx context.Context, owner user, others []user, title string) (string, error) {
	if p.baseline {
		return fmt.Sprintf("g%015d", groupSeq.Add(1)), nil
	}
	ids := make([]string, len(others))
	for i, u := range others {
		ids[i] = u.ID
	}
	c := p.client(owner.Token)
	first := min(len(ids), 2000)
	conv, err := c.CreateConversation(ctx, "group", ids[:first], title)
	if err != nil {
		return "", fmt.Errorf("create group: %w", err)
	}
	for rest := ids[first:]; len(rest) > 0; {
		n := min(len(rest), 2000)
		if err := c.AddMembers(ctx, string(conv.ID), rest[:n]); err != nil {
			return "", fmt.Errorf("add members: %w", err)
		}
		rest = rest[n:]
	}
	return string(conv.ID), nil
}

// lastSeq is a conversation's last seq, as its owner sees it.
func (p *pool) lastSeq(ctx context.Context, u user, conv string) (int64, error) {
	if p.baseline {
		return 0, nil
	}
	c, err := p.client(u.Token).Conversation(ctx, conv)
	return c.LastSeq, err
}

// spec builds a ConnSpec; against the baseline the token names the
// conversations the user is in.
func (p *pool) spec(u user, conv string, sender bool, convs ...string) ConnSpec {
	tok := u.Token
	if p.baseline {
		tok = u.ID + "|" + strings.Join(append([]string{conv}, convs...), ",")
	}
	return ConnSpec{User: u.ID, Token: tok, Conv: conv, Sender: sender}
}
