package media

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/blob"
	"github.com/tackhq/tack/chat"
	"github.com/tackhq/tack/limit"
)

// Config configures a Service.
type Config struct {
	Limits Limits // zero fields take DefaultLimits
	// SpoolDir holds uploads while they arrive (default os.TempDir()); put
	// it on the data directory's disk.
	SpoolDir string
	// Grace is how long an upload that no message carries is kept
	// (default 24 h): time to send it.
	Grace time.Duration
	// Node names this node in the collector's lease.
	Node string
	// UploadLimit limits uploads per user (default 2/s, bursts of 30).
	UploadLimit *limit.Keyed
	// ImageWorkers bounds how many images are decoded at once (default 2).
	ImageWorkers int
	// WriteGuard, if set, refuses uploads while the disk is full (it returns
	// a tack.EInsufficientStorage error then).
	WriteGuard func() error
	Clock      tack.Clock
	Logger     *slog.Logger
}

// Service holds the rules of media.
type Service struct {
	store Store
	blobs blob.Store
	cfg   Config
	log   *slog.Logger
	clock tack.Clock
	sem   chan struct{}

	grants atomic.Pointer[[]Grant]

	keyMu sync.Mutex
	key   []byte
	// collecting: one Collect at a time in this process (the lease keeps
	// other nodes out).
	collecting sync.Mutex
}

// NewService returns a Service keeping metadata in store and bytes in blobs.
func NewService(store Store, blobs blob.Store, cfg Config) *Service {
	d := DefaultLimits
	if cfg.Limits.Image <= 0 {
		cfg.Limits.Image = d.Image
	}
	if cfg.Limits.Voice <= 0 {
		cfg.Limits.Voice = d.Voice
	}
	if cfg.Limits.File <= 0 {
		cfg.Limits.File = d.File
	}
	if cfg.SpoolDir == "" {
		cfg.SpoolDir = os.TempDir()
	}
	if cfg.Grace == 0 {
		cfg.Grace = 24 * time.Hour
	}
	if cfg.Grace < 0 {
		cfg.Grace = 0
	}
	if cfg.Node == "" {
		cfg.Node = string(tack.NewID())
	}
	if cfg.UploadLimit == nil {
		cfg.UploadLimit = &limit.Keyed{Rate: 2, Burst: 30}
	}
	if cfg.ImageWorkers <= 0 {
		cfg.ImageWorkers = 2
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Service{store: store, blobs: blobs, cfg: cfg, log: cfg.Logger, clock: cfg.Clock, sem: make(chan struct{}, cfg.ImageWorkers)}
}

// Limits returns the limits in force.
func (s *Service) Limits() Limits { return s.cfg.Limits }

var _ chat.Files = (*Service)(nil)

func caller(ctx context.Context) (tack.ID, error) {
	c, ok := tack.CallerFrom(ctx)
	if !ok || c.UserID == "" {
		return "", tack.Errorf(tack.EUnauthorized, "sign in first")
	}
	return c.UserID, nil
}

// Upload is a file arriving.
type Upload struct {
	Name string
	// Kind is what the client means to send: "image" and "voice" are
	// checked against the content; "file" sends anything as a file; ""
	// takes an image as an image and anything else as a file.
	Kind string
	// Length is the declared length of Body, or -1 if unknown. A body
	// longer than any limit is refused before a byte is read.
	Length int64
	Body   io.Reader
	// DurationMS and Waveform describe a voice clip as the recorder saw it;
	// an Ogg Opus clip's duration is read from the clip instead.
	DurationMS int
	Waveform   []int
}

// MaxName is the longest file name kept, in bytes.
const MaxName = 255

// CleanName makes a client's file name safe to store and show: the last
// path element only (no directories: "../../etc/passwd" is "passwd"), no
// control or direction-override characters, at most MaxName bytes; "file"
// when nothing is left.
func CleanName(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.ToValidUTF8(name, "")
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) || r == '\u200b' || r == '\ufeff' {
			return -1
		}
		return r
	}, name)
	name = strings.TrimSpace(name)
	for len(name) > MaxName {
		_, n := utf8.DecodeLastRuneInString(name)
		name = name[:len(name)-n]
	}
	if name == "" || name == "." || name == ".." {
		return "file"
	}
	return name
}

