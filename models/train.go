package models

import (
	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train"
	"github.com/gomlx/gomlx/ml/train/metric"
	"github.com/gomlx/gomlx/ml/train/optimizer"
	. "github.com/gomlx/gomlx/support/exceptions"
)

// CrossEntropy is the mean sparse softmax cross-entropy of logits [batch, classes] against
// labels [batch] or [batch, 1] integer class ids: mean_i (log Σ_c exp(logits_ic) − logits_i,label_i),
// computed with the row maximum subtracted (stable; the maximum carries no gradient). Returns a
// scalar. It is the one cross-entropy of the project: models' trainer and the training loop use it.
func CrossEntropy(logits, labels *Node) *Node {
	if labels.Rank() == 2 {
		labels = Reshape(labels, labels.Shape().Dimensions[0])
	}
	numClasses := logits.Shape().Dimensions[1]
	shifted := Sub(logits, StopGradient(ReduceAndKeep(logits, ReduceMax, -1)))
	lse := Log(ReduceSum(Exp(shifted), -1))
	picked := ReduceSum(Mul(OneHot(labels, numClasses, logits.DType()), shifted), -1)
	return ReduceAllMean(Sub(lse, picked))
}

// ReconstructionBCE is the binary cross-entropy between recon and target (same shape
// [batch, ...], values in [0, 1]), summed over all axes but the batch and averaged over the
// batch. recon is clipped to [1e-7, 1-1e-7] to keep the logarithms finite.
func ReconstructionBCE(recon, target *Node) *Node {
	if !recon.Shape().Equal(target.Shape()) {
		Panicf("models.ReconstructionBCE: recon %s and target %s differ", recon.Shape(), target.Shape())
	}
	const eps = 1e-7
	p := ClipScalar(recon, eps, 1-eps)
	bce := Neg(Add(Mul(target, Log(p)), Mul(OneMinus(target), Log(OneMinus(p)))))
	return ReduceAllMean(ReduceSum(flatten(bce), -1))
}

// NewTrainer returns a GoMLX trainer for m: inputs[0] is the batch x, labels[0] the class ids
// (classifiers; autoencoders ignore labels but the batch must still carry one, e.g. zeros). The
// loss is the mean softmax cross-entropy of the logits for classifiers, ReconstructionBCE for
// autoencoders, plus Output.ExtraLoss when set (the VAE's KLDWeight*KLD); the prediction
// returned to metrics is the logits or the reconstruction. opt nil
// means Adam with learning rate 1e-3 (GoMLX default). Metrics may be nil.
func NewTrainer(backend compute.Backend, store *model.Store, m Model, opt optimizer.Interface,
	trainMetrics, evalMetrics []metric.Interface) *train.Trainer {
	if opt == nil {
		opt = optimizer.Adam().Done()
	}
	// classifier is set by modelFn, which the trainer always calls before lossFn on the same graph.
	var classifier bool
	modelFn := func(scope *model.Scope, _ any, inputs []*Node) []*Node {
		x := inputs[0]
		out := m.Build(scope, x, scope.IsTraining(x.Graph()), nil)
		if out.ExtraLoss != nil {
			train.AddMainLoss(out.ExtraLoss)
		}
		classifier = out.Logits != nil
		if classifier {
			return []*Node{out.Logits}
		}
		train.AddMainLoss(ReconstructionBCE(out.Reconstruction, x))
		return []*Node{out.Reconstruction}
	}
	lossFn := func(labels, predictions []*Node) *Node {
		if classifier {
			return CrossEntropy(predictions[0], labels[0])
		}
		return ScalarZero(predictions[0].Graph(), predictions[0].DType())
	}
	return train.NewTrainer(backend, store, modelFn, lossFn, opt, trainMetrics, evalMetrics)
}
