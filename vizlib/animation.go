package vizlib

import (
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"

	"github.com/embviz/embviz/reduce"
)

// Animation is a sequence of 2-D layouts of the same n points (one per snapshot) plus what the
// player needs to color and describe them. Frames[t] is [n, 2] (extra columns are ignored).
// Everything except Frames may be nil/empty.
type Animation struct {
	Title  string
	Frames []*reduce.Matrix
	// Labels is [n]: the class of each point (colors, legend, confusion matrix).
	Labels []int32
	// Predictions is [len(Frames)][n]: the prediction of each point at each snapshot (hover and
	// the confusion-matrix panel).
	Predictions [][]int32
	ClassNames  []string
	// Captions is one line per frame (step, epoch, eval accuracy).
	Captions []string
	// Colors is [n] RGB colors per point; when set it replaces the class colors.
	Colors [][3]uint8
	// Indices is [n]: each point's index in its dataset split, shown on hover.
	Indices []int32
	// Thumbs holds one small image per point, shown on hover.
	Thumbs *thumbSet

	// snapshots are the high-dimensional snapshots the frames were computed from (for Denoise).
	snapshots []*reduce.Matrix
	// err is set when the view that made the animation failed: it then renders as an error box
	// and methods pass the error along.
	err error
	// notes are shown above the animation (e.g. a parameter reduce lowered).
	notes []string
	// run names the run the animation shows (its ID): panels of different runs in one player have
	// their own predictions, confusion matrix and neighbours.
	run string
}

// Thumbnails are n images of H x W x C (C = 1 or 3) bytes, row-major HWC, one per point.
type thumbSet struct {
	W, H, C int
	Pixels  []uint8
}

// Player plays several animations of the same points in sync, in a grid of panels.
// Its zero value plus Panels is valid.
type playerView struct {
	Title  string
	Panels []*Animation
	// Titles overrides the panels' titles (by position).
	Titles []string
	// Cols is the number of grid columns; 0 means min(3, panels).
	Cols int
	// SharedAxes uses one coordinate range for all panels; otherwise each panel has its own.
	SharedAxes bool
	// Confusion adds a confusion-matrix panel that follows the frame (needs Labels and Predictions).
	Confusion bool
	// ConfusionNoAnnotate leaves the counts out of the confusion-matrix cells.
	ConfusionNoAnnotate bool
	// Interpolate draws this many in-between frames between consecutive snapshots.
	Interpolate int
	// Size is each panel's side in CSS pixels; 0 means 320.
	Size int
	// PointSize is the side of a point's square in CSS pixels; 0 means 2 above 3000 points, else 3.
	PointSize float64
	// FPS is the number of snapshots per second at speed 1x; 0 means 8.
	FPS float64
	// NoLoop stops at the last frame instead of looping.
	NoLoop bool
	// Static draws the first frame with no playback controls (scatter grids).
	Static bool
	// StartAtEnd shows the last frame first.
	StartAtEnd bool
	// Name is used for the downloaded PNG's file name.
	Name string
	// Neighbors is the number k of nearest neighbours (in the high-dimensional snapshots the
	// frames were computed from) shipped for every point and snapshot; 0 means none.
	Neighbors int

	knn map[string]string // memoized neighbour lists by run (see neighbors)
}

type panelSpec struct {
	Title string `json:"title,omitempty"`
	// Data holds the panel's coordinates: quantize's codes, packed by packFrames, DEFLATEd.
	Data string `json:"data"`
	Run  int    `json:"run,omitempty"` // index into playerSpec.Runs
}

// runSpec is what differs between the runs of a comparison: predictions (encodePreds) and
// neighbour lists (encodeKnn).
type runSpec struct {
	Name  string `json:"name,omitempty"`
	Preds string `json:"preds,omitempty"`
	Knn   string `json:"knn,omitempty"`
}

// thumbSpec carries the hover thumbnails: n thumbnails of H x W x C pixels quantized to Levels
// levels, range-coded (see encodeThumbs) in base64.
type thumbSpec struct {
	W      int    `json:"w"`
	H      int    `json:"h"`
	C      int    `json:"c"`
	Levels int    `json:"levels"`
	Data   string `json:"rc"`
}

