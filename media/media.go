// Package media is the files people send: images, voice clips, voice
// pictures (有声图片: a photo with a voice clip) and any other file.
//
// An upload is streamed to a spool file, its type sniffed from its bytes,
// checked against the limit of its kind, made safe (images lose their
// metadata, so GPS never leaks, and turn upright) and stored in a
// blob.Store by content: the same bytes uploaded twice share one blob,
// counted by reference. A message carries files as attachments; who may
// read a file follows from where it was sent: its uploader and the members
// of any conversation with a message carrying it; then whoever a Grant
// (another capability's rules: approval requests' attachments) lets read
// it. Everyone else gets tack.ENotFound, as if it did not exist.
//
// Files of secret messages burn with them: the chat store's burn drops the
// message's references, the files no other message carries (and no
// approval request references), and their blobs' counts in its
// transaction, trashing blobs left unused, and EmptyTrash deletes those
// objects (content and thumbnail) at once. They cannot be forwarded by
// anyone but their uploader.
//
// Files that no message carries and no approval request references (never
// sent or attached, or their messages recalled) are collected after a
// grace period by Collect, which runs on one node at a
// time and resumes after a restart: deletions go through a trash list
// written in the same transaction as the rows, so no blob is lost track of.
package media

import (
	"context"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/chat"
)

// Kinds of files.
const (
	Image = chat.ImageAttachment
	Voice = chat.VoiceAttachment
	File  = chat.FileAttachment
)

// Limits are the size limits per kind of file.
type Limits struct {
	Image int64 // default 20 MB
	Voice int64 // default 2 MB (and 60 s)
	File  int64 // default 100 MB
}

// Max is the largest of the limits: no upload may be larger.
func (l Limits) Max() int64 { return max(l.Image, l.Voice, l.File) }

func (l Limits) of(kind string) int64 {
	switch kind {
	case Image:
		return l.Image
	case Voice:
		return l.Voice
	}
	return l.File
}

// DefaultLimits are the limits when none are configured.
var DefaultLimits = Limits{Image: 20 << 20, Voice: 2 << 20, File: 100 << 20}

// FileInfo is an uploaded file.
type FileInfo struct {
	ID         tack.ID   `json:"id"`
	UploaderID tack.ID   `json:"uploader_id"`
	Kind       string    `json:"kind"` // image, voice, file
	Name       string    `json:"name"`
	Size       int64     `json:"size"`
	MIME       string    `json:"mime"`
	SHA256     string    `json:"sha256"` // of the bytes served
	Width      int       `json:"width,omitempty"`
	Height     int       `json:"height,omitempty"`
	DurationMS int       `json:"duration_ms,omitempty"`
	Waveform   []int     `json:"waveform,omitempty"`
	Thumb      bool      `json:"thumb,omitempty"` // an image thumbnail exists
	CreatedAt  time.Time `json:"created_at"`

	// Where its bytes are (filled by the store from the file's blob).
	BlobKey  string `json:"-"`
	ThumbKey string `json:"-"`
	// Secret: a secret message carries it (set when opened for download;
	// it must not be cached).
	Secret bool `json:"-"`
}

// Attachment describes f as a message carries it.
func (f FileInfo) Attachment() chat.Attachment {
	return chat.Attachment{ID: f.ID, Kind: f.Kind, Name: f.Name, Size: f.Size, MIME: f.MIME,
		Width: f.Width, Height: f.Height, DurationMS: f.DurationMS, Waveform: f.Waveform}
}

// Blob is stored content shared by every file with the same SHA-256.
type Blob struct {
	SHA256   string
	Key      string
	ThumbKey string // "" when there is no thumbnail
	Size     int64
}

// Store keeps file metadata, their blobs' reference counts, and who may see
// them.
//
// Errors: tack.ErrNotFound for a missing row. Stores check nothing: the
// Service decides, then calls them.
type Store interface {
	// CreateFile stores f as a use of the blob of f.SHA256 in one
	// transaction: if a blob row for that hash exists its count goes up and
	// f takes its keys; else, if b.Key is set, a blob row b (count 1) is
	// inserted; else nothing is written and tack.ErrNotFound returned (the
	// caller then stores the bytes and calls again with b). The file as
	// stored (with its keys) is returned.
	CreateFile(ctx context.Context, f FileInfo, b Blob) (FileInfo, error)
	// File returns a file with its blob keys.
	File(ctx context.Context, id tack.ID) (FileInfo, error)
	// Files returns those of ids that exist, in any order.
	Files(ctx context.Context, ids []tack.ID) ([]FileInfo, error)
	// Reachable reports whether userID is a member of some conversation
	// with a (not recalled) message carrying the file that userID may see:
	// a secret message's files only once it is revealed (its sender sees
	// them always), and never once it burned (a burn drops the reference).
	Reachable(ctx context.Context, fileID, userID tack.ID) (bool, error)
	// InSecret reports whether a secret message carries the file.
	InSecret(ctx context.Context, fileID tack.ID) (bool, error)
	// Unreferenced lists up to limit files created before before that no
	// message carries and no approval request references.
	Unreferenced(ctx context.Context, before time.Time, limit int) ([]tack.ID, error)
	// DeleteFiles deletes those of ids that are still unreferenced (no
	// message, no approval request: checked in the deleting statement) and
	// created before before, drops their blobs' counts, and moves each blob
	// left with none to the trash, all in one transaction. It returns how
	// many files it deleted.
	DeleteFiles(ctx context.Context, ids []tack.ID, before time.Time) (int, error)
	// Trash lists up to limit trashed blob keys awaiting deletion.
	Trash(ctx context.Context, limit int) ([]string, error)
	// Untrash forgets trashed keys once their objects are deleted, and
	// returns how many of them it forgot (others got there first).
	Untrash(ctx context.Context, keys []string) (int, error)
	// SetPlayed records that userID played the voice clip of message seq;
	// tack.ErrNotFound when that message carries no voice clip.
	SetPlayed(ctx context.Context, convID tack.ID, seq int64, userID tack.ID, at time.Time) error
	// Played lists the seqs of convID's voice messages userID has played.
	Played(ctx context.Context, convID, userID tack.ID) ([]int64, error)
	// IsMember reports whether userID is a member of convID.
	IsMember(ctx context.Context, convID, userID tack.ID) (bool, error)
	// SigningKey returns the key that signs download URLs, making it on
	// first use (every node gets the same one).
	SigningKey(ctx context.Context, fresh []byte) ([]byte, error)
	// Lease takes or renews the named lease for holder until until, if it
	// is free (expired at now) or already holder's; it reports whether
	// holder has it.
	Lease(ctx context.Context, name, holder string, now, until time.Time) (bool, error)
}
