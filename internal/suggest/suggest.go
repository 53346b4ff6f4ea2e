package suggest

import (
	"fmt"
	"strings"
)

// Closest returns the candidate closest to s, for "did you mean" hints: the
// smallest case-insensitive edit distance (insertions, deletions,
// substitutions and swaps of adjacent letters), ties broken by the smaller
// name. It returns "" when even the closest candidate is too far away to
// be a plausible typo: more than a third of the length of s (at least 1),
// or as long as s itself.
func Closest(s string, candidates []string) string {
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
	if sug := Closest(name, known); sug != "" {
		return fmt.Errorf("unknown %s %q%s: did you mean %q?", what, name, ctx, sug)
	}
	return fmt.Errorf("unknown %s %q%s (want one of %s)", what, name, ctx, strings.Join(known, ", "))
}

// UnknownKey is UnknownName for a mapping key, saying where it was.
func UnknownKey(key, where string, known []string) error {
	return UnknownName("key", key, known, " in "+where)
}