// Upload stores a file for the caller. Nothing is left behind when it
// fails: no row, no blob.
func (s *Service) Upload(ctx context.Context, in Upload) (FileInfo, error) {
	uid, err := caller(ctx)
	if err != nil {
		return FileInfo{}, err
	}
	switch in.Kind {
	case "", Image, Voice, File:
	default:
		return FileInfo{}, tack.Invalid("kind", "kind is image, voice or file")
	}
	lim := s.cfg.Limits.Max()
	if in.Kind != "" {
		lim = s.cfg.Limits.of(in.Kind)
	}
	if in.Length > lim {
		return FileInfo{}, tooLarge(in.Kind, lim)
	}
	if in.Kind == Voice {
		if err := validWaveform(in.Waveform); err != nil {
			return FileInfo{}, err
		}
	}
	if !s.cfg.UploadLimit.Allow(string(uid)) {
		return FileInfo{}, tack.Errorf(tack.ERateLimited, "uploading too fast; slow down")
	}
	if g := s.cfg.WriteGuard; g != nil {
		if err := g(); err != nil {
			return FileInfo{}, err
		}
	}
	tmp, err := os.CreateTemp(s.cfg.SpoolDir, "upload-*")
	if err != nil {
		return FileInfo{}, fmt.Errorf("upload: %w", err)
	}
	defer func() {
		tmp.Close()
		os.Remove(tmp.Name())
	}()
	head := make([]byte, SniffLen)
	n, err := io.ReadFull(in.Body, head)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return FileInfo{}, err
	}
	head = head[:n]
	if n == 0 {
		return FileInfo{}, tack.Invalid("file", "the file is empty")
	}
	mime := Sniff(head)
	kind := in.Kind
	switch {
	case kind == Image && !IsImage(mime):
		return FileInfo{}, tack.Invalid("file", "the content is not a JPEG, PNG, GIF or WebP image (it is %s)", mime)
	case kind == Voice && !IsAudio(mime):
		return FileInfo{}, tack.Invalid("file", "a voice clip is Ogg, WebM, MP3, M4A or WAV audio (this is %s)", mime)
	case kind == "" && IsImage(mime):
		kind = Image
	case kind == "":
		kind = File
	}
	lim = s.cfg.Limits.of(kind)
	if in.Length > lim {
		return FileInfo{}, tooLarge(kind, lim)
	}
	sum := sha256.New()
	w := io.MultiWriter(tmp, sum)
	w.Write(head)
	rest, err := io.Copy(w, io.LimitReader(in.Body, lim-int64(n)+1))
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return FileInfo{}, tack.Invalid("file", "the upload ended early") // nothing is kept
	} else if err != nil {
		return FileInfo{}, err // the client went away, was too slow, or sent too much: nothing kept
	}
	size := int64(n) + rest
	if size > lim {
		return FileInfo{}, tooLarge(kind, lim)
	}
	if in.Length >= 0 && size != in.Length {
		return FileInfo{}, tack.Invalid("file", "the upload ended after %d of %d bytes", size, in.Length)
	}
	f := FileInfo{ID: tack.NewID(), UploaderID: uid, Kind: kind, Name: CleanName(in.Name), Size: size, MIME: mime,
		CreatedAt: s.clock.Now()}
	var content io.ReadSeeker = tmp
	var thumb []byte
	switch kind {
	case Image:
		p, err := s.image(ctx, tmp, mime)
		if err != nil {
			return FileInfo{}, err
		}
		content, thumb = bytes.NewReader(p.data), p.thumb
		f.Size, f.Width, f.Height, f.Thumb = int64(len(p.data)), p.width, p.height, true
		h := sha256.Sum256(p.data)
		f.SHA256 = hex.EncodeToString(h[:])
	case Voice:
		f.SHA256 = hex.EncodeToString(sum.Sum(nil))
		if f.DurationMS, err = s.voiceDuration(tmp, head, size, in.DurationMS); err != nil {
			return FileInfo{}, err
		}
		f.Waveform = in.Waveform
	default:
		f.SHA256 = hex.EncodeToString(sum.Sum(nil))
	}
	return s.store1(ctx, f, content, thumb)
}

