package leave

import "testing"

func TestAmountBoundaries(t *testing.T) {
	for in, want := range map[string]Amount{
		"0": 0, "9": 900, "4.5": 450, "0.25": 25, "-1": -100, "-0.05": -5,
		"000000001": 100, "1000000": MaxAmount, "999999.99": MaxAmount - 1,
	} {
		if got, err := ParseAmount(in); err != nil || got != want {
			t.Errorf("ParseAmount(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{
		"", "-", "1.", ".5", "1.234", "0000000001", "1000000.01", "/", ":", "1:", "1e3", "１",
	} {
		if got, err := ParseAmount(in); err == nil {
			t.Errorf("ParseAmount(%q) = %d, want refused", in, got)
		}
	}
	for a, want := range map[Amount]string{0: "0", 5: "0.05", 10: "0.1", 99: "0.99", 100: "1", 450: "4.5", -25: "-0.25", -300: "-3"} {
		if got := a.String(); got != want {
			t.Errorf("Amount(%d).String() = %q, want %q", int64(a), got, want)
		}
	}
	if Days(3) != 300 {
		t.Errorf("Days(3) = %d", Days(3))
	}
}
