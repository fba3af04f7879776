package attendance

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tackhq/tack"
)

// baseGroup is a valid fixed group with one place, for validation tests
// that change one thing.
func baseGroup() Group {
	return Group{ID: tack.NewID(), Name: "G", Kind: Fixed, TimeZone: "Asia/Shanghai",
		Shift: &Shift{On: "09:00", Off: "18:00"}, Workdays: []int{1, 2, 3, 4, 5},
		Places:      []Place{{Name: "HQ", Lat: 31.23, Lng: 121.47, RadiusM: 300}},
		MakeupQuota: 3, MakeupDays: 7, FieldRetentionDays: 30, Version: 1}
}

// TestGroupLimitsAreInclusive: every limit of a group's settings admits
// its bounds and refuses one step past them.
func TestGroupLimitsAreInclusive(t *testing.T) {
	places := func(n int) []Place {
		ps := make([]Place, n)
		for i := range ps {
			ps[i] = Place{Name: fmt.Sprintf("P%d", i), Lat: 31, Lng: 121}
		}
		return ps
	}
	nets := func(n int) []string {
		ns := make([]string, n)
		for i := range ns {
			ns[i] = fmt.Sprintf("10.0.%d.0/24", i)
		}
		return ns
	}
	wifi := func(n int) []WiFi {
		ws := make([]WiFi, n)
		for i := range ws {
			ws[i] = WiFi{SSID: "Office", BSSID: fmt.Sprintf("00:11:22:33:44:%02x", i)}
		}
		return ws
	}
	for _, c := range []struct {
		name string
		set  func(*Group)
		ok   bool
	}{
		{"name of 64 runes", func(g *Group) { g.Name = strings.Repeat("考", MaxNameRunes) }, true},
		{"name of 65 runes", func(g *Group) { g.Name = strings.Repeat("考", MaxNameRunes+1) }, false},
		{"Sunday is a workday", func(g *Group) { g.Workdays = []int{7} }, true},
		{"day 8", func(g *Group) { g.Workdays = []int{8} }, false},
		{"day 0", func(g *Group) { g.Workdays = []int{0} }, false},
		{"50 places", func(g *Group) { g.Places = places(MaxPlaces) }, true},
		{"51 places", func(g *Group) { g.Places = places(MaxPlaces + 1) }, false},
		{"latitude -90", func(g *Group) { g.Places[0].Lat = -90 }, true},
		{"latitude 90", func(g *Group) { g.Places[0].Lat = 90 }, true},
		{"longitude -180", func(g *Group) { g.Places[0].Lng = -180 }, true},
		{"longitude 180", func(g *Group) { g.Places[0].Lng = 180 }, true},
		{"latitude -90.01", func(g *Group) { g.Places[0].Lat = -90.01 }, false},
		{"latitude 90.01", func(g *Group) { g.Places[0].Lat = 90.01 }, false},
		{"longitude -180.01", func(g *Group) { g.Places[0].Lng = -180.01 }, false},
		{"longitude 180.01", func(g *Group) { g.Places[0].Lng = 180.01 }, false},
		{"radius 100", func(g *Group) { g.Places[0].RadiusM = MinRadiusM }, true},
		{"radius 99", func(g *Group) { g.Places[0].RadiusM = MinRadiusM - 1 }, false},
		{"radius 3000", func(g *Group) { g.Places[0].RadiusM = MaxRadiusM }, true},
		{"radius 3001", func(g *Group) { g.Places[0].RadiusM = MaxRadiusM + 1 }, false},
		{"50 networks", func(g *Group) { g.Networks = nets(MaxNetworks) }, true},
		{"51 networks", func(g *Group) { g.Networks = nets(MaxNetworks + 1) }, false},
		{"IPv4 /8", func(g *Group) { g.Networks = []string{"10.0.0.0/8"} }, true},
		{"IPv4 /7", func(g *Group) { g.Networks = []string{"10.0.0.0/7"} }, false},
		{"IPv6 /32", func(g *Group) { g.Networks = []string{"2001:db8::/32"} }, true},
		{"IPv6 /31", func(g *Group) { g.Networks = []string{"2001:db8::/31"} }, false},
		{"IPv6 /64", func(g *Group) { g.Networks = []string{"2001:db8::/64"} }, true},
		{"IPv6 address", func(g *Group) { g.Networks = []string{"2001:db8::1"} }, true},
		{"50 Wi-Fi", func(g *Group) { g.WiFi = wifi(MaxWiFi) }, true},
		{"51 Wi-Fi", func(g *Group) { g.WiFi = wifi(MaxWiFi + 1) }, false},
		{"SSID of 32", func(g *Group) { g.WiFi = []WiFi{{SSID: strings.Repeat("s", 32), BSSID: "00:11:22:33:44:55"}} }, true},
		{"SSID of 33", func(g *Group) { g.WiFi = []WiFi{{SSID: strings.Repeat("s", 33), BSSID: "00:11:22:33:44:55"}} }, false},
		{"good SSID, bad BSSID", func(g *Group) { g.WiFi = []WiFi{{SSID: "Office", BSSID: "00:11:22:33:44:5g"}} }, false},
		{"good SSID, then bad free_minutes", func(g *Group) {
			g.WiFi = []WiFi{{SSID: "Office", BSSID: "00:11:22:33:44:55"}}
			g.FreeMinutes = -1
		}, false},
		{"free_minutes 1440", func(g *Group) { g.FreeMinutes = 1440 }, true},
		{"free_minutes 1441", func(g *Group) { g.FreeMinutes = 1441 }, false},
		{"free_minutes -1", func(g *Group) { g.FreeMinutes = -1 }, false},
		{"makeup_quota 31", func(g *Group) { g.MakeupQuota = 31 }, true},
		{"makeup_quota 32", func(g *Group) { g.MakeupQuota = 32 }, false},
		{"makeup_quota 0", func(g *Group) { g.MakeupQuota = 0 }, true},
		{"makeup_quota -1", func(g *Group) { g.MakeupQuota = -1 }, false},
		{"makeup_days 62", func(g *Group) { g.MakeupDays = 62 }, true},
		{"makeup_days 63", func(g *Group) { g.MakeupDays = 63 }, false},
		{"makeup_days 0", func(g *Group) { g.MakeupDays = 0 }, true},
		{"makeup_days -1", func(g *Group) { g.MakeupDays = -1 }, false},
		{"field_retention_days 1", func(g *Group) { g.FieldRetentionDays = 1 }, true},
		{"field_retention_days 0", func(g *Group) { g.FieldRetentionDays = 0 }, false},
		{"field_retention_days 3650", func(g *Group) { g.FieldRetentionDays = 3650 }, true},
		{"field_retention_days 3651", func(g *Group) { g.FieldRetentionDays = 3651 }, false},
	} {
		g := baseGroup()
		c.set(&g)
		err := g.validate()
		if (err == nil) != c.ok {
			t.Errorf("%s: validate = %v, want ok %v", c.name, err, c.ok)
		}
	}
}

