// Package vizlib draws everything a person looks at in embviz: line charts (training records,
// drift, CKA, eigenvalues), heatmaps (confusion matrices with a slider over snapshots, loadings),
// static scatter grids and scatter matrices, image grids, and the synced animation player for
// embedding snapshots.
//
// Every visualization is plain data (Chart, Heatmap, Animation, Player, ScatterMatrix, ImageGrid)
// with an HTML method that returns a self-contained fragment: the player/chart JavaScript and CSS
// are embedded with go:embed and travel inside each fragment, so the output renders with no
// network in JupyterLab, classic Notebook, nbconvert HTML exports, standalone files and notebooks
// reopened on another machine. Point coordinates travel quantized to 12 bits per axis (3 bytes per
// point per frame before base64, 4 after) and are decoded and interpolated in the browser.
//
// The notebook API (TrainingRecords, ConfusionMatrices, EmbeddingDrift, CKASimilarity,
// Eigenvalues, PCAAnimation, TSNEAnimation, UMAPAnimation, MPHATEAnimation, ShowAnimations) reads
// a training.Run, computes what it needs with package reduce, shows the result through gonbui when
// running inside GoNB, and also returns the HTML fragment and any error. Errors never panic: in a
// notebook they are shown as an error box. More views: LayerScores, LayerGrid, ExplainedVariance,
// PCALoadings, PrototypeActivations, PairwiseScatter, CurriculumTimeline, LatentExplorer (live
// GoNB sliders plus a static traversal grid), Runs; Report builds the standalone page of
// `embviz report`. Animations export to GIF and PNG (Player.WriteGIF, WritePNG, GIFLink).
//
// # Tests
//
// Unit tests check the fragments and their data; browser tests open pages in Debian's Chromium
// through playwright-core (pinned in browsertest/package-lock.json) with every network request
// blocked, and save screenshots in test-output/vizlib:
//
//	npm ci --prefix vizlib/browsertest          # once; installs playwright-core, no browser download
//	GOEXPERIMENT=simd go test ./vizlib/...       # skips browser tests if node/chromium/npm packages are missing
//	EMBVIZ_STRICT=1 GOEXPERIMENT=simd go test ./vizlib/...   # fails instead of skipping
//	EMBVIZ_BENCH=1 GOEXPERIMENT=simd go test ./vizlib -run TestBrowserBenchmark -v   # enforces >= 30 fps
//	node vizlib/browsertest/check.mjs [-bench S] [-shot DIR] [-foreign] page.html...  # any page by hand
package vizlib
