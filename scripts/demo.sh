#!/usr/bin/env bash
# The README's main command (`make demo`): sets up the Jupyter kernel, trains the default run
# (a CNN on Fashion-MNIST, which ships with a Debian package) if runs/ has none, executes the main
# notebook headless and exports it to HTML under out/.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export GOEXPERIMENT=simd GOTOOLCHAIN=local
export EMBVIZ_RUNS="${EMBVIZ_RUNS:-$ROOT/runs}"
say() { printf '[demo] %s\n' "$*"; }
start=$(date +%s)

kernels-setup/install.sh
if ! dpkg-query -W -f='${Status}' dataset-fashion-mnist 2>/dev/null | grep -q "install ok installed"; then
  say "installing dataset-fashion-mnist"
  if [[ $EUID -eq 0 ]]; then apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q dataset-fashion-mnist >/dev/null
  else sudo apt-get update -q >/dev/null && sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q dataset-fashion-mnist >/dev/null; fi
fi

say "building bin/embviz"
mkdir -p bin
go build -o bin/embviz ./cmd/embviz

mkdir -p "$EMBVIZ_RUNS"
if bin/embviz train -h >/dev/null 2>&1; then
  if ! bin/embviz runs -runs "$EMBVIZ_RUNS" | grep -q 'CNN_fashion-mnist.*finished'; then
    say "training the default run (CNN on Fashion-MNIST, 600 steps, 20 snapshots)"
    bin/embviz train -runs "$EMBVIZ_RUNS" -model cnn -dataset fashion-mnist -steps 600 -batch 64 \
      -snapshots 20 -eval-size 1000 -seed 42
  else
    say "ok: a finished Fashion-MNIST CNN run exists"
  fi
else
  say "training is not available in this build yet (embviz train); skipping"
fi
bin/embviz runs -runs "$EMBVIZ_RUNS"

NB=notebooks/embedding_visualization.ipynb
if [[ -f "$NB" ]]; then
  mkdir -p out
  say "executing $NB headless (GoNB kernel)"
  jupyter nbconvert --to notebook --execute --ExecutePreprocessor.kernel_name=gonb \
    --ExecutePreprocessor.timeout=1800 --output-dir out --output embedding_visualization.ipynb "$NB"
  jupyter nbconvert --to html --output-dir out out/embedding_visualization.ipynb
  say "executed notebook: $ROOT/out/embedding_visualization.ipynb"
  say "HTML export:       $ROOT/out/embedding_visualization.html  (open it in any browser; works offline)"
else
  say "the main notebook ($NB) is not in this build yet"
fi
say "open the notebooks live: cd $ROOT/notebooks && jupyter notebook   (or jupyter lab), kernel 'Go (gonb)'"
say "done in $(( $(date +%s) - start )) s"
