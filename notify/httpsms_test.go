package notify_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/tackhq/tack/notify"
)

func TestHTTPSMS(t *testing.T) {
	var got map[string]string
	var auth string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth = r.Header.Get("Authorization")
		json.NewDecoder(r.Body).Decode(&got)
		if got["to"] == "+15550000000" {
			http.Error(w, "no such number", http.StatusBadRequest)
		}
	}))
	defer srv.Close()
	s, err := notify.NewHTTPSMS(srv.URL+"/send", "secret-token")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SendSMS(context.Background(), "+8613812345678", "[DING] 机房停电"); err != nil {
		t.Fatal(err)
	}
	if got["to"] != "+8613812345678" || got["text"] != "[DING] 机房停电" || auth != "Bearer secret-token" {
		t.Errorf("provider got %v with %q", got, auth)
	}
	if err := s.SendSMS(context.Background(), "+15550000000", "x"); err == nil {
		t.Error("a 400 from the provider was not an error")
	}
	if _, err := notify.NewHTTPSMS("ftp://x", ""); err == nil {
		t.Error("an ftp URL was taken")
	}
}

func TestHTTPVoice(t *testing.T) {
	var got map[string]string
	var auth, path string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth, path = r.Header.Get("Authorization"), r.URL.Path
		json.NewDecoder(r.Body).Decode(&got)
		if got["to"] == "+15550000000" {
			http.Error(w, "busy", http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	v, err := notify.NewHTTPVoice(srv.URL+"/call", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Call(context.Background(), "+8613812345678", "DING: 机房停电"); err != nil {
		t.Fatal(err)
	}
	if got["to"] != "+8613812345678" || got["text"] != "DING: 机房停电" || auth != "" || path != "/call" {
		t.Errorf("provider got %v with %q at %s", got, auth, path)
	}
	if err := v.Call(context.Background(), "+15550000000", "x"); err == nil {
		t.Error("a 503 from the provider was not an error")
	}
	if _, err := notify.NewHTTPVoice("localhost:80", ""); err == nil {
		t.Error("a URL without a scheme was taken")
	}
}
