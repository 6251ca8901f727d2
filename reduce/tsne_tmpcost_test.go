package reduce

import (
	"os"
	"syscall"
	"testing"
	"time"
)

func TestTSNETmpCost(t *testing.T) {
	if os.Getenv("TSNE_PROF") == "" {
		t.Skip()
	}
	x := tsneFashion50(t, 5000)
	aff, _ := TSNEAffinities(x, nil)
	emb, _ := NewTSNEEmbedding(aff, x, &TSNEOptions{Iters: 400})
	var ru0, ru1 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	t0 := time.Now()
	emb.Run()
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
	t.Logf("400 iters: wall %v cpu %v", time.Since(t0), time.Duration(ru1.Utime.Nano()-ru0.Utime.Nano()))
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	t0 = time.Now()
	for k := 0; k < 100; k++ {
		emb.gradient(1, false)
	}
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
	t.Logf("per gradient: wall %v cpu %v", time.Since(t0)/100, time.Duration(ru1.Utime.Nano()-ru0.Utime.Nano())/100)
}
