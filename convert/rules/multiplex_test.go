package rules

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestMultiplexClashes: on x86, socket's conditional rules move onto
// socketcall; two actions for one set of conditions but arg0 clash, once
// for each action after the first, and nothing else does.
func TestMultiplexClashes(t *testing.T) {
	allow, eperm, kill := Action{Kind: Allow}, Action{Kind: Errno, Ret: 1}, Action{Kind: KillProcess}
	def := Action{Kind: Errno, Ret: 38}
	fam := func(v uint64) []Cond { return []Cond{{Arg: 0, Op: OpEQ, Value: v}} }
	typ := []Cond{{Arg: 1, Op: OpEQ, Value: 2}}
	rs := []MuxRule{
		{Names: []string{"socket"}, Action: allow, When: fam(1)},                                // 0: first of key ""
		{Names: []string{"socket"}, Action: eperm, When: fam(2)},                                // 1: clashes with 0
		{Names: []string{"socket"}, Action: allow, When: fam(10)},                               // 2: the first's action again
		{Names: []string{"socket"}, Action: kill, When: fam(16)},                                // 3: a third action
		{Names: []string{"socket"}, Action: eperm, When: typ},                                   // 4: another key
		{Names: []string{"socket"}, Action: def, When: fam(3)},                                  // 5: the default: runc drops it
		{Names: []string{"socket"}, Action: kill},                                               // 6: unconditional
		{Names: []string{"connect", "read"}, Action: eperm, When: fam(5)},                       // 7: connect's first; read is not multiplexed
		{Names: []string{"connect"}, Action: allow, When: []Cond{{Arg: 0, Op: OpNE, Value: 5}}}, // 8: clashes with 7
	}
	got := MultiplexClashes(rs, []string{"x86", "x86_64"}, def, nil)
	want := []MuxClash{
		{Arch: "x86", Name: "socket", Mux: "socketcall", Call: 1, First: 0, Second: 1},
		{Arch: "x86", Name: "socket", Mux: "socketcall", Call: 1, First: 0, Second: 3},
		{Arch: "x86", Name: "connect", Mux: "socketcall", Call: 3, First: 7, Second: 8},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("clashes (-want +got):\n%s", diff)
	}
	// A rule skip excludes (the multiplexer's own rule decides it) takes
	// no part.
	got = MultiplexClashes(rs, []string{"x86"}, def, func(i int, mux string) bool { return i >= 7 })
	if len(got) != 2 {
		t.Errorf("with connect's rules skipped: %+v, want socket's two clashes", got)
	}
}