type playerSpec struct {
	Kind      string  `json:"kind"`
	Title     string  `json:"title,omitempty"`
	Name      string  `json:"name,omitempty"`
	N         int     `json:"n"`
	F         int     `json:"f"`
	Interp    int     `json:"interp"`
	Cols      int     `json:"cols,omitempty"`
	Size      int     `json:"size,omitempty"`
	PointSize float64 `json:"pointSize,omitempty"`
	FPS       float64 `json:"fps,omitempty"`
	Loop      bool    `json:"loop"`
	Static    bool    `json:"static,omitempty"`
	Start     string  `json:"start,omitempty"`
	// Labels ([n], LBytes bytes each), Preds (encodePreds), Colors ([n] RGB) and Indices
	// (encodeIndices) are DEFLATEd base64 (deflate64).
	Labels     string      `json:"labels,omitempty"`
	LBytes     int         `json:"lbytes,omitempty"`
	Preds      string      `json:"preds,omitempty"`
	ClassNames []string    `json:"classNames,omitempty"`
	Captions   []string    `json:"captions,omitempty"`
	Colors     string      `json:"colors,omitempty"`
	Indices    string      `json:"indices,omitempty"`
	Thumbs     *thumbSpec  `json:"thumbs,omitempty"`
	Confusion  bool        `json:"confusion,omitempty"`
	NoAnnot    bool        `json:"confNoAnnot,omitempty"`
	Panels     []panelSpec `json:"panels"`
	// Knn holds the KnnK nearest neighbours of every point at every snapshot (encodeKnn, with
	// KnnBytes bytes per new index); with several runs each run's are in Runs.
	Knn      string    `json:"knn,omitempty"`
	KnnK     int       `json:"knnK,omitempty"`
	KnnBytes int       `json:"knnBytes,omitempty"`
	Runs     []runSpec `json:"runs,omitempty"`
}

// validate checks the animation's shapes and returns n and the number of frames.
func (a *Animation) validate() (n, f int, err error) {
	if a == nil {
		return 0, 0, fmt.Errorf("vizlib: nil animation")
	}
	if a.err != nil {
		return 0, 0, a.err
	}
	f = len(a.Frames)
	if f == 0 {
		return 0, 0, fmt.Errorf("vizlib: animation %q has no frames", a.Title)
	}
	for t, m := range a.Frames {
		if m == nil || m.Cols < 2 || len(m.Data) != m.Rows*m.Cols {
			return 0, 0, fmt.Errorf("vizlib: animation %q frame %d is not a valid [n, 2] matrix", a.Title, t)
		}
		if t == 0 {
			n = m.Rows
		} else if m.Rows != n {
			return 0, 0, fmt.Errorf("vizlib: animation %q frame %d has %d points, frame 0 has %d", a.Title, t, m.Rows, n)
		}
	}
	if n == 0 {
		return 0, 0, fmt.Errorf("vizlib: animation %q has no points", a.Title)
	}
	if a.Labels != nil && len(a.Labels) != n {
		return 0, 0, fmt.Errorf("vizlib: animation %q has %d labels for %d points", a.Title, len(a.Labels), n)
	}
	for _, l := range a.Labels {
		if l < 0 || l > 65535 {
			return 0, 0, fmt.Errorf("vizlib: animation %q has label %d outside [0, 65535]", a.Title, l)
		}
	}
	if a.Predictions != nil {
		if len(a.Predictions) != f {
			return 0, 0, fmt.Errorf("vizlib: animation %q has predictions for %d frames, want %d", a.Title, len(a.Predictions), f)
		}
		for t, p := range a.Predictions {
			if len(p) != n {
				return 0, 0, fmt.Errorf("vizlib: animation %q frame %d has %d predictions for %d points", a.Title, t, len(p), n)
			}
		}
	}
	if a.Captions != nil && len(a.Captions) != f {
		return 0, 0, fmt.Errorf("vizlib: animation %q has %d captions for %d frames", a.Title, len(a.Captions), f)
	}
	if a.Colors != nil && len(a.Colors) != n {
		return 0, 0, fmt.Errorf("vizlib: animation %q has %d colors for %d points", a.Title, len(a.Colors), n)
	}
	if a.Indices != nil && len(a.Indices) != n {
		return 0, 0, fmt.Errorf("vizlib: animation %q has %d indices for %d points", a.Title, len(a.Indices), n)
	}
	if th := a.Thumbs; th != nil {
		if th.W <= 0 || th.H <= 0 || (th.C != 1 && th.C != 3) || len(th.Pixels) != n*th.W*th.H*th.C {
			return 0, 0, fmt.Errorf("vizlib: animation %q thumbnails: %d bytes for %d points of %dx%dx%d", a.Title, len(th.Pixels), n, th.H, th.W, th.C)
		}
	}
	return n, f, nil
}

