package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

// memoryCgroup is a memory cgroup the manager runs in, as its container would with a
// memory limit: the kernel OOM-kills it past the limit, and the manager derives its Go
// memory limit from the cgroup's as in production. An environment variable such as
// GOMEMLIMIT would not do: `go run` passes it on to the API server and etcd too.
type memoryCgroup struct {
	dir, procs string
}

// newMemoryCgroup creates a cgroup limited to limit bytes (cgroup v2, or v1's memory
// controller).
func newMemoryCgroup(name string, limit int64) (*memoryCgroup, error) {
	if _, err := os.Stat("/sys/fs/cgroup/cgroup.controllers"); err == nil {
		dir := filepath.Join("/sys/fs/cgroup", name)
		return createCgroup(dir, "memory.max", limit)
	}
	return createCgroup(filepath.Join("/sys/fs/cgroup/memory", name), "memory.limit_in_bytes", limit)
}

func createCgroup(dir, limitFile string, limit int64) (*memoryCgroup, error) {
	if err := os.Mkdir(dir, 0o755); err != nil && !os.IsExist(err) {
		return nil, fmt.Errorf("creating memory cgroup %s: %w", dir, err)
	}
	if err := os.WriteFile(filepath.Join(dir, limitFile), []byte(strconv.FormatInt(limit, 10)), 0o644); err != nil {
		return nil, fmt.Errorf("limiting memory cgroup %s: %w", dir, err)
	}
	return &memoryCgroup{dir: dir, procs: filepath.Join(dir, "cgroup.procs")}, nil
}

// command runs binary with args inside the cgroup: a shell joins it, then becomes the
// binary, so not one allocation of the manager happens outside it.
func (c *memoryCgroup) command(binary string, args []string) (string, []string) {
	return "/bin/sh", append([]string{"-c", `echo $$ > "$0" && exec "$@"`, c.procs, binary}, args...)
}

// remove deletes the cgroup once nothing runs in it.
func (c *memoryCgroup) remove() error {
	return os.Remove(c.dir)
}
