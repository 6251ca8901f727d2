package datasets

import (
	"fmt"
	"math"
)

// ColorClassNames are the classes of the colors data set, indexed by label: the six hue sectors
// (nearest of the hues 0°, 60°, ..., 300°) followed by three achromatic classes.
var ColorClassNames = []string{"red", "yellow", "green", "cyan", "blue", "magenta", "black", "gray", "white"}

// Colors kinds.
const (
	ColorsCube      = "cube"      // every color of a Steps x Steps x Steps grid of the RGB cube
	ColorsHueRing   = "hue-ring"  // Steps hues around the HSV circle, at each (saturation, value) ring
	ColorsPrimaries = "primaries" // the 8 corners of the cube: primaries, secondaries, black and white
)

// ColorsOptions configures Colors. The zero value gives the 8x8x8 RGB cube.
type ColorsOptions struct {
	// Kind is ColorsCube, ColorsHueRing or ColorsPrimaries. Default is ColorsCube.
	Kind string
	// Steps is the number of levels per RGB axis for ColorsCube (default 8: 512 colors, levels
	// k/(Steps-1)), or the number of hues for ColorsHueRing (default 48: hues k*360°/Steps). It must
	// be 0 for ColorsPrimaries.
	Steps int
	// Saturations and Values are the HSV saturations and values of the rings of ColorsHueRing, each in
	// [0, 1]; every (saturation, value) pair gives one ring of Steps hues. Default is [1] for both
	// (the ring of pure hues). They must be nil for the other kinds.
	Saturations, Values []float64
	// Copies is the number of copies of the grid in Train. Default is 1.
	Copies int
	// Jitter is the standard deviation of Gaussian noise added to each RGB component of the Train
	// copies (then clipped to [0, 1]); labels are computed from the jittered colors. Default is 0:
	// Train is Copies exact copies of the grid. Test is always the exact grid.
	Jitter float64
	// Seed seeds the jitter. Default is 0 (a valid seed).
	Seed int64
	// AchromaticChroma is the chroma max(R,G,B)-min(R,G,B) below which a color is achromatic rather
	// than a hue. Default is 0.2.
	AchromaticChroma float64
}

