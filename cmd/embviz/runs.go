package main

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/embviz/embviz/training"
)

func init() {
	register("runs", "list the runs in a runs directory (-runs DIR, default $EMBVIZ_RUNS or ./runs)", runRuns)
}

// runRuns prints a table of the runs in -runs DIR: id, status, dataset, model, snapshots and
// final accuracy. An empty directory prints "no runs"; a missing one is an error.
func runRuns(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("runs", stderr)
	runsDir := fs.String("runs", defaultRunsDir(), "runs directory")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	runs, err := training.ListRuns(*runsDir)
	if err != nil {
		return err
	}
	if len(runs) == 0 {
		fmt.Fprintf(stdout, "no runs in %s (train one with `embviz train`)\n", termSafe(*runsDir))
		return nil
	}
	writeRunsTable(stdout, runs)
	for _, r := range runs {
		if r.Status == training.StatusInterrupted {
			fmt.Fprintf(stdout, "\ninterrupted: the process training the run died; continue it with\n  embviz train -runs %s -resume %s\n", termSafe(*runsDir), termSafe(r.ID))
			break
		}
	}
	return nil
}

// writeRunsTable writes one aligned row per run: its display id (the seed's form,
// run-0011-CNN_mnist_32_0.9776 once finished), status (running only while the training
// process lives; interrupted when it died), dataset, model, snapshot count and final accuracy.
// Strings from run.json are printed with control characters escaped (termSafe).
func writeRunsTable(w io.Writer, runs []training.RunInfo) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATUS\tDATASET\tMODEL\tSNAPSHOTS\tFINAL_ACC")
	for _, r := range runs {
		acc := "-"
		if r.Status == training.StatusFinished {
			acc = fmt.Sprintf("%.4f", r.FinalEvalAcc)
		}
		if r.Status == "corrupt" {
			fmt.Fprintf(tw, "%s\tcorrupt\t-\t-\t-\t-\t(%s)\n", termSafe(r.ID), termSafe(r.Error))
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\n", termSafe(r.DisplayID()), termSafe(r.Status), termSafe(r.Dataset), termSafe(r.Model), len(r.Snapshots), acc)
	}
	tw.Flush()
}
