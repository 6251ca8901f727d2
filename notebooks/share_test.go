package notebooks

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/embviz/embviz/internal/testutil"
)

// testStart is when this test binary started: executed notebooks older than it are stale.
var testStart = time.Now()

// shareResult is what testdata/share.mjs reports for one notebook.
type shareResult struct {
	Name         string   `json:"name"`
	Mode         string   `json:"mode"`
	Trusted      *bool    `json:"trusted"`
	Outputs      int      `json:"outputs"`
	Views        int      `json:"views"`
	Mounted      int      `json:"mounted"`
	PostersShown int      `json:"postersShown"`
	ErrorBoxes   []string `json:"errorBoxes"`
	BlankCanvas  []string `json:"blankCanvases"`
	Blocked      []string `json:"blocked"`
	PageErrors   []string `json:"pageErrors"`
	Shots        []string `json:"shots"`
	Blank        []struct {
		Index  int    `json:"index"`
		Cell   int    `json:"cell"`
		Ink    int    `json:"ink"`
		Height int    `json:"height"`
		Text   string `json:"text"`
		HTML   string `json:"html"`
	} `json:"blank"`
}

// sharedNotebooks returns the executed notebooks to open, by notebook name: those in
// $EMBVIZ_SHARE_NOTEBOOKS (a directory of executed NAME.ipynb or NAME.executed.ipynb), else those
// the notebook tests of this run wrote to test-output/notebooks; the main notebook is executed
// here (quick mode) when no test of this run did.
func sharedNotebooks(t *testing.T) map[string]string {
	t.Helper()
	names, err := filepath.Glob("*.ipynb")
	if err != nil || len(names) == 0 {
		t.Fatalf("no notebooks in %s: %v", notebookPath(t, "."), err)
	}
	out := map[string]string{}
	if dir := os.Getenv("EMBVIZ_SHARE_NOTEBOOKS"); dir != "" {
		for _, n := range names {
			base := strings.TrimSuffix(n, ".ipynb")
			for _, p := range []string{filepath.Join(dir, base+".executed.ipynb"), filepath.Join(dir, n)} {
				if _, err := os.Stat(p); err == nil {
					out[n] = p
					break
				}
			}
		}
		if len(out) == 0 {
			t.Fatalf("EMBVIZ_SHARE_NOTEBOOKS=%s holds none of %v", dir, names)
		}
		return out
	}
	dir := testutil.OutDir(t, "notebooks")
	for _, n := range names {
		p := filepath.Join(dir, strings.TrimSuffix(n, ".ipynb")+".executed.ipynb")
		if st, err := os.Stat(p); err == nil && st.ModTime().After(testStart) {
			out[n] = p
		}
	}
	const main = "embedding_visualization.ipynb"
	if out[main] == "" {
		t.Logf("executing %s (quick mode): no test of this run did", main)
		p, _ := Execute(t, notebookPath(t, main), []string{"EMBVIZ_QUICK=1", "EMBVIZ_RUNS=" + t.TempDir()}, 20*time.Minute)
		out[main] = p
	}
	for _, n := range names {
		if out[n] == "" {
			t.Logf("%s: not executed by this run's tests (run its Test...Notebook first); not opened", n)
		}
	}
	return out
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startNotebookServer starts `jupyter notebook` on 127.0.0.1 serving dir, with Jupyter's data,
// config and runtime directories of its own (env), and returns its base URL; it is stopped when
// the test ends. Its log is shown if it does not come up.
func startNotebookServer(t *testing.T, jupyter, dir string, env []string) string {
	t.Helper()
	port := freePort(t)
	logPath := filepath.Join(t.TempDir(), "jupyter-notebook.log")
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(jupyter, "notebook", "--no-browser", "--port", fmt.Sprint(port), "--ip", "127.0.0.1",
		"--NotebookApp.token=", "--NotebookApp.password=", "--allow-root", "--notebook-dir", dir)
	cmd.Env, cmd.Stdout, cmd.Stderr = env, logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting jupyter notebook: %v", err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		// SIGTERM: the server shuts its kernels down and exits; the group takes any stragglers.
		syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
		logf.Close()
	})
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	deadline := time.Now().Add(90 * time.Second)
	for {
		resp, err := http.Get(base + "/api")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return base
			}
		}
		select {
		case <-done:
			log, _ := os.ReadFile(logPath)
			t.Fatalf("jupyter notebook exited before serving: %s", tail(string(log), 3000))
		default:
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(logPath)
			t.Fatalf("jupyter notebook did not answer on %s within 90 s: %s", base, tail(string(log), 3000))
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// TestNotebooksShared opens every executed notebook the way a colleague does, in a real Jupyter
// Notebook server and Chromium (network blocked except localhost): first untrusted (Jupyter strips
// the outputs' scripts), where every output area must show a picture (no blank output: the views'
// Go-drawn posters), then trusted (`jupyter trust`), where every view must mount and draw, its
// poster hidden. Screenshots of every notebook (and of any blank output) go to
// test-output/notebooks/share. The main notebook must stay within mainNotebookBudget (run it on
// `make demo`'s: EMBVIZ_SHARE_NOTEBOOKS=out).
func TestNotebooksShared(t *testing.T) {
	if testing.Short() {
		t.Skip("opens executed notebooks in a notebook server and a browser")
	}
	jupyter := testutil.Tool(t, "jupyter")
	node := testutil.Tool(t, "node")
	chromium := os.Getenv("EMBVIZ_CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	if _, err := os.Stat(chromium); err != nil {
		testutil.Missing(t, "chromium not installed (apt-get install chromium)")
	}
	if _, err := os.Stat(filepath.Join(testutil.RepoRoot(), "vizlib", "browsertest", "node_modules", "playwright-core")); err != nil {
		testutil.Missing(t, "playwright-core not installed (npm ci --prefix vizlib/browsertest)")
	}
	jupyterPath := testKernel(t)
	nbs := sharedNotebooks(t)
	var names []string
	for n := range nbs {
		names = append(names, n)
	}
	sort.Strings(names)

	// Copies in a directory of their own, one untrusted and one trusted; Jupyter's state (the
	// signatures database) in temporary directories, so that nothing of the user's is touched.
	root := t.TempDir()
	env := append(os.Environ(), "JUPYTER_PATH="+jupyterPath, "JUPYTER_DATA_DIR="+filepath.Join(root, "data"),
		"JUPYTER_CONFIG_DIR="+filepath.Join(root, "config"), "JUPYTER_RUNTIME_DIR="+filepath.Join(root, "runtime"))
	nbDir := filepath.Join(root, "nb")
	for _, sub := range []string{"untrusted", "trusted"} {
		if err := os.MkdirAll(filepath.Join(nbDir, sub), 0o755); err != nil {
			t.Fatal(err)
		}
		for _, n := range names {
			copyFile(t, nbs[n], filepath.Join(nbDir, sub, n))
		}
	}
	for _, n := range names {
		if st, err := os.Stat(nbs[n]); err == nil {
			t.Logf("%s: executed notebook %s, %.1f MB", n, nbs[n], float64(st.Size())/1e6)
		}
	}
	if p := nbs["embedding_visualization.ipynb"]; p != "" {
		checkMainNotebookSize(t, p)
	}
	base := startNotebookServer(t, jupyter, nbDir, env)
	shots := filepath.Join(testutil.OutDir(t, "notebooks"), "share")
	script := filepath.Join(testutil.RepoRoot(), "notebooks", "testdata", "share.mjs")

	run := func(mode string) map[string]shareResult {
		args := []string{script, "-base", base, "-shot", shots}
		if mode == "trusted" {
			args = append(args, "-trusted")
		}
		for _, n := range names {
			args = append(args, mode+"/"+n)
		}
		cmd := exec.Command(node, args...)
		cmd.Env = env
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		res := map[string]shareResult{}
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 1<<20), 1<<24)
		for sc.Scan() {
			if !strings.HasPrefix(sc.Text(), "{") {
				continue
			}
			var r shareResult
			if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
				t.Fatalf("share.mjs output: %v", err)
			}
			res[filepath.Base(r.Name)] = r
		}
		if err := cmd.Wait(); err != nil {
			t.Fatalf("share.mjs (%s): %v\n%s", mode, err, tail(stderr.String(), 3000))
		}
		return res
	}

	untrusted := run("untrusted")
	var summary []string
	for _, n := range names {
		r, ok := untrusted[n]
		if !ok {
			t.Errorf("%s: no untrusted result", n)
			continue
		}
		summary = append(summary, fmt.Sprintf("%s: %d of %d outputs blank", n, len(r.Blank), r.Outputs))
		for _, e := range r.PageErrors {
			t.Errorf("%s (untrusted): %s", n, e)
		}
		if r.Trusted == nil || *r.Trusted {
			t.Errorf("%s opened trusted; the untrusted check needs a notebook Jupyter does not trust", n)
		}
		if r.Outputs == 0 {
			t.Errorf("%s (untrusted): no outputs found", n)
		}
		for _, b := range r.Blank {
			t.Errorf("%s (untrusted): output %d (cell %d) is blank (%d inked pixels, %d px high): %q", n, b.Index, b.Cell, b.Ink, b.Height, b.HTML)
		}
		for _, u := range r.Blocked {
			t.Errorf("%s (untrusted): request outside localhost: %s", n, u)
		}
		if len(r.Shots) > 0 {
			t.Logf("%s (untrusted): screenshot %s", n, r.Shots[0])
		}
	}
	t.Logf("untrusted, blank outputs per notebook:\n  %s", strings.Join(summary, "\n  "))

	// `jupyter trust` (nbformat's TrustNotebookApp; Debian ships no jupyter-trust script). Trust
	// goes by content, so the copies are trusted only after the untrusted pass.
	py := testutil.Python(t, "nbformat")
	trust := exec.Command(py, append([]string{"-m", "nbformat.sign"}, names...)...)
	trust.Dir, trust.Env = filepath.Join(nbDir, "trusted"), env
	if out, err := trust.CombinedOutput(); err != nil {
		t.Fatalf("jupyter trust: %v\n%s", err, out)
	}
	trusted := run("trusted")
	for _, n := range names {
		r, ok := trusted[n]
		if !ok {
			t.Errorf("%s: no trusted result", n)
			continue
		}
		for _, e := range r.PageErrors {
			t.Errorf("%s (trusted): %s", n, e)
		}
		if r.Trusted == nil || !*r.Trusted {
			t.Errorf("%s: jupyter trust did not make it trusted", n)
		}
		if r.Mounted != r.Views {
			t.Errorf("%s (trusted): %d of %d views mounted", n, r.Mounted, r.Views)
		}
		if r.PostersShown > 0 {
			t.Errorf("%s (trusted): %d posters still shown next to their mounted views", n, r.PostersShown)
		}
		for _, e := range r.ErrorBoxes {
			t.Errorf("%s (trusted): error box: %s", n, e)
		}
		for _, c := range r.BlankCanvas {
			t.Errorf("%s (trusted): blank player canvas: %s", n, c)
		}
		for _, b := range r.Blank {
			t.Errorf("%s (trusted): output %d (cell %d) is blank: %q", n, b.Index, b.Cell, b.HTML)
		}
		for _, u := range r.Blocked {
			t.Errorf("%s (trusted): request outside localhost: %s", n, u)
		}
		t.Logf("%s (trusted): %d views mounted, %d outputs; screenshot %v", n, r.Mounted, r.Outputs, r.Shots)
	}

	// The HTML export, as `make demo` writes it: nothing loaded from outside the page; the main
	// notebook's export opened in Chromium attempts no request outside the page and mounts its
	// players (check.mjs; its interaction checks are TestMainNotebook's).
	exports := filepath.Join(testutil.OutDir(t, "notebooks"), "share")
	for _, n := range names {
		page := exportSelfContained(t, jupyter, filepath.Join(nbDir, "trusted", n), exports)
		if n != "embedding_visualization.ipynb" {
			continue
		}
		out, _ := exec.Command(node, filepath.Join(testutil.RepoRoot(), "vizlib", "browsertest", "check.mjs"), "-shot", exports, page).Output()
		var res struct {
			Blocked []string          `json:"blocked"`
			Players []json.RawMessage `json:"players"`
		}
		for _, line := range strings.Split(string(out), "\n") {
			if strings.HasPrefix(line, "{") {
				if err := json.Unmarshal([]byte(line), &res); err != nil {
					t.Fatalf("check.mjs output: %v", err)
				}
			}
		}
		if len(res.Blocked) > 0 {
			t.Errorf("the export %s requested %d URLs outside itself: %q", page, len(res.Blocked), res.Blocked)
		}
		if len(res.Players) < 6 {
			t.Errorf("the export %s mounted %d players, want >= 6", page, len(res.Players))
		}
		t.Logf("%s: self-contained HTML export %s: %d players mounted, no request outside the page", n, page, len(res.Players))
	}
}

