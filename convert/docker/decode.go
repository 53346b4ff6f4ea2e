package docker

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/moby/profiles/seccomp"
	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/oci-sbx/oci-sbx/convert/rules"
	"github.com/oci-sbx/oci-sbx/internal/suggest"
	"github.com/oci-sbx/oci-sbx/internal/tree"
)

// Decoding a positioned tree into a Docker-shaped profile, with every
// error at its line and column. The OCI and SPO readers decode their
// subsets of the same shape through it.

// Decoder checks the shape of a tree and collects positioned errors.
type Decoder struct {
	File string          // the source, in errors
	Errs rules.ErrorList // what was found wrong
}

// Errorf records a positioned error.
func (d *Decoder) Errorf(at rules.Pos, format string, args ...any) {
	d.Errs = append(d.Errs, &rules.Error{File: d.File, Pos: at, Msg: fmt.Sprintf(format, args...)})
}

// TypeErr records that a value has the wrong type.
func (d *Decoder) TypeErr(n *tree.Node, what, want string) {
	d.Errorf(n.Pos, "%s must be %s, not %s", what, want, n.Kind.String())
}

// Members returns an object's members, reporting keys not in known with a
// suggestion. null reads as an empty object.
func (d *Decoder) Members(n *tree.Node, what string, known []string) []tree.Member {
	switch n.Kind {
	case tree.Null:
		return nil
	case tree.Object:
	default:
		d.TypeErr(n, what, "an object")
		return nil
	}
	out := n.Members[:0:0]
	for _, m := range n.Members {
		if slices.Contains(known, m.Key) {
			out = append(out, m)
			continue
		}
		d.Errorf(m.Pos, "%v", suggest.UnknownKey(m.Key, what, known))
	}
	return out
}

// List returns an array's elements; null reads as an empty list.
func (d *Decoder) List(n *tree.Node, what string) []*tree.Node {
	switch n.Kind {
	case tree.Null:
		return nil
	case tree.Array:
		return n.Elems
	}
	d.TypeErr(n, what, "a list")
	return nil
}

// Str returns a string value; null reads as absent.
func (d *Decoder) Str(n *tree.Node, what string) (string, bool) {
	if n.Kind == tree.String {
		return n.Text, true
	}
	if n.Kind != tree.Null {
		d.TypeErr(n, what, "a string")
	}
	return "", false
}

// StrList decodes a list of strings, recording each one's position under
// path[i].
func (d *Decoder) StrList(n *tree.Node, path string, pos map[string]rules.Pos) []string {
	pos[path] = n.Pos
	var out []string
	for i, e := range d.List(n, path) {
		p := fmt.Sprintf("%s[%d]", path, i)
		pos[p] = e.Pos
		if s, ok := d.Str(e, p); ok {
			out = append(out, s)
		} else if e.Kind == tree.Null {
			d.TypeErr(e, p, "a string")
		}
	}
	return out
}

// Uint decodes a non-negative integer up to max, exactly.
func (d *Decoder) Uint(n *tree.Node, what string, max uint64) (uint64, bool) {
	if n.Kind != tree.Number {
		d.TypeErr(n, what, "a non-negative integer")
		return 0, false
	}
	base := 10
	if n.YAML {
		base = 0
	}
	v, err := strconv.ParseUint(n.Text, base, 64)
	if err != nil || v > max {
		switch {
		case strings.HasPrefix(n.Text, "-"):
			d.Errorf(n.Pos, "%s must not be negative (%s)", what, n.Text)
		case errors.Is(err, strconv.ErrRange) || err == nil:
			d.Errorf(n.Pos, "%s %s is too large (at most %d)", what, n.Text, max)
		default:
			d.Errorf(n.Pos, "%s must be a non-negative integer, not %s", what, n.Text)
		}
		return 0, false
	}
	return v, true
}

// Profile decodes the top level of a Docker or Podman profile,
// allowing the keys given: Docker's, or the OCI subset.
func (d *Decoder) Profile(root *tree.Node, profileKeys, ruleKeys []string) *Doc {
	doc := &Doc{Pos: map[string]rules.Pos{"": root.Pos}}
	for _, m := range d.Members(root, "the profile", profileKeys) {
		switch m.Key {
		case "defaultAction":
			doc.Pos[m.Key] = m.Val.Pos
			s, _ := d.Str(m.Val, m.Key)
			doc.DefaultAction = specs.LinuxSeccompAction(s)
		case "defaultErrnoRet":
			doc.Pos[m.Key] = m.Val.Pos
			if n, ok := d.Uint(m.Val, m.Key, 1<<32-1); ok {
				u := uint(n)
				doc.DefaultErrnoRet = &u
			}
		case "defaultErrno":
			doc.Pos[m.Key] = m.Val.Pos
			doc.DefaultErrno, _ = d.Str(m.Val, m.Key)
		case "architectures":
			for _, s := range d.StrList(m.Val, m.Key, doc.Pos) {
				doc.Architectures = append(doc.Architectures, specs.Arch(s))
			}
		case "archMap":
			doc.Pos[m.Key] = m.Val.Pos
			for i, e := range d.List(m.Val, m.Key) {
				path := fmt.Sprintf("archMap[%d]", i)
				doc.Pos[path] = e.Pos
				var a seccomp.Architecture
				for _, f := range d.Members(e, "an archMap entry", dockerArchKeys) {
					switch f.Key {
					case "architecture":
						doc.Pos[path+".architecture"] = f.Val.Pos
						s, _ := d.Str(f.Val, f.Key)
						a.Arch = specs.Arch(s)
					case "subArchitectures":
						for _, s := range d.StrList(f.Val, path+".subArchitectures", doc.Pos) {
							a.SubArches = append(a.SubArches, specs.Arch(s))
						}
					}
				}
				doc.ArchMap = append(doc.ArchMap, a)
			}
		case "flags":
			for _, s := range d.StrList(m.Val, m.Key, doc.Pos) {
				doc.Flags = append(doc.Flags, specs.LinuxSeccompFlag(s))
			}
		case "listenerPath":
			doc.ListenerPath, _ = d.Str(m.Val, m.Key)
		case "listenerMetadata":
			doc.ListenerMetadata, _ = d.Str(m.Val, m.Key)
		case "syscalls":
			for i, e := range d.List(m.Val, m.Key) {
				call, errno := d.Syscall(e, fmt.Sprintf("syscalls[%d]", i), doc.Pos, ruleKeys, false)
				doc.Syscalls = append(doc.Syscalls, call)
				doc.Errnos = append(doc.Errnos, errno)
			}
		}
	}
	return doc
}

