package vizlib

import (
	"bytes"
	"compress/flate"
	"encoding/base64"
	"fmt"
	"slices"

	"github.com/embviz/embviz/reduce"
)

// The player's binary fields (coordinates, labels, predictions, colors, indices, neighbour lists)
// travel as base64 of raw DEFLATE (RFC 1951) data, transformed first so that DEFLATE finds the
// repetition: changes since the previous frame instead of values, bytes of equal weight
// together. embviz.js inflates them (its inflate) when the view mounts. Every output carries its
// own data (DESIGN.md: everything travels inside each output), so these bytes count once per
// output.

// deflate64 returns base64 of the raw DEFLATE compression of b at the best level.
func deflate64(b []byte) string {
	var buf bytes.Buffer
	w, err := flate.NewWriter(&buf, flate.BestCompression)
	if err != nil { // only for an invalid level
		panic(err)
	}
	w.Write(b) // writes to a bytes.Buffer do not fail
	w.Close()
	return base64.StdEncoding.EncodeToString(buf.Bytes())
}

// intBytes packs v as little-endian words of width bytes (1 or 2), keeping the low bits.
func intBytes(v []int32, width int) []byte {
	b := make([]byte, len(v)*width)
	for i, x := range v {
		if width == 1 {
			b[i] = byte(x)
		} else {
			b[2*i], b[2*i+1] = byte(x), byte(x>>8)
		}
	}
	return b
}

// packFrames turns quantized frames (quantize: f·n points of 12-bit x and y, frame-major) into the
// bytes a panel carries before DEFLATE: for each frame t, the change of every point's x and y
// code since frame t−1 (frame −1 is all zeros), zigzag-coded (0, −1, 1, −2, … → 0, 1, 2, 3, …;
// at most 8190) as 16-bit words in four planes of n bytes: the high bytes of x, the low bytes of
// x, the high bytes of y, the low bytes of y. Points move little between snapshots, so the
// changes are small and DEFLATE codes them in about two thirds of the quantized bytes.
func packFrames(q []byte, n int) []byte {
	f := len(q) / (3 * n)
	out := make([]byte, 4*f*n)
	px, py := make([]int32, n), make([]int32, n)
	zig := func(d int32) uint16 { return uint16(d<<1 ^ d>>31) }
	for t := 0; t < f; t++ {
		o := out[4*t*n : 4*(t+1)*n]
		for j := 0; j < n; j++ {
			b := q[3*(t*n+j):]
			x := int32(b[0])<<4 | int32(b[1])>>4
			y := int32(b[1]&15)<<8 | int32(b[2])
			zx, zy := zig(x-px[j]), zig(y-py[j])
			o[j], o[n+j], o[2*n+j], o[3*n+j] = byte(zx>>8), byte(zx), byte(zy>>8), byte(zy)
			px[j], py[j] = x, y
		}
	}
	return out
}

// encodePreds packs predictions [f][n] (each value already in [0, 2^(8·width))) as the change of
// each point's value since the previous frame, modulo 2^(8·width) (frame −1 is all zeros), in
// width-byte words, DEFLATEd: predictions mostly stay as they were.
func encodePreds(flat []int32, n, width int) string {
	d := make([]int32, len(flat))
	mask := int32(1)<<(8*width) - 1
	for i, v := range flat {
		prev := int32(0)
		if i >= n {
			prev = flat[i-n]
		}
		d[i] = (v - prev) & mask
	}
	return deflate64(intBytes(d, width))
}

// encodeIndices packs dataset indices as the change from the previous one (the first from 0),
// modulo 2^32, in little-endian 32-bit words, DEFLATEd: subsets are usually sorted.
func encodeIndices(v []int32) string {
	b := make([]byte, 4*len(v))
	prev := uint32(0)
	for i, x := range v {
		d := uint32(x) - prev
		b[4*i], b[4*i+1], b[4*i+2], b[4*i+3] = byte(d), byte(d>>8), byte(d>>16), byte(d>>24)
		prev = uint32(x)
	}
	return deflate64(b)
}

// knnBytes is the width of one neighbour index in encodeKnn's stream: 2 bytes up to 65536 points,
// else 3.
func knnBytes(n int) int {
	if n <= 1<<16 {
		return 2
	}
	return 3
}

// maxKnn is the largest number of neighbours encodeKnn ships (its position codes are bytes, and
// the value k means "a new index").
const maxKnn = 254

// encodeKnn returns the k nearest neighbours (reduce.KNN, Euclidean, the point itself excluded,
// nearest first) of every point in every snapshot of seq ([T] of [n, d]), DEFLATEd in base64. The
// stream is T·n·k position codes, one byte per list entry (snapshot-major, then point, then
// rank): c < k when the neighbour is entry c of the same point's list at the previous snapshot,
// k when it is not (always at snapshot 0); then the indices of those new neighbours, in the order
// of their codes, as knnBytes(n) planes of bytes (the low bytes of all, then the next bytes...).
// Lists change slowly during training, so most entries are a small code that DEFLATE packs tightly.
func encodeKnn(seq []*reduce.Matrix, k int) (string, error) {
	n := seq[0].Rows
	if k < 1 || k > maxKnn {
		return "", fmt.Errorf("vizlib: %d neighbours per point: want 1 to %d", k, maxKnn)
	}
	if n > 1<<24 {
		return "", fmt.Errorf("vizlib: neighbour lists of %d points: at most %d", n, 1<<24)
	}
	codes := make([]byte, 0, len(seq)*n*k)
	var fresh []int32
	var prev []int32
	for _, x := range seq {
		nb, err := reduce.KNN(x, k, reduce.Euclidean)
		if err != nil {
			return "", err
		}
		for j := 0; j < n; j++ {
			row, _ := nb.Row(j)
			var before []int32
			if prev != nil {
				before = prev[j*k : (j+1)*k]
			}
			for _, v := range row {
				if c := slices.Index(before, v); c >= 0 {
					codes = append(codes, byte(c))
				} else {
					codes = append(codes, byte(k))
					fresh = append(fresh, v)
				}
			}
		}
		prev = nb.Index
	}
	w := knnBytes(n)
	out := make([]byte, len(codes)+w*len(fresh))
	copy(out, codes)
	for b := 0; b < w; b++ {
		plane := out[len(codes)+b*len(fresh):]
		for i, v := range fresh {
			plane[i] = byte(v >> (8 * b))
		}
	}
	return deflate64(out), nil
}
