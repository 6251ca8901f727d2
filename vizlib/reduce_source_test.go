package vizlib

import (
	"testing"

	"github.com/embviz/embviz/vizlib/internal/reducehash"
)

// TestReduceSourceCurrent fails when reduce's sources changed since reduce_source.go was
// generated: the cache would then serve frames computed by the older reduce under the same keys.
func TestReduceSourceCurrent(t *testing.T) {
	sum, err := reducehash.Sum("../reduce")
	if err != nil {
		t.Fatal(err)
	}
	if sum != reduceSource {
		t.Fatalf("reduce_source.go is stale (reduce's sources hash to %s, recorded %s): run go generate ./vizlib", sum, reduceSource)
	}
}
