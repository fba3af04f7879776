// Package circle is where people share with those they choose: friends'
// moments (好友动态) with an audience per post, likes and comments under
// WeChat's rule (each viewer sees only the likes and comments of people
// they may themselves see), and colleague circles (同事圈) of one
// organisation.
//
// The audience of a moment is enforced here, on every read path (the
// timeline, a profile, a direct link, a like, a comment, live hints):
// whoever it leaves out gets tack.ENotFound, exactly as for a moment that
// never existed.
package circle

import (
	"context"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/chat"
)

// Audience types.
const (
	Friends    = "friends"    // all the author's friends
	Only       = "only"       // only the listed friends
	Except     = "except"     // all friends but the listed ones
	Private    = "private"    // only the author
	Colleagues = "colleagues" // active members of OrgID (同事圈)
)

// AudienceTypes lists every audience type.
var AudienceTypes = []string{Friends, Only, Except, Private, Colleagues}

// Limits.
const (
	MaxText        = 2000 // characters of a moment
	MaxImages      = 9
	MaxAudience    = 500 // user IDs listed in an audience
	MaxComment     = 500 // characters of a comment
	EditWindow     = 24 * time.Hour
	DefaultPage    = 20
	MaxPage        = 50
	MaxCommentsPer = 1000 // comments kept under one moment
	MaxTags        = 100  // friend tags per person
	MaxTagName     = 32   // characters of a tag's name
)

// Audience says who may see a moment. UserIDs is the list of Only and
// Except; OrgID the organisation of Colleagues. TagIDs, for Only and
// Except, names the author's friend tags: a tag stands for the friends it
// holds when the moment is posted, who are then listed in UserIDs too (a
// later change of the tag leaves the moment's audience as it was).
type Audience struct {
	Type    string    `json:"type"`
	UserIDs []tack.ID `json:"user_ids,omitempty"`
	TagIDs  []tack.ID `json:"tag_ids,omitempty"`
	OrgID   tack.ID   `json:"org_id,omitempty"`
}

// Tag is one of a person's friend tags (标签): a name over some of their
// friends, chosen as a moment's audience. Only its owner sees it.
type Tag struct {
	ID        tack.ID   `json:"id"`
	OwnerID   tack.ID   `json:"-"`
	Name      string    `json:"name"`
	UserIDs   []tack.ID `json:"user_ids"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Moment is a post as stored.
type Moment struct {
	ID       tack.ID           `json:"id"`
	AuthorID tack.ID           `json:"author_id"`
	Text     string            `json:"text"`
	Audience Audience          `json:"audience"`
	Files    []chat.Attachment `json:"files"`
	// CreatedAt orders the timeline together with ID (IDs grow with time).
	CreatedAt time.Time  `json:"created_at"`
	EditedAt  *time.Time `json:"edited_at,omitempty"`
}

// Comment is a comment under a moment; ReplyTo, when set, is the user it
// answers.
type Comment struct {
	ID        tack.ID   `json:"id"`
	MomentID  tack.ID   `json:"moment_id"`
	AuthorID  tack.ID   `json:"author_id"`
	ReplyTo   tack.ID   `json:"reply_to,omitempty"`
	Text      string    `json:"text"`
	CreatedAt time.Time `json:"created_at"`
}

// Like is someone's like of a moment.
type Like struct {
	MomentID  tack.ID   `json:"moment_id"`
	UserID    tack.ID   `json:"user_id"`
	CreatedAt time.Time `json:"created_at"`
}

// Settings are a person's choices for their moments. VisibleDays limits
// what visitors of their profile see to the last 3 or 180 days (0: all);
// the author always sees everything.
type Settings struct {
	UserID      tack.ID   `json:"-"`
	VisibleDays int       `json:"visible_days"`
	UpdatedAt   time.Time `json:"updated_at,omitzero"`
}

// VisibleDayChoices are the allowed values of Settings.VisibleDays.
var VisibleDayChoices = []int{0, 3, 180}

// Query selects moments for a timeline or a profile, newest first: those
// with ID below Before (all when empty), not older than Since (when set),
// and either by one of Authors in no organisation's circle, or in the
// colleague circle of one of Orgs (when ByAuthorOnly is false), or (when
// ByAuthorOnly is true) every moment by Authors, any circle.
type Query struct {
	Authors      []tack.ID
	Orgs         []tack.ID
	ByAuthorOnly bool
	Before       tack.ID
	Since        time.Time
	Limit        int
}

// Store keeps moments. Errors: tack.ErrNotFound for a missing row. Stores
// check nothing: the Service decides, then calls them.
type Store interface {
	// CreateMoment stores m and pins its files (media keeps them while a
	// moment carries them), in one transaction.
	CreateMoment(ctx context.Context, m Moment) error
	// Moment returns one moment.
	Moment(ctx context.Context, id tack.ID) (Moment, error)
	// Moments lists moments as q says, newest (highest ID) first.
	Moments(ctx context.Context, q Query) ([]Moment, error)
	// EditMoment replaces a moment's text and sets EditedAt.
	EditMoment(ctx context.Context, id tack.ID, text string, at time.Time) error
	// DeleteMoment deletes a moment with its likes and comments and unpins
	// its files, in one transaction.
	DeleteMoment(ctx context.Context, id tack.ID) error
	// AddComment stores c; tack.ErrNotFound if its moment is gone.
	AddComment(ctx context.Context, c Comment) error
	// Comment returns one comment.
	Comment(ctx context.Context, id tack.ID) (Comment, error)
	// DeleteComment deletes one comment.
	DeleteComment(ctx context.Context, id tack.ID) error
	// CountComments counts a moment's comments.
	CountComments(ctx context.Context, momentID tack.ID) (int, error)
	// Comments lists the comments of the moments, oldest first.
	Comments(ctx context.Context, momentIDs []tack.ID) ([]Comment, error)
	// SetLike adds (on) or removes a like and reports whether anything
	// changed; tack.ErrNotFound if the moment is gone.
	SetLike(ctx context.Context, l Like, on bool) (bool, error)
	// Likes lists the likes of the moments, oldest first.
	Likes(ctx context.Context, momentIDs []tack.ID) ([]Like, error)
	// Settings returns a person's settings (the zero Settings, with
	// UserID set, when they never chose).
	Settings(ctx context.Context, userID tack.ID) (Settings, error)
	// PutSettings stores a person's settings.
	PutSettings(ctx context.Context, s Settings) error
	// Tags lists ownerID's friend tags by name.
	Tags(ctx context.Context, ownerID tack.ID) ([]Tag, error)
	// Tag returns one tag.
	Tag(ctx context.Context, id tack.ID) (Tag, error)
	// PutTag creates or replaces a tag (by ID); tack.EConflict when its
	// owner has another tag of that name.
	PutTag(ctx context.Context, t Tag) error
	// DeleteTag deletes a tag; tack.ErrNotFound if there is none.
	DeleteTag(ctx context.Context, id tack.ID) error
}

// People is what circles need to know of the people around someone
// (node/ wires it from the friend graph and the organisations).
type People interface {
	// Ties returns userID's friends and everyone userID blocks or is
	// blocked by.
	Ties(ctx context.Context, userID tack.ID) (friends, blocked []tack.ID, err error)
	// ActiveOrgs returns, for each of ids, the organisations where it is an
	// active member.
	ActiveOrgs(ctx context.Context, ids []tack.ID) (map[tack.ID][]tack.ID, error)
	// OrgMembers returns up to limit active members of orgID.
	OrgMembers(ctx context.Context, orgID tack.ID, limit int) ([]tack.ID, error)
}
