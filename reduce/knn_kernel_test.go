package reduce

import (
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
	"testing"
)

func BenchmarkKNNTile(b *testing.B) {
	for _, d := range []int{32, 64, 100} {
		q := anRandom(4, d, 1)
		p := anRandom(1, 2*d*knnPanel, 2)
		nrm := make([]float32, 2*knnPanel)
		tops := [4]float32{0, 0, 0, 0}
		// Both report the work of 4 queries x 32 references ("bytes" = flops).
		b.Run(fmt.Sprintf("single/d%d", d), func(b *testing.B) {
			var tile [4 * knnPanel]float32
			b.SetBytes(int64(4 * 2 * knnPanel * d * 2))
			for b.Loop() {
				knnTile(q.Row(0), q.Row(1), q.Row(2), q.Row(3), p.Data[:d*knnPanel], nrm[:knnPanel], &tops, &tile)
				knnTile(q.Row(0), q.Row(1), q.Row(2), q.Row(3), p.Data[d*knnPanel:], nrm[knnPanel:], &tops, &tile)
			}
		})
		b.Run(fmt.Sprintf("pair/d%d", d), func(b *testing.B) {
			var tile [2][4 * knnPanel]float32
			b.SetBytes(int64(4 * 2 * knnPanel * d * 2))
			for b.Loop() {
				knnTilePair(q.Row(0), q.Row(1), q.Row(2), q.Row(3), p.Data, nrm, &tops, &tile)
			}
		})
	}
}

func TestKNNTileMatchesGeneric(t *testing.T) {
	for _, d := range []int{1, 7, 64, 100} {
		q := anRandom(4, d, 1)
		p := anRandom(1, d*knnPanel, 2)
		nrm := anRandom(1, knnPanel, 3).Data
		var a, b [4 * knnPanel]float32
		tops := [4]float32{-1, 0, 1, 100}
		ma := knnTile(q.Row(0), q.Row(1), q.Row(2), q.Row(3), p.Data, nrm, &tops, &a)
		mb := knnTileGeneric(q.Row(0), q.Row(1), q.Row(2), q.Row(3), p.Data, nrm, &tops, &b)
		for i := range a {
			if (a[i] < tops[i/16]) != (ma>>i&1 == 1) || (b[i] < tops[i/16]) != (mb>>i&1 == 1) {
				t.Fatalf("d=%d: mask bit %d wrong (key %v, top %v, masks %x %x)", d, i, a[i], tops[i/16], ma, mb)
			}
		}
		for i := range a {
			if diff := a[i] - b[i]; diff > 1e-4 || diff < -1e-4 {
				t.Fatalf("d=%d tile[%d] = %v, generic %v", d, i, a[i], b[i])
			}
		}
	}
}

