// Package annotation is the table of oci-sbx's annotation keys: the one
// list the Podman hook, the NRI plugin, patch and the hooks.d document all
// read, in both namespaces, io.oci-sbx.KEY (OCI annotations, Podman) and
// oci-sbx.io/KEY (Kubernetes pod annotations).
//
// A key is matched case-insensitively for its namespace and exactly for
// the key. Any other key in a namespace is refused with a suggestion:
// failing closed is the point, a typo must not start a container without
// the profile it asked for. So is a key that only looks like one of a
// namespace (white space, another hyphen or full stop, a letter of
// another script that looks the same): its skeleton, with case, marks,
// punctuation and confusable letters folded away, is compared with the
// namespace's.
package annotation

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/oci-sbx/oci-sbx/internal/suggest"
)

// The two namespaces, as oci-sbx writes them.
const (
	// OCI is the prefix of keys in OCI annotations (Podman's
	// --annotation, config.json).
	OCI = "io.oci-sbx."
	// Kubernetes is the prefix of keys in a pod's annotations;
	// oci-sbx.io/KEY.CONTAINER applies to one container where the key
	// allows it.
	Kubernetes = "oci-sbx.io/"
)

// Key is one entry of the table.
type Key struct {
	// Name is the key after the namespace's prefix.
	Name string
	// Value says what the value is, for documentation and errors.
	Value string
	// Internal: only oci-sbx writes it; a container that brings it in is
	// refused.
	Internal bool
	// PerContainer: in the Kubernetes namespace, Name.CONTAINER applies
	// to one container of the pod.
	PerContainer bool
}

// The keys, by name.
const (
	Profile              = "profile"
	Rules                = "rules"
	EngineProfile        = "engine-profile"
	Report               = "report"
	Record               = "record"
	SetNoNewPrivileges   = "set-no-new-privileges"
	Handover             = "handover"
	EngineProfileKeep    = "keep"
	EngineProfileReplace = "replace"
)

// Keys is the table, in the order of the documentation.
var Keys = []Key{
	{Name: Profile, Value: "NAME, a file beneath the profiles directory", PerContainer: true},
	{Name: Rules, Value: "inline rules, at most 64 KiB", PerContainer: true},
	{Name: EngineProfile, Value: `"keep" (default) or "replace"`, PerContainer: true},
	{Name: Report, Value: "path of the agent's socket", PerContainer: true},
	{Name: Record, Value: "NAME, a file beneath the records directory", PerContainer: true},
	{Name: SetNoNewPrivileges, Value: `"true"`, Internal: true},
	{Name: Handover, Value: `"late"`, Internal: true},
}

// MaxValue bounds the value of every key but Rules: a file name (PATH_MAX)
// or a word. A longer value is refused without quoting it.
const MaxValue = 4096

// maxKey is how much of a key an error quotes: Kubernetes allows 317
// bytes (a 253-byte prefix, "/", 63 bytes), an engine may pass longer
// ones.
const maxKey = 320

// quote quotes a key for an error so that every character that is not
// plain ASCII shows (a Cyrillic о must not look like the o it imitates),
// cut after maxKey bytes.
func quote(key string) string {
	if len(key) <= maxKey {
		return strconv.QuoteToASCII(key)
	}
	cut := maxKey
	for cut > 0 && !utf8.RuneStart(key[cut]) {
		cut--
	}
	return strconv.QuoteToASCII(key[:cut]) + "…"
}

// checkValue refuses a value longer than its key allows. The rules key
// is bounded by MaxRules where it is read, with advice.
func checkValue(key, name, value string) error {
	if name != Rules && len(value) > MaxValue {
		return fmt.Errorf("%s: a value of %d bytes, more than %d", quote(key), len(value), MaxValue)
	}
	return nil
}

// MaxRules bounds the rules key: rules a person writes are a few hundred
// bytes, and a container's annotations travel in every state a runtime
// hands to hooks and agents.
const MaxRules = 64 << 10

// OCIKey returns the key in the OCI namespace: OCIKey(Profile) is
// "io.oci-sbx.profile".
func OCIKey(name string) string { return OCI + name }

// ErrUnknown is wrapped by the error for a key in a namespace that is not
// in the table.
var ErrUnknown = errors.New("unknown oci-sbx annotation")

// ErrConflict is wrapped by the error for one key written twice with
// different values (its namespace in two cases).
var ErrConflict = errors.New("conflicting oci-sbx annotations")

