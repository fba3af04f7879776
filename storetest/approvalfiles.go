package storetest

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/account"
	"github.com/tackhq/tack/approval"
	"github.com/tackhq/tack/chat"
	"github.com/tackhq/tack/media"
)

// TestApprovalFiles checks the files approval requests reference: a batch
// records them with its new instance (and writes nothing when one of them
// does not exist), both directions read back, and the media collector
// neither lists nor deletes a file a request references.
func TestApprovalFiles(t *testing.T, open func(t *testing.T) (account.Store, chat.Store, media.Store, approval.Store)) {
	ctx := context.Background()
	as, cs, ms, aps := open(t)
	f := &mediaFixture{fixture: &fixture{t: t, as: as, cs: cs, ctx: ctx}, ms: ms}
	a := f.user("a")
	old := now()
	proof := f.file(a, "af1", media.Image, old)
	doc := f.file(a, "af2", media.File, old)
	loose := f.file(a, "af3", media.Image, old)
	cut := f.file(a, "af4", media.Image, now()).CreatedAt // files before this are old enough

	org := tack.NewID()
	instance := func() approval.Instance {
		at := now().UTC()
		return approval.Instance{ID: tack.NewID(), OrgID: org, Template: "leave", Kind: approval.KindLeave, OriginatorID: a, Status: approval.Running,
			Form: json.RawMessage(`{}`), Pending: []tack.ID{}, CC: []tack.ID{}, CreatedAt: at, UpdatedAt: at,
			Attachments: []chat.Attachment{proof.Attachment(), doc.Attachment()}}
	}
	in := instance()
	must(t, "apply", aps.Apply(ctx, approval.Batch{Instance: &approval.InstanceWrite{Instance: in}, Files: []tack.ID{proof.ID, doc.ID}}))
	got, err := aps.InstanceFiles(ctx, in.ID)
	must(t, "InstanceFiles", err)
	if !sameIDs(got, []tack.ID{proof.ID, doc.ID}) {
		t.Errorf("InstanceFiles = %v, want %v", got, []tack.ID{proof.ID, doc.ID})
	}
	back, err := aps.Instance(ctx, org, in.ID)
	must(t, "Instance", err)
	if len(back.Attachments) != 2 || back.Attachments[0].ID != proof.ID || back.Attachments[0].Name != proof.Name {
		t.Errorf("attachments read back = %+v", back.Attachments)
	}
	// A second request may carry the same file.
	in2 := instance()
	must(t, "apply second", aps.Apply(ctx, approval.Batch{Instance: &approval.InstanceWrite{Instance: in2}, Files: []tack.ID{proof.ID}}))
	refs, err := aps.FileInstances(ctx, proof.ID, 10)
	must(t, "FileInstances", err)
	if len(refs) != 2 || refs[0].OrgID != org {
		t.Errorf("FileInstances = %+v, want both requests", refs)
	}
	if refs, _ := aps.FileInstances(ctx, proof.ID, 1); len(refs) != 1 {
		t.Errorf("FileInstances limit 1 = %+v", refs)
	}
	if refs, _ := aps.FileInstances(ctx, loose.ID, 10); len(refs) != 0 {
		t.Errorf("FileInstances of a loose file = %+v", refs)
	}
	// A file that does not exist: nothing of the batch is written.
	in3 := instance()
	err = aps.Apply(ctx, approval.Batch{Instance: &approval.InstanceWrite{Instance: in3}, Files: []tack.ID{loose.ID, tack.NewID()}})
	wantNotFound(t, "a missing file", err)
	_, err = aps.Instance(ctx, org, in3.ID)
	wantNotFound(t, "the instance of a refused batch", err)
	if refs, _ := aps.FileInstances(ctx, loose.ID, 10); len(refs) != 0 {
		t.Errorf("a refused batch referenced %+v", refs)
	}

	// The collector keeps referenced files: Unreferenced does not list
	// them, DeleteFiles does not delete them even when asked to.
	ids, err := ms.Unreferenced(ctx, cut, 100)
	must(t, "Unreferenced", err)
	if !sameIDs(ids, []tack.ID{loose.ID}) {
		t.Errorf("Unreferenced = %v, want only the loose file %v", ids, loose.ID)
	}
	n, err := ms.DeleteFiles(ctx, []tack.ID{proof.ID, doc.ID, loose.ID}, cut)
	must(t, "DeleteFiles", err)
	if n != 1 {
		t.Errorf("DeleteFiles deleted %d, want 1 (the loose file)", n)
	}
	for _, fi := range []media.FileInfo{proof, doc} {
		if _, err := ms.File(ctx, fi.ID); err != nil {
			t.Errorf("file %s of a request after collecting: %v", fi.Name, err)
		}
	}
	_, err = ms.File(ctx, loose.ID)
	wantNotFound(t, "the loose file after collecting", err)

	// Burning a secret message that carries a request's file keeps the
	// file (the request still references it); its other file burns.
	b := f.user("b")
	at := now()
	sc := chat.Conversation{ID: tack.NewID(), Kind: chat.Secret, CreatedAt: at}
	_, err = cs.CreateConversation(ctx, sc, []chat.Membership{{UserID: a, Role: chat.Member, JoinedAt: at}, {UserID: b, Role: chat.Member, JoinedAt: at}},
		chat.NewMessage{ConversationID: sc.ID, SenderID: a, Kind: chat.SystemMessage, CreatedAt: at,
			System: &chat.System{Action: "created", ActorID: a, Users: []tack.ID{b}}})
	must(t, "CreateConversation", err)
	burns := f.file(a, "af5", media.Image, now())
	nm := f.text(sc.ID, a, "burn-me")
	nm.Kind, nm.BurnAfterS, nm.BurnsAt = chat.ImageMessage, 30, now().Add(chat.UnrevealedBurn)
	nm.Attachments = []chat.Attachment{proof.Attachment(), burns.Attachment()}
	res, err := cs.Append(ctx, []chat.NewMessage{nm})
	must(t, "Append", err)
	_, _, err = cs.BurnMessage(ctx, sc.ID, res[0].Message.Seq)
	must(t, "BurnMessage", err)
	if _, err := ms.File(ctx, proof.ID); err != nil {
		t.Errorf("a request's file after a secret message carrying it burned: %v", err)
	}
	_, err = ms.File(ctx, burns.ID)
	wantNotFound(t, "the burned message's other file", err)
}
