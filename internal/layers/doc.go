// Package layers is the import layering of oci-sbx, stated as data: which
// folders of the module may import which, and which packages may use cgo,
// libseccomp and runc's libcontainer. Its test checks every package of the
// module (tests included) against it, in the pure and the seccomp build,
// and every Go file whatever its build constraint (another architecture,
// a tag no build here sets): its imports, that cgo, libseccomp and runc
// stay behind `cgo && seccomp`, that each fenced package has its stub,
// and that no hand-written file grows past maxLines;
// and that ARCHITECTURE.md, which draws these layers, names every package
// and only paths that exist; `make check-deps` runs that test.
//
//	cmd/      the CLI: on top, may import anything
//	hooks/    Podman's hook, the seccomp agent, the NRI plugin
//	oci/      bundles, stages, running programs under a filter, notify plumbing
//	convert/  profiles: language, formats, tables, BPF, lint
//	internal/ helpers several layers share; imports none of them
package layers