// Colors returns the colors data set used by the color-bottleneck experiment: RGB vectors in [0, 1],
// Shape [3], labelled by ColorLabel. Test is the grid of opts.Kind; Train is opts.Copies copies of
// it, jittered by opts.Jitter. ClassNames are the 6 hue names of ColorClassNames when no color of the
// data set is achromatic (e.g. a ring of pure hues), else all 9; some classes may have no example
// (the cube corners have black and white but no gray). Name is "colors".
func Colors(opts ColorsOptions) (*Dataset, error) {
	if opts.Kind == "" {
		opts.Kind = ColorsCube
	}
	if opts.Copies == 0 {
		opts.Copies = 1
	}
	if opts.AchromaticChroma == 0 {
		opts.AchromaticChroma = 0.2
	}
	switch {
	case opts.Steps < 0:
		return nil, fmt.Errorf("datasets: colors: Steps must be >= 0, got %d", opts.Steps)
	case opts.Copies < 0:
		return nil, fmt.Errorf("datasets: colors: Copies must be >= 0, got %d", opts.Copies)
	case opts.Jitter < 0 || math.IsNaN(opts.Jitter):
		return nil, fmt.Errorf("datasets: colors: Jitter must be >= 0, got %v", opts.Jitter)
	case opts.AchromaticChroma < 0 || opts.AchromaticChroma > 1 || math.IsNaN(opts.AchromaticChroma):
		return nil, fmt.Errorf("datasets: colors: AchromaticChroma must be in [0, 1], got %v", opts.AchromaticChroma)
	}
	if opts.Kind != ColorsHueRing && (opts.Saturations != nil || opts.Values != nil) {
		return nil, fmt.Errorf("datasets: colors: Saturations and Values apply to kind %q only, not %q", ColorsHueRing, opts.Kind)
	}
	var grid []float32
	switch opts.Kind {
	case ColorsCube:
		steps := opts.Steps
		if steps == 0 {
			steps = 8
		}
		if steps < 2 || steps > 256 {
			return nil, fmt.Errorf("datasets: colors: cube Steps must be in [2, 256], got %d", steps)
		}
		for r := range steps {
			for g := range steps {
				for b := range steps {
					grid = append(grid, level(r, steps), level(g, steps), level(b, steps))
				}
			}
		}
	case ColorsHueRing:
		steps := opts.Steps
		if steps == 0 {
			steps = 48
		}
		if steps > 1<<16 {
			return nil, fmt.Errorf("datasets: colors: hue-ring Steps must be <= 65536, got %d", steps)
		}
		sats, vals := opts.Saturations, opts.Values
		if sats == nil {
			sats = []float64{1}
		}
		if vals == nil {
			vals = []float64{1}
		}
		for _, s := range sats {
			if !(s >= 0 && s <= 1) {
				return nil, fmt.Errorf("datasets: colors: saturation %v not in [0, 1]", s)
			}
		}
		for _, v := range vals {
			if !(v >= 0 && v <= 1) {
				return nil, fmt.Errorf("datasets: colors: value %v not in [0, 1]", v)
			}
		}
		for _, s := range sats {
			for _, v := range vals {
				for k := range steps {
					r, g, b := HSVToRGB(360*float64(k)/float64(steps), s, v)
					grid = append(grid, float32(r), float32(g), float32(b))
				}
			}
		}
	case ColorsPrimaries:
		if opts.Steps != 0 {
			return nil, fmt.Errorf("datasets: colors: Steps must be 0 for kind %q, got %d", ColorsPrimaries, opts.Steps)
		}
		// In label order: red, yellow, green, cyan, blue, magenta, black, white.
		grid = []float32{1, 0, 0, 1, 1, 0, 0, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 1, 0, 0, 0, 1, 1, 1}
	default:
		return nil, fmt.Errorf("datasets: colors: unknown Kind %q (want %q, %q or %q)", opts.Kind, ColorsCube, ColorsHueRing, ColorsPrimaries)
	}
	n := len(grid) / 3
	if n == 0 {
		return nil, fmt.Errorf("datasets: colors: the grid is empty")
	}

	test := &Split{N: n, Shape: []int{3}, X: grid}
	train := &Split{N: n * opts.Copies, Shape: []int{3}, X: make([]float32, 0, len(grid)*opts.Copies)}
	r := newRNG(opts.Seed, 0x636f6c6f7273) // "colors"
	for range opts.Copies {
		for _, v := range grid {
			if opts.Jitter > 0 {
				v = float32(min(1, max(0, float64(v)+opts.Jitter*r.norm())))
			}
			train.X = append(train.X, v)
		}
	}
	achromatic := false
	for _, s := range []*Split{train, test} {
		s.Labels = make([]int32, s.N)
		for i := range s.N {
			x := s.X[3*i : 3*i+3]
			s.Labels[i] = colorLabel(float64(x[0]), float64(x[1]), float64(x[2]), opts.AchromaticChroma)
			achromatic = achromatic || s.Labels[i] >= 6
		}
	}
	names := ColorClassNames[:6]
	if achromatic {
		names = ColorClassNames
	}
	return &Dataset{Name: "colors", ClassNames: append([]string(nil), names...), Train: train, Test: test}, nil
}

func level(k, steps int) float32 { return float32(float64(k) / float64(steps-1)) }

// ColorLabel returns the colors class (index into ColorClassNames) of an RGB color with components in
// [0, 1], with the default achromatic threshold 0.2: colors whose chroma max-min is below it are
// black (value max < 1/3), gray (< 2/3) or white; the others get the hue sector nearest their HSV hue
// h, floor(h/60° + 1/2) mod 6, a hue exactly between two sectors going to the later one (30° is yellow).
func ColorLabel(r, g, b float32) int32 {
	return colorLabel(float64(r), float64(g), float64(b), 0.2)
}

func colorLabel(r, g, b, achromatic float64) int32 {
	h, _, v := RGBToHSV(r, g, b)
	if max(r, g, b)-min(r, g, b) < achromatic {
		switch {
		case v < 1.0/3:
			return 6
		case v < 2.0/3:
			return 7
		default:
			return 8
		}
	}
	// The small epsilon makes hues that float32 rounding puts just below a sector boundary land where
	// the exact hue would (boundaries belong to the later sector).
	return int32(math.Floor(h/60+0.5+1e-6)) % 6
}

