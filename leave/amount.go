package leave

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/tackhq/tack"
)

// Amount is an exact quantity of leave in hundredths of its unit's
// measure (days for day and half-day leave, hours for hourly leave): 450
// is 4.5 days. It is written in JSON as a decimal number (4.5) and read
// from a number or a string with at most two decimals; never through a
// float.
type Amount int64

// MaxAmount bounds every amount and balance (a million days or hours).
const MaxAmount Amount = 100_000_000

// Days returns n whole units as an Amount.
func Days(n int) Amount { return Amount(n) * 100 }

// String is the amount as a decimal: "4.5", "-0.25", "3".
func (a Amount) String() string {
	neg := a < 0
	if neg {
		a = -a
	}
	s := strconv.FormatInt(int64(a/100), 10)
	if f := a % 100; f != 0 {
		fs := strconv.FormatInt(int64(f)+100, 10)[1:]
		s += "." + strings.TrimRight(fs, "0")
	}
	if neg {
		s = "-" + s
	}
	return s
}

// MarshalJSON writes the amount as a JSON number.
func (a Amount) MarshalJSON() ([]byte, error) { return []byte(a.String()), nil }

// UnmarshalJSON reads a JSON number or string such as 4.5 or "4.5".
func (a *Amount) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		b = []byte(s)
	}
	v, err := ParseAmount(string(b))
	if err != nil {
		return err
	}
	*a = v
	return nil
}

// ParseAmount reads a decimal with at most two decimals, such as "4.5",
// "-1" or "0.25". Exponents, more decimals and values past MaxAmount are
// refused.
func ParseAmount(s string) (Amount, error) {
	bad := func() (Amount, error) {
		return 0, tack.Invalid("amount", "%q is not an amount like 4.5 (at most two decimals)", clip(s))
	}
	if len(s) > 64 {
		return bad()
	}
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	whole, frac, dot := strings.Cut(s, ".")
	if whole == "" || len(whole) > 9 || dot && (frac == "" || len(frac) > 2) {
		return bad()
	}
	for _, c := range whole + frac {
		if c < '0' || c > '9' {
			return bad()
		}
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return bad()
	}
	v := Amount(w) * 100
	if frac != "" {
		f, _ := strconv.ParseInt((frac + "0")[:2], 10, 64)
		v += Amount(f)
	}
	if v > MaxAmount {
		return 0, tack.Invalid("amount", "an amount is at most %s", MaxAmount)
	}
	if neg {
		v = -v
	}
	return v, nil
}

func clip(s string) string {
	if len(s) > 20 {
		return s[:20] + "…"
	}
	return s
}
