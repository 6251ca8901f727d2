#!/usr/bin/env bash
# Wires a GoNB notebook's temporary module to the local embviz checkout, so that imports of
# github.com/embviz/embviz/... resolve to this repo instead of the module proxy.
# Every notebook starts with this one line (GoNB's `!*` runs it in the notebook's Go module):
#
#   !*bash "${EMBVIZ_ROOT:-$GONB_DIR/..}/kernels-setup/gowork.sh"
#
# EMBVIZ_ROOT is set in the kernel spec by kernels-setup/install.sh; without it the repo is taken to
# be the parent of the notebook's directory (GONB_DIR). It does what `go work use` + `%goworkfix` do:
# a go.work using the repo, and a replace directive in the notebook's go.mod, plus pinned requirements.
set -euo pipefail
# A -mod=... in GOFLAGS (e.g. GOFLAGS=-mod=mod in the user's environment) is refused in workspace
# mode ("-mod may only be set to readonly or vendor when in workspace mode"): drop it here, and say
# so when the kernel itself has it (every cell would fail; kernels-setup/install.sh sets the kernel's
# GOFLAGS without it).
if [[ " ${GOFLAGS:-} " == *" -mod="* ]]; then
  echo "gowork.sh: ignoring -mod in GOFLAGS='$GOFLAGS' (workspace mode refuses it); if cells fail with \"-mod may only be set to readonly\", re-run kernels-setup/install.sh" >&2
  GOFLAGS="$(printf '%s' "$GOFLAGS" | tr -s ' \t' '\n\n' | { grep -v -- '^-mod=' || true; } | tr '\n' ' ' | sed 's/ *$//')"
  export GOFLAGS
fi
ROOT="${EMBVIZ_ROOT:-${GONB_DIR:-$PWD}/..}"
ROOT="$(cd "$ROOT" && pwd)"
[[ -f "$ROOT/go.mod" ]] && grep -q '^module github.com/embviz/embviz$' "$ROOT/go.mod" \
  || { echo "gowork.sh: $ROOT is not the embviz repo (set EMBVIZ_ROOT, or run kernels-setup/install.sh)" >&2; exit 1; }
rm -f go.work go.work.sum
go work init
go work use . "$ROOT"
go mod edit -replace "github.com/embviz/embviz=$ROOT"
# Pin the repo's direct requirements (gomlx, gonb, gonum, ...) so that GoNB's automatic `go get` of a
# cell's imports never asks the module proxy for a version list (which it refuses).
for req in $(cd "$ROOT" && GOWORK=off GOFLAGS=-mod=mod go list -m -f '{{if not (or .Indirect .Main)}}{{.Path}}@{{.Version}}{{end}}' all); do
  go mod edit -require "$req"
done
echo "embviz: notebook module wired to $ROOT (GOEXPERIMENT=${GOEXPERIMENT:-unset}, GOMLX_BACKEND=${GOMLX_BACKEND:-go})"
