// Package training trains the models of embviz and records what they learn: the run store (the
// contract between training and everything that reads runs), the datasets (subpackage datasets),
// the training loop with its snapshot schedule, and curricula.
package training

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/embviz/embviz/reduce"
	"github.com/embviz/embviz/training/npy"
)

// Run statuses stored in run.json.
const (
	StatusRunning  = "running"
	StatusFinished = "finished"
	StatusFailed   = "failed"
	// StatusInterrupted is never stored: OpenRun, ListRuns and Reload report it for a run whose
	// run.json says running while no process holds its lock (LockFile), i.e. whose writer died.
	// Train with Config.Resume (embviz train -resume) takes such a run over.
	StatusInterrupted = "interrupted"
)

// Files and directories of a run directory (see DESIGN.md, "The run store").
const (
	RunFile        = "run.json"
	MetricsFile    = "metrics.jsonl"
	LabelsFile     = "labels.npy"
	EvalIndexFile  = "eval_index.npy"
	SnapshotsDir   = "snapshots"
	CheckpointDir  = "checkpoint"
	EmbeddingFile  = "embedding.npy"
	PredictionFile = "predictions.npy"
	LayersDir      = "layers"
)

// SnapshotInfo describes one recorded snapshot of the evaluation subset.
type SnapshotInfo struct {
	Index int     `json:"index"` // 0-based position in the run's snapshot list
	Step  int     `json:"step"`  // training step at which it was taken (0 = untrained)
	Epoch float64 `json:"epoch"` // step*batch/train size
	Dir   string  `json:"dir"`   // relative to the run directory, e.g. "snapshots/000017"
}

// RunInfo is the content of run.json.
type RunInfo struct {
	ID           string         `json:"id"`     // the run directory's name, fixed at creation
	Status       string         `json:"status"` // running | finished | failed (interrupted when read, see StatusInterrupted)
	Dataset      string         `json:"dataset"`
	ClassNames   []string       `json:"class_names"`
	Model        string         `json:"model"`
	EmbedDim     int            `json:"embed_dim"`
	Seed         int64          `json:"seed"`
	Options      map[string]any `json:"options,omitempty"`
	Steps        int            `json:"steps"`
	BatchSize    int            `json:"batch_size"`
	EvalSize     int            `json:"eval_size"`
	FinalEvalAcc float64        `json:"final_eval_acc"`
	Snapshots    []SnapshotInfo `json:"snapshots"`
	Layers       []string       `json:"layers,omitempty"`
	Created      time.Time      `json:"created"`
	Finished     time.Time      `json:"finished,omitzero"`
	Error        string         `json:"error,omitempty"`
}

// MetricRecord is one line of metrics.jsonl: a flat JSON object with "step", "epoch" and the
// values (lr, train_loss, train_acc, eval_loss, eval_acc, and any others).
type MetricRecord struct {
	Step   int
	Epoch  float64
	Values map[string]float64
}

// MarshalJSON writes the record as one flat object.
func (m MetricRecord) MarshalJSON() ([]byte, error) {
	obj := make(map[string]any, len(m.Values)+2)
	for k, v := range m.Values {
		obj[k] = v
	}
	obj["step"] = m.Step
	obj["epoch"] = m.Epoch
	return json.Marshal(obj)
}

// UnmarshalJSON reads a flat object; numeric keys other than step and epoch go to Values.
func (m *MetricRecord) UnmarshalJSON(data []byte) error {
	var obj map[string]any
	if err := json.Unmarshal(data, &obj); err != nil {
		return err
	}
	m.Values = map[string]float64{}
	for k, v := range obj {
		f, ok := v.(float64)
		if !ok {
			continue
		}
		switch k {
		case "step":
			m.Step = int(f)
		case "epoch":
			m.Epoch = f
		default:
			m.Values[k] = f
		}
	}
	return nil
}

// Run is a handle to one run directory, for writing (CreateRun, ResumeRun) or reading (OpenRun).
// Its methods are safe for concurrent use within one process; other processes may read the run
// while it is written, since every file is replaced atomically.
type Run struct {
	mu      sync.Mutex
	runsDir string
	dir     string
	number  int
	info    RunInfo
	cache   map[int]*reduce.Matrix // embeddings by snapshot index
	lock    *os.File               // the writer's lock (CreateRun, ResumeRun); nil when reading
}

