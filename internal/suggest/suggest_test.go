package suggest

import (
	"testing"
)

func TestClosest(t *testing.T) {
	syscalls := []string{"open", "openat", "openat2", "opendir", "process_vm_readv", "process_vm_writev", "read", "readv", "connect"}
	tests := []struct {
		name, in   string
		candidates []string
		want       string
	}{
		{"deletion", "opnat", syscalls, "openat"},
		{"insertion", "opennat", syscalls, "openat"},
		{"substitution", "opebat", syscalls, "openat"},
		{"transposition", "oepnat", syscalls, "openat"},
		{"case", "OPENAT", syscalls, "openat"},
		{"exact", "openat", syscalls, "openat"},
		{"long name two typos", "proces_vm_redv", syscalls, "process_vm_readv"},
		{"errno", "EPRM", []string{"EPERM", "ENOENT"}, "EPERM"},
		{"constant", "AF_UNXI", []string{"AF_INET", "AF_UNIX", "AF_UNSPEC"}, "AF_UNIX"},
		{"group", "@fle-open", []string{"@file-open", "@file-system"}, "@file-open"},
		{"distant word", "banana", syscalls, ""},
		{"too many typos", "opnt", syscalls, ""},
		{"one letter", "x", []string{"y"}, ""},
		{"empty", "", []string{"a"}, ""},
		{"no candidates", "openat", nil, ""},
		{"tie picks smaller", "ab", []string{"ac", "aa"}, "aa"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Closest(tt.in, tt.candidates); got != tt.want {
				t.Errorf("Closest(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestSuggestEditDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"abc", "", 3},
		{"kitten", "sitting", 3},
		{"ab", "ba", 1},
		{"openat", "opnat", 1},
		{"ca", "abc", 3}, // optimal string alignment, not full Damerau
	}
	for _, tt := range tests {
		if got := editDistance([]rune(tt.a), []rune(tt.b), 100); got != tt.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
		if got := editDistance([]rune(tt.a), []rune(tt.b), 1); got > 1 || (tt.want < 1 && got != tt.want) {
			t.Errorf("editDistance(%q, %q, bound 1) = %d", tt.a, tt.b, got)
		}
	}
}
