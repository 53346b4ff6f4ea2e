package record

import (
	"fmt"
	"strings"
	"sync"

	"github.com/oci-sbx/oci-sbx/convert/syscalls"
)

// namePrefixes says which constants name a recorded argument.
var namePrefixes = map[string][]string{
	"socket":     {"AF_", "SOCK_"},
	"socketpair": {"AF_", "SOCK_"},
	"prctl":      {"PR_"},
	"ioctl":      {"TC", "TIOC", "FIO", "FS_IOC", "BLK"},
}

// byValue maps a constant's value to its names, sorted, per prefix.
var byValue = sync.OnceValue(func() map[string]map[uint64][]string {
	m := map[string]map[uint64][]string{}
	prefixes := map[string]bool{}
	for _, ps := range namePrefixes {
		for _, p := range ps {
			prefixes[p] = true
		}
	}
	for _, n := range syscalls.ConstantNames() {
		v, _ := syscalls.Constant(n)
		for p := range prefixes {
			if strings.HasPrefix(n, p) && n != "AF_LOCAL" && n != "AF_ROUTE" && n != "AF_MAX" {
				if m[p] == nil {
					m[p] = map[uint64][]string{}
				}
				m[p][v] = append(m[p][v], n)
			}
		}
	}
	return m
})

// formatArgs prints recorded argument values the way a person reads them:
// "(AF_UNIX, SOCK_STREAM)", "(CLONE_NEWUSER|CLONE_NEWNS)", "(0x5401)".
func formatArgs(name string, vals [2]uint64) string {
	specs := chosenArgs[name]
	parts := make([]string, len(specs))
	for i := range specs {
		parts[i] = formatValue(name, i, vals[i])
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

func formatValue(name string, i int, v uint64) string {
	switch name {
	case "clone", "unshare", "setns":
		if v == 0 {
			return "no namespace"
		}
		var flags []string
		for _, f := range []string{"CLONE_NEWNS", "CLONE_NEWCGROUP", "CLONE_NEWUTS", "CLONE_NEWIPC", "CLONE_NEWUSER", "CLONE_NEWPID", "CLONE_NEWNET", "CLONE_NEWTIME"} {
			if c, _ := syscalls.Constant(f); v&c != 0 {
				flags = append(flags, f)
				v &^= c
			}
		}
		if v != 0 {
			flags = append(flags, fmt.Sprintf("%#x", v))
		}
		return strings.Join(flags, "|")
	}
	if prefixes := namePrefixes[name]; len(prefixes) > 0 {
		ps := prefixes
		if name == "socket" || name == "socketpair" {
			ps = prefixes[i : i+1]
		}
		for _, p := range ps {
			if ns := byValue()[p][v]; len(ns) > 0 {
				return strings.Join(ns, "/")
			}
		}
	}
	if v < 10 {
		return fmt.Sprint(v)
	}
	return fmt.Sprintf("%#x", v)
}
