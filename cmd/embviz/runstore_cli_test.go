package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/embviz/embviz/training"
)

// envMainArgs makes the test binary act as embviz (TestMainChild): the arguments, separated by
// newlines.
const envMainArgs = "EMBVIZ_TEST_MAIN_ARGS"

// TestMainChild runs runMain with the arguments in $EMBVIZ_TEST_MAIN_ARGS and exits with its
// status; it does nothing unless started by embvizProcess.
func TestMainChild(t *testing.T) {
	args := os.Getenv(envMainArgs)
	if args == "" {
		t.Skip("child process of the multi-process tests only")
	}
	os.Exit(runMain(strings.Split(args, "\n"), os.Stdout, os.Stderr))
}

// embvizProcess returns a command that runs `embviz args...` in a new process (the test binary).
func embvizProcess(args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^TestMainChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), envMainArgs+"="+strings.Join(args, "\n"))
	return cmd
}

// TestConcurrentTrainProcesses: 8 `embviz train` processes with different settings started at
// once, 5 rounds, give 40 runs with 40 distinct numbers, every one finished and opened by its
// number, and each one's directory is the name it had when created (the id printed at the end
// is that name plus the accuracy).
func TestConcurrentTrainProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts 40 processes")
	}
	runs := t.TempDir()
	const procs, rounds = 8, 5
	var ids []string
	for round := range rounds {
		var wg sync.WaitGroup
		out := make([]string, procs)
		errs := make([]error, procs)
		for p := range procs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				// Different settings give different directory names: the old allocation only
				// retried when the very same name existed.
				cmd := embvizProcess("train", "-runs", runs, "-model", "mlp", "-dataset", "blobs", "-q",
					"-steps", "2", "-batch", "8", "-snapshots", "2", "-eval-size", "20",
					"-embed-dim", fmt.Sprint(2+p), "-seed", fmt.Sprint(round))
				var stdout, stderr bytes.Buffer
				cmd.Stdout, cmd.Stderr = &stdout, &stderr
				if err := cmd.Run(); err != nil {
					errs[p] = fmt.Errorf("process %d of round %d: %v\n%s", p, round, err, stderr.String())
				}
				out[p] = strings.TrimSpace(stdout.String())
			}()
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, out...)
	}
	numbers := map[int]string{}
	for _, id := range ids {
		n := training.RunNumber(id)
		if other, dup := numbers[n]; dup {
			t.Errorf("run number %d given to both %s and %s", n, other, id)
		}
		numbers[n] = id
		r, err := training.OpenRun(runs, id)
		if err != nil {
			t.Fatal(err)
		}
		info := r.Info()
		if info.Status != training.StatusFinished || info.DisplayID() != id || !strings.HasPrefix(id, info.ID+"_") {
			t.Errorf("run %s: status %s, display id %s, directory %s", id, info.Status, info.DisplayID(), info.ID)
		}
		if byNumber, err := training.OpenRun(runs, fmt.Sprintf("run-%04d", n)); err != nil || byNumber.ID() != info.ID {
			t.Errorf("run-%04d: %v", n, err)
		}
	}
	entries, _ := os.ReadDir(runs)
	var dirs int
	for _, e := range entries {
		if e.IsDir() {
			dirs++
		}
	}
	if len(numbers) != procs*rounds || dirs != procs*rounds {
		t.Errorf("%d distinct numbers and %d directories for %d runs", len(numbers), dirs, procs*rounds)
	}
}

// TestResumeLiveRunCLI: `embviz train -resume` of a run that another process holds fails with
// a message naming that process and what to do; once the holder is gone it is listed as
// interrupted and the same command resumes it.
func TestResumeLiveRunCLI(t *testing.T) {
	runs := t.TempDir()
	// The holder: a process that creates a run and keeps its lock until its stdin closes.
	holder := exec.Command(os.Args[0], "-test.run=^TestHoldRunChild$", "-test.count=1")
	holder.Env = append(os.Environ(), envHoldRuns+"="+runs)
	stdin, err := holder.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	var holderOut bytes.Buffer
	holder.Stdout, holder.Stderr = &holderOut, &holderOut
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	defer holder.Process.Kill()
	var id string
	for deadline := time.Now().Add(time.Minute); id == ""; time.Sleep(10 * time.Millisecond) {
		if st, _ := training.ListRuns(runs); len(st) == 1 && st[0].Status == training.StatusRunning {
			id = st[0].ID
		}
		if time.Now().After(deadline) {
			t.Fatalf("the holder created no run: %s", holderOut.String())
		}
	}
	var stdout, stderr bytes.Buffer
	code := runMain([]string{"train", "-runs", runs, "-resume", "run-0001", "-q"}, &stdout, &stderr)
	want := fmt.Sprintf("run %s is still being trained by process %d", id, holder.Process.Pid)
	if code != 1 || !strings.Contains(stderr.String(), want) || !strings.Contains(stderr.String(), "wait for it to finish, or stop that process and then resume the run") {
		t.Errorf("resume of a live run: exit %d, stderr %q; want exit 1 and %q", code, stderr.String(), want)
	}
	stdin.Close()
	if err := holder.Wait(); err != nil {
		t.Fatalf("holder: %v\n%s", err, holderOut.String())
	}
	stdout.Reset()
	runMain([]string{"runs", "-runs", runs}, &stdout, &stderr)
	if !strings.Contains(stdout.String(), "interrupted") || !strings.Contains(stdout.String(), "-resume "+id) {
		t.Errorf("runs after the holder died:\n%s", stdout.String())
	}
}

const envHoldRuns = "EMBVIZ_TEST_HOLD_RUNS"

// TestHoldRunChild creates a run through the training package (as `train` would, but without
// training) and holds it until stdin closes, then exits without finishing it.
func TestHoldRunChild(t *testing.T) {
	runs := os.Getenv(envHoldRuns)
	if runs == "" {
		t.Skip("child process of TestResumeLiveRunCLI only")
	}
	r, err := training.CreateRun(runs, training.RunInfo{Model: "MLP", Dataset: "blobs", EmbedDim: 2})
	if err != nil {
		t.Fatal(err)
	}
	_, _ = os.Stdin.Read(make([]byte, 1))
	_ = r
	os.Exit(0)
}

// TestTrainResumeConflicts: -resume with settings flags is a usage error naming them.
func TestTrainResumeConflicts(t *testing.T) {
	runs := t.TempDir()
	var stdout, stderr bytes.Buffer
	code := runMain([]string{"train", "-runs", runs, "-resume", "run-0001", "-model", "cnn", "-steps", "50"}, &stdout, &stderr)
	if code != 2 || !strings.Contains(stderr.String(), "-model, -steps cannot be combined with -resume: a resumed run continues with the settings it was created with") {
		t.Errorf("exit %d, stderr %q", code, stderr.String())
	}
}