// TestGroupTimeZoneLength: a zone name of up to 64 bytes is looked up;
// a longer one is refused unread.
func TestGroupTimeZoneLength(t *testing.T) {
	// "Asia////…//Shanghai" names the file Asia/Shanghai where the
	// system's zone database is a directory.
	tz64 := "Asia" + strings.Repeat("/", 64-len("AsiaShanghai")) + "Shanghai"
	if len(tz64) != 64 {
		t.Fatalf("len %d", len(tz64))
	}
	if _, err := time.LoadLocation(tz64); err != nil {
		t.Skipf("the zone database cannot read %q: %v", tz64, err)
	}
	if _, err := validTimeZone(tz64); err != nil {
		t.Errorf("a zone name of 64 bytes: %v", err)
	}
	if _, err := validTimeZone("Asia/" + tz64); err == nil {
		t.Errorf("a zone name of 69 bytes was accepted")
	}
}

// TestFreeGroupNeedsAWayToPunch: a free-hours group, like any other,
// needs a place, a network, a Wi-Fi or field punches; any one will do.
func TestFreeGroupNeedsAWayToPunch(t *testing.T) {
	for _, c := range []struct {
		name string
		set  func(*Group)
		ok   bool
	}{
		{"nothing", func(g *Group) {}, false},
		{"a place", func(g *Group) { g.Places = []Place{{Name: "HQ", Lat: 31, Lng: 121}} }, true},
		{"a network", func(g *Group) { g.Networks = []string{"10.1.0.0/16"} }, true},
		{"a Wi-Fi", func(g *Group) { g.WiFi = []WiFi{{SSID: "Office", BSSID: "00:11:22:33:44:55"}} }, true},
		{"field punches", func(g *Group) { g.FieldPunch = true }, true},
	} {
		for _, kind := range []string{Free, Fixed} {
			g := baseGroup()
			g.Kind = kind
			g.Places = nil
			c.set(&g)
			err := g.validate()
			if (err == nil) != c.ok {
				t.Errorf("%s group with %s: validate = %v, want ok %v", kind, c.name, err, c.ok)
			}
		}
	}
}

