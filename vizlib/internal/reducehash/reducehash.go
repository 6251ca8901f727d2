// Package reducehash fingerprints the reduce package's sources for vizlib's cache keys: frames
// cached by an older reduce (other defaults, other numerics) must never be served, and a
// hand-bumped version is easy to forget.
package reducehash

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Sum returns the hex SHA-256 of the non-test Go files in dir (file names and contents, in name
// order).
func Sum(dir string) (string, error) {
	names, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return "", err
	}
	sort.Strings(names)
	h := sha256.New()
	n := 0
	for _, p := range names {
		if strings.HasSuffix(p, "_test.go") {
			continue
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", filepath.Base(p), len(b))
		h.Write(b)
		n++
	}
	if n == 0 {
		return "", fmt.Errorf("reducehash: no Go sources in %s", dir)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
