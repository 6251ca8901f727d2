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