func tooLarge(kind string, lim int64) error {
	what := "files"
	switch kind {
	case Image:
		what = "images"
	case Voice:
		what = "voice clips"
	}
	return tack.Errorf(tack.ETooLarge, "%s may be at most %d MB", what, lim>>20)
}

// image reads and prepares an image, a bounded number at a time.
func (s *Service) image(ctx context.Context, tmp *os.File, mime string) (processed, error) {
	select {
	case s.sem <- struct{}{}:
	case <-ctx.Done():
		return processed{}, ctx.Err()
	}
	defer func() { <-s.sem }()
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return processed{}, err
	}
	data, err := io.ReadAll(tmp)
	if err != nil {
		return processed{}, err
	}
	return processImage(data, mime)
}

func (s *Service) voiceDuration(tmp *os.File, head []byte, size int64, claimed int) (int, error) {
	tail := make([]byte, min(size, 64<<10))
	if _, err := tmp.ReadAt(tail, size-int64(len(tail))); err != nil && err != io.EOF {
		return 0, err
	}
	d := oggOpusDuration(head, tail)
	if d == 0 && Sniff(head) == "audio/webm" && size <= 16<<20 {
		// MediaRecorder's WebM has no Duration: the blocks' times tell.
		data := make([]byte, size)
		if _, err := tmp.ReadAt(data, 0); err != nil && err != io.EOF {
			return 0, err
		}
		if w, ok := webmDuration(data); ok {
			d = max(w, 1)
		}
	}
	if d == 0 {
		d = claimed // a format whose length the server does not read
	}
	switch {
	case d <= 0:
		return 0, tack.Invalid("duration_ms", "duration_ms is required for a voice clip")
	case d > MaxVoiceMS+500:
		return 0, tack.Errorf(tack.ETooLarge, "voice clips last at most %d s", MaxVoiceMS/1000)
	}
	return min(d, MaxVoiceMS), nil
}

// store1 stores f's content (and thumbnail) unless the same content is
// stored already, then its row.
func (s *Service) store1(ctx context.Context, f FileInfo, content io.ReadSeeker, thumb []byte) (FileInfo, error) {
	out, err := s.store.CreateFile(ctx, f, Blob{SHA256: f.SHA256})
	if err == nil {
		return out, nil // deduplicated
	}
	if !errors.Is(err, tack.ErrNotFound) {
		return FileInfo{}, fmt.Errorf("upload: %w", err)
	}
	var rnd [6]byte
	rand.Read(rnd[:])
	b := Blob{SHA256: f.SHA256, Size: f.Size, Key: "f/" + f.SHA256[:2] + "/" + f.SHA256 + "-" + hex.EncodeToString(rnd[:])}
	if _, err := content.Seek(0, io.SeekStart); err != nil {
		return FileInfo{}, err
	}
	if err := s.blobs.Put(ctx, b.Key, content, f.Size); err != nil {
		return FileInfo{}, fmt.Errorf("upload: %w", err)
	}
	if thumb != nil {
		b.ThumbKey = b.Key + "-t"
		if err := s.blobs.Put(ctx, b.ThumbKey, bytes.NewReader(thumb), int64(len(thumb))); err != nil {
			s.drop(b.Key)
			return FileInfo{}, fmt.Errorf("upload thumbnail: %w", err)
		}
	}
	out, err = s.store.CreateFile(ctx, f, b)
	if err != nil {
		s.drop(b.Key, b.ThumbKey)
		return FileInfo{}, fmt.Errorf("upload: %w", err)
	}
	if out.BlobKey != b.Key { // the same content arrived at the same time: keep theirs
		s.drop(b.Key, b.ThumbKey)
	}
	return out, nil
}

