package annotation

import (
	"errors"
	"testing"
)

// TestLookAlikeNamespaces: more members of the class "a misspelt key
// starts the container unconfined, with no word": keys whose namespace
// differs from io.oci-sbx. only by white space or a character that looks
// the same must be refused, like a misspelt key inside the namespace.
func TestLookAlikeNamespaces(t *testing.T) {
	for _, key := range []string{
		" io.oci-sbx.profile",     // leading space
		"io.oci-sbx .profile",     // space before the dot
		"io.oci\u2010sbx.profile", // Unicode hyphen
		"io.oci\u2011sbx.profile", // non-breaking hyphen
		"\u0131o.oci-sbx.profile", // dotless i
		"io.oci-sbx\u3002profile", // ideographic full stop
		"io.\u043eci-sbx.profile", // Cyrillic o
		"io_oci-sbx.profile",      // underscore for the dot
	} {
		t.Run(key, func(t *testing.T) {
			_, err := ParseOCI(map[string]string{key: "demo.yaml"})
			if !errors.Is(err, ErrUnknown) {
				t.Errorf("ParseOCI(%q) = %v, want an error wrapping ErrUnknown", key, err)
			}
		})
	}
}
