package e2e

import (
	"fmt"
	"testing"
	"time"

	"github.com/tackhq/tack/client"
	"github.com/tackhq/tack/push/pushtest"
)

// TestPushRobotMessage: a robot's message that @mentions a member (by
// user ID, or @all) is pushed to them as a person's mention would be,
// named after the robot; one that mentions nobody pushes nothing.
func TestPushRobotMessage(t *testing.T) {
	srv := pushServer(t)
	key := pushKey(t, srv)
	ctx := ctxT(t)
	owner, m1, m2 := srv.NewUser(t, "Owner"), srv.NewUser(t, "Ming"), srv.NewUser(t, "Hua")
	b1, b2 := pushtest.NewBrowser(t), pushtest.NewBrowser(t)
	subscribe(t, m1, b1)
	subscribe(t, m2, b2)
	conv := mustDo[client.Conversation](t)(owner.CreateConversation(ctx, "group", []string{m1.ID, m2.ID}, "CI"))
	var creds robotCreds
	if err := owner.Do(ctx, "POST", "/api/v1/conversations/"+string(conv.ID)+"/robots", map[string]any{"name": "Jenkins"}, &creds); err != nil {
		t.Fatal(err)
	}
	post := func(body string) {
		t.Helper()
		now := time.Now().UnixMilli()
		q := fmt.Sprintf("access_token=%s&timestamp=%d&sign=%s", creds.AccessToken, now, dingSign(creds.Secret, now))
		if a := robotPost(t, srv.URL, q, body); a.ErrCode != 0 {
			t.Fatalf("robot post: %+v", a)
		}
	}
	post(`{"msgtype":"text","text":{"content":"nobody mentioned"}}`)
	post(`{"msgtype":"text","text":{"content":"build #42 failed"},"at":{"atUserIds":["` + m1.ID + `"]}}`)
	pl, _ := nextPayload(t, b1, key)
	if pl.Type != "mention" || string(pl.SenderID) != creds.BotID || pl.SenderName != "Jenkins" || pl.ConversationID != conv.ID || pl.Body != "" {
		t.Fatalf("robot mention push = %+v", pl)
	}
	setPreviews(t, m2, true)
	post(`{"msgtype":"markdown","markdown":{"title":"发布","text":"**v2** 已上线"},"at":{"isAtAll":true}}`)
	pl, _ = nextPayload(t, b2, key)
	if pl.Type != "mention" || pl.SenderName != "Jenkins" || pl.Body == "" || pl.ConversationTitle != "CI" {
		t.Fatalf("robot @all push with previews = %+v", pl)
	}
	pl, _ = nextPayload(t, b1, key)
	if pl.Type != "mention" {
		t.Fatalf("Ming's @all push = %+v", pl)
	}
	noPushes(t, "Ming", b1)
	noPushes(t, "Hua", b2)
}
