package plural

import "testing"

func TestOf(t *testing.T) {
	for _, tc := range []struct {
		n    int
		want string
	}{{0, "0 kinds of call"}, {1, "1 kind of call"}, {2, "2 kinds of call"}} {
		if got := Of(tc.n, "kind of call", "kinds of call"); got != tc.want {
			t.Errorf("Of(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}
}
