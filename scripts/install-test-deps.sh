#!/usr/bin/env bash
# Installs what the test suite needs beyond the kernel (kernels-setup/install.sh): Debian's
# Fashion-MNIST, the reference implementations (scikit-learn, umap-learn, numpy, and PyTorch for
# the training benchmark), Chromium for the browser tests, and playwright-core from npm (pinned in
# vizlib/browsertest/package-lock.json).
# Idempotent; apt steps use sudo when not root.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
say() { printf '[test-deps] %s\n' "$*"; }
die() { printf '[test-deps] ERROR: %s\n' "$*" >&2; exit 1; }
as_root() { if [[ $EUID -eq 0 ]]; then "$@"; else sudo "$@"; fi; }

PKGS=(dataset-fashion-mnist python3-numpy python3-sklearn umap-learn python3-torch chromium nodejs npm)
missing=()
for p in "${PKGS[@]}"; do
  # nodejs/npm may come from elsewhere (e.g. NodeSource); accept them on PATH.
  case $p in nodejs) command -v node >/dev/null && continue;; npm) command -v npm >/dev/null && continue;; esac
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [[ ${#missing[@]} -gt 0 ]]; then
  say "installing Debian packages: ${missing[*]}"
  as_root apt-get update -q >/dev/null || die "apt-get update failed"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null || die "apt-get install ${missing[*]} failed"
else
  say "ok: Debian packages present"
fi

BT="$ROOT/vizlib/browsertest"
if [[ -f "$BT/package-lock.json" ]]; then
  if [[ -d "$BT/node_modules/playwright-core" ]] && cmp -s "$BT/package-lock.json" "$BT/node_modules/.package-lock.json.installed" 2>/dev/null; then
    say "ok: playwright-core installed"
  else
    say "npm ci in vizlib/browsertest"
    (cd "$BT" && npm ci --no-audit --no-fund --loglevel=error) || die "npm ci failed in $BT"
    cp "$BT/package-lock.json" "$BT/node_modules/.package-lock.json.installed"
  fi
fi
