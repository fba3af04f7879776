package platform

import (
	"encoding/json"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/tackhq/tack"
)

// Message types a robot may send (DingTalk's msgtype values).
const (
	MsgText       = "text"
	MsgMarkdown   = "markdown"
	MsgLink       = "link"
	MsgActionCard = "actionCard"
	MsgFeedCard   = "feedCard"
)

// Limits of robot messages.
const (
	// MaxRobotBody is the largest robot request body: DingTalk's 20,000 bytes.
	MaxRobotBody = 20000
	// MaxPostRunes is the longest text a robot message carries.
	MaxPostRunes = 5000
	maxButtons   = 5
	maxLinks     = 10
	maxField     = 500 // runes of a title or a URL
)

// Post is a robot's message as Tack keeps it: a plain or markdown text
// every client can show, and a card with the structure of link,
// actionCard and feedCard messages.
type Post struct {
	// Name is the robot's or app's name, shown with its messages.
	Name       string
	Text       string
	Card       *Card
	Mentions   []tack.ID
	MentionAll bool
	// Phones are mentions by phone number (DingTalk's atMobiles), turned
	// into Mentions before posting when Config.Phones is set.
	Phones []string
	// ClientID, when set, makes the post idempotent.
	ClientID string
}

// Card is the structured part of a robot message. Text of a markdown or
// actionCard message is markdown: clients render a safe subset (headings,
// bold, italics, links, lists, quotes) and never raw HTML.
type Card struct {
	Type    string   `json:"type"` // a Msg* constant
	Title   string   `json:"title,omitempty"`
	Text    string   `json:"text,omitempty"`
	URL     string   `json:"url,omitempty"`
	PicURL  string   `json:"pic_url,omitempty"`
	Buttons []Button `json:"buttons,omitempty"`
	// Horizontal lays buttons side by side (DingTalk's btnOrientation
	// "1"); otherwise one under another.
	Horizontal bool   `json:"horizontal,omitempty"`
	Links      []Link `json:"links,omitempty"`
}

// Button is an action card button.
type Button struct {
	Title string `json:"title"`
	URL   string `json:"url"`
}

// Link is a feed card entry.
type Link struct {
	Title  string `json:"title"`
	URL    string `json:"url"`
	PicURL string `json:"pic_url,omitempty"`
}

// Message is a DingTalk robot request body.
type Message struct {
	MsgType string `json:"msgtype"`
	Text    *struct {
		Content string `json:"content"`
	} `json:"text"`
	Markdown *struct {
		Title string `json:"title"`
		Text  string `json:"text"`
	} `json:"markdown"`
	Link *struct {
		Title      string `json:"title"`
		Text       string `json:"text"`
		PicURL     string `json:"picUrl"`
		MessageURL string `json:"messageUrl"`
	} `json:"link"`
	ActionCard *struct {
		Title          string `json:"title"`
		Text           string `json:"text"`
		SingleTitle    string `json:"singleTitle"`
		SingleURL      string `json:"singleURL"`
		BtnOrientation string `json:"btnOrientation"`
		Btns           []struct {
			Title     string `json:"title"`
			ActionURL string `json:"actionURL"`
		} `json:"btns"`
	} `json:"actionCard"`
	FeedCard *struct {
		Links []struct {
			Title      string `json:"title"`
			MessageURL string `json:"messageURL"`
			PicURL     string `json:"picURL"`
		} `json:"links"`
	} `json:"feedCard"`
	At *struct {
		AtMobiles []string  `json:"atMobiles"`
		AtUserIDs []tack.ID `json:"atUserIds"`
		IsAtAll   bool      `json:"isAtAll"`
	} `json:"at"`
}

// ParseMessage decodes and checks a DingTalk robot request body. The
// error is a *RobotError with DingTalk's code.
func ParseMessage(body []byte) (Message, Post, error) {
	var m Message
	if len(body) > MaxRobotBody {
		return m, Post{}, errTooLong
	}
	if err := json.Unmarshal(body, &m); err != nil {
		return m, Post{}, &RobotError{Code: CodeBadJSON, Msg: "param json invalid"}
	}
	p, err := m.post()
	return m, p, err
}