// externalRE matches what an HTML page would load from outside itself: an element's src/href/data
// to a file:, http(s): or protocol-relative URL, a CSS url(...) to one, an @import.
var externalRE = regexp.MustCompile(`(?i)<(script|img|link|iframe|source|video|audio|embed|object)[^>]*(src|href|data)=["']?(file:|https?:|//)[^"' >]{0,80}|url\(["']?(file:|https?:|//)[^)]{0,80}|@import[^;]{0,80}`)

// exportSelfContained exports an executed notebook to HTML in outDir as `make demo` does (the
// embviz template in kernels-setup/nbconvert: JupyterLab's, without require.js and MathJax) and
// checks that the page references nothing outside itself.
func exportSelfContained(t *testing.T, jupyter, nb, outDir string) string {
	t.Helper()
	cmd := exec.Command(jupyter, "nbconvert", "--to", "html",
		"--TemplateExporter.extra_template_basedirs="+filepath.Join(testutil.RepoRoot(), "kernels-setup", "nbconvert"),
		"--template", "embviz", "--output-dir", outDir, nb)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("nbconvert --to html --template embviz %s: %v\n%s", nb, err, tail(string(out), 2000))
	}
	page := filepath.Join(outDir, strings.TrimSuffix(filepath.Base(nb), ".ipynb")+".html")
	data, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	if refs := externalRE.FindAllString(string(data), 5); len(refs) > 0 {
		t.Errorf("%s loads from outside itself: %q", page, refs)
	}
	return page
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestKernelNeutralizesGOFLAGS checks that a GOFLAGS=-mod=mod in the environment Jupyter starts
// from does not break the notebooks: the installed kernel spec's GOFLAGS (kernels-setup/install.sh)
// overrides it, and kernels-setup/gowork.sh, which each notebook's first cell runs, drops it too. It
// wires a module like GoNB's to this checkout with gowork.sh and builds a program importing embviz
// in workspace mode, as GoNB does for every cell; the same build with the raw environment must
// fail (the failure the kernel's setting prevents).
func TestKernelNeutralizesGOFLAGS(t *testing.T) {
	goBin := testutil.Tool(t, "go")
	spec := filepath.Join(testKernel(t), "kernels", "gonb", "kernel.json")
	data, err := os.ReadFile(spec)
	if err != nil {
		t.Fatal(err)
	}
	var ks struct {
		Env map[string]string `json:"env"`
	}
	if err := json.Unmarshal(data, &ks); err != nil {
		t.Fatalf("%s: %v", spec, err)
	}
	kflags, ok := ks.Env["GOFLAGS"]
	if !ok || strings.Contains(" "+kflags, " -mod=") {
		t.Fatalf("the installed gonb kernel spec sets GOFLAGS=%q (set: %v): it must set it, without -mod=... (re-run kernels-setup/install.sh)", kflags, ok)
	}
	dir := t.TempDir()
	writeFile := func(name, text string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	writeFile("go.mod", "module gonb_goflags_test\n\ngo 1.26\n")
	writeFile("main.go", "package main\n\nimport (\n\t\"fmt\"\n\n\t\"github.com/embviz/embviz/reduce\"\n)\n\nfunc main() { fmt.Println(reduce.NewMatrix(2, 3).Cols) }\n")
	// The user's environment, with GOFLAGS=-mod=mod; the kernel's is that plus the spec's env
	// (Jupyter's merge: the spec wins).
	user := append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=", "EMBVIZ_ROOT="+testutil.RepoRoot(), "GONB_DIR="+dir)
	kernel := append([]string(nil), user...)
	for k, v := range ks.Env {
		if k != "PATH" && k != "EMBVIZ_ROOT" { // keep this machine's PATH and this checkout
			kernel = append(kernel, k+"="+v)
		}
	}
	run := func(env []string, name string, args ...string) (string, error) {
		cmd := exec.Command(name, args...)
		cmd.Dir, cmd.Env = dir, env
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	// gowork.sh copes with the raw environment by itself.
	if out, err := run(user, "bash", filepath.Join(testutil.RepoRoot(), "kernels-setup", "gowork.sh")); err != nil {
		t.Fatalf("gowork.sh with GOFLAGS=-mod=mod: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "go.work")); err != nil {
		t.Fatalf("gowork.sh wrote no go.work: %v", err)
	}
	if out, err := run(kernel, goBin, "run", "."); err != nil || strings.TrimSpace(out) != "3" {
		t.Errorf("a cell's build in the kernel's environment: %v\n%s", err, out)
	}
	if out, err := run(user, goBin, "build", "-o", os.DevNull, "."); err == nil || !strings.Contains(out, "-mod may only be set to readonly or vendor when in workspace mode") {
		t.Errorf("with GOFLAGS=-mod=mod and no kernel override, the build should fail as in GoNB; got %v\n%s", err, out)
	}
}