// Syscall decodes one rule. known lists the keys the format allows.
// Where stringErrno is set (SPO v1alpha1), an "errnoRet" written as a
// string is returned as errno; elsewhere it is an error, as it is to
// runc's and Docker's decoders, which refuse the whole profile.
func (d *Decoder) Syscall(n *tree.Node, path string, pos map[string]rules.Pos, known []string, stringErrno bool) (*seccomp.Syscall, string) {
	pos[path] = n.Pos
	call := &seccomp.Syscall{}
	var errno string
	for _, m := range d.Members(n, "a syscall rule", known) {
		p := path + "." + m.Key
		pos[p] = m.Val.Pos
		switch m.Key {
		case "name":
			call.Name, _ = d.Str(m.Val, m.Key)
		case "names":
			call.Names = d.StrList(m.Val, p, pos)
			if call.Names == nil && m.Val.Kind != tree.Null {
				call.Names = []string{}
			}
		case "action":
			s, _ := d.Str(m.Val, m.Key)
			call.Action = specs.LinuxSeccompAction(s)
		case "errnoRet":
			if m.Val.Kind == tree.String && stringErrno {
				errno = m.Val.Text
				pos[path+".errno"] = m.Val.Pos
				break
			}
			if v, ok := d.Uint(m.Val, m.Key, 1<<32-1); ok {
				u := uint(v)
				call.ErrnoRet = &u
			}
		case "errno":
			errno, _ = d.Str(m.Val, m.Key)
		case "comment":
			call.Comment, _ = d.Str(m.Val, m.Key)
		case "args":
			for j, e := range d.List(m.Val, m.Key) {
				call.Args = append(call.Args, d.arg(e, fmt.Sprintf("%s.args[%d]", path, j), pos))
			}
		case "includes", "excludes":
			f := d.filter(m.Val, p, pos)
			if m.Key == "includes" {
				call.Includes = f
			} else {
				call.Excludes = f
			}
		}
	}
	return call, errno
}

func (d *Decoder) arg(n *tree.Node, path string, pos map[string]rules.Pos) specs.LinuxSeccompArg {
	pos[path] = n.Pos
	var a specs.LinuxSeccompArg
	for _, m := range d.Members(n, "an argument condition", argKeys) {
		pos[path+"."+m.Key] = m.Val.Pos
		switch m.Key {
		case "index":
			if v, ok := d.Uint(m.Val, m.Key, 1<<32-1); ok {
				a.Index = uint(v)
			}
		case "value":
			a.Value, _ = d.Uint(m.Val, m.Key, 1<<64-1)
		case "valueTwo":
			a.ValueTwo, _ = d.Uint(m.Val, m.Key, 1<<64-1)
		case "op":
			s, _ := d.Str(m.Val, m.Key)
			a.Op = specs.LinuxSeccompOperator(s)
		}
	}
	return a
}

func (d *Decoder) filter(n *tree.Node, path string, pos map[string]rules.Pos) *seccomp.Filter {
	if n.Kind == tree.Null {
		return nil
	}
	f := &seccomp.Filter{}
	for _, m := range d.Members(n, path[strings.LastIndexByte(path, '.')+1:], dockerFilterKeys) {
		p := path + "." + m.Key
		switch m.Key {
		case "caps":
			f.Caps = d.StrList(m.Val, p, pos)
		case "arches":
			f.Arches = d.StrList(m.Val, p, pos)
		case "minKernel":
			pos[p] = m.Val.Pos
			s, ok := d.Str(m.Val, m.Key)
			if !ok {
				break
			}
			// Docker's own parser, so that "4.8", "" and "0.0" mean what
			// they mean to Docker.
			var k seccomp.KernelVersion
			if err := k.UnmarshalJSON([]byte(strconv.Quote(s))); err != nil {
				d.Errorf(m.Val.Pos, "minKernel %q: want \"<major>.<minor>\" such as \"5.8\"", s)
				break
			}
			f.MinKernel = &k
		}
	}
	return f
}
