package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/account"
	"github.com/tackhq/tack/chat"
	"github.com/tackhq/tack/media"
)

// TestMediaStore checks media.Store, and the chat store's side of it: a
// message's attachments come back with it, make its files reachable to the
// conversation's members, and a recall takes both away.
func TestMediaStore(t *testing.T, open func(t *testing.T) (account.Store, chat.Store, media.Store)) {
	tests := []struct {
		name string
		fn   func(*testing.T, *mediaFixture)
	}{
		{"CreateAndDedup", testMediaCreateDedup},
		{"Reachable", testMediaReachable},
		{"Collect", testMediaCollect},
		{"ConcurrentDedup", testMediaConcurrentDedup},
		{"Played", testMediaPlayed},
		{"KeysAndLeases", testMediaKeysLeases},
		{"SecretBurn", testMediaSecretBurn},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			as, cs, ms := open(t)
			tt.fn(t, &mediaFixture{fixture: &fixture{t: t, as: as, cs: cs, ctx: context.Background()}, ms: ms})
		})
	}
}

type mediaFixture struct {
	*fixture
	ms media.Store
}

// file stores a new file of content sum (storing its blob when new).
func (f *mediaFixture) file(uploader tack.ID, sum, kind string, at time.Time) media.FileInfo {
	f.t.Helper()
	fi := media.FileInfo{ID: tack.NewID(), UploaderID: uploader, Kind: kind, Name: "照片.jpg", Size: 1234, MIME: "image/jpeg",
		SHA256: sum, Width: 640, Height: 480, CreatedAt: at}
	if kind == media.Voice {
		fi.MIME, fi.DurationMS, fi.Waveform = "audio/ogg", 3200, []int{1, 50, 100, 0}
	}
	out, err := f.ms.CreateFile(f.ctx, fi, media.Blob{SHA256: sum})
	if errors.Is(err, tack.ErrNotFound) {
		out, err = f.ms.CreateFile(f.ctx, fi, media.Blob{SHA256: sum, Key: "f/" + sum, ThumbKey: "f/" + sum + "-t", Size: 1234})
	}
	must(f.t, "CreateFile", err)
	return out
}

func (f *mediaFixture) sendFiles(conv, sender tack.ID, kind string, files ...media.FileInfo) chat.Message {
	f.t.Helper()
	nm := f.text(conv, sender, "")
	nm.Kind = kind
	for _, fi := range files {
		nm.Attachments = append(nm.Attachments, fi.Attachment())
	}
	res, err := f.cs.Append(f.ctx, []chat.NewMessage{nm})
	must(f.t, "Append", err)
	return res[0].Message
}

func testMediaCreateDedup(t *testing.T, f *mediaFixture) {
	a := f.user("a")
	at := now()
	// Without a blob row and without a key: nothing is written.
	_, err := f.ms.CreateFile(f.ctx, media.FileInfo{ID: tack.NewID(), UploaderID: a, Kind: media.Image, Name: "x", SHA256: "s1", MIME: "image/png", CreatedAt: at}, media.Blob{SHA256: "s1"})
	wantNotFound(t, "CreateFile without a blob", err)
	one := f.file(a, "s1", media.Image, at)
	if one.BlobKey != "f/s1" || one.ThumbKey != "f/s1-t" || !one.Thumb {
		t.Errorf("keys %q %q thumb %v", one.BlobKey, one.ThumbKey, one.Thumb)
	}
	got, err := f.ms.File(f.ctx, one.ID)
	must(t, "File", err)
	sameTime(t, "CreatedAt", got.CreatedAt, at)
	if got.Name != "照片.jpg" || got.Width != 640 || got.Height != 480 || got.SHA256 != "s1" || got.UploaderID != a || got.BlobKey != "f/s1" {
		t.Errorf("File = %+v", got)
	}
	// The same content again: the same blob, counted twice.
	two := f.file(a, "s1", media.Image, now())
	if two.ID == one.ID || two.BlobKey != one.BlobKey {
		t.Errorf("dedup: %s %s, keys %s %s", one.ID, two.ID, one.BlobKey, two.BlobKey)
	}
	v := f.file(a, "s2", media.Voice, now())
	got, err = f.ms.File(f.ctx, v.ID)
	must(t, "File", err)
	if got.DurationMS != 3200 || !slices.Equal(got.Waveform, []int{1, 50, 100, 0}) {
		t.Errorf("voice = %+v", got)
	}
	list, err := f.ms.Files(f.ctx, []tack.ID{one.ID, v.ID, tack.NewID()})
	must(t, "Files", err)
	if len(list) != 2 {
		t.Errorf("Files found %d, want 2", len(list))
	}
	_, err = f.ms.File(f.ctx, tack.NewID())
	wantNotFound(t, "File of a missing ID", err)
}

