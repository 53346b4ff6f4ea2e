package rules

import (
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/oci-sbx/oci-sbx/convert/syscalls"
)

func TestGroupMembersAreSyscalls(t *testing.T) {
	for _, g := range Groups() {
		if !strings.HasPrefix(g, "@") {
			t.Errorf("group %q does not start with @", g)
		}
		if GroupDescription(g) == "" {
			t.Errorf("group %s has no description", g)
		}
		for _, m := range groups[g].members {
			if strings.HasPrefix(m, "@") {
				if _, ok := groups[m]; !ok {
					t.Errorf("group %s includes unknown group %s", g, m)
				}
				continue
			}
			if !syscalls.IsSyscall(m) {
				t.Errorf("group %s: %q is not a syscall on any architecture", g, m)
			}
		}
		members, err := GroupMembers(g, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(members) == 0 {
			t.Errorf("group %s is empty", g)
		}
		if !sort.StringsAreSorted(members) || len(slices.Compact(slices.Clone(members))) != len(members) {
			t.Errorf("group %s: members not sorted and unique: %v", g, members)
		}
	}
}

func TestGroupMembers(t *testing.T) {
	tests := []struct {
		name    string
		group   string
		arches  []string
		include []string
		exclude []string
	}{
		{"file-open aarch64", "@file-open", []string{"aarch64"},
			[]string{"openat", "openat2", "open_by_handle_at", "io_uring_setup"}, []string{"open", "creat", "name_to_handle_at"}},
		{"file-open x86_64", "@file-open", []string{"x86_64"},
			[]string{"open", "creat", "openat", "openat2", "open_by_handle_at"}, nil},
		{"file-open any", "@file-open", nil,
			[]string{"open", "creat", "openat"}, nil},
		{"file-open aarch64 with arm", "@file-open", []string{"aarch64", "arm"},
			[]string{"open", "creat", "openat"}, nil},
		{"network-connect i386", "@network-connect", []string{"x86"},
			[]string{"connect", "sendto", "sendmsg", "sendmmsg", "socketcall", "io_uring_enter"}, []string{"socket", "bind"}},
		{"network-connect x86_64", "@network-connect", []string{"x86_64"},
			[]string{"connect", "sendto", "sendmsg", "sendmmsg"}, []string{"socketcall"}},
		{"process-inspect", "@process-inspect", []string{"x86_64"},
			[]string{"ptrace", "process_vm_readv", "process_vm_writev", "pidfd_getfd", "kcmp"}, []string{"pidfd_open"}},
		{"io-uring", "@io-uring", nil,
			[]string{"io_uring_setup", "io_uring_enter", "io_uring_register"}, nil},
		{"native", "@basic-io", []string{Native}, []string{"read", "write"}, nil},
		{"known", "@known", []string{"aarch64"}, []string{"openat", "set_robust_list"}, []string{"open"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := GroupMembers(tt.group, tt.arches)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range tt.include {
				if !slices.Contains(got, s) {
					t.Errorf("GroupMembers(%s, %v) lacks %s: %v", tt.group, tt.arches, s, got)
				}
			}
			for _, s := range tt.exclude {
				if slices.Contains(got, s) {
					t.Errorf("GroupMembers(%s, %v) has %s: %v", tt.group, tt.arches, s, got)
				}
			}
		})
	}
	known, _ := GroupMembers("@known", nil)
	if !slices.Equal(known, syscalls.AllSyscalls()) {
		t.Error("@known is not every syscall")
	}
}

func TestGroupNested(t *testing.T) {
	priv, err := GroupMembers("@privileged", []string{"x86_64"})
	if err != nil {
		t.Fatal(err)
	}
	for _, sub := range []string{"@chown", "@clock", "@module", "@raw-io", "@reboot", "@swap"} {
		members, err := GroupMembers(sub, []string{"x86_64"})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range members {
			if !slices.Contains(priv, m) {
				t.Errorf("@privileged lacks %s from %s", m, sub)
			}
		}
	}
	svc, _ := GroupMembers("@system-service", nil)
	for _, s := range []string{"read", "openat", "io_uring_setup", "exit_group", "connect", "uname"} {
		if !slices.Contains(svc, s) {
			t.Errorf("@system-service lacks %s", s)
		}
	}
	for _, s := range []string{"mount", "reboot", "ptrace", "init_module"} {
		if slices.Contains(svc, s) {
			t.Errorf("@system-service has %s", s)
		}
	}
	// A cycle must not loop.
	cyclic := map[string]group{
		"@a": {"a", []string{"@b", "read"}},
		"@b": {"b", []string{"@a", "write"}},
	}
	got := expandGroup(cyclic, "@a", map[string]bool{})
	sort.Strings(got)
	if !slices.Equal(got, []string{"read", "write"}) {
		t.Errorf("cycle: %v", got)
	}
}

func TestGroupErrors(t *testing.T) {
	tests := []struct {
		group   string
		arches  []string
		wantErr string
	}{
		{"@fle-open", nil, `unknown group "@fle-open": did you mean "@file-open"?`},
		{"file-open", nil, `unknown group "file-open": did you mean "@file-open"?`},
		{"@netwrk-io", nil, `unknown group "@netwrk-io": did you mean "@network-io"?`},
		{"@everything", nil, `unknown group "@everything" (groups: @aio, `},
		{"@file-open", []string{"arm64"}, `unknown architecture "arm64": did you mean "aarch64"?`},
	}
	for _, tt := range tests {
		t.Run(tt.group, func(t *testing.T) {
			_, err := GroupMembers(tt.group, tt.arches)
			if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
				t.Errorf("GroupMembers(%q, %v) error = %v, want %q", tt.group, tt.arches, err, tt.wantErr)
			}
		})
	}
	if GroupDescription("@nope") != "" {
		t.Error("GroupDescription of an unknown group is not empty")
	}
}
