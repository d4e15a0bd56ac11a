package harness

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Process is a binary run as its own process, its output in a log file.
type Process struct {
	cmd  *exec.Cmd
	log  *os.File
	done chan struct{}
	err  error
}

// Start runs binary with args and extra environment variables, logging to logPath.
func Start(binary string, args, env []string, logPath string) (*Process, error) {
	log, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		_ = log.Close()
		return nil, fmt.Errorf("starting %s: %w", binary, err)
	}
	p := &Process{cmd: cmd, log: log, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		_ = log.Close()
		close(p.done)
	}()
	return p, nil
}

// Pid is the process's ID.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// LogPath is where the process's output goes.
func (p *Process) LogPath() string { return p.log.Name() }

// Exited says whether the process has ended.
func (p *Process) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Kill ends the process at once, as an OOM kill or a lost node does, and waits for it.
func (p *Process) Kill() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// Stop asks the process to end (SIGTERM, as the kubelet does) and kills it after timeout.
func (p *Process) Stop(timeout time.Duration) error {
	if p.Exited() {
		return nil
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		var exit *exec.ExitError
		if errors.As(p.err, &exit) && !exit.Exited() {
			return nil // ended by the signal
		}
		return p.err
	case <-time.After(timeout):
		// A Go program prints every goroutine's stack on SIGQUIT: the log then shows what
		// held it up.
		_ = p.cmd.Process.Signal(syscall.SIGQUIT)
		select {
		case <-p.done:
		case <-time.After(5 * time.Second):
			p.Kill()
		}
		return fmt.Errorf("%s did not stop within %s of SIGTERM; its goroutines are in its log: %s", p.cmd.Path, timeout, p.LogPath())
	}
}

// PeakRSS is the kernel's high-water mark of the process's resident memory, in bytes.
func (p *Process) PeakRSS() int64 {
	return p.statusKiB("VmHWM:") * 1024
}

// FileRSS is how much of the process's resident memory is file-backed (its binary's
// pages), in bytes: a share no change of the code's allocations moves.
func (p *Process) FileRSS() int64 {
	return p.statusKiB("RssFile:") * 1024
}

// statusKiB reads a field of /proc/<pid>/status given in kB; 0 when unreadable.
func (p *Process) statusKiB(field string) int64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.Pid()))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if rest, ok := strings.CutPrefix(line, field); ok {
			kib, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kib
		}
	}
	return 0
}

// CPUTime is the processor time the process has used so far (user and system).
func (p *Process) CPUTime() time.Duration {
	return ProcessCPU(p.Pid())
}

// ProcessCPU is the processor time (user and system) process pid has used so far, read
// from /proc; 0 when unreadable.
func ProcessCPU(pid int) time.Duration {
	stat, ok := readStat(fmt.Sprintf("/proc/%d/stat", pid))
	if !ok {
		return 0
	}
	return stat.cpu
}

// ChildrenCPU is the processor time the children of this process named in names (their
// command names, e.g. kube-apiserver and etcd) have used so far.
func ChildrenCPU(names ...string) time.Duration {
	paths, err := filepath.Glob("/proc/[0-9]*/stat")
	if err != nil {
		return 0
	}
	var total time.Duration
	for _, path := range paths {
		if stat, ok := readStat(path); ok && stat.ppid == os.Getpid() && slices.Contains(names, stat.command) {
			total += stat.cpu
		}
	}
	return total
}

// procStat is what this package reads of a /proc/<pid>/stat file.
type procStat struct {
	command string
	ppid    int
	cpu     time.Duration // user and system
}

func readStat(path string) (procStat, bool) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return procStat{}, false
	}
	// The command name is in parentheses and may hold spaces and ')'. After it: state is
	// field 3, ppid 4, utime and stime 14 and 15, in clock ticks (100 per second on Linux).
	open, end := strings.IndexByte(string(raw), '('), strings.LastIndexByte(string(raw), ')')
	if open < 0 || end < open {
		return procStat{}, false
	}
	fields := strings.Fields(string(raw[end+1:]))
	if len(fields) < 13 {
		return procStat{}, false
	}
	ppid, _ := strconv.Atoi(fields[1])
	utime, _ := strconv.ParseInt(fields[11], 10, 64)
	stime, _ := strconv.ParseInt(fields[12], 10, 64)
	return procStat{command: string(raw[open+1 : end]), ppid: ppid, cpu: time.Duration(utime+stime) * 10 * time.Millisecond}, true
}
