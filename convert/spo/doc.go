// Package spo reads and writes Security Profiles Operator SeccompProfile
// resources, the form in which the operator installs a profile on every
// node of a cluster.
package spo
