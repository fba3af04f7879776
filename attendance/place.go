package attendance

import (
	"fmt"
	"math"
	"net/netip"
	"strings"
)

// distanceM is the great-circle distance in metres between two points
// (haversine on a sphere of the Earth's mean radius; within 0.5% of the
// ellipsoid, far below a phone's accuracy).
func distanceM(lat1, lng1, lat2, lng2 float64) float64 {
	const r = 6371008.8
	rad := math.Pi / 180
	dlat := (lat2 - lat1) * rad
	dlng := (lng2 - lng1) * rad
	a := math.Sin(dlat/2)*math.Sin(dlat/2) + math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dlng/2)*math.Sin(dlng/2)
	return 2 * r * math.Asin(math.Min(1, math.Sqrt(a)))
}

// Position is what a client reports: coordinates with their accuracy, the
// request's network address, and what a native client says of Wi-Fi.
type Position struct {
	Lat, Lng  *float64
	AccuracyM *float64
	// ClientIP is the address the request came from (as the API edge
	// determined it).
	ClientIP string
	// BSSID of the access point a native client is connected to (client-
	// reported; the web cannot read it).
	BSSID string
	SSID  string
}

// match is where a punch was judged to be.
type match struct {
	inside         bool
	via            string // place, network, wifi, field
	place          string
	distanceM      *int // rounded
	clientReported bool
	nearest        string
	nearestM       float64
}

func roundDistance(d float64) *int {
	n := int(math.Round(d/DistanceRoundingM) * DistanceRoundingM)
	return &n
}

// locate judges a position against the group's places, networks and
// access points. A place match wins (it gives a distance), then an office
// network, then a client-reported access point.
func locate(g Group, pos Position) match {
	m := match{nearestM: math.Inf(1)}
	if pos.Lat != nil && pos.Lng != nil {
		best := -1
		for i, p := range g.Places {
			d := distanceM(*pos.Lat, *pos.Lng, p.Lat, p.Lng)
			if d < m.nearestM {
				m.nearestM, m.nearest = d, p.Name
			}
			if d <= float64(p.RadiusM) && (best < 0 || d < distanceM(*pos.Lat, *pos.Lng, g.Places[best].Lat, g.Places[best].Lng)) {
				best = i
			}
		}
		if best >= 0 {
			p := g.Places[best]
			d := distanceM(*pos.Lat, *pos.Lng, p.Lat, p.Lng)
			return match{inside: true, via: "place", place: p.Name, distanceM: roundDistance(d)}
		}
	}
	if a, err := netip.ParseAddr(strings.TrimSpace(pos.ClientIP)); err == nil {
		a = a.Unmap()
		for _, n := range g.Networks {
			if pf, err := netip.ParsePrefix(n); err == nil && pf.Contains(a) {
				return match{inside: true, via: "network", place: "office network " + n}
			}
		}
	}
	if b := strings.ToLower(strings.TrimSpace(pos.BSSID)); b != "" {
		for _, w := range g.WiFi {
			if w.BSSID == b {
				return match{inside: true, via: "wifi", place: "Wi-Fi " + w.SSID, clientReported: true}
			}
		}
	}
	return m
}

// outsideMessage says how far the nearest place is.
func outsideMessage(g Group, m match, hasPosition bool) string {
	if !hasPosition && len(g.Places) > 0 {
		return "you are not on an office network; send your position to punch at a place"
	}
	if m.nearest == "" {
		return "you are not on an office network of your attendance group"
	}
	for _, p := range g.Places {
		if p.Name == m.nearest {
			return fmt.Sprintf("you are outside the punch area: %s is %s away (its radius is %d m)", p.Name, fmtDistance(m.nearestM), p.RadiusM)
		}
	}
	return "you are outside the punch area"
}

func fmtDistance(d float64) string {
	if d < 1000 {
		return fmt.Sprintf("%d m", int(math.Round(d)))
	}
	return fmt.Sprintf("%.1f km", d/1000)
}
