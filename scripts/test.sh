#!/usr/bin/env bash
# The README's test command (`make test`): installs what the tests need, then checks formatting,
# vets, and runs every test with EMBVIZ_STRICT=1 (a missing reference tool fails instead of skipping).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export GOEXPERIMENT=simd GOTOOLCHAIN=local EMBVIZ_STRICT=1
unset GOMLX_BACKEND
start=$(date +%s)
kernels-setup/install.sh
scripts/install-test-deps.sh
echo "[test] gofmt"
bad=$(gofmt -l $(git ls-files '*.go' ':!third_party' 2>/dev/null || find . -name '*.go' -not -path './vizlib/browsertest/node_modules/*' -not -path './third_party/*'))
[[ -z "$bad" ]] || { echo "gofmt needed on: $bad" >&2; exit 1; }
echo "[test] go vet"
go vet ./...
echo "[test] go test"
go test -count=1 -timeout 45m ./... 2>&1 | tee test-output.log
echo "[test] fuzz every parser (run store, datasets, .npy) and the HTML escaping of run strings (3 s each)"
for pt in ./training/:FuzzParseRunInfo ./training/:FuzzParseMetrics ./training/:FuzzParseCurriculum \
  ./training/datasets/:FuzzReadIDX ./training/datasets/:FuzzReadCIFARBatch ./training/datasets/:FuzzReadCIFARPickle \
  ./training/npy/:FuzzRead ./vizlib/:FuzzRunStringsHTML; do
  go test -run '^$' -fuzz "^${pt#*:}\$" -fuzztime 3s "${pt%%:*}"
done
echo "[test] race detector on the concurrent packages"
go test -count=1 -race -timeout 20m -run 'Concurrent|Crash|RoundTrip' ./training/
echo "[test] all passed in $(( $(date +%s) - start )) s"
