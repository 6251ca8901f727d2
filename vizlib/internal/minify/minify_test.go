package minify

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAssetsFresh fails when a committed minified asset is not the minification of its source
// (someone edited assets/embviz.js or .css without running go generate ./vizlib).
func TestAssetsFresh(t *testing.T) {
	for _, tc := range []struct {
		name   string
		shrink float64 // the minified copy is at most this fraction of the source
	}{
		{"embviz.js", 0.7},
		{"embviz.css", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := filepath.Join("..", "..", "assets", tc.name)
			in, err := os.ReadFile(src)
			if err != nil {
				t.Fatal(err)
			}
			want, err := Asset(src, in)
			if err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(MinName(src))
			if err != nil {
				t.Fatalf("%v (run go generate ./vizlib)", err)
			}
			if string(got) != string(want) {
				t.Fatalf("%s is stale: it is not the minification of %s (run go generate ./vizlib)", MinName(src), src)
			}
			if r := float64(len(got)) / float64(len(in)); r > tc.shrink {
				t.Errorf("%s is %d bytes, %.2f of its source's %d: want <= %.2f", MinName(src), len(got), r, len(in), tc.shrink)
			}
			t.Logf("%s: %d -> %d bytes", tc.name, len(in), len(got))
		})
	}
}

func TestAssetErrors(t *testing.T) {
	for _, tc := range []struct{ name, src, want string }{
		{"a.txt", "x", "want a .js or .css"},
		{"a.js", "function (", "a.js"},
		{"a.css", "a { color: red", ""}, // esbuild warns but recovers: no error
	} {
		_, err := Asset(tc.name, []byte(tc.src))
		if tc.want == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
	if got := MinName("assets/x.js"); got != "assets/x.min.js" {
		t.Errorf("MinName: %s", got)
	}
}
