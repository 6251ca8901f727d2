package notebooks

import (
	"encoding/json"
	"fmt"
	"html"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/embviz/embviz/internal/testutil"
	"github.com/embviz/embviz/reduce"
	"github.com/embviz/embviz/training"
)

// executed is the part of an executed .ipynb the tests look at.
type executed struct {
	Cells []struct {
		CellType string `json:"cell_type"`
		Outputs  []struct {
			OutputType string         `json:"output_type"`
			Name       string         `json:"name"`
			Text       any            `json:"text"`
			Data       map[string]any `json:"data"`
			EName      string         `json:"ename"`
			EValue     string         `json:"evalue"`
		} `json:"outputs"`
	} `json:"cells"`
}

// Execute runs the notebook at path headless with the GoNB kernel (jupyter nbconvert --execute),
// with extra environment variables env, and returns the executed notebook's path and its HTML
// outputs. It fails the test if any cell produced an error output.
func Execute(t *testing.T, path string, env []string, timeout time.Duration) (string, []string) {
	t.Helper()
	jupyter := testutil.Tool(t, "jupyter")
	jupyterPath := testKernel(t)
	outDir := testutil.OutDir(t, "notebooks")
	name := strings.TrimSuffix(filepath.Base(path), ".ipynb") + ".executed.ipynb"
	cmd := exec.Command(jupyter, "nbconvert", "--to", "notebook", "--execute", "--allow-errors",
		"--ExecutePreprocessor.kernel_name=gonb",
		fmt.Sprintf("--ExecutePreprocessor.timeout=%d", int(timeout.Seconds())),
		"--output-dir", outDir, "--output", name, path)
	cmd.Dir = filepath.Dir(path)
	cmd.Env = append(os.Environ(), "JUPYTER_PATH="+jupyterPath)
	cmd.Env = append(cmd.Env, env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("nbconvert --execute %s failed: %v\n%s", path, err, tail(string(out), 4000))
	}
	outPath := filepath.Join(outDir, name)
	data, err := os.ReadFile(outPath)
	if err != nil {
		t.Fatal(err)
	}
	var nb executed
	if err := json.Unmarshal(data, &nb); err != nil {
		t.Fatalf("executed notebook %s: %v", outPath, err)
	}
	var htmls []string
	for i, c := range nb.Cells {
		for _, o := range c.Outputs {
			if o.OutputType == "error" {
				var detail strings.Builder
				for _, o2 := range c.Outputs {
					detail.WriteString(join(o2.Text))
					if h, ok := o2.Data["text/html"]; ok && strings.Contains(join(h), "stderr") {
						detail.WriteString(stripTags(join(h)))
					}
				}
				t.Errorf("cell %d: error output %s: %s\n%s", i, o.EName, o.EValue, tail(detail.String(), 3000))
			}
			if o.OutputType == "stream" && o.Name == "stderr" && strings.Contains(join(o.Text), "panic:") {
				t.Errorf("cell %d: panic on stderr: %s", i, tail(join(o.Text), 2000))
			}
			if h, ok := o.Data["text/html"]; ok {
				htmls = append(htmls, join(h))
			}
		}
	}
	return outPath, htmls
}

// join flattens a notebook multiline string (a string or a list of strings).
func join(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case []any:
		var b strings.Builder
		for _, s := range x {
			fmt.Fprint(&b, s)
		}
		return b.String()
	}
	return ""
}

var tagRE = regexp.MustCompile(`(?s)<style.*?</style>|<[^>]*>`)

// stripTags turns GoNB's HTML error blocks into plain text.
func stripTags(s string) string { return html.UnescapeString(tagRE.ReplaceAllString(s, "")) }

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

// testKernel returns a JUPYTER_PATH directory holding a copy of the installed gonb kernel spec
// whose EMBVIZ_ROOT is this checkout, so that notebooks under test compile against the code under
// test whichever clone last ran kernels-setup/install.sh (the kernel spec's env wins over ours).
func testKernel(t *testing.T) string {
	t.Helper()
	py := testutil.Python(t, "jupyter_client", "nbconvert")
	script := `
import json, os, sys
from jupyter_client.kernelspec import KernelSpecManager
specs = KernelSpecManager().find_kernel_specs()
if "gonb" not in specs:
    sys.exit("the gonb Jupyter kernel is not installed (run kernels-setup/install.sh)")
spec = json.load(open(os.path.join(specs["gonb"], "kernel.json")))
spec.setdefault("env", {})["EMBVIZ_ROOT"] = sys.argv[2]
out = os.path.join(sys.argv[1], "kernels", "gonb")
os.makedirs(out, exist_ok=True)
json.dump(spec, open(os.path.join(out, "kernel.json"), "w"))
`
	dir := t.TempDir()
	if out, err := exec.Command(py, "-c", script, dir, testutil.RepoRoot()).CombinedOutput(); err != nil {
		testutil.Missing(t, "%s", out)
	}
	return dir
}

