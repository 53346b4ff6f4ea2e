// Package testutil is the test support of oci-sbx, in one place: the rule
// that turns a skip for a missing prerequisite into a failure under CI,
// golden files with -update, and a seccomp notify filter for tests that
// need a real listener. Only tests import it.
package testutil