// bounds returns the data range [xmin, xmax, ymin, ymax] of every frame of a (first two columns,
// finite values only).
func (a *Animation) bounds() [4]float64 {
	b := [4]float64{math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)}
	for _, m := range a.Frames {
		for i := 0; i < m.Rows; i++ {
			x, y := float64(m.Data[i*m.Cols]), float64(m.Data[i*m.Cols+1])
			if math.IsNaN(x) || math.IsNaN(y) || math.IsInf(x, 0) || math.IsInf(y, 0) {
				continue
			}
			b[0], b[1] = min(b[0], x), max(b[1], x)
			b[2], b[3] = min(b[2], y), max(b[3], y)
		}
	}
	return b
}

func mergeBounds(a, b [4]float64) [4]float64 {
	return [4]float64{min(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), max(a[3], b[3])}
}

// square turns a data range into an equal-aspect one: center and side.
func square(b [4]float64) (x0, y0, side float64) {
	if math.IsInf(b[0], 0) { // no finite point
		return -1, -1, 2
	}
	side = max(b[1]-b[0], b[3]-b[2])
	if side <= 0 {
		side = 1
	}
	return (b[0]+b[1])/2 - side/2, (b[2]+b[3])/2 - side/2, side
}

// quantize packs every frame's points as 12-bit x and y (3 bytes per point, big-endian nibbles:
// x[11:4] | x[3:0]y[11:8] | y[7:0]), mapping [x0, x0+side] to [0, 4095]. Non-finite coordinates
// map to 0.
func quantize(frames []*reduce.Matrix, x0, y0, side float64) []byte {
	n := frames[0].Rows
	out := make([]byte, 0, len(frames)*n*3)
	q := func(v, lo float64) uint32 {
		t := (v - lo) / side * 4095
		if !(t > 0) { // also NaN
			return 0
		}
		if t > 4095 {
			return 4095
		}
		return uint32(t + 0.5)
	}
	for _, m := range frames {
		for i := 0; i < n; i++ {
			x := q(float64(m.Data[i*m.Cols]), x0)
			y := q(float64(m.Data[i*m.Cols+1]), y0)
			out = append(out, byte(x>>4), byte((x&15)<<4|y>>8), byte(y))
		}
	}
	return out
}

// encodeInts packs v as little-endian words of width bytes (1 or 2) in base64 (scatter
// matrices' labels).
func encodeInts(v []int32, width int) string {
	return base64.StdEncoding.EncodeToString(intBytes(v, width))
}