var (
	runNameRE       = regexp.MustCompile(`^run-(\d{4,})-`)
	runNumberOnlyRE = regexp.MustCompile(`^run-(\d+)-?$`)
)

// RunNumber returns the number of a run id ("run-0011-..." -> 11), or -1.
func RunNumber(id string) int {
	m := runNameRE.FindStringSubmatch(id)
	if m == nil {
		return -1
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// runName is the directory name of a run, fixed when it is created:
// run-%04d-<MODEL>_<dataset>_<embed_dim>, with '/', '_', ' ', control and format characters in the
// model and dataset names replaced by '-'.
func runName(number int, info *RunInfo) string {
	clean := func(s string) string {
		return strings.Map(func(r rune) rune {
			if r == '/' || r == '_' || r == ' ' || r == os.PathSeparator || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
				return '-'
			}
			return r
		}, s)
	}
	return fmt.Sprintf("run-%04d-%s_%s_%d", number, clean(info.Model), clean(info.Dataset), info.EmbedDim)
}

// DisplayID is the run's id in the seed's form: its directory name with the final eval accuracy
// appended once finished (run-0011-CNN_mnist_32_0.9776). Every function that takes a run id
// accepts it as well as the directory name and the number (run-0011). Runs created by older
// versions, whose directory was renamed to that form, display their directory name.
func (info RunInfo) DisplayID() string {
	if info.Status == StatusFinished && !legacyName(info.ID) {
		return fmt.Sprintf("%s_%.4f", info.ID, info.FinalEvalAcc)
	}
	return info.ID
}

// legacyName reports whether a run directory name has the suffix ("_0.9776", "_running",
// "_failed") that older versions appended by renaming the directory.
func legacyName(name string) bool {
	return RunNumber(name) >= 0 && strings.Count(name, "_") >= 3
}

// CreateRun creates a new run directory in runsDir (created if missing) with the next free run
// number, takes the run's writer lock (LockFile) and writes run.json with status running. The
// number is allocated under a lock of the runs directory, so concurrent CreateRun calls, in any
// number of processes, get distinct numbers; the directory name (the run id,
// run-NNNN-<MODEL>_<dataset>_<embed_dim>) never changes afterwards. info.ID, Status, Snapshots
// and Created are set by CreateRun. Finish or Fail release the lock.
func CreateRun(runsDir string, info RunInfo) (*Run, error) {
	if info.Model == "" || info.Dataset == "" {
		return nil, fmt.Errorf("training: CreateRun needs a model and a dataset name (got model %q, dataset %q)", info.Model, info.Dataset)
	}
	if err := os.MkdirAll(runsDir, 0o755); err != nil {
		return nil, fmt.Errorf("training: creating runs directory: %w", err)
	}
	var number int
	var id, dir string
	err := withRunsLock(runsDir, func() error {
		var err error
		if number, err = nextRunNumber(runsDir); err != nil {
			return err
		}
		id = runName(number, &info)
		dir = filepath.Join(runsDir, id)
		if err := os.Mkdir(dir, 0o755); err != nil {
			return fmt.Errorf("training: creating run directory: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	lock, err := lockRun(dir, id)
	if err != nil {
		return nil, err
	}
	info.ID = id
	info.Status = StatusRunning
	info.Snapshots = []SnapshotInfo{}
	info.Created = time.Now().UTC().Truncate(time.Second)
	r := &Run{runsDir: runsDir, dir: dir, number: number, info: info, lock: lock}
	if err := os.MkdirAll(filepath.Join(dir, SnapshotsDir), 0o755); err != nil {
		r.unlock()
		return nil, fmt.Errorf("training: %w", err)
	}
	if err := r.writeInfo(); err != nil {
		r.unlock()
		return nil, err
	}
	return r, nil
}

// unlock releases the writer's lock, if held. Callers hold r.mu or own r exclusively.
func (r *Run) unlock() {
	if r.lock != nil {
		r.lock.Close() // closing the descriptor releases the flock
		r.lock = nil
	}
}

// Close releases the writer's lock of a run opened by CreateRun or ResumeRun without changing its
// status (a run left "running" is then reported as interrupted and can be resumed). Finish and
// Fail release the lock themselves; Close of a run opened for reading does nothing.
func (r *Run) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.unlock()
	return nil
}

// writable returns an error unless r holds the writer's lock. Callers hold r.mu.
func (r *Run) writable() error {
	if r.lock == nil {
		return fmt.Errorf("training: run %s is open for reading only (or already finished, failed or closed); only the process that created or resumed it writes it", r.info.ID)
	}
	return nil
}

func nextRunNumber(runsDir string) (int, error) {
	entries, err := os.ReadDir(runsDir)
	if err != nil {
		return 0, fmt.Errorf("training: reading runs directory: %w", err)
	}
	next := 1
	for _, e := range entries {
		if n := RunNumber(e.Name()); n >= next {
			next = n + 1
		}
	}
	return next, nil
}

// writeInfo writes run.json atomically. Callers hold r.mu or own r exclusively.
func (r *Run) writeInfo() error {
	if err := r.writable(); err != nil {
		return err
	}
	data, err := json.MarshalIndent(&r.info, "", "  ")
	if err != nil {
		return err
	}
	if err := npy.WriteFileAtomic(filepath.Join(r.dir, RunFile), append(data, '\n')); err != nil {
		return fmt.Errorf("training: writing run.json of %s: %w", r.info.ID, err)
	}
	return nil
}

// ID returns the run id: the name of its directory, fixed when the run was created.
func (r *Run) ID() string { r.mu.Lock(); defer r.mu.Unlock(); return r.info.ID }

// DisplayID returns the run's display id (see RunInfo.DisplayID).
func (r *Run) DisplayID() string { r.mu.Lock(); defer r.mu.Unlock(); return r.info.DisplayID() }

// Dir returns the run directory.
func (r *Run) Dir() string { r.mu.Lock(); defer r.mu.Unlock(); return r.dir }

// Info returns a copy of the run's run.json content as last read or written.
func (r *Run) Info() RunInfo {
	r.mu.Lock()
	defer r.mu.Unlock()
	info := r.info
	info.Snapshots = append([]SnapshotInfo(nil), r.info.Snapshots...)
	info.ClassNames = append([]string(nil), r.info.ClassNames...)
	info.Layers = append([]string(nil), r.info.Layers...)
	return info
}

// NumSnapshots returns the number of complete snapshots.
func (r *Run) NumSnapshots() int { r.mu.Lock(); defer r.mu.Unlock(); return len(r.info.Snapshots) }

// CheckpointDir returns the directory for GoMLX checkpoints of the run's weights.
func (r *Run) CheckpointDir() string { return filepath.Join(r.Dir(), CheckpointDir) }

// UpdateInfo applies fn to the run's info and rewrites run.json atomically.
func (r *Run) UpdateInfo(fn func(*RunInfo)) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	fn(&r.info)
	return r.writeInfo()
}

// SetEvalSet writes the labels ([n_eval] int32) and the indices into the dataset's test split
// ([n_eval] int32) of the fixed evaluation subset, and records its size in run.json.
func (r *Run) SetEvalSet(labels, evalIndex []int32) error {
	if len(labels) != len(evalIndex) {
		return fmt.Errorf("training: eval set has %d labels but %d indices", len(labels), len(evalIndex))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.writable(); err != nil {
		return err
	}
	if err := npy.WriteFile(filepath.Join(r.dir, LabelsFile), npy.Int32(labels, len(labels))); err != nil {
		return err
	}
	if err := npy.WriteFile(filepath.Join(r.dir, EvalIndexFile), npy.Int32(evalIndex, len(evalIndex))); err != nil {
		return err
	}
	r.info.EvalSize = len(labels)
	return r.writeInfo()
}

// AppendSnapshot records a snapshot: embedding [n_eval, d], predictions [n_eval] (may be nil for
// models without classes) and optional layer activations (name -> [n_eval, features]).
// The files are written into a temporary directory that is renamed into place, and only then is
// the snapshot listed in run.json, so readers never see a partial snapshot.
func (r *Run) AppendSnapshot(step int, epoch float64, embedding *reduce.Matrix, predictions []int32, layers map[string]*reduce.Matrix) (SnapshotInfo, error) {
	if err := embedding.Validate(); err != nil {
		return SnapshotInfo{}, fmt.Errorf("training: snapshot at step %d: embedding: %w", step, err)
	}
	if predictions != nil && len(predictions) != embedding.Rows {
		return SnapshotInfo{}, fmt.Errorf("training: snapshot at step %d: %d predictions for %d embedding rows", step, len(predictions), embedding.Rows)
	}
	for name, m := range layers {
		if m == nil || m.Rows != embedding.Rows || len(m.Data) != m.Rows*m.Cols {
			return SnapshotInfo{}, fmt.Errorf("training: snapshot at step %d: layer %q must be [%d, features]", step, name, embedding.Rows)
		}
		if strings.ContainsAny(name, `/\`) || name == "" || name[0] == '.' {
			return SnapshotInfo{}, fmt.Errorf("training: snapshot at step %d: bad layer name %q", step, name)
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.writable(); err != nil {
		return SnapshotInfo{}, err
	}
	index := len(r.info.Snapshots)
	rel := filepath.Join(SnapshotsDir, fmt.Sprintf("%06d", index))
	final := filepath.Join(r.dir, rel)
	tmp, err := os.MkdirTemp(filepath.Join(r.dir, SnapshotsDir), fmt.Sprintf(".%06d.tmp-", index))
	if err != nil {
		return SnapshotInfo{}, fmt.Errorf("training: snapshot %d: %w", index, err)
	}
	cleanup := func(err error) (SnapshotInfo, error) {
		os.RemoveAll(tmp)
		return SnapshotInfo{}, fmt.Errorf("training: writing snapshot %d of %s: %w", index, r.info.ID, err)
	}
	if err := npy.WriteFile(filepath.Join(tmp, EmbeddingFile), npy.Float32(embedding.Data, embedding.Rows, embedding.Cols)); err != nil {
		return cleanup(err)
	}
	if predictions != nil {
		if err := npy.WriteFile(filepath.Join(tmp, PredictionFile), npy.Int32(predictions, len(predictions))); err != nil {
			return cleanup(err)
		}
	}
	if len(layers) > 0 {
		if err := os.Mkdir(filepath.Join(tmp, LayersDir), 0o755); err != nil {
			return cleanup(err)
		}
		for name, m := range layers {
			if err := npy.WriteFile(filepath.Join(tmp, LayersDir, name+".npy"), npy.Float32(m.Data, m.Rows, m.Cols)); err != nil {
				return cleanup(err)
			}
		}
	}
	// A leftover from a crash between the rename and the run.json update is not listed: replace it.
	if err := os.RemoveAll(final); err != nil {
		return cleanup(err)
	}
	if err := os.Rename(tmp, final); err != nil {
		return cleanup(err)
	}
	snap := SnapshotInfo{Index: index, Step: step, Epoch: epoch, Dir: filepath.ToSlash(rel)}
	r.info.Snapshots = append(r.info.Snapshots, snap)
	for name := range layers {
		if !contains(r.info.Layers, name) {
			r.info.Layers = append(r.info.Layers, name)
		}
	}
	sort.Strings(r.info.Layers)
	if err := r.writeInfo(); err != nil {
		r.info.Snapshots = r.info.Snapshots[:index]
		return SnapshotInfo{}, err
	}
	return snap, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// AppendMetrics appends records to metrics.jsonl, one line each, written with a single write so
// that a crash leaves at most one partial last line (which readers ignore).
func (r *Run) AppendMetrics(recs ...MetricRecord) error {
	var buf bytes.Buffer
	for _, rec := range recs {
		line, err := json.Marshal(rec)
		if err != nil {
			return fmt.Errorf("training: metrics at step %d: %w", rec.Step, err)
		}
		buf.Write(line)
		buf.WriteByte('\n')
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.writable(); err != nil {
		return err
	}
	f, err := os.OpenFile(filepath.Join(r.dir, MetricsFile), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("training: %w", err)
	}
	if _, err := f.Write(buf.Bytes()); err != nil {
		f.Close()
		return fmt.Errorf("training: appending metrics: %w", err)
	}
	return f.Close()
}

// Finish marks the run finished with its final eval accuracy (its display id becomes
// run-NNNN-<MODEL>_<dataset>_<embed_dim>_<acc %.4f>) and releases the writer's lock.
func (r *Run) Finish(finalEvalAcc float64) error {
	return r.close(StatusFinished, func(info *RunInfo) { info.FinalEvalAcc = finalEvalAcc })
}

// Fail marks the run failed, recording cause, and releases the writer's lock.
func (r *Run) Fail(cause error) error {
	msg := "unknown error"
	if cause != nil {
		msg = cause.Error()
	}
	return r.close(StatusFailed, func(info *RunInfo) { info.Error = msg })
}

func (r *Run) close(status string, update func(*RunInfo)) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.writable(); err != nil {
		return err
	}
	defer r.unlock()
	r.info.Status = status
	r.info.Finished = time.Now().UTC().Truncate(time.Second)
	update(&r.info)
	return r.writeInfo()
}

// ResumeRun reopens a run that is not finished (interrupted or failed) for appending: it takes
// the run's writer lock, drops a partial last line of metrics.jsonl (a writer killed mid-append)
// and sets the status to running again. A run that another process still writes is refused
// with an error wrapping ErrRunLive that names that process.
func ResumeRun(runsDir, id string) (*Run, error) {
	r, err := OpenRun(runsDir, id)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.info.Status == StatusFinished {
		return nil, fmt.Errorf("training: run %s is already finished; nothing to resume", r.info.DisplayID())
	}
	lock, err := lockRun(r.dir, r.info.ID)
	if err != nil {
		return nil, err
	}
	r.lock = lock
	// Re-read run.json now that no other writer can change it.
	info, err := readInfo(r.dir)
	if err != nil {
		r.unlock()
		return nil, err
	}
	info.ID = filepath.Base(r.dir)
	if info.Status == StatusFinished {
		r.unlock()
		return nil, fmt.Errorf("training: run %s is already finished; nothing to resume", info.DisplayID())
	}
	r.info = *info
	if err := trimPartialLine(filepath.Join(r.dir, MetricsFile)); err != nil {
		r.unlock()
		return nil, fmt.Errorf("training: resuming %s: %w", r.info.ID, err)
	}
	r.info.Status = StatusRunning
	r.info.Error = ""
	r.info.Finished = time.Time{}
	if err := r.writeInfo(); err != nil {
		r.unlock()
		return nil, err
	}
	return r, nil
}

// trimPartialLine truncates path after its last newline (a missing file is left alone).
func trimPartialLine(path string) error {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if len(data) == 0 || data[len(data)-1] == '\n' {
		return nil
	}
	return os.Truncate(path, int64(bytes.LastIndexByte(data, '\n')+1))
}

// OpenRun opens the run id in runsDir for reading. id is a run id (its directory name), its
// display id (run-0011-CNN_mnist_32_0.9776), its number (run-0011) or another unique prefix. An
// unknown or ambiguous id gives an error listing the candidates, closest match first; a corrupt
// run.json gives an error naming the file. A run whose writer died is reported with status
// StatusInterrupted.
func OpenRun(runsDir, id string) (*Run, error) {
	dir, err := findRun(runsDir, id)
	if err != nil {
		return nil, err
	}
	info, err := readInfo(dir)
	if err != nil {
		return nil, err
	}
	name := filepath.Base(dir)
	info.ID = name
	info.Status = effectiveStatus(dir, info.Status)
	return &Run{runsDir: runsDir, dir: dir, number: RunNumber(name), info: *info}, nil
}

// MustOpenRun is OpenRun that panics with the same clear error; for notebooks.
func MustOpenRun(runsDir, id string) *Run {
	r, err := OpenRun(runsDir, id)
	if err != nil {
		panic(err)
	}
	return r
}

func checkRunsDir(runsDir string) error {
	st, err := os.Stat(runsDir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("training: runs directory %q does not exist (train a run first, or point EMBVIZ_RUNS / -runs at an existing directory)", runsDir)
		}
		return fmt.Errorf("training: runs directory: %w", err)
	}
	if !st.IsDir() {
		return fmt.Errorf("training: runs directory %q is not a directory", runsDir)
	}
	return nil
}

// runDirs lists the names of subdirectories of runsDir that contain a run.json.
func runDirs(runsDir string) ([]string, error) {
	if err := checkRunsDir(runsDir); err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(runsDir)
	if err != nil {
		return nil, fmt.Errorf("training: %w", err)
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		if _, err := os.Stat(filepath.Join(runsDir, e.Name(), RunFile)); err == nil {
			names = append(names, e.Name())
		}
	}
	sort.Slice(names, func(i, j int) bool {
		ni, nj := RunNumber(names[i]), RunNumber(names[j])
		if ni != nj {
			return ni < nj
		}
		return names[i] < names[j]
	})
	return names, nil
}

func findRun(runsDir, id string) (string, error) {
	names, err := runDirs(runsDir)
	if err != nil {
		return "", err
	}
	if id == "" {
		return "", fmt.Errorf("training: empty run id; available runs in %s: %s", runsDir, listOrNone(names))
	}
	var prefixed []string
	for _, n := range names {
		if n == id {
			return filepath.Join(runsDir, n), nil
		}
		if strings.HasPrefix(n, id) {
			prefixed = append(prefixed, n)
		}
	}
	// A number alone ("run-0011", "run-11") names the run with that number.
	if m := runNumberOnlyRE.FindStringSubmatch(id); m != nil {
		want, _ := strconv.Atoi(m[1])
		var numbered []string
		for _, n := range names {
			if RunNumber(n) == want {
				numbered = append(numbered, n)
			}
		}
		if len(numbered) > 0 {
			prefixed = numbered
		}
	}
	// A display id is the directory name plus a suffix (run-0011-CNN_mnist_32_0.9776 names
	// run-0011-CNN_mnist_32), and a directory renamed by an older version keeps everything but
	// its suffix (run-0003-CNN_mnist_32_running finds run-0003-CNN_mnist_32_0.9776).
	if len(prefixed) == 0 && RunNumber(id) >= 0 {
		for _, n := range names {
			if n == stem(id) || (legacyName(n) && stem(n) == stem(id)) {
				prefixed = append(prefixed, n)
			}
		}
	}
	switch len(prefixed) {
	case 1:
		return filepath.Join(runsDir, prefixed[0]), nil
	case 0:
		sort.SliceStable(names, func(i, j int) bool { return distance(id, names[i]) < distance(id, names[j]) })
		return "", fmt.Errorf("training: no run %q in %s; available runs (closest first): %s", id, runsDir, listOrNone(names))
	default:
		return "", fmt.Errorf("training: run id %q is ambiguous in %s; it matches: %s", id, runsDir, strings.Join(prefixed, ", "))
	}
}

// stem is a run id without its last "_suffix" (accuracy, running or failed).
func stem(id string) string {
	if i := strings.LastIndex(id, "_"); i > 0 {
		return id[:i]
	}
	return id
}

func listOrNone(names []string) string {
	if len(names) == 0 {
		return "none (train one with `embviz train`)"
	}
	return strings.Join(names, ", ")
}

// distance is the Levenshtein edit distance between a and b.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func readInfo(dir string) (*RunInfo, error) {
	path := filepath.Join(dir, RunFile)
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("training: %w", err)
	}
	return parseInfo(path, data)
}

// parseInfo parses and checks the content of a run.json (path is only for errors).
func parseInfo(path string, data []byte) (*RunInfo, error) {
	var info RunInfo
	if err := json.Unmarshal(data, &info); err != nil {
		return nil, fmt.Errorf("training: %s is corrupt (%v); fix or delete that run directory", path, err)
	}
	switch info.Status {
	case StatusRunning, StatusFinished, StatusFailed:
	default:
		return nil, fmt.Errorf("training: %s has unknown status %q (want running, finished or failed)", path, info.Status)
	}
	for i, s := range info.Snapshots {
		if s.Index != i || s.Dir == "" || strings.Contains(s.Dir, "..") || strings.HasPrefix(s.Dir, "/") || strings.HasPrefix(s.Dir, `\`) {
			return nil, fmt.Errorf("training: %s lists a bad snapshot at position %d (index %d, dir %q)", path, i, s.Index, s.Dir)
		}
	}
	return &info, nil
}

// ListRuns returns the runs in runsDir sorted by run number. A run whose run.json cannot be read
// is listed with Status "corrupt" and the reason in Error; one whose writer died, with
// StatusInterrupted. A missing runsDir is an error; an
// empty one returns no runs and no error.
func ListRuns(runsDir string) ([]RunInfo, error) {
	names, err := runDirs(runsDir)
	if err != nil {
		return nil, err
	}
	out := make([]RunInfo, 0, len(names))
	for _, n := range names {
		info, err := readInfo(filepath.Join(runsDir, n))
		if err != nil {
			out = append(out, RunInfo{ID: n, Status: "corrupt", Error: err.Error()})
			continue
		}
		info.ID = n
		info.Status = effectiveStatus(filepath.Join(runsDir, n), info.Status)
		out = append(out, *info)
	}
	return out, nil
}

// Reload re-reads run.json (for a run that another process is still writing).
func (r *Run) Reload() error {
	dir := r.Dir()
	info, err := readInfo(dir)
	if err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	info.ID = filepath.Base(dir)
	if r.lock == nil {
		info.Status = effectiveStatus(dir, info.Status)
	}
	r.info = *info
	return nil
}

// snapshotRel returns snapshot i's directory relative to the run directory.
func (r *Run) snapshotRel(i int) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if i < 0 || i >= len(r.info.Snapshots) {
		return "", fmt.Errorf("training: run %s has %d snapshots, no snapshot %d", r.info.ID, len(r.info.Snapshots), i)
	}
	return filepath.FromSlash(r.info.Snapshots[i].Dir), nil
}

// snapshotFile reads a file of snapshot i (name relative to the snapshot directory) with read.
func (r *Run) snapshotFile(i int, name string, read func(path string) error) error {
	rel, err := r.snapshotRel(i)
	if err != nil {
		return err
	}
	return read(filepath.Join(r.Dir(), rel, name))
}

// readNPY reads the .npy file at path and converts its data with values; the array must have
// the rank of want (the shape named in errors, e.g. "[n, d]").
func readNPY[T any](path, want string, values func(*npy.Array) ([]T, error)) (*npy.Array, []T, error) {
	a, err := npy.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("training: %w", err)
	}
	if len(a.Shape) != strings.Count(want, ",")+1 {
		return nil, nil, fmt.Errorf("training: %s has shape %v, want %s", path, a.Shape, want)
	}
	v, err := values(a)
	if err != nil {
		return nil, nil, fmt.Errorf("training: %s: %w", path, err)
	}
	return a, v, nil
}

func readMatrix(path string) (*reduce.Matrix, error) {
	a, data, err := readNPY(path, "[n, d]", (*npy.Array).Float32s)
	if err != nil {
		return nil, err
	}
	return reduce.MatrixFrom(a.Shape[0], a.Shape[1], data), nil
}

func readInt32s(path string) ([]int32, error) {
	_, v, err := readNPY(path, "[n]", (*npy.Array).Int32s)
	return v, err
}

// Embedding returns snapshot i's embedding [n_eval, d]. Results are cached; do not modify them.
func (r *Run) Embedding(i int) (*reduce.Matrix, error) {
	r.mu.Lock()
	if m, ok := r.cache[i]; ok {
		r.mu.Unlock()
		return m, nil
	}
	r.mu.Unlock()
	var m *reduce.Matrix
	err := r.snapshotFile(i, EmbeddingFile, func(path string) (err error) {
		m, err = readMatrix(path)
		return err
	})
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	if r.cache == nil {
		r.cache = map[int]*reduce.Matrix{}
	}
	r.cache[i] = m
	r.mu.Unlock()
	return m, nil
}

// Embeddings returns the embeddings of all snapshots, in order: T matrices [n_eval, d].
func (r *Run) Embeddings() ([]*reduce.Matrix, error) {
	n := r.NumSnapshots()
	out := make([]*reduce.Matrix, n)
	for i := range out {
		m, err := r.Embedding(i)
		if err != nil {
			return nil, err
		}
		out[i] = m
	}
	return out, nil
}

// ErrNoPredictions is returned (wrapped) by Run.Predictions for a snapshot that records no
// predictions (a run from a model without classes).
var ErrNoPredictions = errors.New("no predictions recorded")

// Predictions returns snapshot i's predicted classes [n_eval]: each in [0, classes), or -1 (no
// class output, autoencoders). A snapshot without predictions.npy gives an error wrapping
// ErrNoPredictions; a file that cannot be read, has another length than the evaluation subset
// or holds a class outside that range gives an error naming the file.
func (r *Run) Predictions(i int) ([]int32, error) {
	var p []int32
	err := r.snapshotFile(i, PredictionFile, func(path string) (err error) {
		if p, err = readInt32s(path); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("training: run %s snapshot %d: %w (%s does not exist)", r.ID(), i, ErrNoPredictions, path)
			}
			return err
		}
		info := r.Info()
		if info.EvalSize > 0 && len(p) != info.EvalSize {
			return fmt.Errorf("training: %s has %d predictions, want %d (the run's eval size); the file is truncated or from another run", path, len(p), info.EvalSize)
		}
		if classes := len(info.ClassNames); classes > 0 {
			for j, c := range p {
				if c < -1 || int(c) >= classes {
					return fmt.Errorf("training: %s: prediction %d at position %d is outside [0, %d) (the run's %d classes; -1 means none)", path, c, j, classes, classes)
				}
			}
		}
		return nil
	})
	return p, err
}

// Layer returns snapshot i's recorded activations of the named layer [n_eval, features].
func (r *Run) Layer(i int, name string) (*reduce.Matrix, error) {
	var m *reduce.Matrix
	err := r.snapshotFile(i, filepath.Join(LayersDir, name+".npy"), func(path string) (err error) {
		m, err = readMatrix(path)
		return err
	})
	if errors.Is(err, fs.ErrNotExist) {
		info := r.Info()
		return nil, fmt.Errorf("training: run %s snapshot %d has no layer %q (recorded layers: %v)", info.ID, i, name, info.Layers)
	}
	return m, err
}

// Labels returns the labels of the evaluation subset [n_eval].
func (r *Run) Labels() ([]int32, error) { return r.readRunInt32s(LabelsFile) }

// EvalIndex returns the indices of the evaluation subset in the dataset's test split [n_eval].
func (r *Run) EvalIndex() ([]int32, error) { return r.readRunInt32s(EvalIndexFile) }

// readRunInt32s reads a [n] int32 file at the top of the run directory.
func (r *Run) readRunInt32s(name string) ([]int32, error) {
	return readInt32s(filepath.Join(r.Dir(), name))
}

// Metrics returns the records of metrics.jsonl in file order. A partial last line (a writer
// interrupted mid-append) is ignored; a corrupt line elsewhere is an error naming its line number.
// Lines may be of any length.
func (r *Run) Metrics() ([]MetricRecord, error) {
	path := filepath.Join(r.Dir(), MetricsFile)
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, fmt.Errorf("training: %w", err)
	}
	return ParseMetrics(path, data)
}

// ParseMetrics parses the content of a metrics.jsonl file (path is only for errors): one JSON
// object per line, blank lines skipped. An unterminated last line that does not parse (a writer
// interrupted mid-append) is ignored; any other line that does not parse is an error naming the
// file and its line number.
func ParseMetrics(path string, data []byte) ([]MetricRecord, error) {
	var out []MetricRecord
	for line := 1; len(data) > 0; line++ {
		text, rest, complete := bytes.Cut(data, []byte{'\n'})
		data = rest
		text = bytes.TrimSpace(text)
		if len(text) == 0 {
			continue
		}
		var rec MetricRecord
		if err := json.Unmarshal(text, &rec); err != nil {
			if !complete { // the unterminated last line
				break
			}
			return nil, fmt.Errorf("training: %s line %d is corrupt: %v", path, line, err)
		}
		out = append(out, rec)
	}
	return out, nil
}
