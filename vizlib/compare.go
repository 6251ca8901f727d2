package vizlib

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/embviz/embviz/reduce"
	"github.com/embviz/embviz/training"
)

// defaultNeighbors resolves GridOpts.Neighbors for the panels: 0 means 6 up to 2000 points (the
// lists travel DEFLATEd as changes from the previous snapshot's lists: 85 KB for 1000 points × 20
// snapshots × k = 6 on the default run), negative none.
func defaultNeighbors(k int, panels []*Animation) int {
	if k < 0 || len(panels) == 0 || len(panels[0].Frames) == 0 {
		return 0
	}
	if k == 0 {
		if panels[0].Frames[0].Rows > 2000 {
			return 0
		}
		k = 6
	}
	return k
}

// CompareOpts are the options of Compare. The zero value shows every run's PCA animation side by
// side (one basis per run), each run's confusion matrix, the snapshots aligned by training step.
type CompareOpts struct {
	// Anim makes the animation of one run; nil means RunView.PCA with its default options.
	Anim func(v *RunView) *Animation
	// ByEpoch aligns the runs' snapshots by epoch instead of by training step.
	ByEpoch bool
	// Grid are the options of the player; every run's confusion matrix is shown when the runs
	// record predictions (Grid.Confusion is implied), and Titles default to the run ids.
	Grid GridOpts
}

// Compare shows several runs of the same evaluation set side by side, sharing one selection:
// brushing points (or clicking a confusion-matrix cell) in any run's panel highlights the same
// samples in every run. The page holds the eval accuracy of each run, the cross-run CKA over
// time (linear CKA between two runs' embeddings of the same evaluation samples at the same step,
// reduce.LinearCKA, for every pair of runs) and the grid of the runs' animations, played in sync
// on the snapshots the runs share (by step, or by epoch with ByEpoch). Runs with different
// evaluation sets (or views with different MaxPoints/Seed) are refused with an error that says
// where they differ. Write the page with Figure.WriteFile (`embviz report -run A,B`).
func Compare(opts CompareOpts, views ...*RunView) *Figure {
	p, err := compare(opts, views)
	if err != nil {
		return figure(nil, err)
	}
	return &Figure{content: p}
}

func compare(o CompareOpts, views []*RunView) (*htmlPage, error) {
	if len(views) < 2 {
		return nil, fmt.Errorf("vizlib: Compare needs at least two runs, got %d", len(views))
	}
	ds := make([]*runData, len(views))
	for i, v := range views {
		if v == nil {
			return nil, fmt.Errorf("vizlib: Compare: view %d is nil", i)
		}
		d, err := v.load(true)
		if err != nil {
			return nil, err
		}
		ds[i] = d
	}
	if err := sameEvalSet(ds); err != nil {
		return nil, err
	}
	// Align: the snapshots (by step or epoch) every run has.
	unit := "step"
	if o.ByEpoch {
		unit = "epoch"
	}
	var xs []float64
	idx := make([][]int, len(ds)) // [run][common snapshot] -> the run's snapshot
	for t := range ds[0].info.Snapshots {
		x, at := xOfSnap(ds[0].info.Snapshots[t], o.ByEpoch), []int{t}
		for _, d := range ds[1:] {
			j := slices.IndexFunc(d.info.Snapshots, func(s training.SnapshotInfo) bool { return math.Abs(xOfSnap(s, o.ByEpoch)-x) < 1e-9 })
			if j < 0 {
				break
			}
			at = append(at, j)
		}
		if len(at) < len(ds) {
			continue
		}
		xs = append(xs, x)
		for r := range ds {
			idx[r] = append(idx[r], at[r])
		}
	}
	ids := make([]string, len(ds))
	for i, d := range ds {
		ids[i] = d.info.ID
		if slices.Contains(ids[:i], ids[i]) {
			ids[i] = fmt.Sprintf("%s (%d)", ids[i], i+1)
		}
	}
	if len(xs) == 0 {
		var have []string
		for i, d := range ds {
			have = append(have, fmt.Sprintf("%s at %ss %s", ids[i], unit, span(d, o.ByEpoch)))
		}
		return nil, fmt.Errorf("vizlib: Compare: the runs share no snapshot %s (%s); record them with the same snapshot schedule, or align by epoch (CompareOpts.ByEpoch)", unit, strings.Join(have, "; "))
	}
	p := &htmlPage{Title: "embviz comparison · " + strings.Join(ids, " vs ")}
	var sub []string
	for i, d := range ds {
		sub = append(sub, fmt.Sprintf("%s: %s %s, %d snapshots", ids[i], d.info.Model, d.info.Dataset, len(d.info.Snapshots)))
	}
	sub = append(sub, fmt.Sprintf("%d shared evaluation points, %d snapshots aligned by %s", len(ds[0].labels), len(xs), unit))
	p.Subtitle = strings.Join(sub, " · ")

	// Eval accuracy on the shared evaluation set, and cross-run CKA.
	if ds[0].preds != nil {
		acc := &lineChart{Title: "eval accuracy (the shared evaluation points)", XLabel: unit, YLabel: "accuracy"}
		for r, d := range ds {
			if d.preds == nil {
				continue
			}
			s := lineSeries{Name: ids[r], X: xs}
			for _, t := range idx[r] {
				s.Y = append(s.Y, accuracy(d.labels, d.preds[t]))
			}
			acc.Series = append(acc.Series, s)
		}
		p.Sections = append(p.Sections, pageSection{Heading: "Accuracy", Content: acc})
	}
	cka, err := crossCKA(ds, ids, idx, xs, unit)
	if err != nil {
		return nil, err
	}
	p.Sections = append(p.Sections, pageSection{Heading: "Cross-run CKA",
		Text:    "Linear CKA between two runs' embeddings of the same evaluation samples at the same " + unit + ": 1 means the same geometry up to rotation and scale.",
		Content: cka})

	// The runs' animations on the shared snapshots.
	var anims []*Animation
	var errs []error
	for r, v := range views {
		var a *Animation
		if o.Anim != nil {
			a = o.Anim(v)
		} else {
			a = v.PCA()
		}
		if a == nil || a.err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", ids[r], a.Err()))
			continue
		}
		if len(a.Frames) != len(ds[r].info.Snapshots) {
			errs = append(errs, fmt.Errorf("vizlib: Compare: the animation of %s has %d frames for %d snapshots", ids[r], len(a.Frames), len(ds[r].info.Snapshots)))
			continue
		}
		anims = append(anims, alignAnimation(a, idx[r], ids[r]))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	// Captions: the shared step/epoch and each run's accuracy.
	for m, x := range xs {
		c := fmt.Sprintf("snapshot %d/%d · %s %s", m+1, len(xs), unit, fmtX(x))
		for r, d := range ds {
			if d.preds != nil {
				c += fmt.Sprintf(" · %s acc %.4f", ids[r], accuracy(d.labels, d.preds[idx[r][m]]))
			}
		}
		anims[0].Captions[m] = c
	}
	g := o.Grid
	g.Confusion = ds[0].preds != nil
	if g.Titles == nil {
		for r, a := range anims {
			g.Titles = append(g.Titles, ids[r]+" · "+a.Title)
		}
	}
	if g.Cols == 0 {
		g.Cols = min(4, 2*len(anims))
	}
	pl, perrs := newPlayer(anims, g)
	if len(perrs) > 0 {
		return nil, errors.Join(perrs...)
	}
	pl.Name = strings.Join(ids, "-vs-")
	p.Sections = append(p.Sections, pageSection{Heading: "Animations",
		Text:    "One selection for every run: drag (box or lasso) in any panel, click a confusion-matrix cell or use the queries; Escape clears. Click a point for its nearest neighbours in that run.",
		Content: pl})
	return p, nil
}

