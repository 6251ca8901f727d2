// Package testutil holds helpers shared by embviz tests: finding external tools (Debian's Python
// with its scientific packages, Chromium, node) and deciding whether their absence skips or fails.
//
// With EMBVIZ_STRICT=1 (set by `make test` and CI) a missing tool fails the test, so that the
// reference comparisons cannot silently stop running; without it, the test is skipped.
package testutil

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// Strict reports whether EMBVIZ_STRICT=1 is set.
func Strict() bool { return os.Getenv("EMBVIZ_STRICT") == "1" }

// Missing skips the test (or fails it in strict mode) with the reason why a tool is unavailable.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	if Strict() {
		t.Fatalf("EMBVIZ_STRICT=1 and a required tool is missing: "+format, args...)
	}
	t.Skipf("skipping, tool missing: "+format, args...)
}

// Python returns Debian's /usr/bin/python3 after checking that it can import every module in
// modules (e.g. "sklearn", "umap", "numpy"); otherwise it calls Missing.
func Python(t testing.TB, modules ...string) string {
	t.Helper()
	py := "/usr/bin/python3"
	if _, err := os.Stat(py); err != nil {
		Missing(t, "%s not found (apt-get install python3)", py)
		return ""
	}
	if len(modules) > 0 {
		cmd := exec.Command(py, "-c", "import "+strings.Join(modules, ", "))
		if out, err := cmd.CombinedOutput(); err != nil {
			Missing(t, "%s cannot import %v: %v\n%s", py, modules, err, out)
			return ""
		}
	}
	return py
}

// Tool returns the path of an executable on PATH (or an absolute path), or calls Missing.
func Tool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		Missing(t, "%s not on PATH", name)
		return ""
	}
	return p
}

// RepoRoot returns the repository root (the directory holding go.mod), found from this file.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// OutDir returns a directory under the repo's test-output/ for artifacts a person may want to
// look at after the tests (screenshots, exported HTML); it is created if needed and git-ignored.
func OutDir(t testing.TB, name string) string {
	t.Helper()
	d := filepath.Join(RepoRoot(), "test-output", name)
	if err := os.MkdirAll(d, 0o755); err != nil {
		t.Fatal(err)
	}
	return d
}

// BuildProgram compiles prog, the source of a main package, as if it were the file main.go of
// pkgDir (a directory relative to the repository root that need not exist: the file lives only in
// a `go build -overlay`), so that it can import the repository's packages. It returns the build's
// combined output and error; the test is skipped when the go tool is not on PATH.
func BuildProgram(t testing.TB, pkgDir, prog string) ([]byte, error) {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go tool not on PATH")
	}
	root := RepoRoot()
	dir := t.TempDir()
	src := filepath.Join(dir, "main.go")
	if err := os.WriteFile(src, []byte(prog), 0o644); err != nil {
		t.Fatal(err)
	}
	overlay, err := json.Marshal(map[string]any{"Replace": map[string]string{filepath.Join(root, pkgDir, "main.go"): src}})
	if err != nil {
		t.Fatal(err)
	}
	ov := filepath.Join(dir, "overlay.json")
	if err := os.WriteFile(ov, overlay, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(goBin, "build", "-overlay", ov, "-o", os.DevNull, "./"+pkgDir)
	cmd.Dir = root
	return cmd.CombinedOutput()
}