func testMediaReachable(t *testing.T, f *mediaFixture) {
	a, b, c, out := f.user("a"), f.user("b"), f.user("c"), f.user("outsider")
	g, _ := f.group(a, b, c)
	img := f.file(a, "r1", media.Image, now())
	reach := func(who tack.ID) bool {
		ok, err := f.ms.Reachable(f.ctx, img.ID, who)
		must(t, "Reachable", err)
		return ok
	}
	if reach(b) {
		t.Error("reachable before it was sent")
	}
	m := f.sendFiles(g.ID, a, chat.ImageMessage, img)
	if len(m.Attachments) != 1 || m.Attachments[0].ID != img.ID {
		t.Fatalf("Append returned attachments %+v", m.Attachments)
	}
	back := f.message(g.ID, m.Seq)
	if len(back.Attachments) != 1 || back.Attachments[0].Width != 640 || back.Attachments[0].Name != "照片.jpg" || back.Kind != chat.ImageMessage {
		t.Errorf("stored message: kind %s, attachments %+v", back.Kind, back.Attachments)
	}
	if !reach(b) || !reach(c) || reach(out) {
		t.Errorf("after sending: b %v c %v outsider %v, want true true false", reach(b), reach(c), reach(out))
	}
	// A member who leaves loses access.
	_, err := f.cs.ApplyChange(f.ctx, chat.Change{ConversationID: g.ID, Remove: []tack.ID{c},
		System: chat.NewMessage{ConversationID: g.ID, SenderID: a, Kind: chat.SystemMessage, CreatedAt: now(),
			System: &chat.System{Action: "removed", ActorID: a, Users: []tack.ID{c}}}})
	must(t, "ApplyChange", err)
	if reach(c) {
		t.Error("a removed member still reaches the file")
	}
	// In batches too.
	img2 := f.file(a, "r2", media.Image, now())
	nm1, nm2 := f.text(g.ID, a, "x"), f.text(g.ID, b, "")
	nm2.Kind, nm2.Attachments = chat.ImageMessage, []chat.Attachment{img2.Attachment()}
	batched, err := f.cs.Append(f.ctx, []chat.NewMessage{nm1, nm2})
	must(t, "Append batch", err)
	if got := f.message(g.ID, batched[1].Message.Seq).Attachments; len(got) != 1 || got[0].ID != img2.ID || got[0].Name != img2.Attachment().Name {
		t.Errorf("a batched file message's attachments = %+v, want %s", got, img2.ID)
	}
	ok, err := f.ms.Reachable(f.ctx, img2.ID, b)
	must(t, "Reachable", err)
	if !ok {
		t.Error("a file sent in a batch is not reachable")
	}
	// A recall erases the attachments and the access.
	r, err := f.cs.RecallMessage(f.ctx, g.ID, m.Seq, a)
	must(t, "RecallMessage", err)
	if len(r.Attachments) != 0 || len(f.message(g.ID, m.Seq).Attachments) != 0 {
		t.Error("a recalled message keeps its attachments")
	}
	if reach(b) {
		t.Error("a recalled message's file is still reachable")
	}
}

