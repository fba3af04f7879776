package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/mattn/go-runewidth"
	"github.com/tackhq/tack/chat"
	"github.com/tackhq/tack/client"
)

// Text for people: names instead of IDs, and tables whose columns line up
// whatever the script (a Chinese character takes two columns of a
// terminal, which text/tabwriter does not know).

// printTable writes rows in columns padded to their display width, two
// spaces apart; the last column is not padded.
func printTable(w io.Writer, rows [][]string) error {
	var widths []int
	for _, r := range rows {
		for i, c := range r {
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], runewidth.StringWidth(c))
		}
	}
	var b strings.Builder
	for _, r := range rows {
		b.Reset()
		for i, c := range r {
			b.WriteString(c)
			if i < len(r)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-runewidth.StringWidth(c)+2))
			}
		}
		if _, err := fmt.Fprintln(w, strings.TrimRight(b.String(), " ")); err != nil {
			return err
		}
	}
	return nil
}

// clip shortens s to at most n columns, with an ellipsis, on one line.
func clip(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	return runewidth.Truncate(s, n, "…")
}

// describe says who someone found is: title and organisation of a
// colleague, or how else the caller knows them.
func describe(f client.Found) string {
	var parts []string
	for _, p := range []string{f.Title, f.OrgName} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	switch f.Relation {
	case "friend":
		parts = append(parts, "friend")
	case "contact":
		parts = append(parts, "external contact")
	case "":
		if f.Login != "" {
			parts = append(parts, f.Login)
		}
	}
	return strings.Join(parts, " · ")
}

// humanBytes writes a size for people: 87 B, 12.5 KiB, 3.2 MiB.
func humanBytes(n int64) string {
	switch {
	case n < 1024:
		return fmt.Sprintf("%d B", n)
	case n < 1<<20:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	case n < 1<<30:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
}

// names knows people's names by user ID, asking the server for those it
// does not know yet (in one request for a batch).
type names struct {
	ctx    context.Context
	c      *client.Client
	byID   map[string]string
	missed map[string]bool
}

func newNames(ctx context.Context, c *client.Client) *names {
	return &names{ctx: ctx, c: c, byID: map[string]string{}, missed: map[string]bool{}}
}

// want fetches the names of ids not known yet.
func (n *names) want(ids ...string) {
	var ask []string
	for _, id := range ids {
		if id != "" && n.byID[id] == "" && !n.missed[id] && !contains(ask, id) {
			ask = append(ask, id)
		}
	}
	for len(ask) > 0 {
		batch := ask[:min(len(ask), 500)]
		ask = ask[len(batch):]
		us, err := n.c.Users(n.ctx, batch)
		if err != nil {
			return
		}
		for _, u := range us {
			n.byID[string(u.ID)] = u.Name
		}
		for _, id := range batch {
			if n.byID[id] == "" {
				n.missed[id] = true
			}
		}
	}
}

// of returns the name of id, or the ID itself if there is none.
func (n *names) of(id string) string {
	n.want(id)
	if name := n.byID[id]; name != "" {
		return name
	}
	return id
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// title is what a conversation is called: a group's title, or the other
// person's name.
func (n *names) title(cv client.Conversation) string {
	if cv.Kind == "direct" && cv.Peer != "" {
		return n.of(string(cv.Peer))
	}
	return cv.Title
}

// messageUsers lists the users a message names.
func messageUsers(m client.Message) []string {
	ids := []string{string(m.SenderID)}
	if s := m.System; s != nil {
		ids = append(ids, string(s.ActorID))
		for _, u := range s.Users {
			ids = append(ids, string(u))
		}
	}
	return ids
}

// systemText says what a system message records, with names.
func (n *names) systemText(m client.Message) string {
	s := m.System
	who := n.of(string(s.ActorID))
	var others []string
	for _, u := range s.Users {
		others = append(others, n.of(string(u)))
	}
	list := strings.Join(others, ", ")
	switch s.Action {
	case "created":
		return who + " started the conversation"
	case "added":
		return who + " added " + list
	case "removed":
		return who + " removed " + list
	case "left":
		if list != "" {
			return list + " left"
		}
		return who + " left"
	case "renamed":
		return fmt.Sprintf("%s renamed the group to %q", who, s.Title)
	case "owner_changed":
		return who + " made " + list + " the owner"
	case "admin_added":
		return who + " made " + list + " an admin"
	case "admin_removed":
		return who + " removed " + list + " as admin"
	case "muted":
		return who + " let only admins post"
	case "unmuted":
		return who + " let everyone post"
	}
	return who + " changed the conversation (" + s.Action + ")"
}

// preview is one line for the conversation list.
func (n *names) preview(m client.Message, group bool) string {
	switch {
	case m.Recalled:
		return "(recalled)"
	case m.Kind == "system" && m.System != nil:
		return clip(n.systemText(m), 40)
	}
	t := m.Text
	if group {
		t = n.of(string(m.SenderID)) + ": " + t
	}
	return clip(t, 40)
}

// message is one line (or more, for a multi-line text) of history.
func (n *names) message(m client.Message) string {
	at := m.CreatedAt.Local().Format(time.DateTime)
	switch {
	case m.Recalled:
		return fmt.Sprintf("#%d %s %s: (message recalled)", m.Seq, at, n.of(string(m.SenderID)))
	case m.Kind == "system" && m.System != nil:
		return fmt.Sprintf("#%d %s * %s", m.Seq, at, n.systemText(m))
	}
	edited := ""
	if m.EditedAt != nil {
		edited = " (edited)"
	}
	text := m.Text
	for _, a := range m.Attachments {
		if text != "" {
			text += " "
		}
		text += attachmentText(a)
	}
	return fmt.Sprintf("#%d %s %s: %s%s", m.Seq, at, n.of(string(m.SenderID)), text, edited)
}

// attachmentText describes a file of a message on one line, with the ID
// that `tack files get` takes.
func attachmentText(a chat.Attachment) string {
	switch a.Kind {
	case chat.ImageAttachment:
		return fmt.Sprintf("[image %s %d×%d %s]", a.Name, a.Width, a.Height, a.ID)
	case chat.VoiceAttachment:
		return fmt.Sprintf("[voice %.1fs %s]", float64(a.DurationMS)/1000, a.ID)
	}
	return fmt.Sprintf("[file %s %s %s]", a.Name, humanSize(a.Size), a.ID)
}
