package vizlib

import (
	"time"

	"github.com/embviz/embviz/reduce"
)

// Option configures the notebook API functions; each function reads the options that apply to it
// and ignores the others.
type Option func(*config)

type config struct {
	ymin, ymax  float64
	ylim        bool
	logY        bool
	xEpoch      bool
	annotate    bool
	normalize   bool
	fitBasis    string
	window      int
	tsneUpdate  float64
	perplexity  float64
	metric      string
	neighbors   int
	minDist     *float64
	titles      []string
	cols        int
	confusion   bool
	interp      int
	skips       []int
	sharedAxes  bool
	size        int
	pointSize   float64
	progress    reduce.Progress
	noDisplay   bool
	seed        int64
	layer       string
	maxPoints   int
	datasetDir  string
	noThumbs    bool
	gifLink     bool
	explore     time.Duration
	exploreSet  bool
	components  int
	snapshot    int
	snapshotSet bool
	mphate      bool
}

func newConfig(opts []Option) *config {
	c := &config{skips: []int{1, 2, 4, 8, 16}, fitBasis: "all", window: 16}
	for _, o := range opts {
		if o != nil {
			o(c)
		}
	}
	return c
}

// YLim fixes the y range of a chart: YLim(hi) means [0, hi]; YLim(lo, hi) means [lo, hi].
func YLim(v ...float64) Option {
	return func(c *config) {
		switch len(v) {
		case 1:
			c.ymin, c.ymax, c.ylim = 0, v[0], true
		case 2:
			c.ymin, c.ymax, c.ylim = v[0], v[1], true
		}
	}
}

// LogY draws charts with a log-scaled y axis (a checkbox toggles it in every chart).
func LogY() Option { return func(c *config) { c.logY = true } }

// XEpoch uses the epoch instead of the training step on the x axis.
func XEpoch() Option { return func(c *config) { c.xEpoch = true } }

// Annotate writes the values into heatmap cells.
func Annotate() Option { return func(c *config) { c.annotate = true } }

// Normalize starts confusion matrices row-normalized (per-class recall) instead of counts.
func Normalize() Option { return func(c *config) { c.normalize = true } }

// FitBasis selects the PCA basis of PCAAnimation: "all" (one basis fitted on every snapshot,
// the default), "window" (a basis per frame fitted on the Window snapshots around it) or "frame"
// (a basis per frame, signs aligned to the previous frame).
func FitBasis(basis string) Option { return func(c *config) { c.fitBasis = basis } }

// Window is the number of snapshots of a "window" PCA basis. Default 16.
func Window(n int) Option { return func(c *config) { c.window = n } }

// TSNEUpdate is the fraction in (0, 1] of the move towards each newly optimized t-SNE layout
// (smaller is smoother). Default 1.
func TSNEUpdate(f float64) Option { return func(c *config) { c.tsneUpdate = f } }

// Perplexity of t-SNE. Default 30.
func Perplexity(p float64) Option { return func(c *config) { c.perplexity = p } }

// Metric of the input space for t-SNE and UMAP: "euclidean" (default) or "cosine".
func Metric(m string) Option { return func(c *config) { c.metric = m } }

// Neighbors is UMAP's n_neighbors. Default 15.
func Neighbors(n int) Option { return func(c *config) { c.neighbors = n } }

// MinDist is UMAP's min_dist. Default 0.1.
func MinDist(d float64) Option { return func(c *config) { c.minDist = &d } }

// Titles sets the panel titles of ShowAnimations (by position).
func Titles(t ...string) Option { return func(c *config) { c.titles = t } }

// Cols sets the number of grid columns.
func Cols(n int) Option { return func(c *config) { c.cols = n } }

// WithConfusionMatrix adds a confusion-matrix panel that follows the animation frame.
func WithConfusionMatrix() Option { return func(c *config) { c.confusion = true } }

// Interpolate draws k in-between frames between consecutive snapshots (in the browser).
func Interpolate(k int) Option { return func(c *config) { c.interp = k } }

// Skips sets the snapshot distances k of EmbeddingDrift and CKASimilarity. Default 1, 2, 4, 8, 16.
func Skips(k ...int) Option { return func(c *config) { c.skips = k } }

// SharedAxes gives every animation panel the same coordinate range.
func SharedAxes() Option { return func(c *config) { c.sharedAxes = true } }

// Size sets the side of each animation panel in CSS pixels. Default 320.
func Size(px int) Option { return func(c *config) { c.size = px } }

// PointSize sets the side of a point in CSS pixels.
func PointSize(px float64) Option { return func(c *config) { c.pointSize = px } }

// WithProgress receives progress reports of long computations (in a notebook, progress is also
// shown inline).
func WithProgress(p reduce.Progress) Option { return func(c *config) { c.progress = p } }

// NoDisplay returns the HTML without showing it in the notebook.
func NoDisplay() Option { return func(c *config) { c.noDisplay = true } }

// Seed seeds the randomized reducers (t-SNE, UMAP, subsampling). Default 0.
func Seed(s int64) Option { return func(c *config) { c.seed = s } }

// Layer uses the recorded activations of the named layer instead of the embedding.
func Layer(name string) Option { return func(c *config) { c.layer = name } }

// MaxPoints subsamples the evaluation points (seeded, the same subset for every snapshot) to at
// most n before reducing. Default: all points.
func MaxPoints(n int) Option { return func(c *config) { c.maxPoints = n } }

// DatasetDir is the directory datasets.Load reads the run's data set from (hover thumbnails);
// "" means the data set's default.
func DatasetDir(dir string) Option { return func(c *config) { c.datasetDir = dir } }

// NoThumbnails leaves the sample images out of the hover tooltips.
func NoThumbnails() Option { return func(c *config) { c.noThumbs = true } }

// GIFDownload adds a download link for an animated GIF of the animations (ShowAnimations).
func GIFDownload() Option { return func(c *config) { c.gifLink = true } }

// ExploreFor bounds how long LatentExplorer serves its live sliders; 0 shows only the static grid.
func ExploreFor(d time.Duration) Option { return func(c *config) { c.explore, c.exploreSet = d, true } }

// Components sets the number of principal components of Eigenvalues. Default 10.
func Components(k int) Option { return func(c *config) { c.components = k } }

// WithMPHATE adds an M-PHATE panel to Report's animations (off by default: M-PHATE is the slowest
// reducer).
func WithMPHATE() Option { return func(c *config) { c.mphate = true } }
