// Package oci reads and writes runtime-spec's linux.seccomp: a bare
// profile, or the one inside a whole config.json.
package oci