// RGBToHSV converts an RGB color with components in [0, 1] into hue h in degrees [0, 360),
// saturation s and value v in [0, 1]. Achromatic colors (r = g = b) have h = 0.
func RGBToHSV(r, g, b float64) (h, s, v float64) {
	mx, mn := max(r, g, b), min(r, g, b)
	c := mx - mn
	v = mx
	if mx > 0 {
		s = c / mx
	}
	if c == 0 {
		return 0, s, v
	}
	switch mx {
	case r:
		h = 60 * math.Mod((g-b)/c, 6)
	case g:
		h = 60 * ((b-r)/c + 2)
	default:
		h = 60 * ((r-g)/c + 4)
	}
	if h < 0 {
		h += 360
	}
	if h >= 360 {
		h -= 360
	}
	return h, s, v
}

// HSVToRGB converts hue h in degrees (any real, taken modulo 360), saturation s and value v in
// [0, 1] into RGB components in [0, 1].
func HSVToRGB(h, s, v float64) (r, g, b float64) {
	h = math.Mod(h, 360)
	if h < 0 {
		h += 360
	}
	c := v * s
	hp := h / 60
	x := c * (1 - math.Abs(math.Mod(hp, 2)-1))
	switch int(hp) {
	case 0:
		r, g, b = c, x, 0
	case 1:
		r, g, b = x, c, 0
	case 2:
		r, g, b = 0, c, x
	case 3:
		r, g, b = 0, x, c
	case 4:
		r, g, b = x, 0, c
	default:
		r, g, b = c, 0, x
	}
	m := v - c
	return r + m, g + m, b + m
}

// Vibrancy returns seed 003's focus of each color of s (RGB rows in [0, 1]): its HSV saturation
// times its value, s·v in [0, 1] — 1 for the pure hues, 0 for black and the grays. s is [n, 3];
// returns [n].
func Vibrancy(s *Split) []float64 {
	checkRGB("Vibrancy", s)
	out := make([]float64, s.N)
	for i := range s.N {
		_, sat, val := RGBToHSV(float64(s.X[3*i]), float64(s.X[3*i+1]), float64(s.X[3*i+2]))
		out[i] = sat * val
	}
	return out
}

// HSVCubeBias returns seed 003's base sampling weight (its ColorCube.bias) of each color of s, a
// grid of hues x saturations HSV colors (any number of values, e.g. ColorsHueRing with
// Saturations and Values set):
//
//	w(s, v) = (1−v)/(saturations·hues) + (1−s)·v/hues + s·v
//
// so a vibrant color (s = v = 1) weighs 1, white (one copy per hue) 1/hues and black (one copy
// per hue and saturation) 1/(saturations·hues). s is [n, 3]; returns [n]. hues and saturations
// must be positive.
func HSVCubeBias(s *Split, hues, saturations int) []float64 {
	checkRGB("HSVCubeBias", s)
	if hues < 1 || saturations < 1 {
		panic(fmt.Sprintf("datasets: HSVCubeBias: hues (%d) and saturations (%d) must be positive", hues, saturations))
	}
	black, white := 1/float64(saturations*hues), 1/float64(hues)
	out := make([]float64, s.N)
	for i := range s.N {
		_, sat, val := RGBToHSV(float64(s.X[3*i]), float64(s.X[3*i+1]), float64(s.X[3*i+2]))
		out[i] = black*(1-val) + white*(1-sat)*val + sat*val
	}
	return out
}

// Linspace returns n evenly spaced values from lo to hi inclusive (numpy's linspace): the
// saturations and values of seed 003's HSV cube are Linspace(0, 1, 10).
func Linspace(lo, hi float64, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		if n == 1 {
			out[i] = lo
			continue
		}
		out[i] = lo + (hi-lo)*float64(i)/float64(n-1)
	}
	return out
}

func checkRGB(fn string, s *Split) {
	if s == nil || len(s.Shape) != 1 || s.Shape[0] != 3 || len(s.X) != 3*s.N {
		panic(fmt.Sprintf("datasets: %s needs a split of RGB vectors (shape [3])", fn))
	}
}
