// Package vizlib shows a training run in a notebook: every view of the embedding-evolution
// workflow is a method of a RunView, the value a notebook gets for one run.
//
//	run := training.MustOpenOrTrain(runsDir, "run-0011")   // or training.MustFindOrTrain(cfg)
//	v := vizlib.View(run)                                   // or vizlib.ViewOf(run, vizlib.ViewOptions{MaxPoints: 5000})
//	v.TrainingRecords().Show()
//	v.ConfusionMatrices(vizlib.ConfusionOpts{Annotate: true}).Show()
//	tsne := v.TSNE(reduce.TSNEAnimOptions{Update: 0.2})
//	umap := v.UMAP(reduce.UMAPAnimOptions{UMAP: reduce.UMAPOptions{Metric: reduce.Cosine, NNeighbors: 20, MinDist: new(0.2)}}).Denoise()
//	vizlib.Grid(vizlib.GridOpts{Cols: 2, Confusion: true, Interpolate: 3}, tsne, umap).Show()
//
// # One way back from every call
//
// Every notebook-facing call returns an Output: a *Figure (charts, heatmaps, tables, image grids,
// grids of players, report pages) or an *Animation (frames of a 2-D embedding over snapshots).
// Show displays it inline in GoNB (and does nothing elsewhere), HTML renders it to a
// self-contained fragment, Err says what went wrong. A failed view renders as an error box that
// says what was wrong and what to do; nothing panics, and a notebook needs no error handling.
//
// # Options belong to the view that reads them
//
// Each view takes at most one options value of its own type, whose zero value is the seed
// notebooks' default; passing an option a view does not read does not compile. The animations
// take package reduce's options directly (reduce.PCAAnimOptions, reduce.TSNEAnimOptions,
// reduce.UMAPAnimOptions, reduce.MPHATEOptions, reduce.DenoiseOptions): reduce owns every
// numerical decision (for example, it lowers a perplexity too high for the number of points, and
// the animation says so in a note).
//
// # The views, by workflow step
//
// Choose a run: View, ViewOf (ViewOptions: Layer, MaxPoints, XEpoch, DatasetDir, Progress), OpenView,
// RunView.Layer (the same run, another recorded layer), Runs (the table of a runs directory).
//
// Training curves: RunView.TrainingRecords (ChartOpts).
//
// Confusion-matrix development: RunView.ConfusionMatrices (ConfusionOpts).
//
// Drift and CKA over time: RunView.Drift, RunView.CKA (SkipsOpts).
//
// PCA eigenvalue spectrum and components: RunView.Eigenvalues (EigenOpts),
// RunView.ExplainedVariance, RunView.PCALoadings, RunView.PairwiseScatter (ComponentsOpts),
// RunView.PrototypeActivations.
//
// Animations of the embedding space: RunView.PCA, RunView.TSNE, RunView.UMAP, RunView.MPHATE,
// Animation.Denoise; played side by side, synced, by Grid (GridOpts: Titles, Cols, Confusion,
// Interpolate, SharedAxes, Size, GIFDownload). Animation.WriteGIF and Animation.WritePNG export.
//
// The t-SNE pipeline step by step (embedding_tsne_logger.ipynb): RunView.TSNELog (TSNESteps),
// FrameDisplacement.
//
// Layers and clusters (latent_clustering_evolution.ipynb): RunView.LayerScores,
// RunView.LayerGrid (LayerOpts), RunView.ClusterView, RunView.ClusterSummary,
// RunView.LayerTSNEGrid, RunView.LayerEvolution (ClusterOpts); PixelsLayer and EmbeddingLayer name the raw inputs and the
// embedding.
//
// Color bottleneck (color_bottleneck_superposition.ipynb): CurriculumTable, CurriculumTimeline,
// RunView.LatentAnimation, Animation.WithColors, RunView.PhaseEndLatents (PhaseEndOpts).
//
// VAE (vae_latent_explorer.ipynb): RunView.Reconstructions (ReconOpts), RunView.DecodedSamples
// (SampleOpts), RunView.LatentExplorer (ExplorerOpts: sliders decoded in the browser, no kernel),
// RunView.LatentTraversal (TraversalOpts), RunView.LatentManifold (ManifoldOpts),
// RunView.DecodedPrototypes (PrototypeOpts), RunView.LatentActivity (with the describe() table),
// RunView.LatentScatterMatrix,
// RunView.SamplePlane (PlaneOpts), RunView.DecodeAlongPath (PathOpts).
//
// The whole workflow as one standalone page (`embviz report`): RunView.Report (ReportOpts),
// Figure.WriteFile.
//
// # Derived results are cached by content
//
// GoNB runs every cell as a new program, so reductions are cached in the run's cache/
// directory. The key is the SHA-256 of a cache version, the method, the whole options value
// (every field, nested structs and pointers included; callbacks excluded) and the bytes of every
// input matrix the reduction reads (the layer's snapshots after subsampling). A replaced snapshot
// or any changed option recomputes; a corrupt cache file is recomputed; EMBVIZ_NO_CACHE=1 turns
// the cache off.
//
// # What the outputs carry
//
// The player and chart JavaScript and CSS are embedded with go:embed and travel inside each
// fragment, so outputs render with no network in JupyterLab, classic Notebook, nbconvert HTML
// exports, standalone files and notebooks reopened elsewhere. Point coordinates travel quantized
// to 12 bits per axis and are decoded and interpolated in the browser.
//
// # Tests
//
// Unit tests check the fragments and their data; Example tests (the calls above, on a tiny seeded
// blobs/MLP run) are the documentation; browser tests open pages in Debian's Chromium through
// playwright-core (pinned in browsertest/package-lock.json) with every network request blocked,
// and save screenshots in test-output/vizlib:
//
//	npm ci --prefix vizlib/browsertest          # once; installs playwright-core, no browser download
//	GOEXPERIMENT=simd go test ./vizlib/...       # skips browser tests if node/chromium/npm packages are missing
//	EMBVIZ_STRICT=1 GOEXPERIMENT=simd go test ./vizlib/...   # fails instead of skipping
//	EMBVIZ_BENCH=1 GOEXPERIMENT=simd go test ./vizlib -run TestBrowserBenchmark -v   # enforces >= 30 fps
//	node vizlib/browsertest/check.mjs [-bench S] [-shot DIR] [-foreign] page.html...  # any page by hand
package vizlib
