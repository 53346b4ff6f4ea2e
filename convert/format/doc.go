// Package format is what every profile format of oci-sbx shares: the
// format names, the options a conversion takes, the check that turns a
// foreign profile into canonical form, and the canonical JSON that the
// OCI, Docker and Kubernetes outputs write.
package format
