package vizlib

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/embviz/embviz/reduce"
	"github.com/embviz/embviz/training"
	"github.com/embviz/embviz/training/npy"
)

// cacheFiles lists the cached reductions of run.
func cacheFiles(t *testing.T, run *training.Run) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(run.Dir(), cacheDir, "*.npy"))
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// markCache overwrites every cached reduction's first coordinate with a marker: a cache hit then
// returns frames whose first value is the marker.
func markCache(t *testing.T, run *training.Run, marker float32) {
	t.Helper()
	for _, f := range cacheFiles(t, run) {
		a, err := npy.ReadFile(f)
		if err != nil {
			continue // a corrupt file the test wrote
		}
		a.F32[0] = marker
		if err := npy.WriteFile(f, a); err != nil {
			t.Fatal(err)
		}
	}
}

const marker = 12345

func hit(a *Animation) bool { return a.Err() == nil && a.Frames[0].Data[0] == marker }

// TestCacheContentAddressed checks the reductions cache: identical inputs and options hit it; a
// changed option field, a replaced snapshot file or a corrupt cache file recompute.
func TestCacheContentAddressed(t *testing.T) {
	t.Setenv(noCacheEnv, "")
	run := syntheticRun(t, t.TempDir(), 60, 8, 4)
	opts := reduce.TSNEAnimOptions{Update: 0.5, TSNE: reduce.TSNEOptions{Perplexity: 5, Iters: 300}}
	first := View(run).TSNE(opts)
	if first.Err() != nil {
		t.Fatal(first.Err())
	}
	if n := len(cacheFiles(t, run)); n != 1 {
		t.Fatalf("want one cache file after one reduction, found %d", n)
	}
	markCache(t, run, marker)
	if a := View(run).TSNE(opts); !hit(a) {
		t.Fatalf("the same inputs and options must hit the cache (err %v)", a.Err())
	}
	// Every option field is part of the key: change each settable field of the options (and of
	// the nested t-SNE options) once; each change must recompute.
	changed := []func(o *reduce.TSNEAnimOptions){
		func(o *reduce.TSNEAnimOptions) { o.Update = 0.25 },
		func(o *reduce.TSNEAnimOptions) { o.NoRegister = true },
		func(o *reduce.TSNEAnimOptions) { o.NoNormalize = true },
		func(o *reduce.TSNEAnimOptions) { o.TSNE.Perplexity = 6 },
		func(o *reduce.TSNEAnimOptions) { o.TSNE.Seed = 9 },
		func(o *reduce.TSNEAnimOptions) { o.TSNE.Metric = reduce.Cosine },
		func(o *reduce.TSNEAnimOptions) { o.TSNE.Iters = 301 },
		func(o *reduce.TSNEAnimOptions) { o.TSNE.Theta = 0.4 },
	}
	for i, change := range changed {
		o := opts
		change(&o)
		if a := View(run).TSNE(o); a.Err() != nil || hit(a) {
			t.Errorf("option change %d hit the cache (err %v)", i, a.Err())
		}
		markCache(t, run, marker)
	}
	// The key covers the layer read and the subsample.
	if a := View(run).Layer("fc1").TSNE(opts); a.Err() != nil || hit(a) {
		t.Errorf("another layer hit the cache (err %v)", a.Err())
	}
	if a := ViewOf(run, ViewOptions{MaxPoints: 50}).TSNE(opts); a.Err() != nil || hit(a) {
		t.Errorf("a subsample hit the cache (err %v)", a.Err())
	}
	markCache(t, run, marker)
	// Replace one snapshot file (same shape, other numbers): the next call recomputes.
	info := run.Info()
	path := filepath.Join(run.Dir(), info.Snapshots[2].Dir, training.EmbeddingFile)
	e, err := npy.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := range e.F32 {
		e.F32[i] = -e.F32[i]
	}
	if err := npy.WriteFile(path, e); err != nil {
		t.Fatal(err)
	}
	// A notebook cell is a new process: it opens the run again (a *training.Run keeps the
	// snapshots it has read in memory).
	run, err = training.OpenRun(filepath.Dir(run.Dir()), run.ID())
	if err != nil {
		t.Fatal(err)
	}
	if a := View(run).TSNE(opts); a.Err() != nil || hit(a) {
		t.Errorf("a replaced snapshot must recompute (err %v)", a.Err())
	}
	// A corrupt cache file is recomputed (and rewritten).
	for _, f := range cacheFiles(t, run) {
		if err := os.WriteFile(f, []byte("garbage"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if a := View(run).TSNE(opts); a.Err() != nil || a.Frames[0].Rows != 60 {
		t.Fatalf("corrupt cache should be recomputed: err %v", a.Err())
	}
	// Disabled cache computes every time.
	markCache(t, run, marker)
	t.Setenv(noCacheEnv, "1")
	if a := View(run).TSNE(opts); a.Err() != nil || hit(a) {
		t.Errorf("EMBVIZ_NO_CACHE=1 must not read the cache (err %v)", a.Err())
	}
}

// TestCacheAcrossProcesses checks that a reduction cached by one process is found by another (a
// GoNB cell is a new process): the test binary runs itself to compute, then reads the marked cache.
func TestCacheAcrossProcesses(t *testing.T) {
	if dir := os.Getenv("EMBVIZ_CACHE_CHILD"); dir != "" {
		run, err := training.OpenRun(dir, "run-0001")
		if err != nil {
			t.Fatal(err)
		}
		a := View(run).PCA(reduce.PCAAnimOptions{FitBasis: reduce.FitWindow, Window: 3})
		if a.Err() != nil {
			t.Fatal(a.Err())
		}
		if hit(a) {
			os.Stdout.WriteString("CACHE-HIT\n")
		} else {
			os.Stdout.WriteString("CACHE-MISS\n")
		}
		return
	}
	t.Setenv(noCacheEnv, "")
	dir := t.TempDir()
	run := syntheticRun(t, dir, 40, 5, 4)
	child := func() string {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCacheAcrossProcesses$", "-test.count=1")
		cmd.Env = append(os.Environ(), "EMBVIZ_CACHE_CHILD="+dir)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("child: %v\n%s", err, out)
		}
		return string(out)
	}
	if out := child(); !strings.Contains(out, "CACHE-MISS") {
		t.Fatalf("first process should compute: %s", out)
	}
	markCache(t, run, marker)
	if out := child(); !strings.Contains(out, "CACHE-HIT") {
		t.Fatalf("second process should read the first one's cache: %s", out)
	}
}

// TestCacheKeyCoversEveryField checks that hashValue reads every field of the reduce options
// structs the views take, including nested ones and pointers (and skips only funcs).
func TestCacheKeyCoversEveryField(t *testing.T) {
	for _, opts := range []any{reduce.PCAAnimOptions{}, reduce.TSNEAnimOptions{}, reduce.UMAPAnimOptions{}, reduce.MPHATEOptions{}} {
		base := cacheKey("m", opts, nil)
		v := reflect.ValueOf(&opts).Elem()
		checkFields(t, reflect.TypeOf(opts).Name(), v.Elem().Type(), func(set func(reflect.Value)) string {
			c := reflect.New(v.Elem().Type()).Elem()
			set(c)
			return cacheKey("m", c.Interface(), nil)
		}, base)
	}
}

// checkFields sets each settable leaf field of type typ (recursing into structs) to a non-zero
// value and checks that the key changes.
func checkFields(t *testing.T, path string, typ reflect.Type, key func(set func(reflect.Value)) string, base string) {
	for i := 0; i < typ.NumField(); i++ {
		f := typ.Field(i)
		if !f.IsExported() || f.Type.Kind() == reflect.Func {
			continue
		}
		name := path + "." + f.Name
		if f.Type.Kind() == reflect.Struct {
			checkFields(t, name, f.Type, func(set func(reflect.Value)) string {
				return key(func(v reflect.Value) { set(v.Field(i)) })
			}, base)
			continue
		}
		got := key(func(v reflect.Value) { setNonZero(v.Field(i)) })
		if got == base {
			t.Errorf("%s does not change the cache key", name)
		}
	}
}

func setNonZero(v reflect.Value) {
	switch v.Kind() {
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(3)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(3)
	case reflect.Float32, reflect.Float64:
		v.SetFloat(0.5)
	case reflect.String:
		v.SetString("x")
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 1, 1))
	case reflect.Map:
		v.Set(reflect.MakeMap(v.Type()))
	}
}