func testMediaCollect(t *testing.T, f *mediaFixture) {
	a, b := f.user("a"), f.user("b")
	g, _ := f.group(a, b)
	old := now()
	sent := f.file(a, "c1", media.Image, old)
	unsent := f.file(a, "c2", media.Image, old)
	shared1 := f.file(a, "c3", media.Image, old)
	shared2 := f.file(b, "c3", media.Image, old) // same content
	recent := f.file(a, "c4", media.Image, now())
	m := f.sendFiles(g.ID, a, chat.ImageMessage, sent)
	f.sendFiles(g.ID, b, chat.ImageMessage, shared2)
	cut := recent.CreatedAt // files created before this are old enough
	ids, err := f.ms.Unreferenced(f.ctx, cut, 100)
	must(t, "Unreferenced", err)
	if !sameIDs(ids, []tack.ID{unsent.ID, shared1.ID}) {
		t.Fatalf("Unreferenced = %v, want %v", ids, []tack.ID{unsent.ID, shared1.ID})
	}
	// A file sent since it was listed is not deleted.
	f.sendFiles(g.ID, a, chat.ImageMessage, unsent)
	n, err := f.ms.DeleteFiles(f.ctx, append(ids, recent.ID), cut)
	must(t, "DeleteFiles", err)
	if n != 1 {
		t.Errorf("DeleteFiles deleted %d, want 1 (shared1)", n)
	}
	_, err = f.ms.File(f.ctx, shared1.ID)
	wantNotFound(t, "File after delete", err)
	trash, err := f.ms.Trash(f.ctx, 10)
	must(t, "Trash", err)
	if len(trash) != 0 {
		t.Errorf("trash %v: the blob is still used by shared2", trash)
	}
	// Recall: its file becomes unreferenced, its blob goes to the trash.
	_, err = f.cs.RecallMessage(f.ctx, g.ID, m.Seq, a)
	must(t, "RecallMessage", err)
	n, err = f.ms.DeleteFiles(f.ctx, []tack.ID{sent.ID}, cut)
	must(t, "DeleteFiles", err)
	if n != 1 {
		t.Errorf("DeleteFiles after recall deleted %d, want 1", n)
	}
	trash, err = f.ms.Trash(f.ctx, 10)
	must(t, "Trash", err)
	if !slices.Equal(trash, []string{"f/c1", "f/c1-t"}) {
		t.Errorf("trash = %v, want the blob and its thumbnail", trash)
	}
	n, err = f.ms.Untrash(f.ctx, trash)
	must(t, "Untrash", err)
	if n != 2 {
		t.Errorf("Untrash forgot %d keys, want 2", n)
	}
	if n, _ = f.ms.Untrash(f.ctx, trash); n != 0 {
		t.Errorf("a second Untrash forgot %d keys, want 0", n)
	}
	trash, _ = f.ms.Trash(f.ctx, 10)
	if len(trash) != 0 {
		t.Errorf("trash after untrash = %v", trash)
	}
	// The blob's content may come again: a new blob row.
	again := f.file(a, "c1", media.Image, now())
	if again.BlobKey != "f/c1" {
		t.Errorf("re-upload key %q", again.BlobKey)
	}
}

func testMediaConcurrentDedup(t *testing.T, f *mediaFixture) {
	a := f.user("a")
	var wg sync.WaitGroup
	keys := make([]string, 8)
	for i := range keys {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fi := media.FileInfo{ID: tack.NewID(), UploaderID: a, Kind: media.File, Name: "f", Size: 1, MIME: "text/plain", SHA256: "cc", CreatedAt: now()}
			out, err := f.ms.CreateFile(f.ctx, fi, media.Blob{SHA256: "cc", Key: fmt.Sprintf("f/cc-%d", i), Size: 1})
			if err != nil {
				t.Error(err)
				return
			}
			keys[i] = out.BlobKey
		}()
	}
	wg.Wait()
	for _, k := range keys {
		if k != keys[0] {
			t.Fatalf("concurrent uploads of one content got keys %v, want one", keys)
		}
	}
}

