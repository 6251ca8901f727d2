package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/embviz/embviz/training/npy"
)

// TestErrorMessages: each input that used to give a poor message (or was silently accepted)
// gives one that says what is wrong and what to do.
func TestErrorMessages(t *testing.T) {
	dir := t.TempDir()
	x := filepath.Join(dir, "x.npy")
	if err := npy.WriteFile(x, &npy.Array{Shape: []int{50, 6}, F64: reduceBlobs(50, 6)}); err != nil {
		t.Fatal(err)
	}
	seq := filepath.Join(dir, "seq.npy")
	if err := npy.WriteFile(seq, &npy.Array{Shape: []int{2, 3, 6}, F64: reduceBlobs(6, 6)}); err != nil {
		t.Fatal(err)
	}
	runs := t.TempDir()
	reportTestRun(t, runs)
	train := []string{"train", "-runs", filepath.Join(dir, "runs"), "-model", "mlp", "-dataset", "blobs", "-q"}
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"NaN lr", append(train, "-lr", "NaN"), 2, "-lr must be a finite number, got NaN"},
		{"Inf clip", append(train, "-clip", "Inf"), 2, "-clip must be a finite number, got +Inf"},
		{"NaN weight decay", append(train, "-weight-decay", "nan"), 2, "-weight-decay must be a finite number, got NaN"},
		{"snapshots 0", append(train, "-snapshots", "0"), 2, "-snapshots must be >= 2 (snapshot 0, the untrained model, and the last step both count), got 0"},
		{"snapshots 1", append(train, "-snapshots", "1"), 2, "-snapshots must be >= 2 (snapshot 0, the untrained model, and the last step both count), got 1"},
		{"warmup beyond steps", append(train, "-steps", "20", "-warmup", "50"), 2, "-warmup 50 must be less than -steps 20 (or -1 for no warm-up)"},
		{"resume with settings", []string{"train", "-runs", runs, "-resume", "run-0001", "-lr", "0.1"}, 2, "-lr cannot be combined with -resume"},
		{"resume finished", []string{"train", "-runs", runs, "-resume", "run-0001", "-q"}, 1, "run run-0001-MLP_blobs_4_1.0000 is already finished; nothing to resume"},
		{"bench -h", []string{"bench", "-h"}, 0, "embviz bench needs a subcommand:\n  bench reduce"},
		{"bench", []string{"bench"}, 2, "  bench train "},
		{"metrics -b with eigen", []string{"metrics", "-method", "eigen", "-in", x, "-b", x}, 2, "-b does not apply to -method eigen"},
		{"metrics -k with cka", []string{"metrics", "-method", "cka", "-in", x, "-b", x, "-k", "3"}, 2, "-k does not apply to -method cka"},
		{"mphate knn", []string{"reduce", "-method", "mphate", "-in", seq, "-out", filepath.Join(dir, "y.npy")}, 2, "-knn 5 must be in [1, n-1 = 2] for " + seq + "'s 3 points per snapshot"},
		{"reduce -out missing dir", []string{"reduce", "-method", "pca", "-in", x, "-out", filepath.Join(dir, "nope", "y.npy")}, 2, "-out: cannot write " + filepath.Join(dir, "nope", "y.npy") + ": directory " + filepath.Join(dir, "nope") + " does not exist"},
		{"reduce -out a directory", []string{"reduce", "-method", "pca", "-in", x, "-out", dir}, 2, "-out: cannot write " + dir + ": it is a directory"},
		{"tsne perplexity advice", []string{"reduce", "-method", "tsne", "-in", x, "-out", filepath.Join(dir, "t.npy")}, 0, "perplexity 30 is too high for 50 points (needs n-1 >= 3*perplexity); using 16.33"},
		{"report -interpolate -1", []string{"report", "-runs", runs, "-run", "run-0001", "-interpolate", "-1"}, 2, "-interpolate is -1: use 0 for none or a positive count"},
		{"report -max-points -5", []string{"report", "-runs", runs, "-run", "run-0001", "-max-points", "-5"}, 2, "-max-points is -5: use 0 for all points or a positive count"},
		{"report -out first", []string{"report", "-runs", runs, "-run", "run-0001", "-out", filepath.Join(dir, "nope", "r.html")}, 2, "-out: cannot write " + filepath.Join(dir, "nope", "r.html") + ": directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := runMain(tc.args, &stdout, &stderr)
			msg := stderr.String()
			if code != tc.code || !strings.Contains(msg, tc.want) {
				t.Errorf("exit %d, stderr:\n%s\nwant exit %d and %q", code, msg, tc.code, tc.want)
			}
			if strings.Contains(msg, ".tmp-") || strings.Contains(msg, "at most 0") || strings.Contains(msg, "16.333") {
				t.Errorf("message leaks a temporary file or an unformatted number: %s", msg)
			}
		})
	}
	if entries, _ := os.ReadDir(filepath.Join(dir, "runs")); len(entries) != 0 {
		t.Errorf("rejected train commands left %d entries in the runs directory", len(entries))
	}
	if _, err := os.Stat(filepath.Join(dir, "nope")); err == nil {
		t.Error("a rejected -out created its directory")
	}
}

// TestTermSafe: the one escaping helper of every table and message.
func TestTermSafe(t *testing.T) {
	for in, want := range map[string]string{
		"run-0001-CNN_mnist_32":   "run-0001-CNN_mnist_32",
		"a\x1b[31mred\x1b[0m":     `a\x1b[31mred\x1b[0m`,
		"bell\a\r\n\t":            `bell\x07\r\n\t`,
		"del\x7f c1\u009b":        `del\x7f c1\x9b`,
		"bidi\u202egnp.exe":       `bidi\u202egnp.exe`,
		"bad utf8 \xff\xfe":       `bad utf8 \xff\xfe`,
		"ünïcödé 数据 \\ backslash": "ünïcödé 数据 \\ backslash",
	} {
		if got := termSafe(in); got != want {
			t.Errorf("termSafe(%q) = %q, want %q", in, got, want)
		}
	}
	if got := termSafeText("line 1\nline\x1b2\tend"); got != "line 1\nline\\x1b2\tend" {
		t.Errorf("termSafeText kept or escaped the wrong characters: %q", got)
	}
}
