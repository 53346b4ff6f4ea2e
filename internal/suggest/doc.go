// Package suggest finds the "did you mean" candidate for a misspelled
// name: the closest one by edit distance, when it is a plausible typo.
package suggest
