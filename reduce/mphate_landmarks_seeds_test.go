package reduce

import (
	"os"
	"testing"
)

// TestMPHATEVsReferenceSeeds (EMBVIZ_MPHATE_SEEDS=1; about 10 s per seed): TestMPHATEVsReference's
// bounds (Spearman >= 0.93, Procrustes disparity <= 0.08 against the reference's stored layout of
// testdata/mphate_cnn30.npy) for our seeds 0, 1 and 2, each logged: the landmark stage's random
// start and k-means follow the seed, and the agreement must not hinge on one seed.
func TestMPHATEVsReferenceSeeds(t *testing.T) {
	if os.Getenv("EMBVIZ_MPHATE_SEEDS") != "1" {
		t.Skip("set EMBVIZ_MPHATE_SEEDS=1 (about 30 s)")
	}
	seq := mphateReadTensor(t, mphateFixture)
	ref := mphateReadLayout(t, mphateFixture+".ref0.npy", len(seq), seq[0].Rows)
	for _, seed := range []int64{0, 1, 2} {
		ours, err := MPHATEFit(seq, &MPHATEOptions{Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		rho, disp := mphateAgreement(ours.Frames, ref)
		t.Logf("seed %d: Spearman %.3f, disparity %.3f (%d landmarks)", seed, rho, disp, ours.Landmarks)
		if rho < 0.93 || disp > 0.08 {
			t.Errorf("seed %d: agreement with the reference: Spearman %.3f (want >= 0.93), disparity %.3f (want <= 0.08)", seed, rho, disp)
		}
	}
}
