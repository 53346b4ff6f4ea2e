package convert_test

import (
	"fmt"
	"os"

	"github.com/oci-sbx/oci-sbx/convert"
)

// The demo's rules, read and written as the linux.seccomp object of an OCI
// config.json. An explicit "flags": [] keeps runc from adding
// SECCOMP_FILTER_FLAG_SPEC_ALLOW.
func ExampleRead() {
	rules := []byte(`default: allow
architectures: [x86_64]
rules:
  - action: errno(EPERM)
    syscalls: [openat, connect]
`)
	p, err := convert.Read("demo.yaml", rules, convert.Rules, convert.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := convert.Write(os.Stdout, p, convert.OCI, convert.Options{}); err != nil {
		fmt.Println(err)
	}
	// Output:
	// {
	// 	"defaultAction": "SCMP_ACT_ALLOW",
	// 	"architectures": [
	// 		"SCMP_ARCH_X86_64"
	// 	],
	// 	"flags": [],
	// 	"syscalls": [
	// 		{
	// 			"names": [
	// 				"connect",
	// 				"openat"
	// 			],
	// 			"action": "SCMP_ACT_ERRNO",
	// 			"errnoRet": 1
	// 		}
	// 	]
	// }
}

// A typo is an error with its position and a suggestion.
func ExampleRead_typo() {
	_, err := convert.Read("bad.yaml", []byte("default: allow\nrules:\n  - {action: errno(EPERM), syscalls: [opnat]}\n"), convert.Rules, convert.Options{})
	fmt.Println(err)
	// Output:
	// bad.yaml:3:39: unknown syscall "opnat": did you mean "openat"?
}
