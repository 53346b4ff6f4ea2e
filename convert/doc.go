// Package convert is the format registry of oci-sbx: Read and Write a
// seccomp profile by format (Sniff guesses the format from the content),
// Parse a profile as written, Builtin for the built-in bases, and Equal,
// which compares two profiles by what runc makes of them. Each format
// lives in a package of its own below; this one dispatches to them and
// resolves the extends of the rules language.
package convert
