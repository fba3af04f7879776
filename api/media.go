package api

import (
	"errors"
	"fmt"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/media"
)

// mediaRoutes are the routes of files: upload, download (by session or by
// signed URL), and the played state of voice messages.
func (s *Server) mediaRoutes() []route {
	max := media.DefaultLimits.Max()
	if s.cfg.Media != nil {
		max = s.cfg.Media.Limits().Max()
	}
	return []route{
		{method: "POST", path: "/api/v1/files", summary: "Upload a file: the raw bytes (?name=&kind=image|voice|file&duration_ms=&waveform=1,2,3) or multipart field file", auth: true, resp: "File", status: 201, h: s.uploadFile, maxBody: max + 64<<10},
		{method: "GET", path: "/api/v1/files/{file_id}", summary: "Download a file (?thumb=1 for an image's thumbnail); with a session, or a signed URL's exp and sig", status: 200, h: s.downloadFile},
		{method: "GET", path: "/api/v1/files/{file_id}/info", summary: "A file's metadata", auth: true, resp: "File", status: 200, h: s.fileInfo},
		{method: "GET", path: "/api/v1/files/{file_id}/url", summary: "A signed download URL that works for 10 minutes without a token (?thumb=1)", auth: true, resp: "FileURL", status: 200, h: s.fileURL},
		{method: "POST", path: "/api/v1/conversations/{id}/messages/{seq}/played", summary: "Mark a voice message played (its red dot goes)", auth: true, status: 204, h: s.markPlayed},
		{method: "GET", path: "/api/v1/conversations/{id}/played", summary: "The voice messages you have played", auth: true, resp: "Played", status: 200, h: s.played},
	}
}

func init() {
	schemas["File"] = obj("id", str(), "uploader_id", str(), "kind", enum("image", "voice", "file"), "name", str(), "size", integer(),
		"mime", str(), "sha256", str(), "width", integer(), "height", integer(), "duration_ms", integer(), "waveform", arr(integer()),
		"thumb", boolean(), "created_at", timeT())
	schemas["FileURL"] = obj("url", str(), "expires_at", timeT())
	schemas["Played"] = obj("seqs", arr(integer()))
}

func (s *Server) media() (*media.Service, error) {
	if s.cfg.Media == nil {
		return nil, tack.Errorf(tack.EUnavailable, "files are not available on this server")
	}
	return s.cfg.Media, nil
}

func (s *Server) uploadFile(w http.ResponseWriter, r *http.Request) error {
	m, err := s.media()
	if err != nil {
		return err
	}
	q := r.URL.Query()
	in := media.Upload{Name: q.Get("name"), Kind: q.Get("kind"), Length: r.ContentLength, Body: r.Body}
	if v := q.Get("duration_ms"); v != "" {
		d, err := strconv.Atoi(v)
		if err != nil || d < 0 {
			return tack.Invalid("duration_ms", "duration_ms is a whole number of milliseconds")
		}
		in.DurationMS = d
	}
	if v := q.Get("waveform"); v != "" {
		parts := strings.Split(v, ",")
		if len(parts) > media.MaxWaveform {
			return tack.Invalid("waveform", "a waveform has at most %d bars", media.MaxWaveform)
		}
		for _, p := range parts {
			n, err := strconv.Atoi(strings.TrimSpace(p))
			if err != nil {
				return tack.Invalid("waveform", "waveform is comma-separated whole numbers")
			}
			in.Waveform = append(in.Waveform, n)
		}
	}
	if ct, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct == "multipart/form-data" {
		mr := multipart.NewReader(r.Body, params["boundary"])
		for {
			p, err := mr.NextPart()
			if err != nil {
				return uploadError(tack.Invalid("file", "the form has no field named file"), m)
			}
			if p.FormName() == "file" {
				if in.Name == "" {
					in.Name = p.FileName()
				}
				in.Body, in.Length = p, -1
				break
			}
		}
	}
	f, err := m.Upload(r.Context(), in)
	if err != nil {
		return uploadError(err, m)
	}
	writeJSON(w, http.StatusCreated, f)
	return nil
}

