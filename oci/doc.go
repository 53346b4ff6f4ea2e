// Package oci is the OCI bundle: strict reading of config.json and safe,
// atomic writes of the files oci-sbx produces.
package oci