func (s *Service) drop(keys ...string) {
	for _, k := range keys {
		if k == "" {
			continue
		}
		if err := s.blobs.Delete(context.Background(), k); err != nil {
			s.log.Warn("drop blob", "key", k, "err", err)
		}
	}
}

var errNoFile = tack.Errorf(tack.ENotFound, "no such file")

// readable returns the file if the caller may read it.
func (s *Service) readable(ctx context.Context, id tack.ID) (FileInfo, error) {
	uid, err := caller(ctx)
	if err != nil {
		return FileInfo{}, err
	}
	if !id.Valid() {
		return FileInfo{}, errNoFile
	}
	f, err := s.store.File(ctx, id)
	if errors.Is(err, tack.ErrNotFound) {
		return FileInfo{}, errNoFile
	} else if err != nil {
		return FileInfo{}, err
	}
	if f.UploaderID == uid {
		return f, nil
	}
	ok, err := s.store.Reachable(ctx, id, uid)
	if err != nil {
		return FileInfo{}, err
	}
	if ok {
		return f, nil
	}
	if gs := s.grants.Load(); gs != nil {
		for _, g := range *gs {
			ok, err := g.CanReadFile(ctx, id, uid)
			if err != nil {
				return FileInfo{}, err
			}
			if ok {
				return f, nil
			}
		}
	}
	return FileInfo{}, errNoFile
}

// Grant lets another capability open files to people by its own rules
// (approval.Service: the files attached to a request, for those who may
// read the request). It decides nothing about files it does not know of:
// it answers false.
type Grant interface {
	// CanReadFile reports whether userID may read fileID.
	CanReadFile(ctx context.Context, fileID, userID tack.ID) (bool, error)
}

// AddGrant makes g a further way to read a file: the Service asks it
// after the uploader and chat rules say no. Call it while wiring, before
// serving.
func (s *Service) AddGrant(g Grant) {
	for {
		old := s.grants.Load()
		var gs []Grant
		if old != nil {
			gs = append(gs, *old...)
		}
		gs = append(gs, g)
		if s.grants.CompareAndSwap(old, &gs) {
			return
		}
	}
}

// Info returns a file's metadata for someone who may read it.
func (s *Service) Info(ctx context.Context, id tack.ID) (FileInfo, error) {
	return s.readable(ctx, id)
}

// Open returns a file and its bytes (or its thumbnail's, a JPEG) for
// someone who may read it; the caller closes the object.
func (s *Service) Open(ctx context.Context, id tack.ID, thumb bool) (FileInfo, blob.Object, error) {
	f, err := s.readable(ctx, id)
	if err != nil {
		return FileInfo{}, nil, err
	}
	return s.open(ctx, f, thumb)
}

func (s *Service) open(ctx context.Context, f FileInfo, thumb bool) (FileInfo, blob.Object, error) {
	key := f.BlobKey
	if thumb {
		if f.ThumbKey == "" {
			return FileInfo{}, nil, tack.Errorf(tack.ENotFound, "this file has no thumbnail")
		}
		key = f.ThumbKey
	}
	secret, err := s.store.InSecret(ctx, f.ID)
	if err != nil {
		return FileInfo{}, nil, err
	}
	f.Secret = secret
	o, err := s.blobs.Open(ctx, key)
	if errors.Is(err, blob.ErrNotFound) {
		s.log.Error("file without its blob", "file", f.ID, "key", key)
		return FileInfo{}, nil, errNoFile
	} else if err != nil {
		return FileInfo{}, nil, err
	}
	return f, o, nil
}

