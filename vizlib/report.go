package vizlib

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/embviz/embviz/training"
)

// Report builds the standalone page of a run's whole workflow: training records, confusion
// matrices, embedding drift, 1 - CKA, top eigenvalues, and a grid of synced PCA / t-SNE / UMAP
// (and M-PHATE with WithMPHATE) animations with the confusion matrix. Options apply as in the
// notebook API (MaxPoints, Interpolate, Seed, Skips, WithProgress, ...). A section whose
// computation fails is replaced by an error box; Report still returns the page, together with the
// joined errors.
func Report(run *training.Run, opts ...Option) (*Page, error) {
	c := newConfig(append([]Option{NoDisplay()}, opts...))
	if run == nil {
		return nil, errors.New("vizlib: nil run")
	}
	info := run.Info()
	p := &Page{Title: "embviz report · " + info.ID}
	var sub []string
	sub = append(sub, "dataset "+info.Dataset, "model "+info.Model, fmt.Sprintf("embedding dim %d", info.EmbedDim),
		fmt.Sprintf("%d snapshots", len(info.Snapshots)), fmt.Sprintf("%d eval points", info.EvalSize), "status "+info.Status)
	if info.Status == training.StatusFinished {
		sub = append(sub, fmt.Sprintf("final eval acc %.4f", info.FinalEvalAcc))
	}
	if len(info.Options) > 0 {
		keys := make([]string, 0, len(info.Options))
		for k := range info.Options {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var o []string
		for _, k := range keys {
			v := info.Options[k]
			switch v.(type) {
			case map[string]any, []any:
				if b, err := json.Marshal(v); err == nil {
					o = append(o, fmt.Sprintf("%s=%s", k, b))
					continue
				}
			}
			o = append(o, fmt.Sprintf("%s=%v", k, v))
		}
		sub = append(sub, "options "+strings.Join(o, " "))
	}
	p.Subtitle = strings.Join(sub, " · ") + " · generated " + time.Now().UTC().Format("2006-01-02 15:04 UTC")

	var errs []error
	step := 0
	user := c.progress
	const steps = 9
	// Every stage reports (stage number, steps, "name: detail done/total").
	stage := func(name string) {
		step++
		if user != nil {
			user(step, steps, name)
			c.progress = func(done, total int, s string) { user(step, steps, fmt.Sprintf("%s: %s %d/%d", name, s, done, total)) }
		}
	}
	add := func(heading, text string, r Renderable, err error) {
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", heading, err))
			r = errBox{err}
		}
		p.Sections = append(p.Sections, Section{Heading: heading, Text: text, Content: r})
	}
	stage("training records")
	g, err := trainingRecords(run, c)
	add("Training records", "", g, err)
	stage("confusion matrices")
	cc := *c
	cc.annotate = true
	h, err := confusionMatrices(run, &cc)
	add("Confusion matrices", "Rows: true label, columns: prediction, on the fixed evaluation subset. Drag the slider over snapshots.", h, err)
	stage("drift")
	dr, err := embeddingDrift(run, c)
	add("Embedding drift", "Mean distance each evaluation point's embedding moved between snapshot i and i−k.", dr, err)
	stage("cka")
	ck, err := ckaSimilarity(run, c)
	add("CKA distance", "1 − linear CKA between the embeddings of snapshot i and i−k: how much the representation's geometry changed.", ck, err)
	stage("eigenvalues")
	k := c.components
	if k <= 0 {
		k = 10
	}
	ev, err := eigenvalues(run, k, c)
	add("PCA eigenvalues", "Top eigenvalues of the embedding covariance at each snapshot.", ev, err)

	withP := func(name string) []Option {
		return append(append([]Option{}, opts...), NoDisplay(), WithProgress(c.progress))
	}
	stage("pca")
	anims := []*Animation{PCAAnimation(run, withP("pca")...)}
	stage("tsne")
	anims = append(anims, TSNEAnimation(run, withP("tsne")...))
	stage("umap")
	anims = append(anims, UMAPAnimation(run, withP("umap")...))
	stage("m-phate")
	if c.mphate {
		anims = append(anims, MPHATEAnimation(run, withP("m-phate")...))
	}
	interp := c.interp
	if interp == 0 {
		interp = 2
	}
	pc := *c
	pc.confusion, pc.interp, pc.titles = true, interp, nil
	if pc.cols == 0 {
		pc.cols = 3
	}
	pl, perrs := player(anims, &pc)
	for _, e := range perrs {
		errs = append(errs, fmt.Errorf("Animations: %w", e))
	}
	if len(perrs) > 0 {
		p.Sections = append(p.Sections, Section{Heading: "Animations", Content: errBox{errors.Join(perrs...)}})
	}
	if pl != nil {
		pl.Name = info.ID
		heading := "Animations"
		if len(perrs) > 0 {
			heading = ""
		}
		p.Sections = append(p.Sections, Section{Heading: heading,
			Text:    "Every panel shows the same evaluation points, synced. Space toggles play; hover a point for its sample; click legend entries to hide classes, hover them to highlight.",
			Content: pl})
	}
	return p, errors.Join(errs...)
}

// errBox renders an error as a section's content.
type errBox struct{ err error }

// HTML returns the error box.
func (e errBox) HTML() string { return errorHTML(e.err) }
