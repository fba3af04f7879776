package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"testing"

	"github.com/tackhq/tack"
)

// FuzzDecode: any request body decodes into a send, or fails with a
// *tack.Error (a JSON error with a code), never a panic or a bare error.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{`{"client_id":"a","text":"你好","mentions":["x"],"reply_to":3}`, `{}`, ``, `[]`, `{"text":1}`,
		`{"attachments":["a","b"],"burn_after_s":30}`, `{"a":1} {"b":2}`, `{"text":"\ud800"}`, `nul`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var in sendIn
		err := decode(httptest.NewRequest("POST", "/", bytes.NewReader(body)), &in)
		var te *tack.Error
		if err != nil && !errors.As(err, &te) {
			t.Fatalf("decode(%q): %T %v, want a *tack.Error", body, err, err)
		}
		if err == nil {
			_ = in.draft()
		}
	})
}

// FuzzStreamFrame: any frame a client sends parses as a clientFrame or is
// refused as malformed JSON; a parsed one gives a draft without panicking,
// and its reply to a bad frame is JSON.
func FuzzStreamFrame(f *testing.F) {
	for _, s := range []string{`{"type":"send","id":"1","conversation_id":"c","client_id":"x","text":"hi"}`, `{"type":"read","conversation_id":"c","seq":5}`,
		`{"type":"hello","cursors":{"c":3}}`, `{"type":"ping"}`, `{"type":1}`, `{"cursors":{"":-1}}`, `"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var fr clientFrame
		if err := json.Unmarshal(b, &fr); err != nil {
			return
		}
		_ = fr.draft()
		out := errFrame(fr.ID, tack.Invalid("type", "unknown frame type %q", fr.Type))
		if !json.Valid(out) {
			t.Fatalf("reply to %q is not JSON: %s", b, out)
		}
	})
}
