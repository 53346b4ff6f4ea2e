//go:build linux && cgo && seccomp

package program_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/oci-sbx/oci-sbx/convert/rules"
	"github.com/oci-sbx/oci-sbx/oci/program"
)

// TestLoaderHangsMatchLibseccomp holds rules.LoaderHangs to the real
// libseccomp: each shape's rules for ioctl are handed to runc's loader,
// which must finish at once exactly where the model says it does. A shape
// is rules split by "/", each condition "ARG OP VALUE", a leading "E2"
// giving the rule errno 2 instead of 1.
func TestLoaderHangsMatchLibseccomp(t *testing.T) {
	shapes := map[string]string{ // shape → what libseccomp does: hang, exists (EEXIST) or ok
		"0 > 5, 1 == 5 / 0 > 5, 2 == 7":                               "hang",
		"0 != 5, 1 == 5 / 0 != 5, 2 == 7":                             "hang",
		"0 <= 5, 1 == 5 / 0 <= 5, 3 == 7":                             "hang",
		"1 > 5, 2 == 5 / 1 > 5, 3 == 7":                               "hang",
		"0 == 1, 1 > 5, 2 == 5 / 0 == 1, 1 > 5, 3 == 7":               "hang",
		"0 > 5, 1 == 5 / E2 0 > 5, 2 == 7":                            "hang",
		"0 > 5, 2 == 5 / 0 > 5, 1 == 6 / 0 > 5, 3 == 1":               "hang",
		"0 > 5, 1 == 5 / 0 > 5, 1 == 6":                               "ok",
		"0 > 5, 2 == 5 / 0 > 5, 1 == 6":                               "ok",
		"0 == 5, 1 == 5 / 0 == 5, 2 == 7":                             "ok",
		"0 & 5 == 5, 1 == 5 / 0 & 5 == 5, 2 == 7":                     "ok",
		"0 > 5, 1 == 5 / 0 > 6, 2 == 7":                               "ok",
		"0 > 5 / 0 > 5, 1 == 6":                                       "ok",
		"0 < 5, 1 == 6 / 0 >= 5, 3 == 1":                              "ok",
		"0 > 5, 3 == 1 / 0 > 5, 1 == 5 / 0 > 5, 2 == 6":               "ok",
		"0 > 5, 1 == 6 / 0 > 5, 1 == 6, 3 == 1":                       "ok",
		"0 > 5, 1 == 5, 2 == 1 / 0 > 5, 1 == 5, 3 == 1":               "ok",
		"0 > 5, 1 == 5 / 0 > 5, 1 == 5, 2 == 1 / 0 > 5":               "ok",
		"0 > 5, 1 == 5 / 0 > 5 / 0 > 5, 2 == 7":                       "ok",
		"0 > 5, 1 == 5 / E2 0 > 5 / 0 > 5, 2 == 7":                    "exists",
		"E2 0 > 5 / 0 > 5, 1 == 5 / 0 > 5, 2 == 7":                    "ok",
		"0 > 5, 1 == 5 / E2 0 > 5, 1 == 5":                            "exists",
		"E2 0 > 5 / 0 > 5, 1 == 5":                                    "ok",
		"0 > 5 / 0 > 5, 1 == 5 / 0 > 5, 2 == 7":                       "ok",
		"0 > 5, 1 == 5, 2 > 1, 3 == 1 / 0 > 5, 1 == 5, 2 > 1, 4 == 1": "hang",
	}
	var wg sync.WaitGroup
	for shape, want := range shapes {
		s, err := hangShape(shape)
		if err != nil {
			t.Fatalf("%s: %v", shape, err)
		}
		model := "ok"
		if h := rules.LoaderHangs(s); len(h) > 0 {
			model = map[bool]string{false: "hang", true: "exists"}[h[0].Exists]
		}
		if model != want {
			t.Errorf("%s: LoaderHangs says %s, measured %s", shape, model, want)
		}
		wg.Go(func() {
			// A filter builds in milliseconds; seconds mean never.
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			defer cancel()
			_, err := program.Export(ctx, s)
			got := "ok"
			switch {
			case errors.Is(err, context.DeadlineExceeded):
				got = "hang"
			case err != nil && strings.Contains(err.Error(), "file exists"):
				got = "exists"
			case err != nil:
				t.Errorf("%s: %v", shape, err)
			}
			if got != want {
				t.Errorf("%s: libseccomp: %s, expected %s (%v)", shape, got, want, err)
			}
		})
	}
	wg.Wait()
}

func hangShape(shape string) (*specs.LinuxSeccomp, error) {
	s := &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Architectures: []specs.Arch{specs.ArchX86_64}, Flags: []specs.LinuxSeccompFlag{}}
	ops := map[string]specs.LinuxSeccompOperator{"==": specs.OpEqualTo, "!=": specs.OpNotEqual, "<": specs.OpLessThan, "<=": specs.OpLessEqual, ">": specs.OpGreaterThan, ">=": specs.OpGreaterEqual}
	for _, r := range strings.Split(shape, "/") {
		r = strings.TrimSpace(r)
		ret := uint(1)
		if rest, ok := strings.CutPrefix(r, "E2 "); ok {
			r, ret = rest, 2
		}
		rule := specs.LinuxSyscall{Names: []string{"ioctl"}, Action: specs.ActErrno, ErrnoRet: &ret}
		for _, c := range strings.Split(r, ",") {
			var a specs.LinuxSeccompArg
			var op string
			if n, _ := fmt.Sscanf(strings.TrimSpace(c), "%d & %d == %d", &a.Index, &a.Value, &a.ValueTwo); n == 3 {
				a.Op = specs.OpMaskedEqual
			} else if _, err := fmt.Sscanf(strings.TrimSpace(c), "%d %s %d", &a.Index, &op, &a.Value); err != nil || ops[op] == "" {
				return nil, fmt.Errorf("condition %q", c)
			} else {
				a.Op = ops[op]
			}
			rule.Args = append(rule.Args, a)
		}
		s.Syscalls = append(s.Syscalls, rule)
	}
	return s, nil
}