func (m Message) post() (Post, error) {
	var p Post
	bad := func(msg string) (Post, error) { return Post{}, &RobotError{Code: CodeBadMessage, Msg: msg} }
	switch m.MsgType {
	case MsgText:
		if m.Text == nil || strings.TrimSpace(m.Text.Content) == "" {
			return bad("text.content is empty")
		}
		p.Text = m.Text.Content
	case MsgMarkdown:
		if m.Markdown == nil || strings.TrimSpace(m.Markdown.Text) == "" || strings.TrimSpace(m.Markdown.Title) == "" {
			return bad("markdown.title and markdown.text are required")
		}
		p.Card = &Card{Type: MsgMarkdown, Title: m.Markdown.Title}
		p.Text = m.Markdown.Text
	case MsgLink:
		l := m.Link
		if l == nil || strings.TrimSpace(l.Title) == "" || strings.TrimSpace(l.Text) == "" || l.MessageURL == "" {
			return bad("link.title, link.text and link.messageUrl are required")
		}
		if !webURL(l.MessageURL) || l.PicURL != "" && !webURL(l.PicURL) {
			return bad("link URLs must be http or https")
		}
		p.Card = &Card{Type: MsgLink, Title: l.Title, URL: l.MessageURL, PicURL: l.PicURL}
		p.Text = l.Title + "\n" + l.Text
	case MsgActionCard:
		a := m.ActionCard
		if a == nil || strings.TrimSpace(a.Title) == "" || strings.TrimSpace(a.Text) == "" {
			return bad("actionCard.title and actionCard.text are required")
		}
		c := &Card{Type: MsgActionCard, Title: a.Title, Horizontal: a.BtnOrientation == "1"}
		switch {
		case a.SingleTitle != "" || a.SingleURL != "":
			if a.SingleTitle == "" || !webURL(a.SingleURL) {
				return bad("actionCard.singleTitle and an http(s) singleURL go together")
			}
			c.Buttons = []Button{{Title: a.SingleTitle, URL: a.SingleURL}}
		case len(a.Btns) > 0:
			if len(a.Btns) > maxButtons {
				return bad("actionCard has more than 5 buttons")
			}
			for _, b := range a.Btns {
				if strings.TrimSpace(b.Title) == "" || !webURL(b.ActionURL) {
					return bad("each button needs a title and an http(s) actionURL")
				}
				c.Buttons = append(c.Buttons, Button{Title: b.Title, URL: b.ActionURL})
			}
		default:
			return bad("actionCard needs singleTitle/singleURL or btns")
		}
		p.Card = c
		p.Text = a.Text
	case MsgFeedCard:
		f := m.FeedCard
		if f == nil || len(f.Links) == 0 {
			return bad("feedCard.links is empty")
		}
		if len(f.Links) > maxLinks {
			return bad("feedCard has more than 10 links")
		}
		c := &Card{Type: MsgFeedCard}
		var titles []string
		for _, l := range f.Links {
			if strings.TrimSpace(l.Title) == "" || !webURL(l.MessageURL) || l.PicURL != "" && !webURL(l.PicURL) {
				return bad("each feedCard link needs a title and http(s) URLs")
			}
			c.Links = append(c.Links, Link{Title: l.Title, URL: l.MessageURL, PicURL: l.PicURL})
			titles = append(titles, l.Title)
		}
		p.Card = c
		p.Text = strings.Join(titles, "\n")
	case "":
		return bad("msgtype is required")
	default:
		return Post{}, &RobotError{Code: CodeBadType, Msg: "unsupported msgtype " + m.MsgType}
	}
	if !utf8.ValidString(p.Text) {
		return bad("text is not valid UTF-8")
	}
	p.Text = strings.Map(func(r rune) rune {
		if r < 0x20 && r != '\n' && r != '\t' || r == 0x7f {
			return -1
		}
		return r
	}, p.Text)
	if strings.TrimSpace(p.Text) == "" {
		return bad("text is empty")
	}
	if utf8.RuneCountInString(p.Text) > MaxPostRunes {
		return Post{}, errTooLong
	}
	if c := p.Card; c != nil {
		for _, s := range []string{c.Title, c.URL, c.PicURL} {
			if utf8.RuneCountInString(s) > maxField {
				return Post{}, errTooLong
			}
		}
	}
	if m.At != nil {
		p.MentionAll = m.At.IsAtAll
		if len(m.At.AtMobiles) <= 100 {
			p.Phones = m.At.AtMobiles
		}
		for _, id := range m.At.AtUserIDs {
			if id.Valid() {
				p.Mentions = append(p.Mentions, id)
			}
		}
	}
	return p, nil
}

// Words returns the text a keyword must be found in: everything a reader
// sees of the message.
func (p Post) Words() string {
	if p.Card == nil {
		return p.Text
	}
	var b strings.Builder
	b.WriteString(p.Card.Title + "\n" + p.Text)
	for _, x := range p.Card.Buttons {
		b.WriteString("\n" + x.Title)
	}
	return b.String()
}

func webURL(s string) bool {
	if s == "" || len(s) > 2000 {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https" || u.Scheme == "dingtalk") && (u.Host != "" || u.Scheme == "dingtalk")
}
