package promote

import "testing"

// FuzzCompare: Compare is an order on the versions it accepts: a version
// equals itself, and swapping the arguments flips the sign.
func FuzzCompare(f *testing.F) {
	f.Add("1.2.3", "1.10.0")
	f.Add("0.0.1-dev.20260102T030405.abc1234", "0.0.1")
	f.Add("v1.0.0+build.1", "1.0.0")
	f.Add("x", "1.0.0")
	f.Fuzz(func(t *testing.T, a, b string) {
		ab, errA := Compare(a, b)
		ba, errB := Compare(b, a)
		if (errA == nil) != (errB == nil) {
			t.Fatalf("Compare(%q, %q) err %v, swapped err %v", a, b, errA, errB)
		}
		if errA != nil {
			return
		}
		if ab != -ba {
			t.Fatalf("Compare(%q, %q) = %d but Compare(%q, %q) = %d", a, b, ab, b, a, ba)
		}
		if aa, err := Compare(a, a); err != nil || aa != 0 {
			t.Fatalf("Compare(%q, %q) = %d, %v", a, a, aa, err)
		}
	})
}
