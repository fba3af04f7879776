package platform_test

import (
	"testing"

	"github.com/tackhq/tack/platform"
)

// FuzzParseMessage: any robot webhook body (DingTalk's text, markdown,
// link and actionCard payloads) parses or is refused with an error, never
// a panic.
func FuzzParseMessage(f *testing.F) {
	for _, s := range []string{`{"msgtype":"text","text":{"content":"构建成功"},"at":{"atMobiles":["13800000000"],"isAtAll":false}}`,
		`{"msgtype":"markdown","markdown":{"title":"t","text":"# 标题\n- a"}}`,
		`{"msgtype":"link","link":{"title":"t","text":"x","messageUrl":"https://example.com","picUrl":""}}`,
		`{"msgtype":"actionCard","actionCard":{"title":"t","text":"x","btns":[{"title":"a","actionURL":"https://a"}]}}`,
		`{"msgtype":"feedCard"}`, `{}`, `[]`, `{"msgtype":"text","text":{"content":""}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		_, _, _ = platform.ParseMessage(body)
	})
}
