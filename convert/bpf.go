package convert

import "errors"

// BPF is the raw seccomp program — struct sock_filter[] in host byte order
// — that bwrap --seccomp FD and crun's run.oci.seccomp_bpf_data take. It
// is the program runc loads, libseccomp's filter behind runc's ENOSYS
// stub, and no call of runc returns it: only the kernel can, once the
// profile is loaded. So Write refuses it, and the seccomp build of the
// command line exports it through oci/program.Export.
const BPF Format = "bpf"

// ErrBPFNeedsLoader is Write's answer for BPF.
var ErrBPFNeedsLoader = errors.New("the bpf format is the program runc loads, which only the seccomp build can produce: use oci-sbx convert --to bpf")