// dnsLabel is what Kubernetes allows as a container's name (RFC 1123).
var dnsLabel = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`)

// maxNameLen is what Kubernetes allows of an annotation's name after its
// prefix.
const maxNameLen = 63

// ErrInternal is wrapped by the error for a key only oci-sbx writes.
var ErrInternal = errors.New("annotation written by oci-sbx only")

// Values are the table's keys found in a set of annotations, by name,
// with the key as it was written (for messages).
type Values struct {
	ns   string // OCI or Kubernetes
	vals map[string]string
	keys map[string]string
}

func newValues(ns string) *Values {
	return &Values{ns: ns, vals: map[string]string{}, keys: map[string]string{}}
}

// Namespace returns the prefix of the namespace the values were read
// from: OCI or Kubernetes.
func (v *Values) Namespace() string { return v.ns }

// set records key's value for name, refusing a name written twice (a
// namespace in two cases) with two values: which one a reader takes
// would be a guess.
func (v *Values) set(name, key, val string) error {
	if old, ok := v.vals[name]; ok && old != val {
		return fmt.Errorf("%s and %s: %w: one key written twice, with different values", quote(v.keys[name]), quote(key), ErrConflict)
	}
	v.vals[name], v.keys[name] = val, key
	return nil
}

// Get returns the value of a key by name and whether it is there.
func (v *Values) Get(name string) (string, bool) {
	s, ok := v.vals[name]
	return s, ok
}

// Key returns the key as it was written, for messages; the OCI form when
// the key is absent.
func (v *Values) Key(name string) string {
	if k, ok := v.keys[name]; ok {
		return k
	}
	return OCIKey(name)
}

// RecordAlone refuses the record key beside a profile, rules or a
// report: a recorded container runs under the recording filter and
// nothing else.
func (v *Values) RecordAlone() error {
	for _, other := range []string{Profile, Rules, Report} {
		if _, ok := v.Get(other); ok {
			return fmt.Errorf("annotation %s: a recorded container runs under the recording filter, not under %s too", v.Key(Record), v.Key(other))
		}
	}
	return nil
}

// ReplaceEngine reads the engine-profile key: whether the engine's profile
// is replaced (EngineProfileReplace) rather than kept (EngineProfileKeep,
// or no value).
func (v *Values) ReplaceEngine() (bool, error) {
	switch mode, _ := v.Get(EngineProfile); mode {
	case "", EngineProfileKeep:
		return false, nil
	case EngineProfileReplace:
		return true, nil
	default:
		return false, fmt.Errorf("annotation %s: %q is neither %q nor %q", v.Key(EngineProfile), mode, EngineProfileKeep, EngineProfileReplace)
	}
}

// Empty reports whether no key of the table was there.
func (v *Values) Empty() bool { return len(v.vals) == 0 }

// Present returns the keys that were there, as written, in the table's
// order, for messages.
func (v *Values) Present() []string {
	var out []string
	for _, k := range Keys {
		if key, ok := v.keys[k.Name]; ok {
			out = append(out, key)
		}
	}
	return out
}

// names of the keys that are not internal.
func names(internal bool) []string {
	var out []string
	for _, k := range Keys {
		if internal || !k.Internal {
			out = append(out, k.Name)
		}
	}
	return out
}

// split returns the key's name after a namespace prefix matched
// case-insensitively, and whether it is in a namespace at all.
func split(key, prefix string) (string, bool) {
	if len(key) >= len(prefix) && strings.EqualFold(key[:len(prefix)], prefix) {
		return key[len(prefix):], true
	}
	return "", false
}

// check looks a name up in the table; key is the whole key as written,
// which holds name right after its namespace, ns bytes long.
func check(key string, ns int, name string, allowInternal bool) (Key, error) {
	i := slices.IndexFunc(Keys, func(k Key) bool { return k.Name == name })
	if i < 0 {
		if s := suggest.Closest(strings.ToLower(name), names(false)); s != "" {
			return Key{}, fmt.Errorf("%s: %w: did you mean %s?", quote(key), ErrUnknown, quote(key[:ns]+s+key[ns+len(name):]))
		}
		return Key{}, fmt.Errorf("%s: %w (known: %s)", quote(key), ErrUnknown, strings.Join(names(false), ", "))
	}
	if Keys[i].Internal && !allowInternal {
		return Key{}, fmt.Errorf("%s: %w", quote(key), ErrInternal)
	}
	return Keys[i], nil
}

// checkLookAlike refuses a key outside the namespace prefix that only
// looks like one of its keys (see skeleton): white space, another hyphen
// or full stop, a letter of another script. Such a key would otherwise
// pass as somebody else's annotation, and the container would start
// without the profile it asked for.
func checkLookAlike(key, prefix string) error {
	meant, ok := lookAlike(key, prefix)
	if !ok {
		return nil
	}
	quoted := quote(key)
	if meant != "" {
		return fmt.Errorf("%s: %w: it only looks like the %s namespace; did you mean %q?", quoted, ErrUnknown, prefix, meant)
	}
	return fmt.Errorf("%s: %w: it only looks like the %s namespace (known keys: %s)", quoted, ErrUnknown, prefix, strings.Join(names(false), ", "))
}

// checkOtherNamespace refuses a key written in (or looking like) the
// other namespace, other, where the parser reads only own: a Podman user
// who writes the pod form oci-sbx.io/profile, or a pod that carries
// io.oci-sbx.profile, asked for a profile and would start without one.
func checkOtherNamespace(key, other, own string) error {
	name, in := split(key, other)
	if !in {
		meant, ok := lookAlike(key, other)
		if !ok {
			return nil
		}
		name = strings.TrimPrefix(meant, other)
	}
	if other == Kubernetes {
		name, _, _ = strings.Cut(name, ".") // OCI annotations are per container already
	}
	if name == "" {
		return fmt.Errorf("%s: %w: that is the %s namespace, which is not read here; write %sKEY", quote(key), ErrUnknown, other, own)
	}
	return fmt.Errorf("%s: %w: that is the %s namespace, which is not read here; did you mean %q?", quote(key), ErrUnknown, other, own+name)
}

// ParseOCI reads the table's keys from OCI annotations (io.oci-sbx.KEY).
// A key in the namespace that is not in the table, or one only oci-sbx
// writes, is an error: the container must be refused.
func ParseOCI(annotations map[string]string) (*Values, error) {
	v := newValues(OCI)
	var errs []error
	for _, key := range sortedKeys(annotations) {
		name, ok := split(key, OCI)
		if !ok {
			if err := checkLookAlike(key, OCI); err != nil {
				errs = append(errs, err)
			} else if err := checkOtherNamespace(key, Kubernetes, OCI); err != nil {
				errs = append(errs, err)
			}
			continue
		}
		if _, err := check(key, len(OCI), name, false); err != nil {
			errs = append(errs, err)
			continue
		}
		if err := checkValue(key, name, annotations[key]); err != nil {
			errs = append(errs, err)
			continue
		}
		if err := v.set(name, key, annotations[key]); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return v, nil
}

// ParseKubernetes reads the table's keys for one container from a pod's
// annotations (oci-sbx.io/KEY, and oci-sbx.io/KEY.CONTAINER, which wins
// for that container). A key in the namespace that is not in the table,
// for any container, is an error. Kubernetes allows 63 characters after
// the prefix: profile.CONTAINER fits container names of up to 55.
func ParseKubernetes(annotations map[string]string, container string) (*Values, error) {
	v, pod := newValues(Kubernetes), newValues(Kubernetes)
	var errs []error
	for _, key := range sortedKeys(annotations) {
		rest, ok := split(key, Kubernetes)
		if !ok {
			if err := checkLookAlike(key, Kubernetes); err != nil {
				errs = append(errs, err)
			} else if err := checkOtherNamespace(key, OCI, Kubernetes); err != nil {
				errs = append(errs, err)
			}
			continue
		}
		name, ctr, hasCtr := strings.Cut(rest, ".")
		k, err := check(key, len(Kubernetes), name, false)
		if err == nil {
			err = checkValue(key, name, annotations[key])
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if hasCtr && !k.PerContainer {
			errs = append(errs, fmt.Errorf("%s: %s applies to the whole pod, not one container", quote(key), name))
			continue
		}
		if hasCtr && ctr != container {
			if err := otherContainer(key, len(Kubernetes)+len(name)+1, ctr, container); err != nil {
				errs = append(errs, err)
			}
			continue
		}
		dst := pod
		if hasCtr {
			dst = v
		}
		if err := dst.set(name, key, annotations[key]); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	// The container's own keys win over the pod's; profile and rules both
	// choose the profile, so either of the container's replaces both of
	// the pod's.
	_, ownProfile := v.vals[Profile]
	_, ownRules := v.vals[Rules]
	for name, val := range pod.vals {
		if _, own := v.vals[name]; own {
			continue
		}
		if (name == Profile || name == Rules) && (ownProfile || ownRules) {
			continue
		}
		v.vals[name], v.keys[name] = val, pod.keys[name]
	}
	return v, nil
}

// otherContainer refuses a per-container key, ctr the container it
// names (from byte at of key), that the container being created,
// container, was probably meant by: its name in another case, with a
// look-alike letter or white space, or cut short to fit Kubernetes's 63
// characters. Such a key would otherwise apply to no container, and this
// one would start without the profile it asked for.
func otherContainer(key string, at int, ctr, container string) error {
	if container != "" && skeleton(ctr) == skeleton(container) {
		return fmt.Errorf("%s: %w: it names container %s, not %s; did you mean %s?", quote(key), ErrUnknown, quote(ctr), quote(container), quote(key[:at]+container))
	}
	if !dnsLabel.MatchString(ctr) {
		return fmt.Errorf("%s: %w: %s can be no container's name (Kubernetes names a container with lower-case letters, digits and '-', at most 63), so the key applies to none",
			quote(key), ErrUnknown, quote(ctr))
	}
	if len(key)-len(Kubernetes) >= maxNameLen && strings.HasPrefix(container, ctr) {
		return fmt.Errorf("%s: %w: it names container %s, the first part of %s: Kubernetes allows %d characters after %s, "+
			"too few for this container's name; use the pod-wide key %s", quote(key), ErrUnknown, quote(ctr), quote(container), maxNameLen, Kubernetes, quote(key[:at-1]))
	}
	return nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
