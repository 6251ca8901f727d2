package vizlib

import (
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/embviz/embviz/internal/testutil"
	"github.com/embviz/embviz/training"
)

var (
	liveIDs = regexp.MustCompile(`evz-[0-9a-f]{12}-\d+`)
	liveSub = regexp.MustCompile(`(\d+) snapshots · status (\w+)`)
)

// TestLiveTraining trains a short run in this process (TrainLive) while its reader rewrites a
// page from the run store; a poller sees the page grow snapshot by snapshot, and the final page
// equals the offline output of the finished run (Live of the finished run), ids aside.
func TestLiveTraining(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: trains a model")
	}
	dir := t.TempDir()
	out := testutil.OutDir(t, "vizlib")
	livePath := filepath.Join(out, "live.html")
	os.Remove(livePath)
	seen := map[string]bool{}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // a browser tab reloading the file
		defer wg.Done()
		for {
			if b, err := os.ReadFile(livePath); err == nil {
				if m := liveSub.FindSubmatch(b); m != nil {
					seen[string(m[1])+" "+string(m[2])] = true
				}
			}
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	cfg := training.Config{RunsDir: dir, Model: "mlp", Dataset: "blobs", Steps: 240, Snapshots: 6, EvalSize: 200}
	start := time.Now()
	fig := TrainLive(cfg, LiveOpts{File: livePath, Poll: 50 * time.Millisecond})
	close(stop)
	wg.Wait()
	if b, err := os.ReadFile(livePath); err == nil {
		if m := liveSub.FindSubmatch(b); m != nil {
			seen[string(m[1])+" "+string(m[2])] = true
		}
	}
	if err := fig.Err(); err != nil {
		t.Fatal(err)
	}
	t.Logf("trained and watched in %v; page states seen: %v", time.Since(start).Round(time.Millisecond), seen)
	running := 0
	for k := range seen {
		if regexp.MustCompile(`running$`).MatchString(k) {
			running++
		}
	}
	if running < 2 || !seen["6 finished"] {
		t.Errorf("the live page did not grow while training (states seen %v): want >= 2 running states and \"6 finished\"", seen)
	}
	runs, err := training.ListRuns(dir)
	if err != nil || len(runs) != 1 {
		t.Fatalf("runs: %v %v", runs, err)
	}
	run, err := training.OpenRun(dir, runs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	offPath := filepath.Join(out, "live-offline.html")
	if err := View(run).Live(LiveOpts{File: offPath}).Err(); err != nil {
		t.Fatal(err)
	}
	live, _ := os.ReadFile(livePath)
	off, _ := os.ReadFile(offPath)
	norm := func(b []byte) string { return liveIDs.ReplaceAllString(string(b), "ID") }
	if norm(live) != norm(off) {
		t.Errorf("final live page (%d bytes) differs from the offline one (%d bytes)", len(live), len(off))
	}
	if r := runBrowser(t, nil, livePath)[0]; len(r.Players) != 1 || r.Charts < 1 {
		t.Errorf("final live page: %d players, %d charts", len(r.Players), r.Charts)
	}
	// The notebook output: the final figure's HTML equals the offline one's too.
	if norm([]byte(fig.HTML())) != norm([]byte(View(run).Live().HTML())) {
		t.Error("final live figure differs from the offline one")
	}
}