func testMediaPlayed(t *testing.T, f *mediaFixture) {
	a, b := f.user("a"), f.user("b")
	g, _ := f.group(a, b)
	v := f.file(a, "p1", media.Voice, now())
	m := f.sendFiles(g.ID, a, chat.VoiceMessage, v)
	txt := f.send(g.ID, a, "not a voice")
	wantNotFound(t, "SetPlayed of a text", f.ms.SetPlayed(f.ctx, g.ID, txt.Seq, b, now()))
	must(t, "SetPlayed", f.ms.SetPlayed(f.ctx, g.ID, m.Seq, b, now()))
	must(t, "SetPlayed again", f.ms.SetPlayed(f.ctx, g.ID, m.Seq, b, now()))
	got, err := f.ms.Played(f.ctx, g.ID, b)
	must(t, "Played", err)
	if !slices.Equal(got, []int64{m.Seq}) {
		t.Errorf("Played = %v, want [%d]", got, m.Seq)
	}
	got, _ = f.ms.Played(f.ctx, g.ID, a)
	if got == nil || len(got) != 0 {
		t.Errorf("Played of someone who did not = %v, want []", got)
	}
	in, err := f.ms.IsMember(f.ctx, g.ID, b)
	must(t, "IsMember", err)
	outside, _ := f.ms.IsMember(f.ctx, g.ID, f.user("c"))
	if !in || outside {
		t.Errorf("IsMember: member %v, outsider %v", in, outside)
	}
}

func testMediaKeysLeases(t *testing.T, f *mediaFixture) {
	k1, err := f.ms.SigningKey(f.ctx, []byte("first-key-32-bytes-long-xxxxxxxx"))
	must(t, "SigningKey", err)
	k2, err := f.ms.SigningKey(f.ctx, []byte("second"))
	must(t, "SigningKey", err)
	if string(k1) != "first-key-32-bytes-long-xxxxxxxx" || string(k2) != string(k1) {
		t.Errorf("keys %q %q: the first one stored must stay", k1, k2)
	}
	t0 := now()
	ok, err := f.ms.Lease(f.ctx, "gc", "n1", t0, t0.Add(time.Minute))
	must(t, "Lease", err)
	if !ok {
		t.Fatal("a free lease was not taken")
	}
	if ok, _ := f.ms.Lease(f.ctx, "gc", "n2", t0.Add(time.Second), t0.Add(time.Minute)); ok {
		t.Error("a held lease was taken by another")
	}
	if ok, _ := f.ms.Lease(f.ctx, "gc", "n1", t0.Add(time.Second), t0.Add(2*time.Minute)); !ok {
		t.Error("the holder could not renew")
	}
	if ok, _ := f.ms.Lease(f.ctx, "gc", "n2", t0.Add(3*time.Minute), t0.Add(4*time.Minute)); !ok {
		t.Error("an expired lease was not taken")
	}
}

