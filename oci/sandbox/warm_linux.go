//go:build linux && cgo && seccomp

package sandbox

import (
	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/oci-sbx/oci-sbx/oci/cache"
)

// The warm start: the program runc's loader built for a profile, from the
// cache (package cache), loaded by a vfork child (spawn_linux.go) instead
// of a second Go process; and, where the launcher would start the run the
// same way, a launch entry for the next run of the same command line.

// checkLoaderProgram is checkLoader with the program in hand: it runs the
// loader's openat(AT_FDCWD, path, O_RDONLY|O_CLOEXEC) through the program
// in userspace instead of a probe child.
func checkLoaderProgram(p *cache.Program, path string) error {
	if p == nil {
		return nil
	}
	l, ok := loaderOf(path)
	if !ok {
		return nil
	}
	if outcome, ok := p.OpenOutcome(l.syscall); ok && outcome != "" {
		return &LoaderError{Path: l.prog, Script: l.script, Interp: l.interp, Syscall: l.syscall, Outcome: outcome}
	}
	return nil
}

// fileLaunch files p under c.Launch when the launcher would start the
// program exactly as this run does.
func fileLaunch(c Config, p *cache.Program) {
	if launchable(c, p) {
		cache.FileLaunch(c.Launch, p)
	}
}

// launchable reports whether the launcher would run c as Run does: the
// defaults of the command line (no_new_privs, the caller's environment and
// directory and user), no action whose outcome Run reports itself, and a
// program that lets any dynamic loader open its libraries.
func launchable(c Config, p *cache.Program) bool {
	if c.Launch == nil || p == nil || !c.NoNewPrivileges || c.Env != nil || c.Dir != "" || c.Credential != nil || c.Report != nil {
		return false
	}
	kills := func(a specs.LinuxSeccompAction) bool {
		switch a {
		case specs.ActKill, specs.ActKillProcess, specs.ActKillThread, specs.ActTrap:
			return true
		}
		return false
	}
	if kills(c.Seccomp.DefaultAction) {
		return false
	}
	for _, r := range c.Seccomp.Syscalls {
		if kills(r.Action) {
			return false
		}
	}
	for _, name := range []string{"openat", "open"} {
		if outcome, ok := p.OpenOutcome(name); ok && outcome != "" {
			return false
		}
	}
	return true
}
