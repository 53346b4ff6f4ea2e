package cache

// Env moves the cache or switches it off; see Dir.
const (
	// Env names the environment variable that sets the cache's directory
	// (an absolute path), or "off".
	Env = "OCI_SBX_CACHE"
	// DefaultDir is the cache's directory when Env is unset.
	DefaultDir = "/var/cache/oci-sbx"
)

// Launch is an `oci-sbx exec --profile FILE [--] CMD [ARG...]` command
// line, with no other flag, as a binary linking this package sees it in
// its arguments; see sandbox.Launch.
type Launch struct {
	Profile string // FILE as given
	Data    []byte // what it held
	Notes   []byte // what reading it wrote to standard error, repeated on a launch
}

// Counts is what the cache did in this process.
type Counts struct {
	Hits, Compiles, Rejected, Stores, Launches int64
}