// TestKNNTilePairMatchesTile checks that knnTilePair gives, key for key and bit for bit, the keys and
// masks of knnTile on each of its two panels, for random data, duplicated rows (keys equal to tops),
// huge norms (keys near float32 overflow, +Inf and -Inf) and padding panels (norm +Inf).
func TestKNNTilePairMatchesTile(t *testing.T) {
	kinds := []string{"random", "duplicates", "huge", "padding"}
	for _, d := range []int{1, 2, 3, 7, 8, 31, 32, 33, 100, 784} {
		for _, kind := range kinds {
			t.Run(fmt.Sprintf("d%d/%s", d, kind), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(uint64(d), 11))
				refs := anRandom(2*knnPanel, d, uint64(d)+5) // [32, d]
				q := anRandom(4, d, uint64(d)+6)
				switch kind {
				case "duplicates": // queries equal to references, references equal to each other
					for r := 0; r < 4; r++ {
						copy(q.Row(r), refs.Row(3*r+1))
					}
					for j := 8; j < 2*knnPanel; j += 2 {
						copy(refs.Row(j), refs.Row(j-8))
					}
				case "huge": // entries up to 1e17 (KNN's limit): squared norms overflow to +Inf
					for i := range refs.Data {
						refs.Data[i] *= float32(math.Pow(10, rng.Float64()*17))
					}
					for i := range q.Data {
						q.Data[i] *= float32(math.Pow(10, rng.Float64()*17))
					}
				}
				sq := rowSqNorms(refs.Data, 2*knnPanel, d)
				p := packReferences(refs.Data, 2*knnPanel, d, sq)
				if kind == "padding" { // 19 rows: the second panel is mostly padding
					p = packReferences(refs.Data, knnPanel+3, d, sq)
				}
				if len(p.data) != 2*d*knnPanel || len(p.sqNorms) != 2*knnPanel {
					t.Fatalf("packed storage %d, %d, want %d, %d", len(p.data), len(p.sqNorms), 2*d*knnPanel, 2*knnPanel)
				}
				topSets := [][4]float32{
					{-1, 0, 1, 100},
					{float32(math.Inf(1)), float32(math.Inf(-1)), 0, float32(math.NaN())},
				}
				// Tops equal to some keys, so that "<" against equal keys is checked.
				var want [2][4 * knnPanel]float32
				knnTile(q.Row(0), q.Row(1), q.Row(2), q.Row(3), p.data[:d*knnPanel], p.sqNorms[:knnPanel], &topSets[0], &want[0])
				topSets = append(topSets, [4]float32{want[0][0], want[0][16+5], want[0][32+9], want[0][48+15]})
				for _, tops := range topSets {
					var got [2][4 * knnPanel]float32
					g0, g1 := knnTilePair(q.Row(0), q.Row(1), q.Row(2), q.Row(3), p.data[:2*d*knnPanel], p.sqNorms[:2*knnPanel], &tops, &got)
					for h, gm := range []uint64{g0, g1} {
						wm := knnTile(q.Row(0), q.Row(1), q.Row(2), q.Row(3), p.data[h*d*knnPanel:(h+1)*d*knnPanel], p.sqNorms[h*knnPanel:(h+1)*knnPanel], &tops, &want[h])
						if gm != wm {
							t.Fatalf("tops %v panel %d: mask %016x, knnTile %016x", tops, h, gm, wm)
						}
						for i := range got[h] {
							if math.Float32bits(got[h][i]) != math.Float32bits(want[h][i]) {
								t.Fatalf("tops %v panel %d: key[%d] = %v (%08x), knnTile %v (%08x)", tops, h, i, got[h][i], math.Float32bits(got[h][i]), want[h][i], math.Float32bits(want[h][i]))
							}
						}
					}
				}
			})
		}
	}
}

// assignOnePanel is assign as it was before the pair tile: one knnTile call per panel of 16
// centres, in order (the reference for TestAssignMatchesOnePanelLoop).
func assignOnePanel(x *Matrix, sq, centers []float32, k int) ([]int32, []float32) {
	n, d := x.Rows, x.Cols
	packed := packReferences(centers, k, d, rowSqNorms(centers, k, d))
	labels, dist2 := make([]int32, n), make([]float32, n)
	var tile [4 * knnPanel]float32
	for qi := 0; qi < n; qi += 4 {
		var qs [4][]float32
		for r := 0; r < 4; r++ {
			qs[r] = x.Row(min(qi+r, n-1))
		}
		bestKey := [4]float32{float32(math.Inf(1)), float32(math.Inf(1)), float32(math.Inf(1)), float32(math.Inf(1))}
		var bestC [4]int32
		for p := 0; p < packed.panels; p++ {
			mask := knnTile(qs[0], qs[1], qs[2], qs[3], packed.data[p*d*knnPanel:(p+1)*d*knnPanel], packed.sqNorms[p*knnPanel:(p+1)*knnPanel], &bestKey, &tile)
			for mask != 0 {
				bit := bits.TrailingZeros64(mask)
				mask &= mask - 1
				if r := bit >> 4; tile[bit] < bestKey[r] {
					bestKey[r], bestC[r] = tile[bit], int32(p*knnPanel+bit&15)
				}
			}
		}
		for r := 0; r < 4 && qi+r < n; r++ {
			labels[qi+r] = bestC[r]
			dist2[qi+r] = max(0, bestKey[r]+sq[qi+r])
		}
	}
	return labels, dist2
}

