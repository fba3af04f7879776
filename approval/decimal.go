package approval

import (
	"strconv"
	"strings"
)

// Decimal is an exact decimal number with at most four decimals (money
// has at most two), kept as ten-thousandths in an int64: numbers and
// money in forms never pass through a float.
type Decimal int64

const (
	decimalScale = 10000
	// MaxDecimalDigits bounds the whole part (±99,999,999,999,999).
	MaxDecimalDigits = 14
	maxDecimal       = Decimal(99_999_999_999_999*decimalScale + 9999)
)

// ParseDecimal reads "-12.5", "5000", "0.0001" with at most places
// decimals. No exponent, no spaces, no leading "+", no empty parts.
func ParseDecimal(s string, places int) (Decimal, bool) {
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	whole, frac, dot := strings.Cut(s, ".")
	if whole == "" || len(whole) > MaxDecimalDigits || dot && (frac == "" || len(frac) > places) {
		return 0, false
	}
	for i := 0; i < len(whole); i++ {
		if whole[i] < '0' || whole[i] > '9' {
			return 0, false
		}
	}
	for i := 0; i < len(frac); i++ {
		if frac[i] < '0' || frac[i] > '9' {
			return 0, false
		}
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return 0, false
	}
	d := Decimal(w) * decimalScale
	if frac != "" {
		f, _ := strconv.ParseInt((frac + "0000")[:4], 10, 64)
		d += Decimal(f)
	}
	if neg {
		d = -d
	}
	return d, true
}

// Format writes d with at least places decimals (trailing zeros beyond
// them trimmed).
func (d Decimal) Format(places int) string {
	neg := d < 0
	if neg {
		d = -d
	}
	s := strconv.FormatInt(int64(d/decimalScale), 10)
	frac := strconv.FormatInt(int64(d%decimalScale)+decimalScale, 10)[1:]
	frac = strings.TrimRight(frac, "0")
	for len(frac) < places {
		frac += "0"
	}
	if frac != "" {
		s += "." + frac
	}
	if neg && d != 0 {
		s = "-" + s
	}
	return s
}

func (d Decimal) String() string { return d.Format(0) }

// Add returns d+e and whether it stayed within bounds.
func (d Decimal) Add(e Decimal) (Decimal, bool) {
	r := d + e
	return r, r <= maxDecimal && r >= -maxDecimal
}

// Number is a form number: a Decimal written as a JSON number.
type Number Decimal

// MarshalJSON writes a JSON number.
func (n Number) MarshalJSON() ([]byte, error) { return []byte(Decimal(n).Format(0)), nil }

// Money is a form amount of money: a Decimal with two decimals, written as
// a JSON string ("5000.00") so that no client reads it into a float.
type Money Decimal

// MarshalJSON writes a JSON string with two decimals.
func (m Money) MarshalJSON() ([]byte, error) { return []byte(`"` + Decimal(m).Format(2) + `"`), nil }