// Attachments implements chat.Files: each file must be the caller's upload
// or one they may read (forwarding without uploading again).
func (s *Service) Attachments(ctx context.Context, ids []tack.ID) ([]chat.Attachment, error) {
	out := make([]chat.Attachment, 0, len(ids))
	for _, id := range ids {
		f, err := s.readable(ctx, id)
		if tack.ErrorCode(err) == tack.ENotFound {
			return nil, tack.Errorf(tack.ENotFound, "no file %s", id)
		} else if err != nil {
			return nil, err
		}
		if f.UploaderID != tack.UserID(ctx) {
			// Someone else's file, sent in a secret chat: no forwarding
			// (its burn must leave no copy behind).
			secret, err := s.store.InSecret(ctx, id)
			if err != nil {
				return nil, err
			}
			if secret {
				return nil, tack.Errorf(tack.EForbidden, "files of a secret chat cannot be forwarded")
			}
		}
		out = append(out, f.Attachment())
	}
	return out, nil
}

// URLLife is how long a signed download URL works.
const URLLife = 10 * time.Minute

func (s *Service) signingKey(ctx context.Context) ([]byte, error) {
	s.keyMu.Lock()
	defer s.keyMu.Unlock()
	if s.key != nil {
		return s.key, nil
	}
	fresh := make([]byte, 32)
	rand.Read(fresh)
	k, err := s.store.SigningKey(ctx, fresh)
	if err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	s.key = k
	return k, nil
}