func (p *playerView) spec() (any, error) {
	s, err := p.buildSpec(true)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// meta returns the player's spec without its encoded data (labels, predictions, colours, indices,
// thumbnails and the panels' frames are left empty): what a poster and a validity check need, at
// a small fraction of the cost of spec (which DEFLATEs every frame).
func (p *playerView) meta() (playerSpec, error) { return p.buildSpec(false) }

// buildSpec validates the player and builds its spec; with encode, it also encodes the data, the
// independent DEFLATE streams in parallel (their output does not depend on the order).
func (p *playerView) buildSpec(encode bool) (playerSpec, error) {
	var jobs []func()
	enc := func(job func()) {
		if encode {
			jobs = append(jobs, job)
		}
	}
	if len(p.Panels) == 0 {
		return playerSpec{}, fmt.Errorf("vizlib: player has no animations")
	}
	n, f, err := p.Panels[0].validate()
	if err != nil {
		return playerSpec{}, err
	}
	for i, a := range p.Panels[1:] {
		n2, f2, err := a.validate()
		if err != nil {
			return playerSpec{}, err
		}
		if n2 != n || f2 != f {
			return playerSpec{}, fmt.Errorf("vizlib: animation %d (%q) has %d points x %d frames, animation 0 has %d x %d: synced panels need the same points and frames", i+1, a.Title, n2, f2, n, f)
		}
	}
	a0 := p.Panels[0]
	s := playerSpec{Kind: "player", Title: p.Title, Name: p.Name, N: n, F: f, Interp: max(0, p.Interpolate), Cols: p.Cols, Size: p.Size,
		PointSize: p.PointSize, FPS: p.FPS, Loop: !p.NoLoop, Static: p.Static, ClassNames: a0.ClassNames, Captions: a0.Captions}
	if a0.Indices != nil {
		enc(func() { s.Indices = encodeIndices(a0.Indices) })
	}
	if p.StartAtEnd {
		s.Start = "last"
	}
	// Labels, colors and thumbnails come from the first panel that has them; predictions and
	// neighbour lists from the first panel of each run that has them.
	var labels []int32
	var colors [][3]uint8
	var thumbs *thumbSet
	type group struct {
		name  string
		preds [][]int32
		snaps []*reduce.Matrix
	}
	var groups []*group
	byRun := map[string]int{}
	panelRun := make([]int, len(p.Panels))
	for i, a := range p.Panels {
		g, ok := byRun[a.run]
		if !ok {
			g = len(groups)
			byRun[a.run] = g
			groups = append(groups, &group{name: a.run})
		}
		panelRun[i] = g
		if groups[g].preds == nil && a.Predictions != nil {
			groups[g].preds = a.Predictions
		}
		if groups[g].snaps == nil && len(a.snapshots) == f {
			groups[g].snaps = a.snapshots
		}
		if labels == nil && a.Labels != nil {
			labels = a.Labels
		}
		if colors == nil && a.Colors != nil {
			colors = a.Colors
			enc(func() {
				b := make([]byte, 0, 3*n)
				for _, c := range colors {
					b = append(b, c[0], c[1], c[2])
				}
				s.Colors = deflate64(b)
			})
		}
		if thumbs == nil && a.Thumbs != nil {
			thumbs = a.Thumbs
			enc(func() { s.Thumbs = thumbs.sprite(n) })
		}
		if s.ClassNames == nil && a.ClassNames != nil {
			s.ClassNames = a.ClassNames
		}
		if s.Captions == nil && a.Captions != nil {
			s.Captions = a.Captions
		}
	}
	maxClass := int32(len(s.ClassNames) - 1)
	for _, l := range labels {
		maxClass = max(maxClass, l)
	}
	for _, g := range groups {
		for _, pr := range g.preds {
			for _, l := range pr {
				maxClass = max(maxClass, l)
			}
		}
	}
	s.LBytes = 1
	if maxClass > 254 {
		s.LBytes = 2
	}
	if labels != nil {
		enc(func() { s.Labels = deflate64(intBytes(labels, s.LBytes)) })
	}
	encPreds := func(preds [][]int32) string {
		if preds == nil {
			return ""
		}
		flat := make([]int32, 0, f*n)
		for _, pr := range preds {
			for _, l := range pr {
				if l < 0 {
					l = int32(1<<(8*s.LBytes) - 1) // "no prediction": outside the class range
				}
				flat = append(flat, l)
			}
		}
		return encodePreds(flat, n, s.LBytes)
	}
	k := min(p.Neighbors, n-1)
	knn := func(g *group) (string, error) {
		if k < 1 || g.snaps == nil {
			return "", nil
		}
		if p.knn == nil {
			p.knn = map[string]string{}
		}
		if enc, ok := p.knn[g.name]; ok {
			return enc, nil
		}
		enc, err := encodeKnn(g.snaps, k)
		if err != nil {
			return "", fmt.Errorf("vizlib: neighbours of %q: %w", g.name, err)
		}
		p.knn[g.name] = enc
		return enc, nil
	}
	anyPreds := false
	s.Runs = make([]runSpec, len(groups)) // the jobs below hold pointers into it
	for i, g := range groups {
		rs := &s.Runs[i]
		rs.Name = g.name
		enc(func() { rs.Preds = encPreds(g.preds) })
		if rs.Knn, err = knn(g); err != nil {
			return playerSpec{}, err
		}
		if rs.Knn != "" {
			s.KnnK, s.KnnBytes = k, knnBytes(n)
		}
		anyPreds = anyPreds || g.preds != nil
	}
	s.Confusion = p.Confusion && labels != nil && anyPreds
	s.NoAnnot = p.ConfusionNoAnnotate
	boxes := p.panelBoxes()
	s.Panels = make([]panelSpec, 0, len(p.Panels)) // the jobs below hold pointers into it
	for i, a := range p.Panels {
		x0, y0, side := boxes[i][0], boxes[i][1], boxes[i][2]
		title := a.Title
		if i < len(p.Titles) && p.Titles[i] != "" {
			title = p.Titles[i]
		}
		s.Panels = append(s.Panels, panelSpec{Title: title, Run: panelRun[i]})
		ps := &s.Panels[len(s.Panels)-1]
		enc(func() { ps.Data = deflate64(packFrames(quantize(a.Frames, x0, y0, side), n)) })
	}
	runParallel(jobs)
	if len(groups) == 1 {
		s.Preds, s.Knn, s.Runs = s.Runs[0].Preds, s.Runs[0].Knn, nil
	}
	return s, nil
}

// runParallel runs the jobs on up to GOMAXPROCS goroutines and returns when all are done.
func runParallel(jobs []func()) {
	workers := min(len(jobs), runtime.GOMAXPROCS(0))
	if workers <= 1 {
		for _, job := range jobs {
			job()
		}
		return
	}
	next := make(chan func())
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for job := range next {
				job()
			}
		}()
	}
	for _, job := range jobs {
		next <- job
	}
	close(next)
	wg.Wait()
}