// TestSmokeNotebook executes a notebook that imports an embviz package and displays HTML.
func TestSmokeNotebook(t *testing.T) {
	runs := t.TempDir()
	r, err := training.CreateRun(runs, training.RunInfo{Model: "MLP", Dataset: "blobs", EmbedDim: 2})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.AppendSnapshot(0, 0, reduce.NewMatrix(3, 2), nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := r.Finish(0.5); err != nil {
		t.Fatal(err)
	}
	nb, err := filepath.Abs(filepath.Join("testdata", "smoke.ipynb"))
	if err != nil {
		t.Fatal(err)
	}
	_, htmls := Execute(t, nb, []string{"EMBVIZ_RUNS=" + runs, "EMBVIZ_ROOT=" + testutil.RepoRoot()}, 5*time.Minute)
	found := false
	for _, h := range htmls {
		if strings.Contains(h, `id="embviz-smoke"`) && strings.Contains(h, "run-0001-MLP_blobs_2_0.5000") {
			found = true
		}
	}
	if !found {
		t.Fatalf("no HTML output listing the run; HTML outputs: %q", htmls)
	}
}

// mainNotebookBudget is the most bytes the executed main notebook may take (issue 16: the default
// run's, as `make demo` writes it, <= 3.5 MB; quick runs are smaller, and vizlib's
// TestPlayerOutputBudget holds one animation output of the default run's size to its bytes per
// point).
const mainNotebookBudget = 3_500_000

// notebookSize is what an executed notebook's bytes go to.
type notebookSize struct {
	File, HTML    int // the .ipynb's bytes; the HTML outputs' characters
	Outputs       int // HTML outputs
	Library       int // characters of the embedded library copies (style and script)
	LibraryCopies int
	Unminified    int            // library copies that are not vizlib/assets/embviz.min.js
	Fields        map[string]int // base64 characters of the players' fields (thumbs, panels, knn, ...)
	Players       []string       // "n x f, panels P" of each player
}

// scriptRE matches a plain script; libDefRE tells an embedded library copy (the script that
// defines window.embviz) from a mount script.
var (
	scriptRE = regexp.MustCompile(`(?s)<script>(.*?)</script>`)
	libDefRE = regexp.MustCompile(`window\.embviz\s*=\s*\{`)
)

// dataScriptRE matches a fragment's JSON data.
var dataScriptRE = regexp.MustCompile(`(?s)<script type="application/json" id="[^"]+-data">(.*?)</script>`)

// measureNotebook reads an executed notebook and returns what its bytes go to.
func measureNotebook(t *testing.T, path string) notebookSize {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	minJS, err := os.ReadFile(filepath.Join(testutil.RepoRoot(), "vizlib", "assets", "embviz.min.js"))
	if err != nil {
		t.Fatal(err)
	}
	var nb executed
	if err := json.Unmarshal(data, &nb); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	s := notebookSize{File: len(data), Fields: map[string]int{}}
	for _, c := range nb.Cells {
		for _, o := range c.Outputs {
			hv, ok := o.Data["text/html"]
			if !ok {
				continue
			}
			h := join(hv)
			s.Outputs++
			s.HTML += len(h)
			for _, m := range scriptRE.FindAllStringSubmatch(h, -1) {
				if !libDefRE.MatchString(m[1]) {
					continue
				}
				s.LibraryCopies++
				s.Library += len(m[1])
				if strings.TrimSpace(m[1]) != strings.TrimSpace(string(minJS)) {
					s.Unminified++
				}
			}
			for _, m := range regexp.MustCompile(`(?s)<style>(.*?)</style>`).FindAllStringSubmatch(h, -1) {
				s.Library += len(m[1])
			}
			for _, m := range dataScriptRE.FindAllStringSubmatch(h, -1) {
				var sp struct {
					Kind   string `json:"kind"`
					N      int    `json:"n"`
					F      int    `json:"f"`
					Thumbs *struct {
						RC string `json:"rc"`
					} `json:"thumbs"`
					Panels []struct {
						Data string `json:"data"`
					} `json:"panels"`
					Knn, Preds, Labels, Indices, Colors string
					Runs                                []struct{ Knn, Preds string }
				}
				if json.Unmarshal([]byte(m[1]), &sp) != nil || sp.Kind != "player" {
					continue
				}
				s.Players = append(s.Players, fmt.Sprintf("%d points x %d frames, %d panels", sp.N, sp.F, len(sp.Panels)))
				if sp.Thumbs != nil {
					s.Fields["thumbs"] += len(sp.Thumbs.RC)
				}
				for _, p := range sp.Panels {
					s.Fields["panels"] += len(p.Data)
				}
				s.Fields["knn"] += len(sp.Knn)
				s.Fields["preds"] += len(sp.Preds)
				for _, r := range sp.Runs {
					s.Fields["knn"] += len(r.Knn)
					s.Fields["preds"] += len(r.Preds)
				}
				s.Fields["labels, indices, colors"] += len(sp.Labels) + len(sp.Indices) + len(sp.Colors)
			}
		}
	}
	return s
}

// checkMainNotebookSize measures the executed main notebook, logs what its bytes go to, and
// checks it against mainNotebookBudget and that every output embeds the minified library.
func checkMainNotebookSize(t *testing.T, path string) {
	t.Helper()
	s := measureNotebook(t, path)
	var fields []string
	for _, k := range []string{"thumbs", "panels", "knn", "preds", "labels, indices, colors"} {
		fields = append(fields, fmt.Sprintf("%s %.0f KB", k, float64(s.Fields[k])/1e3))
	}
	t.Logf("%s: %.2f MB (budget %.1f MB); %d HTML outputs of %.2f MB: library %d copies, %.0f KB; players' fields: %s; players: %s",
		filepath.Base(path), float64(s.File)/1e6, float64(mainNotebookBudget)/1e6, s.Outputs, float64(s.HTML)/1e6, s.LibraryCopies,
		float64(s.Library)/1e3, strings.Join(fields, ", "), strings.Join(s.Players, "; "))
	if s.File > mainNotebookBudget {
		t.Errorf("%s is %d bytes, over the budget of %d", path, s.File, mainNotebookBudget)
	}
	if s.LibraryCopies == 0 || len(s.Players) == 0 {
		t.Errorf("%s: %d library copies, %d players: not the main notebook's outputs", path, s.LibraryCopies, len(s.Players))
	}
	if s.Unminified > 0 {
		t.Errorf("%s: %d of %d library copies are not vizlib/assets/embviz.min.js (stale notebook, or the library embedded unminified)", path, s.Unminified, s.LibraryCopies)
	}
}

// TestMeasureNotebook checks measureNotebook on notebooks written here: it counts the library
// copies, tells the minified library from the source, and sums the players' fields.
func TestMeasureNotebook(t *testing.T) {
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(testutil.RepoRoot(), "vizlib", "assets", name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	player := `<script type="application/json" id="evz-1-data">{"kind":"player","n":3,"f":2,"thumbs":{"rc":"AAAA"},"panels":[{"data":"BBBBBB"}],"runs":[{"knn":"CC","preds":"DDD"}],"labels":"E"}</script>`
	for _, tc := range []struct {
		name       string
		lib        string
		unminified int
	}{
		{"minified", read("embviz.min.js"), 0},
		{"source", read("embviz.js"), 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := `<div class="evz-frag"><style>.evz{}</style>` + "\n<script>" + tc.lib + "</script>\n" + player + `</div>`
			nb := map[string]any{"cells": []any{
				map[string]any{"cell_type": "code", "outputs": []any{
					map[string]any{"output_type": "display_data", "data": map[string]any{"text/html": []string{out[:100], out[100:]}}},
					map[string]any{"output_type": "display_data", "data": map[string]any{"text/html": out}},
				}},
			}}
			data, err := json.Marshal(nb)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "nb.ipynb")
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}
			s := measureNotebook(t, path)
			if s.File != len(data) || s.Outputs != 2 || s.LibraryCopies != 2 || s.Unminified != tc.unminified || len(s.Players) != 2 {
				t.Errorf("measured %+v", s)
			}
			if s.Library != 2*(len(tc.lib)+len(".evz{}")) {
				t.Errorf("library: %d characters, want %d", s.Library, 2*(len(tc.lib)+len(".evz{}")))
			}
			want := map[string]int{"thumbs": 8, "panels": 12, "knn": 4, "preds": 6, "labels, indices, colors": 2}
			for k, v := range want {
				if s.Fields[k] != v {
					t.Errorf("field %s: %d, want %d", k, s.Fields[k], v)
				}
			}
		})
	}
}
