package training

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// LockFile is the file in a run directory that the process writing the run holds an exclusive
// flock(2) on for as long as it writes; it contains that process's id. A run whose run.json says
// "running" while nobody holds the lock was left behind by a writer that died: it is reported as
// StatusInterrupted.
const LockFile = "run.lock"

// runsLockFile, in the runs directory, is held (flock) while a run number is allocated, so that
// concurrent CreateRun calls in any number of processes never hand out the same number.
const runsLockFile = ".embviz-runs.lock"

// ErrRunLive is returned (wrapped, with the run, the process id and what to do) when a run is
// opened for writing while another process still writes it.
var ErrRunLive = errors.New("run is still being written by another process")

// lockWait is how long acquiring a run's lock retries before reporting it as held: a reader
// probing the lock (runLive) holds it shared for a moment.
const lockWait = 200 * time.Millisecond

// flockRetry applies flock(how|LOCK_NB) to f, retrying for up to wait while it would block.
func flockRetry(f *os.File, how int, wait time.Duration) error {
	deadline := time.Now().Add(wait)
	for {
		err := syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB)
		if err == nil || !errors.Is(err, syscall.EWOULDBLOCK) || time.Now().After(deadline) {
			return err
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// lockRun takes the writer's lock of the run in dir and records this process's id in it. It
// fails with an error wrapping ErrRunLive when another process (or another Run in this process)
// holds it; id names the run in that error.
func lockRun(dir, id string) (*os.File, error) {
	path := filepath.Join(dir, LockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("training: locking run %s: %w", id, err)
	}
	if err := flockRetry(f, syscall.LOCK_EX, lockWait); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, liveError(dir, id)
		}
		return nil, fmt.Errorf("training: locking %s: %w", path, err)
	}
	// Best effort: the process id is only for messages.
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return f, nil
}

// liveError is the error for a run whose lock is held by another writer.
func liveError(dir, id string) error {
	who := "another process"
	if pid := lockHolder(dir); pid > 0 {
		who = fmt.Sprintf("process %d", pid)
	}
	return fmt.Errorf("training: run %s is still being trained by %s (it holds %s): %w; wait for it to finish, or stop that process and then resume the run",
		id, who, filepath.Join(dir, LockFile), ErrRunLive)
}

// lockHolder returns the process id recorded in the run's lock file, or 0.
func lockHolder(dir string) int {
	data, err := os.ReadFile(filepath.Join(dir, LockFile))
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || pid <= 0 {
		return 0
	}
	return pid
}

// runLive reports whether some process holds the writer's lock of the run in dir. A run without
// a lock file (written by an older embviz, or never locked) has no live writer.
func runLive(dir string) bool {
	f, err := os.Open(filepath.Join(dir, LockFile))
	if err != nil {
		return false
	}
	defer f.Close()
	err = syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB)
	if err == nil {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		return false
	}
	return errors.Is(err, syscall.EWOULDBLOCK)
}

// effectiveStatus is the status to report for a run whose run.json says status: "running" is
// StatusInterrupted unless a writer holds the run's lock.
func effectiveStatus(dir, status string) string {
	if status == StatusRunning && !runLive(dir) {
		return StatusInterrupted
	}
	return status
}

// withRunsLock calls fn while holding the runs directory's allocation lock.
func withRunsLock(runsDir string, fn func() error) error {
	path := filepath.Join(runsDir, runsLockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		if errors.Is(err, fs.ErrPermission) {
			return fmt.Errorf("training: runs directory %s is not writable: %w", runsDir, err)
		}
		return fmt.Errorf("training: locking runs directory: %w", err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		return fmt.Errorf("training: locking %s: %w", path, err)
	}
	defer syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	return fn()
}
