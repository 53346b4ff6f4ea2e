// Package conversion is one conversion as `oci-sbx convert` does it: a
// profile read in any format, hardened on request, checked that runc can
// start under it when the output is for an engine, and written in another
// format — Docker's with its capability-conditional rules kept where the
// input has them. It is the library behind the command, as
// go-containerregistry's pkg/crane is behind crane; the formats, the
// hardening and the check are the packages below it.
package conversion
