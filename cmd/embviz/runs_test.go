package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/embviz/embviz/reduce"
	"github.com/embviz/embviz/training"
)

func TestRunsCommand(t *testing.T) {
	dir := t.TempDir()
	for i, model := range []string{"CNN", "MLP"} {
		r, err := training.CreateRun(dir, training.RunInfo{Model: model, Dataset: "fashion-mnist", EmbedDim: 32})
		if err != nil {
			t.Fatal(err)
		}
		for s := 0; s < 3+i; s++ {
			if _, err := r.AppendSnapshot(s, 0, reduce.NewMatrix(2, 2), nil, nil); err != nil {
				t.Fatal(err)
			}
		}
		if i == 0 {
			if err := r.Finish(0.8123); err != nil {
				t.Fatal(err)
			}
		}
	}
	// A run whose writer died (lock released, status still running), with hostile strings.
	evil, err := training.CreateRun(dir, training.RunInfo{Model: "M\x1b[2J", Dataset: "d\x1b]0;pwned\x07\u202e", EmbedDim: 2})
	if err != nil {
		t.Fatal(err)
	}
	evil.Close()
	empty := t.TempDir()
	tests := []struct {
		name     string
		args     []string
		code     int
		contains []string
	}{
		{"table", []string{"runs", "-runs", dir}, 0, []string{
			"ID STATUS DATASET MODEL SNAPSHOTS FINAL_ACC",
			"run-0001-CNN_fashion-mnist_32_0.8123 finished fashion-mnist CNN 3 0.8123",
			"run-0002-MLP_fashion-mnist_32 running fashion-mnist MLP 4 -",
			`run-0003-M-[2J_d-]0;pwned--_2 interrupted d\x1b]0;pwned\x07\u202e M\x1b[2J 0 -`,
			"interrupted: the process training the run died; continue it with embviz train -runs " + dir + " -resume run-0003-M-[2J_d-]0;pwned--_2"}},
		{"empty", []string{"runs", "-runs", empty}, 0, []string{"no runs"}},
		{"missing", []string{"runs", "-runs", filepath.Join(empty, "nope")}, 1, []string{"does not exist"}},
		{"bad flag", []string{"runs", "-bogus"}, 2, []string{"flag provided but not defined"}},
		{"unknown command", []string{"frobnicate"}, 2, []string{`unknown command "frobnicate"`, "runs"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := runMain(tc.args, &out, &errOut)
			all := strings.Join(strings.Fields(out.String()+errOut.String()), " ")
			if code != tc.code {
				t.Fatalf("exit %d, want %d; output:\n%s", code, tc.code, all)
			}
			if strings.ContainsAny(all, "\x1b\x07\u202e") {
				t.Errorf("control characters reached the terminal: %q", all)
			}
			for _, want := range tc.contains {
				if !strings.Contains(all, want) {
					t.Errorf("output lacks %q:\n%s", want, all)
				}
			}
		})
	}
}

func TestDefaultRunsDir(t *testing.T) {
	t.Setenv("EMBVIZ_RUNS", "")
	if got := defaultRunsDir(); got != "runs" {
		t.Fatalf("default runs dir %q, want runs", got)
	}
	t.Setenv("EMBVIZ_RUNS", "/x/y")
	if got := defaultRunsDir(); got != "/x/y" {
		t.Fatalf("runs dir %q, want $EMBVIZ_RUNS", got)
	}
}
