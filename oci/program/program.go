package program

import "errors"

// ErrNoFilter is returned by Export for a profile with neither a default
// action nor rules, which runc takes as "no seccomp".
var ErrNoFilter = errors.New("the profile loads no filter: runc applies none when it has neither a default action nor rules")
