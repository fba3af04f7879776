package nats

import (
	"reflect"
	"testing"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/bus"
)

func TestWireRoundTrip(t *testing.T) {
	tests := []*bus.Event{
		{Kind: bus.Typing},
		{Kind: bus.Message, ConversationID: "c1", Mod: 1 << 40, Payload: []byte(`{"text":"会议 ok"}`), Origin: "n1"},
		{Kind: bus.Read, Users: []tack.ID{"a", "b", ""}, Subject: "s", Action: "x", Mod: -3, Origin: "n2"},
		{Kind: bus.Member, Users: []tack.ID{}, Payload: []byte{}, Origin: "n3"},
	}
	for _, e := range tests {
		data := appendEvent(nil, e, e.Origin)
		if len(data) > encodedSize(e, e.Origin) {
			t.Errorf("%+v: encoded %d bytes, estimated %d", e, len(data), encodedSize(e, e.Origin))
		}
		got, err := decodeEvent(data)
		if err != nil {
			t.Fatalf("%+v: %v", e, err)
		}
		want := *e
		if len(want.Users) == 0 {
			want.Users = nil
		}
		if len(want.Payload) == 0 {
			want.Payload = nil
		}
		if !reflect.DeepEqual(*got, want) {
			t.Errorf("round trip:\n got %+v\nwant %+v", *got, want)
		}
		// Every truncation but the payload's is an error, never a panic.
		for i := 0; i < len(data)-len(e.Payload); i++ {
			if _, err := decodeEvent(data[:i]); err == nil {
				t.Errorf("%+v: truncated to %d bytes decoded without error", e, i)
			}
		}
	}
	if _, err := decodeEvent([]byte{2, 0}); err == nil {
		t.Error("unknown version decoded")
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(appendEvent(nil, &bus.Event{Kind: "message", Users: []tack.ID{"u"}, Payload: []byte("{}")}, "o"))
	f.Add([]byte{1, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := decodeEvent(data)
		if err != nil {
			return
		}
		again, err := decodeEvent(appendEvent(nil, e, e.Origin))
		if err != nil || !reflect.DeepEqual(e, again) {
			t.Fatalf("re-encoding %+v gave %+v, %v", e, again, err)
		}
	})
}

// BenchmarkEncode encodes and decodes an event with a 300-byte payload in
// the wire format (compare with BenchmarkJSON in nats_test.go).
func BenchmarkEncode(b *testing.B) {
	e := &bus.Event{Kind: bus.Message, ConversationID: tack.NewID(), Users: []tack.ID{tack.NewID(), tack.NewID()},
		Subject: tack.NewID(), Action: "added", Mod: 1, Payload: make([]byte, 300), Origin: string(tack.NewID())}
	b.ReportAllocs()
	var size int
	for i := 0; i < b.N; i++ {
		data := appendEvent(make([]byte, 0, encodedSize(e, e.Origin)), e, e.Origin)
		if _, err := decodeEvent(data); err != nil {
			b.Fatal(err)
		}
		size = len(data)
	}
	b.ReportMetric(float64(size), "bytes/event")
}
