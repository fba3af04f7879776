package e2e

import (
	"bytes"
	"testing"

	"github.com/tackhq/tack/client"
	"github.com/tackhq/tack/push/pushtest"
)

// TestMediaPush: a photo or a file in a direct chat is pushed like a text;
// with previews on, the preview is a sign (📷, 🎤, 📎 and the file's name),
// never bytes of the file.
func TestMediaPush(t *testing.T) {
	srv := pushServer(t)
	key := pushKey(t, srv)
	alice, bob := srv.NewUser(t, "Alice"), srv.NewUser(t, "張三")
	ab := pushtest.NewBrowser(t)
	subscribe(t, alice, ab)
	c := direct(t, bob, alice)
	setPreviews(t, alice, true)
	photo := gpsJPEG(t, 40, 30, 1)
	img, err := bob.Upload(ctxT(t), bytes.NewReader(photo), client.UploadOptions{Size: int64(len(photo))})
	if err != nil {
		t.Fatal(err)
	}
	m := send(t, bob, string(c.ID), client.Draft{Attachments: []string{string(img.ID)}})
	if pl, _ := nextPayload(t, ab, key); pl.Seq != m.Seq || pl.Body != "📷" {
		t.Errorf("photo push = %+v, want seq %d and body 📷", pl, m.Seq)
	}
	doc, err := bob.Upload(ctxT(t), bytes.NewReader([]byte("%PDF-1.4")), client.UploadOptions{Name: "合同.pdf", Size: 8})
	if err != nil {
		t.Fatal(err)
	}
	m = send(t, bob, string(c.ID), client.Draft{Attachments: []string{string(doc.ID)}})
	if pl, _ := nextPayload(t, ab, key); pl.Seq != m.Seq || pl.Body != "📎 合同.pdf" {
		t.Errorf("file push = %+v, want body 📎 合同.pdf", pl)
	}
	m = send(t, bob, string(c.ID), client.Draft{Text: "看看这个", Attachments: []string{string(img.ID)}})
	if pl, _ := nextPayload(t, ab, key); pl.Body != "看看这个" {
		t.Errorf("captioned photo push = %+v, want the caption", pl)
	}
}
