package update

import (
	"fmt"
	"strconv"
	"strings"
)

// Version is a release version MAJOR.MINOR.PATCH, each part a decimal
// number without leading zeros. The zero Version is "no version" (the
// factory binary has whatever version the image says).
type Version struct{ Major, Minor, Patch uint32 }

// ParseVersion reads "1.4.0". Anything else (a v prefix, a suffix, a
// leading zero, a missing part, 0.0.0) is an error.
func ParseVersion(s string) (Version, error) {
	parts := strings.Split(s, ".")
	if len(s) > 32 || len(parts) != 3 {
		return Version{}, fmt.Errorf("update: version %q is not MAJOR.MINOR.PATCH", clip(s))
	}
	var n [3]uint32
	for i, p := range parts {
		if p == "" || (len(p) > 1 && p[0] == '0') || strings.TrimLeft(p, "0123456789") != "" {
			return Version{}, fmt.Errorf("update: version %q is not MAJOR.MINOR.PATCH", clip(s))
		}
		v, err := strconv.ParseUint(p, 10, 32)
		if err != nil {
			return Version{}, fmt.Errorf("update: version %q: part %q is too large", clip(s), p)
		}
		n[i] = uint32(v)
	}
	if n == [3]uint32{} {
		// The zero Version means "no version" and is written "": a
		// release is above 0.0.0.
		return Version{}, fmt.Errorf("update: version 0.0.0 is not a release version")
	}
	return Version{n[0], n[1], n[2]}, nil
}

func (v Version) String() string {
	if v.IsZero() {
		return ""
	}
	return fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch)
}

// IsZero reports whether v is no version.
func (v Version) IsZero() bool { return v == Version{} }

// Compare returns -1, 0 or 1 as v is below, equal to or above w.
func (v Version) Compare(w Version) int {
	for _, d := range [][2]uint32{{v.Major, w.Major}, {v.Minor, w.Minor}, {v.Patch, w.Patch}} {
		if d[0] < d[1] {
			return -1
		}
		if d[0] > d[1] {
			return 1
		}
	}
	return 0
}

// MarshalText writes the dotted form.
func (v Version) MarshalText() ([]byte, error) { return []byte(v.String()), nil }

// UnmarshalText reads the dotted form; the empty string is the zero Version.
func (v *Version) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*v = Version{}
		return nil
	}
	w, err := ParseVersion(string(b))
	if err != nil {
		return err
	}
	*v = w
	return nil
}

func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}
