package datasets

import (
	"math"
	"math/bits"
)

// rng is a small SplitMix64 generator. The package uses its own generator rather than math/rand so
// that evaluation subsets and generated data sets stay identical across Go versions: runs store the
// indices of their evaluation subset and must be reproducible from (size, seed).
type rng struct{ s uint64 }

const golden = 0x9E3779B97F4A7C15

func mix64(z uint64) uint64 {
	z = (z ^ z>>30) * 0xBF58476D1CE4E5B9
	z = (z ^ z>>27) * 0x94D049BB133111EB
	return z ^ z>>31
}

// newRNG returns a generator for (seed, stream): different streams of one seed are independent.
func newRNG(seed int64, stream uint64) *rng {
	return &rng{s: mix64(uint64(seed)) ^ mix64(stream*golden+1)}
}

func (r *rng) uint64() uint64 {
	r.s += golden
	return mix64(r.s)
}

// intn returns a uniform integer in [0, n), n > 0 (Lemire's unbiased multiply-shift).
func (r *rng) intn(n int) int {
	un := uint64(n)
	hi, lo := bits.Mul64(r.uint64(), un)
	if lo < un {
		thresh := -un % un
		for lo < thresh {
			hi, lo = bits.Mul64(r.uint64(), un)
		}
	}
	return int(hi)
}

// float64 returns a uniform number in [0, 1).
func (r *rng) float64() float64 { return float64(r.uint64()>>11) * (1.0 / (1 << 53)) }

// norm returns a standard normal number (Marsaglia's polar method).
func (r *rng) norm() float64 {
	for {
		u := 2*r.float64() - 1
		v := 2*r.float64() - 1
		s := u*u + v*v
		if s > 0 && s < 1 {
			return u * math.Sqrt(-2*math.Log(s)/s)
		}
	}
}
