package attendance

import (
	"math"
	"strings"
	"testing"

	"github.com/tackhq/tack"
)

// TestDistanceOnTheSphere: distances east-west shrink with the cosine of
// the latitude, and a diagonal adds both components (haversine values
// worked out independently).
func TestDistanceOnTheSphere(t *testing.T) {
	for _, c := range []struct {
		name                   string
		lat1, lng1, lat2, lng2 float64
		want                   float64
	}{
		// 0.01° of longitude on the equator is r·π/180·0.01.
		{"equator east", 0, 10, 0, 10.01, 1111.95},
		// At 60° it is half that.
		{"60° east", 60, 10, 60, 10.01, 555.97},
		{"60° west", 60, 10.01, 60, 10, 555.97},
		// Across a latitude difference the cosines of both ends count.
		{"diagonal", 59.99, 10, 60.01, 10.02, 2486.40},
		// People's Square, Shanghai, to Tiananmen, Beijing.
		{"Shanghai to Beijing", 31.2304, 121.4737, 39.9042, 116.4074, 1067_311.6},
	} {
		got := distanceM(c.lat1, c.lng1, c.lat2, c.lng2)
		if math.Abs(got-c.want) > math.Max(1, c.want*2e-6) {
			t.Errorf("%s: %.2f m, want %.2f m", c.name, got, c.want)
		}
	}
}

// rcOnEdge finds a place near (lat, lng) and a position north-east of it
// (0.001° east) exactly radius metres away as distanceM computes it
// (searching the floats near it), so that the edge of a punch area can be
// tested on any platform. It returns the place's latitude and the
// position's latitude and longitude.
func rcOnEdge(t *testing.T, lat, lng float64, radius int) (plat, posLat, posLng float64) {
	t.Helper()
	want := float64(radius)
	posLng = lng + 0.001
	for k := 0; k < 200000; k++ {
		plat := lat + float64(k)*1e-9
		// The distance grows with the position's latitude north of the
		// place: bisect on floats.
		lo, hi := plat, plat+2*want/(6371008.8*math.Pi/180)
		for lo < hi {
			mid := lo + (hi-lo)/2
			if mid == lo || mid == hi {
				break
			}
			if distanceM(plat, lng, mid, posLng) < want {
				lo = mid
			} else {
				hi = mid
			}
		}
		for _, x := range []float64{lo, hi} {
			if distanceM(plat, lng, x, posLng) == want {
				return plat, x, posLng
			}
		}
	}
	t.Skip("no float position exactly on the edge found")
	return 0, 0, 0
}

// TestPlaceEdgeIsInside: a position exactly on the circle of a place's
// radius is inside the place.
func TestPlaceEdgeIsInside(t *testing.T) {
	lng := 121.4737
	plat, lat, plng := rcOnEdge(t, 31.2304, lng, 300)
	g := Group{Places: []Place{{Name: "HQ", Lat: plat, Lng: lng, RadiusM: 300}}}
	m := locate(g, Position{Lat: &lat, Lng: &plng})
	if !m.inside || m.via != "place" || m.place != "HQ" || *m.distanceM != 300 {
		t.Errorf("on the edge: %+v", m)
	}
}

// TestNearerPlaceWins: inside two overlapping places the punch is at the
// nearer one, whichever is listed first; at equal distances the first
// listed counts (both for a match and for naming the nearest place).
func TestNearerPlaceWins(t *testing.T) {
	lat, lng := 31.2304, 121.4737
	near := Place{Name: "Near", Lat: lat + 0.001, Lng: lng, RadiusM: 500}   // ~111 m
	far := Place{Name: "Far", Lat: lat - 0.002, Lng: lng, RadiusM: 500}     // ~222 m
	north := Place{Name: "North", Lat: lat + 0.002, Lng: lng, RadiusM: 500} // as far as Far
	for _, c := range []struct {
		name   string
		places []Place
		want   string
	}{
		{"nearer first", []Place{near, far}, "Near"},
		{"nearer second", []Place{far, near}, "Near"},
		{"nearer between", []Place{far, near, north}, "Near"},
		{"tie, south first", []Place{far, north}, "Far"},
		{"tie, north first", []Place{north, far}, "North"},
	} {
		m := locate(Group{Places: c.places}, Position{Lat: &lat, Lng: &lng})
		if !m.inside || m.place != c.want {
			t.Errorf("%s: %+v, want inside %s", c.name, m, c.want)
		}
	}
	// Outside both: the nearest named is the first of two as near.
	for _, c := range []struct {
		places []Place
		want   string
	}{
		{[]Place{{Name: "S", Lat: lat - 0.01, Lng: lng, RadiusM: 100}, {Name: "N", Lat: lat + 0.01, Lng: lng, RadiusM: 100}}, "S"},
		{[]Place{{Name: "N", Lat: lat + 0.01, Lng: lng, RadiusM: 100}, {Name: "S", Lat: lat - 0.01, Lng: lng, RadiusM: 100}}, "N"},
	} {
		g := Group{Places: c.places}
		m := locate(g, Position{Lat: &lat, Lng: &lng})
		if m.inside || m.nearest != c.want {
			t.Errorf("outside %v: %+v, want nearest %s", c.places, m, c.want)
		}
		if msg := outsideMessage(g, m, true); !strings.HasPrefix(msg, "you are outside the punch area: "+c.want+" is 1.1 km away") {
			t.Errorf("message %q", msg)
		}
	}
}

