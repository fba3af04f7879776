package approval_test

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/client"
	"github.com/tackhq/tack/leave"
	"github.com/tackhq/tack/node"
	"github.com/tackhq/tack/tacktest"
)

func photo(t testing.TB) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 80, 60))
	for x := range 80 {
		for y := range 60 {
			img.Set(x, y, color.RGBA{uint8(x * 3), uint8(y * 4), 120, 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func upload(t testing.TB, u *tacktest.User, name string, body []byte) client.File {
	t.Helper()
	return must[client.File](t)(u.Upload(bg, bytes.NewReader(body), client.UploadOptions{Name: name, Size: int64(len(body))}))
}

// downloadStatus is the status of downloading a file (or its thumbnail).
func downloadStatus(t testing.TB, u *tacktest.User, id string, thumb bool) int {
	t.Helper()
	res, err := u.Download(bg, id, thumb)
	if err != nil {
		return status(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}

// TestAttachments: a request's attachment fields take the originator's
// uploads only; whoever may read the request may download its files
// (originator, approvers, people CC'd, admins) and nobody else; the media
// collector keeps them.
func TestAttachments(t *testing.T) {
	clk := newClock(at("2026-03-04 08:00"))
	srv := server(t, clk, func(c *node.Config) { c.MediaGrace, c.MediaEvery = -1, -1 })
	w := newWorld(t, srv)
	w.group(t)
	org := w.org
	// Sick leave needs proof here, always.
	for _, ty := range must[[]client.LeaveType](t)(w.owner.LeaveTypes(bg, org)) {
		if ty.Key == leave.Sick {
			zero := leave.Amount(0)
			ty.ProofOver = &zero
			must[client.LeaveType](t)(w.owner.PutLeaveType(bg, org, leave.Sick, ty))
		}
	}
	sick := func(files ...string) map[string]any {
		f := map[string]any{"leave_type": "sick", "start": "2026-03-05", "end": "2026-03-05", "reason": "fever"}
		if files != nil {
			f["attachments"] = files
		}
		return map[string]any{"template": "leave", "form": f}
	}
	fieldOf := func(err error) string {
		if e, ok := err.(*client.Error); ok {
			return e.Field
		}
		return ""
	}
	jpg := photo(t)
	proof := upload(t, w.report, "诊断证明.jpg", jpg)
	note := upload(t, w.report, "note.txt", []byte("doctor's note: rest for a day\n"))
	loose := upload(t, w.report, "loose.txt", []byte("never attached\n"))
	theirs := upload(t, w.manager, "manager.txt", []byte("the manager's own file\n"))

	// Refused: no proof, someone else's file, a file that does not exist.
	for _, c := range []struct {
		name  string
		body  map[string]any
		code  string
		field string
	}{
		{"no proof", sick(), tack.EInvalid, "form.attachments"},
		{"someone else's file", sick(string(proof.ID), string(theirs.ID)), tack.EInvalid, "form.attachments"},
		{"a file that does not exist", sick(string(tack.NewID())), tack.EInvalid, "form.attachments"},
		{"not an ID", sick("../etc/passwd"), tack.EInvalid, "form.attachments"},
	} {
		_, err := w.report.SubmitApproval(bg, org, c.body)
		if code(err) != c.code || fieldOf(err) != c.field {
			t.Errorf("%s: %v (field %q), want %s %s", c.name, err, fieldOf(err), c.code, c.field)
		}
		if c.name == "someone else's file" && !strings.Contains(err.Error(), string(theirs.ID)) {
			t.Errorf("%s: the error does not name the file: %v", c.name, err)
		}
	}
	if pg := must[client.ApprovalPage](t)(w.report.Approvals(bg, org, "mine", "", 0)); len(pg.Approvals) != 0 {
		t.Fatalf("refused requests left %v", ids(pg.Approvals))
	}
	// Before it is attached, only the uploader reads the proof.
	if got := downloadStatus(t, w.manager, string(proof.ID), false); got != http.StatusNotFound {
		t.Errorf("the manager downloads an unattached upload: %d", got)
	}

	v := must[client.Approval](t)(w.report.SubmitApproval(bg, org, sick(string(proof.ID), string(note.ID), string(proof.ID))))
	if len(v.Attachments) != 2 || v.Attachments[0].ID != proof.ID || v.Attachments[0].Kind != "image" || v.Attachments[0].Name != "诊断证明.jpg" ||
		v.Attachments[1].ID != note.ID || v.Attachments[1].Kind != "file" {
		t.Fatalf("attachments = %+v", v.Attachments)
	}
	// The manager CCs the colleague with an @mention.
	must[client.Approval](t)(w.act(w.manager, string(v.ID), "comment", client.ApprovalAction{Comment: "@Colleague FYI", Mentions: []tack.ID{tack.ID(w.colleague.ID)}}))

	// The permission matrix, for the file, its thumbnail and a signed URL.
	for _, c := range []struct {
		who  string
		u    *tacktest.User
		want int
	}{
		{"originator", w.report, 200},
		{"approver", w.manager, 200},
		{"CC'd by a mention", w.colleague, 200},
		{"admin", w.admin, 200},
		{"member not involved", w.member, 404},
		{"the approver's own manager", w.director, 404},
		{"member of another organisation", w.other, 404},
		{"stranger", w.stranger, 404},
	} {
		if got := downloadStatus(t, c.u, string(proof.ID), false); got != c.want {
			t.Errorf("%s downloads the proof: %d, want %d", c.who, got, c.want)
		}
		if got := downloadStatus(t, c.u, string(proof.ID), true); got != c.want {
			t.Errorf("%s downloads the proof's thumbnail: %d, want %d", c.who, got, c.want)
		}
		if got := downloadStatus(t, c.u, string(note.ID), false); got != c.want {
			t.Errorf("%s downloads the note: %d, want %d", c.who, got, c.want)
		}
		_, err := c.u.FileURL(bg, string(proof.ID), true)
		if c.want == 200 && err != nil || c.want == 404 && code(err) != tack.ENotFound {
			t.Errorf("%s asks for a signed thumbnail URL: %v", c.who, err)
		}
		_, err = c.u.FileInfo(bg, string(note.ID))
		if c.want == 200 && err != nil || c.want == 404 && code(err) != tack.ENotFound {
			t.Errorf("%s reads the note's info: %v", c.who, err)
		}
	}
	// Files of the originator's that are not attached stay theirs.
	if got := downloadStatus(t, w.manager, string(loose.ID), false); got != http.StatusNotFound {
		t.Errorf("the approver downloads the originator's unattached file: %d", got)
	}
	// The approver's body matches what was uploaded.
	res, err := w.manager.Download(bg, string(proof.ID), false)
	ok(t, err)
	got, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if len(got) == 0 || res.Header.Get("Content-Type") != "image/jpeg" {
		t.Errorf("the approver's download: %d bytes, %s", len(got), res.Header.Get("Content-Type"))
	}

	// The collector (no grace here) takes the loose upload and the
	// manager's, and keeps the request's files.
	files, _, err := srv.Node.Media.Collect(bg)
	ok(t, err)
	if files != 2 {
		t.Errorf("collected %d files, want 2 (the loose one and the manager's)", files)
	}
	for _, id := range []tack.ID{proof.ID, note.ID} {
		if got := downloadStatus(t, w.manager, string(id), false); got != 200 {
			t.Errorf("the approver downloads %s after collecting: %d", id, got)
		}
	}
	if got := downloadStatus(t, w.report, string(loose.ID), false); got != http.StatusNotFound {
		t.Errorf("the loose upload after collecting: %d", got)
	}
	// The approver approves; the files stay readable to all who read it.
	must[client.Approval](t)(w.act(w.manager, string(v.ID), "approve", client.ApprovalAction{}))
	if got := downloadStatus(t, w.colleague, string(proof.ID), false); got != 200 {
		t.Errorf("the CC'd colleague after approval: %d", got)
	}
}
