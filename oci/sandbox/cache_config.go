package sandbox

// Run keeps the program runc compiles for a profile in a cache, so that a
// later run with the same profile loads it without compiling it again.
// CacheEnv moves the cache or switches it off; see CacheDir.
const (
	// CacheEnv names the environment variable that sets the cache's
	// directory (an absolute path), or "off".
	CacheEnv = "OCI_SBX_CACHE"
	// DefaultCacheDir is the cache's directory when CacheEnv is unset.
	DefaultCacheDir = "/var/cache/oci-sbx"
)