// TestOutsideMessageWithoutPosition: without a position a group with
// places asks for it; a group with office networks only says the caller
// is not on one.
func TestOutsideMessageWithoutPosition(t *testing.T) {
	withPlaces := Group{Places: []Place{{Name: "HQ", Lat: 31.2304, Lng: 121.4737, RadiusM: 300}}, Networks: []string{"10.1.0.0/16"}}
	networksOnly := Group{Networks: []string{"10.1.0.0/16"}}
	for _, c := range []struct {
		name string
		g    Group
		want string
	}{
		{"places", withPlaces, "you are not on an office network; send your position to punch at a place"},
		{"networks only", networksOnly, "you are not on an office network of your attendance group"},
	} {
		m := locate(c.g, Position{ClientIP: "192.0.2.1"})
		if m.inside {
			t.Fatalf("%s: inside %+v", c.name, m)
		}
		if got := outsideMessage(c.g, m, false); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}

// TestDistanceFormat: metres below a kilometre, kilometres from 1000 m on.
func TestDistanceFormat(t *testing.T) {
	for _, c := range []struct {
		d    float64
		want string
	}{
		{0, "0 m"}, {999.4, "999 m"}, {999.6, "1000 m"}, {1000, "1.0 km"}, {1049, "1.0 km"}, {1051, "1.1 km"}, {12345, "12.3 km"},
	} {
		if got := fmtDistance(c.d); got != c.want {
			t.Errorf("%v: %q, want %q", c.d, got, c.want)
		}
	}
}

// TestPunchInputRules: accuracy from 0 to MaxAccuracyM metres is
// accepted; every field is checked (a valid note does not let a bad SSID
// or BSSID through, nor a valid SSID a bad BSSID).
func TestPunchInputRules(t *testing.T) {
	lat, lng := 31.2304, 121.4737
	acc := func(a float64) *float64 { return &a }
	for _, c := range []struct {
		name  string
		in    PunchInput
		field string // "" accepted
	}{
		{"perfect accuracy", PunchInput{Position: Position{Lat: &lat, Lng: &lng, AccuracyM: acc(0)}}, ""},
		{"accuracy at the limit", PunchInput{Position: Position{Lat: &lat, Lng: &lng, AccuracyM: acc(MaxAccuracyM)}}, ""},
		{"accuracy over the limit", PunchInput{Position: Position{Lat: &lat, Lng: &lng, AccuracyM: acc(MaxAccuracyM + 0.5)}}, "accuracy_m"},
		{"negative accuracy", PunchInput{Position: Position{Lat: &lat, Lng: &lng, AccuracyM: acc(-0.5)}}, "accuracy_m"},
		{"all good", PunchInput{Position: Position{SSID: "Office", BSSID: "00:11:22:33:44:55"}, Note: "hi"}, ""},
		{"note fine, ssid too long", PunchInput{Position: Position{SSID: strings.Repeat("s", 33)}, Note: "hi"}, "ssid"},
		{"note fine, bad bssid", PunchInput{Position: Position{BSSID: "nope"}, Note: "hi"}, "bssid"},
		{"ssid fine, bad bssid", PunchInput{Position: Position{SSID: "Office", BSSID: "00:11:22:33:44"}}, "bssid"},
	} {
		err := c.in.validate()
		var te *tack.Error
		switch {
		case c.field == "" && err != nil:
			t.Errorf("%s: %v, want accepted", c.name, err)
		case c.field != "" && (err == nil || !asError(err, &te) || te.Field != c.field):
			t.Errorf("%s: %v, want an error on %s", c.name, err, c.field)
		}
	}
}

// TestPunchBeforeMidnightForTomorrow: a punch late in the evening in the
// window of tomorrow's early shift counts for tomorrow.
func TestPunchBeforeMidnightForTomorrow(t *testing.T) {
	loc := mustLoc(t, "Asia/Shanghai")
	g := fixedGroup(t, "Asia/Shanghai", Shift{On: "01:00", Off: "08:00"}) // on-duty window opens 23:00 the day before
	d := date("2026-03-04")                                               // a Wednesday
	plans := []Plan{planFor(g, d.AddDate(0, 0, -1), nil, nil, nil), planFor(g, d, nil, nil, nil), planFor(g, d.AddDate(0, 0, 1), nil, nil, nil)}
	if i, err := chooseDate(plans, at(loc, "2026-03-04 23:30:00")); i != 2 || err != nil {
		t.Errorf("23:30: day %d (%v), want tomorrow", i, err)
	}
	if _, err := chooseDate(plans, at(loc, "2026-03-04 22:30:00")); tack.ErrorCode(err) != ENotInWindow {
		t.Errorf("22:30: %v, want not in window", err)
	}
	// Tomorrow a rest day: nothing opens before midnight.
	fri := date("2026-03-06")
	plans = []Plan{planFor(g, fri.AddDate(0, 0, -1), nil, nil, nil), planFor(g, fri, nil, nil, nil), planFor(g, fri.AddDate(0, 0, 1), nil, nil, nil)}
	if _, err := chooseDate(plans, at(loc, "2026-03-06 23:30:00")); tack.ErrorCode(err) != ENotInWindow {
		t.Errorf("Friday 23:30: %v, want not in window", err)
	}
}

// TestRangeLength: a range may span MaxRangeDays days (to − from of
// MaxRangeDays−1 days), not one more.
func TestRangeLength(t *testing.T) {
	from := date("2026-01-01")
	if _, _, err := checkRange("2026-01-01", dateString(from.AddDate(0, 0, MaxRangeDays-1))); err != nil {
		t.Errorf("%d days: %v", MaxRangeDays, err)
	}
	if _, _, err := checkRange("2026-01-01", dateString(from.AddDate(0, 0, MaxRangeDays))); tack.ErrorCode(err) != tack.EInvalid {
		t.Errorf("%d days: %v, want invalid", MaxRangeDays+1, err)
	}
}