// panelBoxes returns each panel's square viewport {x0, y0, side} in data coordinates: the bounds
// of its frames (of all panels' frames with SharedAxes), squared, with a 2% margin so that
// extreme points are not on the border. The HTML player and the GIF/PNG raster both draw in it.
func (p *playerView) panelBoxes() [][3]float64 {
	var shared [4]float64
	if p.SharedAxes {
		shared = p.Panels[0].bounds()
		for _, a := range p.Panels[1:] {
			shared = mergeBounds(shared, a.bounds())
		}
	}
	boxes := make([][3]float64, len(p.Panels))
	for i, a := range p.Panels {
		b := shared
		if !p.SharedAxes {
			b = a.bounds()
		}
		x0, y0, side := square(b)
		boxes[i] = [3]float64{x0 - 0.02*side, y0 - 0.02*side, side * 1.04}
	}
	return boxes
}

// HTML returns the player as a self-contained fragment. It carries a small PNG of the last frame
// that is shown only where scripts cannot run (e.g. an untrusted notebook).
func (p *playerView) html() string {
	sp, err := p.spec()
	if err != nil {
		return errorHTML(err)
	}
	return renderSpec(sp, true, p.posterHTML())
}

// HTML returns the animation in a single-panel player (an error box if it failed).
func (a *Animation) HTML() string {
	if a == nil {
		return errorHTML(errors.New("vizlib: nil animation"))
	}
	if a.err != nil {
		return errorHTML(a.err)
	}
	return notesHTML(a.notes) + (&playerView{Panels: []*Animation{a}}).html()
}

func (a *Animation) spec() (any, error) { return (&playerView{Panels: []*Animation{a}}).spec() }

// Show displays the animation inline when running in GoNB (no-op elsewhere).
func (a *Animation) Show() { display(a.HTML()) }

// Err returns the error of the view that made the animation, or nil.
func (a *Animation) Err() error {
	if a == nil {
		return errors.New("vizlib: nil animation")
	}
	return a.err
}