func uploadError(err error, m *media.Service) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return tack.Errorf(tack.ETooLarge, "files may be at most %d MB", m.Limits().Max()>>20)
	}
	return err
}

func (s *Server) downloadFile(w http.ResponseWriter, r *http.Request) error {
	m, err := s.media()
	if err != nil {
		return err
	}
	id := tack.ID(r.PathValue("file_id"))
	q := r.URL.Query()
	thumb := q.Get("thumb") == "1"
	var f media.FileInfo
	var o interface {
		Read([]byte) (int, error)
		Seek(int64, int) (int64, error)
		Close() error
	}
	if q.Has("sig") {
		exp, err := strconv.ParseInt(q.Get("exp"), 10, 64)
		if err != nil {
			return tack.Errorf(tack.ENotFound, "no such file")
		}
		f, o, err = m.OpenSigned(r.Context(), id, thumb, exp, q.Get("sig"))
		if err != nil {
			return err
		}
	} else {
		ctx, err := s.authenticate(r)
		if err != nil {
			return err
		}
		authenticated(r)
		f, o, err = m.Open(ctx, id, thumb)
		if err != nil {
			return err
		}
	}
	defer o.Close()
	h := w.Header()
	typ, name := f.MIME, f.Name
	if thumb {
		typ, name = "image/jpeg", "thumb-"+strings.TrimSuffix(name, ".jpg")+".jpg"
	}
	disp := "attachment"
	if media.Inline(typ) {
		disp = "inline"
	} else if strings.HasPrefix(typ, "text/html") || strings.Contains(typ, "svg") || strings.Contains(typ, "xml") {
		typ = "application/octet-stream" // never rendered, whatever the browser thinks
	}
	h.Set("Content-Type", typ)
	h.Set("Content-Disposition", disp+"; filename=\""+asciiName(name)+"\"; filename*=UTF-8''"+url.PathEscape(name))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; media-src 'self'; img-src 'self'; sandbox")
	if f.Secret {
		h.Set("Cache-Control", "no-store") // burns: no copy in the browser's cache
	} else {
		h.Set("Cache-Control", "private, max-age=600")
	}
	etag := f.SHA256
	if thumb {
		etag += "-t"
	}
	h.Set("ETag", `"`+etag+`"`)
	http.ServeContent(w, r, "", f.CreatedAt, o)
	return nil
}

// asciiName is name for the plain filename parameter: quotes, backslashes
// and anything outside printable ASCII become '_'.
func asciiName(name string) string {
	b := []byte(name)
	out := make([]byte, 0, len(b))
	for _, c := range b {
		if c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			c = '_'
		}
		out = append(out, c)
	}
	return string(out)
}

func (s *Server) fileInfo(w http.ResponseWriter, r *http.Request) error {
	m, err := s.media()
	if err != nil {
		return err
	}
	f, err := m.Info(r.Context(), tack.ID(r.PathValue("file_id")))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, f)
	return nil
}

func (s *Server) fileURL(w http.ResponseWriter, r *http.Request) error {
	m, err := s.media()
	if err != nil {
		return err
	}
	id := tack.ID(r.PathValue("file_id"))
	q, exp, err := m.SignURL(r.Context(), id, r.URL.Query().Get("thumb") == "1")
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"url": fmt.Sprintf("/api/v1/files/%s?%s", id, q), "expires_at": exp.UTC().Format(time.RFC3339)})
	return nil
}

func (s *Server) markPlayed(w http.ResponseWriter, r *http.Request) error {
	m, err := s.media()
	if err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	seq, err := pathSeq(r)
	if err != nil {
		return err
	}
	if err := m.MarkPlayed(r.Context(), id, seq); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) played(w http.ResponseWriter, r *http.Request) error {
	m, err := s.media()
	if err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	seqs, err := m.Played(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"seqs": seqs})
	return nil
}