// TestAssignMatchesOnePanelLoop checks that assign (panels in pairs, an odd last panel alone) gives
// the labels and squared distances of the one-panel-at-a-time loop, bit for bit, for 1 to 5 panels
// of centres, centres that are data rows (distance-0 ties) and duplicated centres (ties between
// panels, which must go to the smaller index).
func TestAssignMatchesOnePanelLoop(t *testing.T) {
	for _, tc := range []struct{ n, d, k int }{
		{203, 100, 1000 / 16}, {101, 32, 16}, {98, 7, 17}, {77, 3, 33}, {64, 1, 48}, {130, 33, 80},
	} {
		t.Run(fmt.Sprintf("n%d_d%d_k%d", tc.n, tc.d, tc.k), func(t *testing.T) {
			x := anRandom(tc.n, tc.d, uint64(tc.n+tc.k))
			centers := make([]float32, tc.k*tc.d)
			for c := 0; c < tc.k; c++ {
				switch {
				case c%5 == 0 && c > 0: // a duplicate of an earlier centre (often in the other panel)
					copy(centers[c*tc.d:(c+1)*tc.d], centers[(c/2)*tc.d:(c/2+1)*tc.d])
				default: // a data row
					copy(centers[c*tc.d:(c+1)*tc.d], x.Row((c*7)%tc.n))
				}
			}
			sq := rowSqNorms(x.Data, tc.n, tc.d)
			labels, dist2 := make([]int32, tc.n), make([]float32, tc.n)
			assign(x, sq, centers, tc.k, labels, dist2)
			wantL, wantD := assignOnePanel(x, sq, centers, tc.k)
			for i := range labels {
				if labels[i] != wantL[i] || math.Float32bits(dist2[i]) != math.Float32bits(wantD[i]) {
					t.Fatalf("row %d: label %d dist2 %v, one panel at a time %d %v", i, labels[i], dist2[i], wantL[i], wantD[i])
				}
			}
		})
	}
}

// TestPackReferencesPadding checks that the packed storage holds an even number of panels, the
// rows past n being zero with squared norm +Inf, and that tilePair's second mask is 0 on the
// padding panel past the last one.
func TestPackReferencesPadding(t *testing.T) {
	for _, n := range []int{1, 15, 16, 17, 32, 33, 47, 48} {
		d := 3
		x := anRandom(n, d, uint64(n))
		pk := packReferences(x.Data, n, d, rowSqNorms(x.Data, n, d))
		panels := (n + 15) / 16
		stored := panels + panels%2
		if pk.panels != panels || len(pk.data) != stored*d*knnPanel || len(pk.sqNorms) != stored*knnPanel {
			t.Fatalf("n=%d: panels %d, storage %d, %d; want %d panels, %d stored", n, pk.panels, len(pk.data), len(pk.sqNorms), panels, stored)
		}
		for j := 0; j < stored*knnPanel; j++ {
			p, c := j/knnPanel, j%knnPanel
			for tt := 0; tt < d; tt++ {
				v := pk.data[p*d*knnPanel+tt*knnPanel+c]
				if (j < n && v != x.At(j, tt)) || (j >= n && v != 0) {
					t.Fatalf("n=%d: row %d coordinate %d packed as %v", n, j, tt, v)
				}
			}
			if j >= n && !math.IsInf(float64(pk.sqNorms[j]), 1) {
				t.Fatalf("n=%d: padding row %d has norm %v", n, j, pk.sqNorms[j])
			}
		}
		qs := [4][]float32{x.Row(0), x.Row(0), x.Row(0), x.Row(0)}
		inf := float32(math.Inf(1))
		tops := [4]float32{inf, inf, inf, inf}
		var tile [2][4 * knnPanel]float32
		for p := 0; p < pk.panels; p += 2 {
			m0, m1 := pk.tilePair(&qs, p, &tops, &tile)
			want0 := uint64(0)
			for r := 0; r < 4; r++ {
				want0 |= (1<<min(knnPanel, n-p*knnPanel) - 1) << (16 * r)
			}
			if m0 != want0 || (p+1 >= pk.panels && m1 != 0) {
				t.Fatalf("n=%d panel %d: masks %016x %016x, want first %016x", n, p, m0, m1, want0)
			}
		}
	}
}

// TestKNNHeapReplaceTopMatchesSiftDown checks that replaceTop leaves the heap exactly as setting
// the top and calling siftDown (the code it replaces) does, for heap sizes 1..20 and keys with
// many ties (a few distinct values) and without.
func TestKNNHeapReplaceTopMatchesSiftDown(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for size := 1; size <= 20; size++ {
		for _, distinct := range []int{3, 1 << 20} {
			h := knnHeap{keys: make([]float32, size), idx: make([]int32, size)}
			h.reset()
			ref := knnHeap{keys: make([]float32, size), idx: make([]int32, size)}
			ref.reset()
			for step := 0; step < 500; step++ {
				key := float32(rng.IntN(distinct))
				if key >= h.keys[0] {
					continue
				}
				h.replaceTop(key, int32(step))
				ref.keys[0], ref.idx[0] = key, int32(step)
				siftDown(ref.idx, ref.keys, nil, 0)
				for i := range h.keys {
					if h.keys[i] != ref.keys[i] || h.idx[i] != ref.idx[i] {
						t.Fatalf("size %d step %d: heap %v %v, siftDown %v %v", size, step, h.keys, h.idx, ref.keys, ref.idx)
					}
				}
			}
		}
	}
}
