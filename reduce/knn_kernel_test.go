package reduce

import "testing"

func BenchmarkKNNTile(b *testing.B) {
	d := 64
	q := anRandom(4, d, 1)
	p := anRandom(1, d*knnPanel, 2)
	nrm := make([]float32, knnPanel)
	var tile [4 * knnPanel]float32
	tops := [4]float32{0, 0, 0, 0}
	b.SetBytes(int64(4 * knnPanel * d * 2)) // flops reported as "bytes"
	for b.Loop() {
		knnTile(q.Row(0), q.Row(1), q.Row(2), q.Row(3), p.Data, nrm, &tops, &tile)
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
