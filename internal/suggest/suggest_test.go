package suggest

import "testing"

func TestClosest(t *testing.T) {
	for _, tc := range []struct {
		s    string
		cand []string
		want string
	}{
		{"Pets", []string{"Pet", "Owner"}, "Pet"},
		{"ouput", []string{"output", "package", "spec"}, "output"},
		{"PET", []string{"pet"}, "pet"},
		{"Completely", []string{"Pet", "Owner"}, ""},
		{"", []string{"a"}, "a"},
		{"x", nil, ""},
	} {
		if got := Closest(tc.s, tc.cand); got != tc.want {
			t.Errorf("Closest(%q, %q) = %q, want %q", tc.s, tc.cand, got, tc.want)
		}
	}
	if d := Distance("kitten", "sitting"); d != 3 {
		t.Errorf("Distance = %d", d)
	}
	if d := Distance("héllo", "hello"); d != 1 {
		t.Errorf("Distance counts bytes, not runes: %d", d)
	}
}