// TestGroupShiftByKind: a free group has no shift (one given is
// dropped); a scheduled group's shift, the default of schedule entries
// that name none, is checked and completed like a fixed group's.
func TestGroupShiftByKind(t *testing.T) {
	g := baseGroup()
	g.Kind = Free
	if err := g.validate(); err != nil {
		t.Fatal(err)
	}
	if g.Shift != nil {
		t.Errorf("free group keeps shift %+v", g.Shift)
	}
	if g.FreeMinutes != DefaultFreeMinutes {
		t.Errorf("free minutes %d", g.FreeMinutes)
	}

	g = baseGroup()
	g.Kind = Scheduled
	g.Shift = &Shift{On: "9:00", Off: "18:00"}
	if err := g.validate(); err != nil {
		t.Fatal(err)
	}
	if g.Shift == nil || g.Shift.On != "09:00" || len(g.Shift.Pairs) != 1 || g.Shift.SeriousLateMinutes != DefaultSeriousLate {
		t.Errorf("scheduled group's shift %+v, want it completed", g.Shift)
	}

	g = baseGroup()
	g.Kind = Scheduled
	g.Shift = &Shift{On: "09:00"}
	if err := g.validate(); err == nil {
		t.Errorf("a scheduled group's shift without an off time was accepted")
	}

	g = baseGroup()
	g.Kind = Scheduled
	g.Shift = nil
	if err := g.validate(); err != nil || g.Shift != nil {
		t.Errorf("scheduled group without shift: %v, %+v", err, g.Shift)
	}
}

// TestBSSIDIsAMACAddress: six pairs of hex digits (either case, stored
// lower case) joined by colons.
func TestBSSIDIsAMACAddress(t *testing.T) {
	for _, c := range []struct {
		bssid string
		ok    bool
	}{
		{"09:af:00:99:aa:ff", true},
		{"09:AF:00:99:AA:FF", true},
		{" 00:11:22:33:44:55 ", true},
		{"00:11:22:33:44:5g", false},
		{"00:11:22:33:44:5/", false}, // just below '0'
		{"00:11:22:33:44:5;", false}, // just above '9' (':' is the separator)
		{"00:11:22:33:44:5`", false}, // just below 'a'
		{"00-11-22-33-44-55", false},
		{"001:1:22:33:44:55", false},
		{"00:11:22:33:44:555", false},
		{"00:11:22:33:44:5", false},
		{"zz:zz:zz:zz:zz:zz", false},
	} {
		g := baseGroup()
		g.WiFi = []WiFi{{SSID: "Office", BSSID: c.bssid}}
		err := g.validate()
		if (err == nil) != c.ok {
			t.Errorf("%q: validate = %v, want ok %v", c.bssid, err, c.ok)
		}
	}
}

// TestTextRefusesControlCharacters: names and Wi-Fi names may not hold
// control characters; text may hold line breaks.
func TestTextRefusesControlCharacters(t *testing.T) {
	for _, c := range []struct {
		s  string
		ok bool
	}{
		{"a\nb", true},
		{"a\tb", false},
		{"a\x00b", false},
		{"a\rb", false},
		{"plain", true},
	} {
		_, err := validText("x", c.s, 10)
		if (err == nil) != c.ok {
			t.Errorf("%q: %v, want ok %v", c.s, err, c.ok)
		}
	}
	if _, err := validText("x", "abc", 3); err != nil {
		t.Errorf("text of exactly the limit: %v", err)
	}
}

// TestGroupTargetsLimit: a group lists at most MaxGroupTargets members
// (or departments); duplicates count once in what is kept.
func TestGroupTargetsLimit(t *testing.T) {
	ids := make([]tack.ID, MaxGroupTargets)
	for i := range ids {
		ids[i] = tack.NewID()
	}
	got, err := validIDs("member_ids", ids)
	if err != nil || len(got) != MaxGroupTargets {
		t.Errorf("%d IDs: %d, %v", MaxGroupTargets, len(got), err)
	}
	if _, err := validIDs("member_ids", append(ids, tack.NewID())); tack.ErrorCode(err) != tack.ETooLarge {
		t.Errorf("%d IDs: %v", MaxGroupTargets+1, err)
	}
}
