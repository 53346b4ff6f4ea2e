// Package docker reads Docker and Podman seccomp profiles, resolving
// archMap, includes, excludes and errno names for a target the way Docker
// and Podman do when a container starts, and holds the built-in base
// profiles (Docker's and Podman's defaults). It also decodes the
// Docker-shaped profile that the OCI and SPO formats are subsets of.
package docker
