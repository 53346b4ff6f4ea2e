package testutil

import (
	"slices"
	"time"
)

// Median is the middle of xs once sorted, for the odd numbers of rounds
// the benchmarks run; for an even number, the mean of the two middles.
func Median[T ~int64 | ~float64](xs []T) T {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// Ms is d in milliseconds, for the benchmarks' tables.
func Ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
