#!/usr/bin/env bash
# The README's main command (`make demo`): sets up the Jupyter kernel, trains the default run
# (a CNN on Fashion-MNIST, which ships with a Debian package) if runs/ has none, executes the main
# notebook headless and exports it to a self-contained HTML page under out/.
#
# It prints a few readable lines per step; the noisy parts (GoNB's kernel log, nbconvert) go to
# log files under out/, shown when a step fails. Progress is plain lines when stderr is not a
# terminal (CI logs, `make demo | tee`), a live bar when it is.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export GOEXPERIMENT=simd GOTOOLCHAIN=local
export EMBVIZ_RUNS="${EMBVIZ_RUNS:-$ROOT/runs}"
OUT="$ROOT/out"
NB=notebooks/embedding_visualization.ipynb
say() { printf '[demo] %s\n' "$*"; }
# fail LOG MESSAGE: shows the end of LOG and stops.
fail() {
  printf '[demo] FAILED: %s\n' "$2" >&2
  if [[ -s "$1" ]]; then
    printf -- '---- last 40 lines of %s ----\n' "$1" >&2
    tail -n 40 "$1" >&2
    printf -- '---- (full log: %s)\n' "$1" >&2
  fi
  exit 1
}
# plain_progress: turns carriage-return progress bars into one line per snapshot (or phase).
plain_progress() {
  tr '\r' '\n' | awk '
    / snap [0-9]+\/[0-9]+/ { match($0, / snap [0-9]+\/[0-9]+/); s = substr($0, RSTART, RLENGTH); if (s == last) next; last = s }
    NF { print "  " $0; fflush() }'
}
start=$(date +%s)
mkdir -p "$OUT"

say "1/4 Jupyter and the Go kernel (GoNB)"
kernels-setup/install.sh 2>&1 | sed -u 's/^\[install\]/      /' || fail /dev/null "setting up Jupyter and the kernel (kernels-setup/install.sh)"
if ! dpkg-query -W -f='${Status}' dataset-fashion-mnist 2>/dev/null | grep -q "install ok installed"; then
  say "    installing the dataset-fashion-mnist Debian package"
  if [[ $EUID -eq 0 ]]; then apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q dataset-fashion-mnist >/dev/null
  else sudo apt-get update -q >/dev/null && sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q dataset-fashion-mnist >/dev/null; fi
fi

say "2/4 building bin/embviz"
mkdir -p bin
go build -o bin/embviz ./cmd/embviz 2>"$OUT/build.log" || fail "$OUT/build.log" "go build ./cmd/embviz"

say "3/4 the default run (CNN on Fashion-MNIST) in $EMBVIZ_RUNS"
mkdir -p "$EMBVIZ_RUNS"
# grep without -q reads all of its input: with pipefail, an early exit would fail the pipeline.
if ! bin/embviz runs -runs "$EMBVIZ_RUNS" | grep 'CNN_fashion-mnist_32.*finished' >/dev/null; then
  say "    training: 600 steps, 20 snapshots (a few minutes on 2 cores)"
  # The notebook's training.DefaultConfig, so that the notebook finds this run (training.FindRun)
  # instead of training its own.
  train=(bin/embviz train -runs "$EMBVIZ_RUNS" -model cnn -dataset fashion-mnist -steps 600 -batch 64
    -snapshots 20 -eval-size 1000 -seed 42)
  if [[ -t 2 ]]; then
    "${train[@]}" || fail /dev/null "training the default run"
  else
    set +e
    "${train[@]}" 2>&1 | plain_progress
    rc=${PIPESTATUS[0]}
    set -e
    [[ $rc -eq 0 ]] || fail /dev/null "training the default run (exit status $rc)"
  fi
else
  say "    ok: a finished Fashion-MNIST CNN run exists"
fi
bin/embviz runs -runs "$EMBVIZ_RUNS" | sed 's/^/      /'

[[ -f "$NB" ]] || fail /dev/null "the main notebook ($NB) is missing"
say "4/4 executing $NB headless (one line per cell; GoNB's log: out/embedding_visualization.kernel.log)"
/usr/bin/python3 kernels-setup/run-notebook.py --prefix "[demo]" --timeout 1800 \
  --log "$OUT/embedding_visualization.kernel.log" "$NB" "$OUT/embedding_visualization.ipynb" \
  || fail /dev/null "executing $NB (the executed cells so far: out/embedding_visualization.ipynb)"
# The HTML export: JupyterLab's template without require.js and MathJax (kernels-setup/nbconvert),
# so the page loads nothing from outside itself.
jupyter nbconvert --to html --TemplateExporter.extra_template_basedirs="$ROOT/kernels-setup/nbconvert" \
  --template embviz --output-dir "$OUT" "$OUT/embedding_visualization.ipynb" >"$OUT/export.log" 2>&1 \
  || fail "$OUT/export.log" "exporting the notebook to HTML"
HTML="$OUT/embedding_visualization.html"
# Anything the page would load from outside itself: elements with a src/href to a file:, http(s):
# or protocol-relative URL, and CSS url(...) to one (hyperlinks in the text are fine).
if refs=$(grep -Eo "<(script|img|link|iframe|source|video|audio|embed|object)[^>]*(src|href|data)=[\"']?(file:|https?:|//)[^\"' >]{0,80}|url\([\"']?(file:|https?:|//)[^)]{0,80}|@import[^;]{0,80}" "$HTML" | head -5) && [[ -n "$refs" ]]; then
  fail /dev/null "the HTML export loads from outside itself: $refs"
fi

size() { du -h "$1" | cut -f1; }
say ""
say "done in $(( $(date +%s) - start )) s. What you have now:"
say "  the executed notebook  out/embedding_visualization.ipynb ($(size "$OUT/embedding_visualization.ipynb"))"
say "  its HTML export        out/embedding_visualization.html ($(size "$HTML"); self-contained: open it in any browser, offline)"
say "  the training runs      $EMBVIZ_RUNS   (list them: bin/embviz runs; train more: bin/embviz train -h)"
say "Next:"
say "  open the notebooks live:  cd notebooks && jupyter notebook   (kernel \"Go (gonb)\"; or jupyter lab)"
say "  the other notebooks:      embedding_tsne_logger, latent_clustering_evolution, color_bottleneck_superposition, vae_latent_explorer"
say "  a report page of a run:   bin/embviz report -h"
say "  the tests:                make test"
