// Package plural says how many of a thing there are, in English: "1 call",
// "2 calls", so that no message of oci-sbx reads "1 calls".
package plural

import "strconv"

// Of is "1 ONE" when n is 1 and "N MANY" otherwise.
func Of(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}
