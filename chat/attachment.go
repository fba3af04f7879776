package chat

import (
	"context"

	"github.com/tackhq/tack"
)

// Message kinds that carry files (see Attachment).
const (
	ImageMessage        = "image"         // 1 to 9 images, shown as a grid
	FileMessage         = "file"          // one file
	VoiceMessage        = "voice"         // one voice clip
	VoicePictureMessage = "voice_picture" // one image and one voice clip (有声图片)
)

// Attachment kinds.
const (
	ImageAttachment = "image"
	VoiceAttachment = "voice"
	FileAttachment  = "file"
)

// MaxImages is the most images one message carries.
const MaxImages = 9

// Attachment is a file a message carries, described as it was when sent, so
// that clients can lay the message out (reserve an image's space, draw a
// voice clip's waveform) before fetching anything.
type Attachment struct {
	ID         tack.ID `json:"id"`
	Kind       string  `json:"kind"` // image, voice, file
	Name       string  `json:"name"`
	Size       int64   `json:"size"`
	MIME       string  `json:"mime"`
	Width      int     `json:"width,omitempty"`
	Height     int     `json:"height,omitempty"`
	DurationMS int     `json:"duration_ms,omitempty"`
	Waveform   []int   `json:"waveform,omitempty"`
}

// Files resolves the file IDs of a send into attachments. It checks that the
// caller may send each (they uploaded it, or may read it: forwarding) and
// answers tack.ENotFound for any other. (media.Service implements it.)
type Files interface {
	Attachments(ctx context.Context, ids []tack.ID) ([]Attachment, error)
}

// IsUserMessage reports whether kind is a message people send (text or
// files), as opposed to a system event.
func IsUserMessage(kind string) bool { return kind != SystemMessage && kind != "" }

// attachmentKind is the message kind of a set of attachments, or an error
// saying why the combination is not a message.
func attachmentKind(as []Attachment) (string, error) {
	var images, voices, files int
	for _, a := range as {
		switch a.Kind {
		case ImageAttachment:
			images++
		case VoiceAttachment:
			voices++
		default:
			files++
		}
	}
	switch {
	case len(as) == 0:
		return TextMessage, nil
	case files == 1 && len(as) == 1:
		return FileMessage, nil
	case voices == 1 && len(as) == 1:
		return VoiceMessage, nil
	case voices == 1 && images == 1 && len(as) == 2:
		return VoicePictureMessage, nil
	case images == len(as) && images <= MaxImages:
		return ImageMessage, nil
	case images == len(as):
		return "", tack.Errorf(tack.ETooLarge, "a message carries at most %d images", MaxImages)
	}
	return "", tack.Invalid("attachments", "attachments must be 1 to 9 images, one file, one voice clip, or one image and one voice clip (a voice picture)")
}

// attachments resolves and checks the files of a send.
func (s *Service) attachments(ctx context.Context, ids []tack.ID) (string, []Attachment, error) {
	if s.cfg.Files == nil {
		return "", nil, tack.Errorf(tack.EUnavailable, "files are not enabled on this server")
	}
	if len(ids) > MaxImages+1 {
		return "", nil, tack.Errorf(tack.ETooLarge, "a message carries at most %d images", MaxImages)
	}
	seen := map[tack.ID]bool{}
	for _, id := range ids {
		if !id.Valid() {
			return "", nil, tack.Invalid("attachments", "%q is not a file ID", id)
		}
		if seen[id] {
			return "", nil, tack.Invalid("attachments", "file %s is attached twice", id)
		}
		seen[id] = true
	}
	as, err := s.cfg.Files.Attachments(ctx, ids)
	if err != nil {
		return "", nil, err
	}
	kind, err := attachmentKind(as)
	if err != nil {
		return "", nil, err
	}
	return kind, as, nil
}
