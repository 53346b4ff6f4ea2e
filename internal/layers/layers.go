package layers

// Module is the import path of the module.
const Module = "github.com/oci-sbx/oci-sbx"

// Forbidden maps a folder of the module to the folders its packages must
// not import. e2e/ and testdata/ programs stand outside the layers.
var Forbidden = map[string][]string{
	"internal": {"convert", "oci", "hooks", "cmd"},
	"convert":  {"oci", "hooks", "cmd"},
	"oci":      {"hooks", "cmd"},
	"hooks":    {"cmd"},
}

// Cgo lists the packages that may use cgo, libseccomp and runc's
// libcontainer, each behind the `linux && cgo && seccomp` build
// constraint with a stub otherwise. Besides them only cmd/ and e2e/, which
// link them, may depend on such code; every other package is pure Go
// (its tests may compare it with libseccomp).
var Cgo = []string{
	"oci/loader",  // runc's loader: Check, LookPath
	"oci/sandbox", // the runner
	"oci/cache",   // compiled programs, and the C launcher that reads them
	"oci/program", // the program runc's loader builds, caught in a child
	"oci/late",    // the late stage inside a container
	"oci/record",  // recording, and its replay
	// A generator (go generate), never linked: it reads libseccomp's
	// syscall table.
	"convert/syscalls/internal/mksyscalls",
}

// CgoDeps are the import paths (prefixes) that mark cgo-only code.
var CgoDeps = []string{"runtime/cgo", "github.com/seccomp/", "github.com/opencontainers/runc/"}