// testMediaSecretBurn checks that files of a secret message are seen by
// its recipient only once revealed, and that burning it erases them,
// counted by reference: the message's references and played marks, every
// file no other message carries, and every blob no file uses any more
// (trashed with its thumbnail), while a blob shared with a file sent
// elsewhere, and a file another secret message still carries, stay.
func testMediaSecretBurn(t *testing.T, f *mediaFixture) {
	a, b, c := f.user("a"), f.user("b"), f.user("c")
	at := now()
	sc := chat.Conversation{ID: tack.NewID(), Kind: chat.Secret, CreatedAt: at}
	_, err := f.cs.CreateConversation(f.ctx, sc, []chat.Membership{{UserID: a, Role: chat.Member, JoinedAt: at}, {UserID: b, Role: chat.Member, JoinedAt: at}},
		chat.NewMessage{ConversationID: sc.ID, SenderID: a, Kind: chat.SystemMessage, CreatedAt: at,
			System: &chat.System{Action: "created", ActorID: a, Users: []tack.ID{b}}})
	must(t, "CreateConversation", err)
	g, _ := f.group(a, b, c)
	secret := func(files ...media.FileInfo) chat.Message {
		t.Helper()
		nm := f.text(sc.ID, a, "burn-me")
		nm.Kind, nm.BurnAfterS, nm.BurnsAt = chat.ImageMessage, 30, now().Add(chat.UnrevealedBurn)
		for _, fi := range files {
			nm.Attachments = append(nm.Attachments, fi.Attachment())
			if fi.Kind == media.Voice {
				nm.Kind = chat.VoiceMessage
			}
		}
		res, err := f.cs.Append(f.ctx, []chat.NewMessage{nm})
		must(t, "Append", err)
		return res[0].Message
	}
	reach := func(id, who tack.ID) bool {
		t.Helper()
		ok, err := f.ms.Reachable(f.ctx, id, who)
		must(t, "Reachable", err)
		return ok
	}
	gone := func(id tack.ID) bool {
		t.Helper()
		_, err := f.ms.File(f.ctx, id)
		if err != nil && !errors.Is(err, tack.ErrNotFound) {
			t.Fatal(err)
		}
		return errors.Is(err, tack.ErrNotFound)
	}
	img := f.file(a, "sb-only", media.Image, now())
	sharedA := f.file(a, "sb-shared", media.Image, now())
	sharedC := f.file(c, "sb-shared", media.Image, now()) // the same content, sent in a group
	f.sendFiles(g.ID, c, chat.ImageMessage, sharedC)
	twice := f.file(a, "sb-twice", media.Image, now())

	m1 := secret(img, sharedA)
	if ok, err := f.ms.InSecret(f.ctx, img.ID); err != nil || !ok {
		t.Errorf("InSecret of a secret message's file = %v, %v", ok, err)
	}
	if ok, err := f.ms.InSecret(f.ctx, sharedC.ID); err != nil || ok {
		t.Errorf("InSecret of a group's file = %v, %v", ok, err)
	}
	if reach(img.ID, b) || !reach(img.ID, a) || reach(img.ID, c) {
		t.Errorf("before the reveal: recipient %v sender %v outsider %v; want false true false", reach(img.ID, b), reach(img.ID, a), reach(img.ID, c))
	}
	_, _, err = f.cs.RevealMessage(f.ctx, sc.ID, m1.Seq, now(), now().Add(30*time.Second))
	must(t, "RevealMessage", err)
	if !reach(img.ID, b) {
		t.Error("a revealed secret message's file is not reachable by its recipient")
	}
	voice := f.file(a, "sb-voice", media.Voice, now())
	mv := secret(voice)
	must(t, "SetPlayed", f.ms.SetPlayed(f.ctx, sc.ID, mv.Seq, b, now()))
	_, _, err = f.cs.BurnMessage(f.ctx, sc.ID, mv.Seq)
	must(t, "BurnMessage", err)
	if p, err := f.ms.Played(f.ctx, sc.ID, b); err != nil || len(p) != 0 {
		t.Errorf("played marks after the burn: %v, %v", p, err)
	}
	_, err = f.ms.Untrash(f.ctx, []string{"f/sb-voice", "f/sb-voice-t"})
	must(t, "Untrash", err)

	bm, changed, err := f.cs.BurnMessage(f.ctx, sc.ID, m1.Seq)
	must(t, "BurnMessage", err)
	if !changed || len(bm.Attachments) != 0 || len(f.message(sc.ID, m1.Seq).Attachments) != 0 {
		t.Errorf("burned message keeps attachments: %+v", f.message(sc.ID, m1.Seq).Attachments)
	}
	if !gone(img.ID) || !gone(sharedA.ID) || gone(sharedC.ID) {
		t.Errorf("after the burn: file gone %v, its twin gone %v, the group's copy gone %v; want true true false", gone(img.ID), gone(sharedA.ID), gone(sharedC.ID))
	}
	if reach(img.ID, b) || reach(img.ID, a) || !reach(sharedC.ID, b) {
		t.Error("reachability after the burn is wrong")
	}
	trash, err := f.ms.Trash(f.ctx, 100)
	must(t, "Trash", err)
	if !slices.Equal(trash, []string{"f/sb-only", "f/sb-only-t"}) {
		t.Errorf("trash after the burn = %v; want the burned blob and its thumbnail only", trash)
	}

	// A file two secret messages carry lives until the second burns.
	m2, m3 := secret(twice), secret(twice)
	_, _, err = f.cs.BurnMessage(f.ctx, sc.ID, m2.Seq)
	must(t, "BurnMessage", err)
	if gone(twice.ID) {
		t.Error("a file burned while another secret message carries it")
	}
	_, _, err = f.cs.BurnMessage(f.ctx, sc.ID, m3.Seq)
	must(t, "BurnMessage", err)
	if !gone(twice.ID) {
		t.Error("a file survived the burn of the last message carrying it")
	}
	trash, _ = f.ms.Trash(f.ctx, 100)
	if !slices.Contains(trash, "f/sb-twice") || !slices.Contains(trash, "f/sb-twice-t") {
		t.Errorf("trash = %v; want the twice-sent blob", trash)
	}
}