func sign(key []byte, id tack.ID, thumb bool, exp int64) string {
	m := hmac.New(sha256.New, key)
	fmt.Fprintf(m, "%s\n%t\n%d", id, thumb, exp)
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// SignURL returns the query (exp=&sig=, and thumb=1 for the thumbnail)
// that lets anyone holding it download the file for URLLife, without a
// token: for <img> and <audio> tags. Only those who may read the file get
// one.
func (s *Service) SignURL(ctx context.Context, id tack.ID, thumb bool) (string, time.Time, error) {
	f, err := s.readable(ctx, id)
	if err != nil {
		return "", time.Time{}, err
	}
	if thumb && f.ThumbKey == "" {
		return "", time.Time{}, tack.Errorf(tack.ENotFound, "this file has no thumbnail")
	}
	key, err := s.signingKey(ctx)
	if err != nil {
		return "", time.Time{}, err
	}
	exp := s.clock.Now().Add(URLLife).Truncate(time.Second)
	q := "exp=" + strconv.FormatInt(exp.Unix(), 10) + "&sig=" + sign(key, id, thumb, exp.Unix())
	if thumb {
		q = "thumb=1&" + q
	}
	return q, exp, nil
}

// GrantURL returns a signed download URL path (with its query) of a file
// that another capability has already decided the caller may see (circle:
// an image of a moment in the viewer's audience). It checks nothing of the
// caller; thumb falls back to the file itself when there is no thumbnail.
func (s *Service) GrantURL(ctx context.Context, id tack.ID, thumb bool) (string, error) {
	f, err := s.store.File(ctx, id)
	if err != nil {
		return "", err
	}
	thumb = thumb && f.ThumbKey != ""
	key, err := s.signingKey(ctx)
	if err != nil {
		return "", err
	}
	exp := s.clock.Now().Add(URLLife).Truncate(time.Second)
	q := "exp=" + strconv.FormatInt(exp.Unix(), 10) + "&sig=" + sign(key, id, thumb, exp.Unix())
	if thumb {
		q = "thumb=1&" + q
	}
	return "/api/v1/files/" + string(id) + "?" + q, nil
}

// OpenSigned opens a file by a signed URL's exp and sig. A wrong or expired
// signature is tack.ENotFound (an expired one tack.EExpired).
func (s *Service) OpenSigned(ctx context.Context, id tack.ID, thumb bool, exp int64, sig string) (FileInfo, blob.Object, error) {
	if !id.Valid() {
		return FileInfo{}, nil, errNoFile
	}
	key, err := s.signingKey(ctx)
	if err != nil {
		return FileInfo{}, nil, err
	}
	if !hmac.Equal([]byte(sig), []byte(sign(key, id, thumb, exp))) {
		return FileInfo{}, nil, errNoFile
	}
	now := s.clock.Now().Unix()
	if exp < now {
		return FileInfo{}, nil, tack.Errorf(tack.EExpired, "this link has expired")
	}
	f, err := s.store.File(ctx, id)
	if errors.Is(err, tack.ErrNotFound) {
		return FileInfo{}, nil, errNoFile
	} else if err != nil {
		return FileInfo{}, nil, err
	}
	return s.open(ctx, f, thumb)
}

// MarkPlayed records that the caller played the voice clip of message seq
// (clearing its red dot on their devices).
func (s *Service) MarkPlayed(ctx context.Context, convID tack.ID, seq int64) error {
	uid, err := caller(ctx)
	if err != nil {
		return err
	}
	if ok, err := s.store.IsMember(ctx, convID, uid); err != nil {
		return err
	} else if !ok {
		return tack.Errorf(tack.ENotFound, "no such conversation")
	}
	err = s.store.SetPlayed(ctx, convID, seq, uid, s.clock.Now())
	if errors.Is(err, tack.ErrNotFound) {
		return tack.Errorf(tack.ENotFound, "no voice message %d in this conversation", seq)
	}
	return err
}

// Played lists the seqs of the voice messages of convID the caller played.
func (s *Service) Played(ctx context.Context, convID tack.ID) ([]int64, error) {
	uid, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if ok, err := s.store.IsMember(ctx, convID, uid); err != nil {
		return nil, err
	} else if !ok {
		return nil, tack.Errorf(tack.ENotFound, "no such conversation")
	}
	return s.store.Played(ctx, convID, uid)
}

const collectBatch = 500

// Collect deletes files that no message carries and were uploaded more than
// Grace ago, then the blobs no file uses. Only the node holding the
// collector's lease works; others return at once. It is safe to stop at any
// point: what is left is done on the next run.
func (s *Service) Collect(ctx context.Context) (files, blobs int, err error) {
	if !s.collecting.TryLock() {
		return 0, 0, nil
	}
	defer s.collecting.Unlock()
	now := s.clock.Now()
	ok, err := s.store.Lease(ctx, "media-collect", s.cfg.Node, now, now.Add(5*time.Minute))
	if err != nil || !ok {
		return 0, 0, err
	}
	before := now.Add(-s.cfg.Grace)
	for {
		ids, err := s.store.Unreferenced(ctx, before, collectBatch)
		if err != nil {
			return files, blobs, err
		}
		if len(ids) > 0 {
			n, err := s.store.DeleteFiles(ctx, ids, before)
			files += n
			if err != nil {
				return files, blobs, err
			}
		}
		if len(ids) < collectBatch {
			break
		}
	}
	blobs, err = s.EmptyTrash(ctx)
	return files, blobs, err
}

// EmptyTrash deletes the objects of trashed blobs now (a secret message's
// burn calls it; Collect does it too, later). Any node may run it at any
// time: deleting an object twice is harmless. It returns how many objects
// it deleted.
func (s *Service) EmptyTrash(ctx context.Context) (int, error) {
	n := 0
	for {
		keys, err := s.store.Trash(ctx, collectBatch)
		if err != nil || len(keys) == 0 {
			return n, err
		}
		done := keys[:0:0]
		for _, k := range keys {
			if err := s.blobs.Delete(ctx, k); err != nil {
				s.log.Warn("delete trashed blob", "key", k, "err", err)
				continue
			}
			done = append(done, k)
		}
		d, err := s.store.Untrash(ctx, done)
		n += d
		if err != nil {
			return n, err
		}
		if len(done) < len(keys) || len(keys) < collectBatch {
			return n, nil
		}
	}
}

// Run collects every interval until ctx ends.
func (s *Service) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if f, b, err := s.Collect(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("media collector", "err", err)
		} else if f+b > 0 {
			s.log.Info("media collected", "files", f, "blobs", b)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
