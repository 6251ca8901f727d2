package notebooks

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/embviz/embviz/internal/testutil"
)

// kindRE finds the kind of every visualization in an HTML output ("player", "chart", ...).
var kindRE = regexp.MustCompile(`"kind":"([a-z]+)"`)

// cdnRE matches anything that would load from the network.
var cdnRE = regexp.MustCompile(`(?i)<script[^>]+src=["']?https?:|<link[^>]+href=["']?https?:|cdn\.|cdnjs\.|jsdelivr\.|unpkg\.com`) // a dot: never inside base64 data

// countKinds counts visualization kinds over the HTML outputs and checks none loads from a CDN.
func countKinds(t *testing.T, htmls []string) map[string]int {
	t.Helper()
	kinds := map[string]int{}
	for i, h := range htmls {
		if m := cdnRE.FindString(h); m != "" {
			t.Errorf("HTML output %d references the network: %q", i, m)
		}
		if strings.Contains(h, `class="evz-error"`) {
			t.Errorf("HTML output %d is an error box: %s", i, tail(stripTags(h), 500))
		}
		for _, m := range kindRE.FindAllStringSubmatch(h, -1) {
			kinds[m[1]]++
		}
	}
	return kinds
}

// exportHTML converts an executed notebook to HTML with nbconvert and returns the file's path.
func exportHTML(t *testing.T, executed string) string {
	t.Helper()
	out, err := exec.Command("jupyter", "nbconvert", "--to", "html", executed).CombinedOutput()
	if err != nil {
		t.Fatalf("nbconvert --to html: %v\n%s", err, tail(string(out), 2000))
	}
	return strings.TrimSuffix(executed, ".ipynb") + ".html"
}

// browserCheck loads an HTML page in headless Chromium with the network blocked (vizlib's
// browsertest/check.mjs) and returns the number of players that mounted, drew and played.
func browserCheck(t *testing.T, page string) int {
	t.Helper()
	node := testutil.Tool(t, "node")
	script := filepath.Join(testutil.RepoRoot(), "vizlib", "browsertest", "check.mjs")
	if _, err := os.Stat(filepath.Join(filepath.Dir(script), "node_modules", "playwright-core")); err != nil {
		testutil.Missing(t, "playwright-core not installed (npm ci --prefix vizlib/browsertest)")
	}
	cmd := exec.Command(node, script, "-foreign", "-shot", testutil.OutDir(t, "notebooks"), page)
	out, err := cmd.Output()
	var res struct {
		Failures []string          `json:"failures"`
		Players  []json.RawMessage `json:"players"`
	}
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "{") {
			if jerr := json.Unmarshal(sc.Bytes(), &res); jerr != nil {
				t.Fatalf("check.mjs output: %v", jerr)
			}
		}
	}
	for _, f := range res.Failures {
		t.Errorf("browser check of %s: %s", filepath.Base(page), f)
	}
	if err != nil && len(res.Failures) == 0 {
		stderr := ""
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("check.mjs: %v\n%s", err, tail(stderr, 2000))
	}
	return len(res.Players)
}

func notebookPath(t *testing.T, name string) string {
	t.Helper()
	p, err := filepath.Abs(name)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestMainNotebook executes embedding_visualization.ipynb in quick mode on an empty runs
// directory (so it first trains the default run), checks every expected output, exports it to
// HTML and plays the export in Chromium with the network blocked.
func TestMainNotebook(t *testing.T) {
	if testing.Short() {
		t.Skip("executes a notebook with training: minutes")
	}
	runs := t.TempDir()
	start := time.Now()
	executed, htmls := Execute(t, notebookPath(t, "embedding_visualization.ipynb"),
		[]string{"EMBVIZ_QUICK=1", "EMBVIZ_RUNS=" + runs}, 20*time.Minute)
	t.Logf("executed in %v", time.Since(start).Round(time.Second))
	kinds := countKinds(t, htmls)
	// Training records, drift, CKA, eigenvalues: charts; confusion matrices: a heatmap; five single
	// animations and the synced grid: players.
	if kinds["chart"] < 4 || kinds["heatmap"] < 1 || kinds["player"] < 6 {
		t.Errorf("expected >= 4 charts, >= 1 heatmap, >= 6 players; got %v", kinds)
	}
	if !strings.Contains(strings.Join(htmls, "\n"), `class="embviz-runs"`) && !strings.Contains(strings.Join(htmls, "\n"), `embviz-note`) {
		t.Errorf("the runs cell showed nothing")
	}
	page := exportHTML(t, executed)
	if players := browserCheck(t, page); players < 6 {
		t.Errorf("the HTML export mounted %d players, want >= 6", players)
	}
}