func xOfSnap(s training.SnapshotInfo, byEpoch bool) float64 {
	if byEpoch {
		return s.Epoch
	}
	return float64(s.Step)
}

func fmtX(x float64) string {
	if x == math.Trunc(x) {
		return fmt.Sprintf("%.0f", x)
	}
	return fmt.Sprintf("%.2f", x)
}

func span(d *runData, byEpoch bool) string {
	s := d.info.Snapshots
	return fmtX(xOfSnap(s[0], byEpoch)) + ".." + fmtX(xOfSnap(s[len(s)-1], byEpoch))
}

// sameEvalSet returns an error unless every run has the same evaluation points: the same number,
// labels and data set indices (after each view's subsample).
func sameEvalSet(ds []*runData) error {
	a := ds[0]
	for _, b := range ds[1:] {
		why := ""
		switch {
		case a.info.Dataset != b.info.Dataset:
			why = fmt.Sprintf("data sets %q and %q", a.info.Dataset, b.info.Dataset)
		case len(a.labels) != len(b.labels):
			why = fmt.Sprintf("%d and %d evaluation points", len(a.labels), len(b.labels))
		case a.index != nil && b.index != nil && !slices.Equal(a.index, b.index):
			i := 0
			for a.index[i] == b.index[i] {
				i++
			}
			why = fmt.Sprintf("evaluation point %d is sample #%d in one and #%d in the other", i, a.index[i], b.index[i])
		case !slices.Equal(a.labels, b.labels):
			i := 0
			for a.labels[i] == b.labels[i] {
				i++
			}
			why = fmt.Sprintf("evaluation point %d has label %d in one and %d in the other", i, a.labels[i], b.labels[i])
		}
		if why != "" {
			return fmt.Errorf("vizlib: Compare: runs %s and %s have different evaluation sets (%s): compare runs recorded on the same evaluation subset (same data set, eval size and seed), viewed with the same MaxPoints and Seed", a.info.ID, b.info.ID, why)
		}
	}
	return nil
}

// crossCKA charts reduce.LinearCKA between the embeddings of every pair of runs at every shared
// snapshot.
func crossCKA(ds []*runData, ids []string, idx [][]int, xs []float64, unit string) (*lineChart, error) {
	ch := &lineChart{Title: "cross-run CKA · " + strings.Join(ids, ", "), XLabel: unit, YLabel: "linear CKA", YMin: 0, YMax: 1}
	for a := 0; a < len(ds); a++ {
		for b := a + 1; b < len(ds); b++ {
			s := lineSeries{Name: ids[a] + " vs " + ids[b], X: xs}
			for m := range xs {
				v, err := reduce.LinearCKA(ds[a].seq[idx[a][m]], ds[b].seq[idx[b][m]])
				if err != nil {
					v = math.NaN() // e.g. the untrained snapshot of a collapsed model: a gap
				}
				s.Y = append(s.Y, v)
			}
			ch.Series = append(ch.Series, s)
		}
	}
	return ch, nil
}

// alignAnimation returns a copy of a with the frames (and predictions, captions, snapshots) at
// the run's snapshots idx, named by the run.
func alignAnimation(a *Animation, idx []int, run string) *Animation {
	b := *a
	b.run = run
	b.Frames, b.Predictions, b.Captions, b.snapshots = nil, nil, nil, nil
	for _, t := range idx {
		b.Frames = append(b.Frames, a.Frames[t])
		if a.Predictions != nil {
			b.Predictions = append(b.Predictions, a.Predictions[t])
		}
		if len(a.snapshots) == len(a.Frames) {
			b.snapshots = append(b.snapshots, a.snapshots[t])
		}
		b.Captions = append(b.Captions, "")
	}
	return &b
}
