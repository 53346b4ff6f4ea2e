// Package cache is the cache of compiled programs: per profile, the
// program runc's loader builds on this host (package program), kept so
// that a later run with the same profile loads those exact instructions
// with the flags runc would pass, without libseccomp compiling anything.
//
// It is kept only for root, in /var/cache/oci-sbx (Env moves it or
// switches it off), in a directory owned by root with no group or other
// permissions, reached without following a symlink; entries are written
// atomically and checked before every load — the key byte for byte, a
// SHA-256 over key and program, and the program as the kernel checks one
// (filter.Decode). Anything that fails is rebuilt, never loaded. A cache of
// a user's own would be writable by every program that user runs under a
// profile, so a confined program could loosen the next run's filter:
// non-root runs compile every time instead.
//
// Its launch entries are read by the launcher (launch.c), C code that a
// binary linking this package runs before the Go runtime starts: for an
// `exec --profile FILE [--] CMD` command line whose program the cache
// holds, it loads the program as runc would and replaces itself with CMD
// (see Launch). The launcher and the Go side compute every key with the
// same C code.
//
// It needs cgo, libseccomp and the seccomp build tag; without them Dir
// returns loader.ErrUnsupported and Lookup finds nothing.
package cache
