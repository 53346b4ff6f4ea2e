package hooks

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/oci-sbx/oci-sbx/oci/annotation"
	"github.com/oci-sbx/oci-sbx/oci/record"
	"github.com/oci-sbx/oci-sbx/oci/stage"
)

// DefaultRecords is the directory record annotations name files in.
const DefaultRecords = "/var/lib/oci-sbx/records"

// DefaultRecordRun is where the recorders' sockets and logs are kept.
const DefaultRecordRun = "/run/oci-sbx/record"

// recordContainer is Precreate for the record annotation: it starts a
// recorder (oci-sbx record --listen, in its own session, outliving the
// hook) on a fresh socket and gives the container the recording filter
// whose listenerPath is that socket. The recorder writes the profile to
// name beneath the records directory when the container has exited.
// With the engine's profile kept (the default), the filter is that
// profile with its allows notified, so the recording is what the
// container needs within it.
func recordContainer(config []byte, v *annotation.Values, name string, replace bool, opt PrecreateOptions) ([]byte, error) {
	key := v.Key(annotation.Record)
	if err := v.RecordAlone(); err != nil {
		return nil, err
	}
	ed, spec, err := parseConfig(config)
	if err != nil {
		return nil, err
	}
	var engine *specs.LinuxSeccomp
	if spec.Linux != nil {
		engine = spec.Linux.Seccomp
	}
	nnp := stage.OriginalNoNewPrivileges(spec)
	s, unobserved, err := RecordFilter(engine, name, replace, nnp, opt)
	if err != nil {
		return nil, fmt.Errorf("annotation %s: %w", key, err)
	}
	records := opt.Records
	if records == "" {
		records = DefaultRecords
	}
	// The filter holds the engine's profile already, where it is kept,
	// and lets through what runc needs: the plan is linux.seccomp alone.
	plan, err := stage.Make(s, stage.Options{NoNewPrivileges: nnp, ReplaceEngine: true})
	if err != nil {
		return nil, fmt.Errorf("annotation %s: applying the recording filter: %w", key, err)
	}
	if plan.Late != nil {
		return nil, fmt.Errorf("annotation %s: applying the recording filter: it would need a late stage (%s), where the recorder could not see from runc's load on", key, conflicts(plan))
	}
	if err := plan.Apply(ed, stage.Place{}); err != nil {
		return nil, err
	}
	opt.note("recording to %s beneath %s; unobserved (runc calls them after loading the filter): %s", name, records, strings.Join(unobserved, ", "))
	return ed.Bytes(), nil
}

// containerFilter is the recording filter: within the engine's profile
// unless it is replaced or there is none.
func containerFilter(engine *specs.LinuxSeccomp, socket string, nnp, replace bool) (*specs.LinuxSeccomp, []string, error) {
	if !replace && engine != nil {
		return record.ContainerFilterWithin(engine, socket, nnp)
	}
	return record.ContainerFilter(socket, nnp, nil)
}

// startRecorder starts oci-sbx record --listen in a session of its own,
// so that it outlives the hook, and waits until it listens.
func startRecorder(opt PrecreateOptions, socket, records, name string) error {
	find := opt.Recorder
	if find == nil {
		find = os.Executable
	}
	bin, err := find()
	if err != nil {
		return fmt.Errorf("finding oci-sbx to record with: %w", err)
	}
	logPath := strings.TrimSuffix(socket, ".sock") + ".log"
	logFile, err := os.OpenFile(logPath, os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return fmt.Errorf("starting the recorder: %w", err)
	}
	defer logFile.Close()
	// A container whose creation fails before runc loads its filter never
	// connects: the recorder then gives up rather than wait for ever.
	cmd := exec.Command(bin, "record", "--listen", socket, "--listen-timeout", "10m", "--records", records, "-o", name)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting the recorder: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	deadline := time.After(10 * time.Second)
	for {
		if st, err := os.Lstat(socket); err == nil && st.Mode()&os.ModeSocket != 0 {
			return nil
		}
		select {
		case err := <-exited:
			out, _ := os.ReadFile(logPath)
			return fmt.Errorf("the recorder exited before listening (%v): %s", err, strings.TrimSpace(string(out)))
		case <-deadline:
			_ = cmd.Process.Kill()
			return errors.New("the recorder did not listen within 10s")
		case <-time.After(5 * time.Millisecond):
		}
	}
}
