package vecstate

import (
	"crypto/sha256"
	"testing"
)

// TestClearUpperKeepsScalarResults checks that clearing the upper halves between scalar work does
// not change what that work computes (it must only ever touch state no compiled Go code holds).
func TestClearUpperKeepsScalarResults(t *testing.T) {
	data := make([]byte, 1<<16)
	for i := range data {
		data[i] = byte(i * 7)
	}
	want := sha256.Sum256(data)
	for range 3 {
		h := sha256.New()
		for off := 0; off < len(data); off += 4096 {
			ClearUpper()
			h.Write(data[off : off+4096])
		}
		if got := h.Sum(nil); string(got) != string(want[:]) {
			t.Fatalf("sha256 with ClearUpper between chunks = %x, want %x", got, want)
		}
	}
}
