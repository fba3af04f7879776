package web

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math"
)

// The app icon, as static/assets/icon.svg draws it on a 32-unit grid: a
// rounded square of the accent colour with a white "T" (two strokes with
// round caps). Phones want PNGs for the home screen, so the same shapes are
// drawn here at start-up from their signed distances (smooth edges in one
// evaluation per pixel, a few milliseconds): no image files to keep in step
// with the SVG, no tool to run.
var (
	iconAccent = color.NRGBA{0x0e, 0x74, 0x90, 0xff}
	iconStroke = 3.5
	// The T's strokes, from (x1, y1) to (x2, y2).
	iconStrokes = [][4]float64{{9, 10, 23, 10}, {16, 10, 16, 23}}
)

// iconPNG draws the icon size pixels square. A maskable icon fills the
// whole square (the phone cuts its own shape) and keeps the T inside the
// central circle of 80% that every mask leaves visible; the plain one has
// the SVG's rounded corners.
func iconPNG(size int, maskable bool) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	unit := float64(size) / 32 // pixels per unit of the 32-unit grid
	radius := 8.0
	glyph := 1.0 // the T's scale about the centre
	if maskable {
		radius, glyph = 0, 0.8
	}
	// cover turns a signed distance in units (negative inside) into the
	// share of a pixel inside the shape.
	cover := func(d float64) float64 { return math.Min(1, math.Max(0, 0.5-d*unit)) }
	for py := 0; py < size; py++ {
		for px := 0; px < size; px++ {
			x, y := (float64(px)+0.5)/unit, (float64(py)+0.5)/unit
			a := cover(roundedSquareDist(x, y, radius))
			if a == 0 {
				continue
			}
			t := cover(strokesDist(16+(x-16)/glyph, 16+(y-16)/glyph) * glyph) // white over the accent
			mix := func(c uint8) uint8 { return uint8(math.Round(float64(c)*(1-t) + 255*t)) }
			img.SetNRGBA(px, py, color.NRGBA{mix(iconAccent.R), mix(iconAccent.G), mix(iconAccent.B), uint8(math.Round(255 * a))})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		panic(err) // encoding to memory does not fail
	}
	return buf.Bytes()
}

// roundedSquareDist is the signed distance from (x, y) to the edge of the
// 32-unit square with corners of radius r.
func roundedSquareDist(x, y, r float64) float64 {
	qx := math.Abs(x-16) - (16 - r)
	qy := math.Abs(y-16) - (16 - r)
	out := math.Hypot(math.Max(qx, 0), math.Max(qy, 0))
	return out + math.Min(math.Max(qx, qy), 0) - r
}

// strokesDist is the signed distance from (x, y) to the T: within half a
// stroke width of one of its segments (which gives the round caps).
func strokesDist(x, y float64) float64 {
	d := math.Inf(1)
	for _, s := range iconStrokes {
		dx, dy := s[2]-s[0], s[3]-s[1]
		t := ((x-s[0])*dx + (y-s[1])*dy) / (dx*dx + dy*dy)
		t = math.Min(1, math.Max(0, t))
		d = math.Min(d, math.Hypot(x-(s[0]+t*dx), y-(s[1]+t*dy)))
	}
	return d - iconStroke/2
}
