package suggest

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxQuoted is how many bytes of a value an error quotes: a name that is
// none of the known ones may be megabytes long, and an error repeats it
// into logs and terminals.
const MaxQuoted = 64

// Quote returns s quoted like %q, cut after MaxQuoted bytes (on a
// character boundary) with "…" after the closing quote.
func Quote(s string) string {
	if len(s) <= MaxQuoted {
		return strconv.Quote(s)
	}
	cut := MaxQuoted
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strconv.Quote(s[:cut]) + "…"
}

// Closest returns the candidate closest to s, for "did you mean" hints: the
// smallest case-insensitive edit distance (insertions, deletions,
// substitutions and swaps of adjacent letters), ties broken by the smaller
// name. It returns "" when even the closest candidate is too far away to
// be a plausible typo: more than a third of the length of s (at least 1),
// or as long as s itself.
func Closest(s string, candidates []string) string {
	if len(s) > 4*MaxQuoted {
		// No name is that long, and the distance would cost time and
		// memory in proportion to the input.
		return ""
	}
	in := []rune(strings.ToLower(s))
	limit := max(1, len(in)/3)
	best, bestDist := "", limit+1
	for _, c := range candidates {
		// With bound bestDist+1, any result up to bestDist is exact.
		d := editDistance(in, []rune(strings.ToLower(c)), bestDist+1)
		if d < bestDist || (d == bestDist && c < best) {
			best, bestDist = c, d
		}
	}
	if bestDist > limit || (bestDist > 0 && bestDist >= len(in)) {
		return ""
	}
	return best
}

// editDistance is the optimal-string-alignment distance between a and b
// (Levenshtein plus adjacent transpositions). It stops early and returns
// bound when the distance is known to be at least bound.
func editDistance(a, b []rune, bound int) int {
	if d := len(a) - len(b); d >= bound || -d >= bound {
		return bound
	}
	// Three rows: the one before the previous is needed for transpositions.
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d = min(d, prev2[j-2]+1)
			}
			cur[j] = d
			rowMin = min(rowMin, d)
		}
		if rowMin >= bound {
			return bound
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return min(prev[len(b)], bound)
}

// UnknownName is the error for a name that is none of known: it suggests
// the closest one when that is a plausible typo, else lists them all.
// An optional context ("in the profile") follows the name.
func UnknownName(what, name string, known []string, context ...string) error {
	ctx := strings.Join(context, "")
	if len(name) <= 4*MaxQuoted { // longer is no typo, and too long to compare
		if sug := Closest(name, known); sug != "" {
			return fmt.Errorf("unknown %s %s%s: did you mean %q?", what, Quote(name), ctx, sug)
		}
	}
	return fmt.Errorf("unknown %s %s%s (want one of %s)", what, Quote(name), ctx, strings.Join(known, ", "))
}

// UnknownKey is UnknownName for a mapping key, saying where it was.
func UnknownKey(key, where string, known []string) error {
	return UnknownName("key", key, known, " in "+where)
}

// MaxMessage is how long a positioned error's message may be. A message
// is a sentence or two; one longer than this repeats a value of the input
// (a 16 MiB syscall name or number), which Clip cuts out of it.
const MaxMessage = 1024

// Clip returns msg, or, when it is longer than MaxMessage, its start and
// end with the middle replaced by "…[N bytes]…", cut on character
// boundaries. Every positioned error goes through it, whichever reader
// quoted the value and however.
func Clip(msg string) string {
	if len(msg) <= MaxMessage {
		return msg
	}
	head, tail := MaxMessage/2, len(msg)-MaxMessage/4
	for head > 0 && !utf8.RuneStart(msg[head]) {
		head--
	}
	for tail < len(msg) && !utf8.RuneStart(msg[tail]) {
		tail++
	}
	return msg[:head] + fmt.Sprintf("…[%d bytes]…", tail-head) + msg[tail:]
}
