package record

import (
	"fmt"
	"sort"
	"sync"

	"github.com/oci-sbx/oci-sbx/convert/filter"
)

// Call is one kind of call seen: a syscall of one architecture with the
// values of its chosen arguments (see chosenArgs). AnyArgs is set when a
// syscall had too many distinct values to list them.
type Call struct {
	Arch    string // libseccomp name, or "audit-0x…" for an unknown ABI
	Nr      uint32 // as seccomp_data carries it (x32 numbers keep bit 30)
	Values  [2]uint64
	AnyArgs bool
}

// Name returns the syscall's name, or "" for a number no table names.
func (c Call) Name() string { return filter.SyscallName(c.Arch, c.Nr) }

func (c Call) String() string {
	name := c.Name()
	if name == "" {
		name = fmt.Sprintf("syscall %d", c.Nr)
	}
	if n := len(chosenArgs[name]); n > 0 && !c.AnyArgs {
		return fmt.Sprintf("%s %s%s", c.Arch, name, formatArgs(name, c.Values))
	}
	return c.Arch + " " + name
}

// Seen is how often a kind of call was made, and by which executables.
type Seen struct {
	Count uint64
	Exes  map[string]uint64 // /proc/PID/exe of the caller → calls
}

// Recording is what one or more runs did, call by call. It is safe for
// concurrent use.
type Recording struct {
	mu       sync.Mutex
	calls    map[Call]*Seen
	distinct map[[2]any]int // (arch, nr) → distinct argument values
}

// NewRecording returns an empty recording.
func NewRecording() *Recording {
	return &Recording{calls: map[Call]*Seen{}, distinct: map[[2]any]int{}}
}

// Add notes one call by exe with its six arguments.
func (r *Recording) Add(arch string, nr uint32, args [6]uint64, exe string) {
	c := Call{Arch: arch, Nr: nr}
	if specs := chosenArgs[c.Name()]; len(specs) > 0 {
		for i, s := range specs {
			c.Values[i] = args[s.index] & s.mask
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.calls[c]
	if s == nil && len(chosenArgs[c.Name()]) > 0 {
		k := [2]any{arch, nr}
		if r.distinct[k] >= maxValues {
			c = Call{Arch: arch, Nr: nr, AnyArgs: true}
			s = r.calls[c]
		} else {
			r.distinct[k]++
		}
	}
	if s == nil {
		s = &Seen{Exes: map[string]uint64{}}
		r.calls[c] = s
	}
	s.Count++
	s.Exes[exe]++
}

// addCount notes n calls of one kind by exe, its values already masked
// (the eBPF recorder counts in the kernel).
func (r *Recording) addCount(c Call, exe string, n uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.calls[c]
	if s == nil && len(chosenArgs[c.Name()]) > 0 {
		k := [2]any{c.Arch, c.Nr}
		if r.distinct[k] >= maxValues {
			c = Call{Arch: c.Arch, Nr: c.Nr, AnyArgs: true}
			s = r.calls[c]
		} else {
			r.distinct[k]++
		}
	}
	if len(chosenArgs[c.Name()]) == 0 {
		c.Values = [2]uint64{}
		s = r.calls[c]
	}
	if s == nil {
		s = &Seen{Exes: map[string]uint64{}}
		r.calls[c] = s
	}
	s.Count += n
	s.Exes[exe] += n
}

// Calls returns every kind of call seen, sorted by architecture, number
// and values, with how often each was seen.
func (r *Recording) Calls() ([]Call, map[Call]Seen) {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Call, 0, len(r.calls))
	seen := make(map[Call]Seen, len(r.calls))
	for c, s := range r.calls {
		out = append(out, c)
		exes := make(map[string]uint64, len(s.Exes))
		for k, v := range s.Exes {
			exes[k] = v
		}
		seen[c] = Seen{Count: s.Count, Exes: exes}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		switch {
		case a.Arch != b.Arch:
			return a.Arch < b.Arch
		case a.Nr != b.Nr:
			return a.Nr < b.Nr
		case a.AnyArgs != b.AnyArgs:
			return a.AnyArgs
		case a.Values[0] != b.Values[0]:
			return a.Values[0] < b.Values[0]
		}
		return a.Values[1] < b.Values[1]
	})
	return out, seen
}

// Len returns the number of distinct kinds of call.
func (r *Recording) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.calls)
}
