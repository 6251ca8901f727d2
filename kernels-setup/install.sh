#!/usr/bin/env bash
# Installs what the embviz notebooks need and registers the GoNB Jupyter kernel:
#   - Debian packages: jupyter-notebook, jupyter-nbconvert, python3-nbclient (apt; via sudo when not root)
#   - Go tools: goimports v0.36.0, gopls v0.20.0, GoNB v0.11.5 (into $(go env GOPATH)/bin)
#   - the kernel: `gonb --install`, then its kernel.json gets env GOEXPERIMENT=simd, GOMLX_BACKEND=go
#     (unless set), EMBVIZ_ROOT=<this repo>, a PATH that finds go, goimports and gopls, and GOFLAGS
#     without any -mod=... (GoNB's go.work workspace rejects -mod=mod; the kernel's value overrides
#     a GOFLAGS=-mod=mod in the environment Jupyter is started from).
# Idempotent: every step checks first and says "ok" when nothing needs doing.
# Run as a normal user (apt steps use sudo) or as root; run through `sudo` it installs the Go tools and
# the kernel for $SUDO_USER.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
GONB_VERSION=v0.11.5
GOIMPORTS_VERSION=v0.36.0
GOPLS_VERSION=v0.20.0
APT_PACKAGES=(jupyter-notebook jupyter-nbconvert python3-nbclient)

say() { printf '[install] %s\n' "$*"; }
die() { printf '[install] ERROR: %s\n' "$*" >&2; exit 1; }

# When run through sudo, do the per-user steps as the invoking user.
as_user() {
  if [[ $EUID -eq 0 && -n "${SUDO_USER:-}" && "${SUDO_USER}" != root ]]; then
    sudo -u "$SUDO_USER" -H env PATH="$PATH" GOTOOLCHAIN="${GOTOOLCHAIN:-local}" "$@"
  else
    "$@"
  fi
}
as_root() {
  if [[ $EUID -eq 0 ]]; then "$@"
  elif command -v sudo >/dev/null; then sudo "$@"
  else die "need root for: $* (run as root, or install sudo)"; fi
}

# apt_install PKG...: installs the Debian packages that are missing; quiet when all are present.
apt_install() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [[ ${#missing[@]} -eq 0 ]]; then
    say "ok: Debian packages present: $*"
    return
  fi
  command -v apt-get >/dev/null || die "apt-get not found: install ${missing[*]} with your package manager"
  say "installing Debian packages: ${missing[*]}"
  as_root apt-get update -q >/dev/null || die "apt-get update failed (no network to the Debian mirror?)"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null \
    || die "apt-get install ${missing[*]} failed"
  say "installed: ${missing[*]}"
}

command -v go >/dev/null || die "go not found on PATH: install Go 1.26 (https://go.dev/doc/install) first"
export GOTOOLCHAIN="${GOTOOLCHAIN:-local}"
GOBIN_DIR="$(as_user go env GOPATH)/bin"
GO_DIR="$(dirname "$(command -v go)")"

# 1. Jupyter from Debian.
apt_install "${APT_PACKAGES[@]}"
command -v jupyter >/dev/null || die "jupyter not on PATH after installing ${APT_PACKAGES[*]}"

# 2. Go tools, pinned (the module proxy refuses @latest here).
go_tool() { # name module@version
  local name=$1 mod=$2 want=${2##*@}
  if [[ -x "$GOBIN_DIR/$name" ]] && as_user go version -m "$GOBIN_DIR/$name" 2>/dev/null | grep -q "$want"; then
    say "ok: $name $want"
    return
  fi
  say "installing $mod"
  as_user go install "$mod" || die "go install $mod failed"
}
go_tool goimports "golang.org/x/tools/cmd/goimports@$GOIMPORTS_VERSION"
go_tool gopls "golang.org/x/tools/gopls@$GOPLS_VERSION"

# GoNB: `go install github.com/janpfeifer/gonb@v0.11.5` fails (it asks for the version list), so it is
# built from this module, whose go.mod requires gonb v0.11.5.
if [[ -x "$GOBIN_DIR/gonb" ]] && as_user go version -m "$GOBIN_DIR/gonb" 2>/dev/null | grep -q "janpfeifer/gonb.*$GONB_VERSION\|mod.*github.com/janpfeifer/gonb.*$GONB_VERSION"; then
  say "ok: gonb $GONB_VERSION"
else
  say "installing gonb $GONB_VERSION (built with the versions pinned in $ROOT/go.mod)"
  # Build in a scratch copy of go.mod/go.sum: `-mod=mod` may add go.sum lines for gonb's own
  # dependencies, and the checkout must stay untouched (and may be read-only).
  scratch="$(as_user mktemp -d)"
  cp "$ROOT/go.mod" "$ROOT/go.sum" "$scratch/" && chmod a+rw "$scratch/go.mod" "$scratch/go.sum"
  # The patched GoMLX compute module (third_party/README.md) is replaced by a path relative to the repo.
  (cd "$scratch" && as_user go mod edit -replace "github.com/gomlx/compute=$ROOT/third_party/compute")
  (cd "$scratch" && as_user env GOFLAGS="-mod=mod" go install github.com/janpfeifer/gonb) \
    || { rm -rf "$scratch"; die "building gonb failed"; }
  rm -rf "$scratch"
fi

# 3. The kernel spec.
USER_HOME="$HOME"
if [[ $EUID -eq 0 && -n "${SUDO_USER:-}" && "${SUDO_USER}" != root ]]; then
  USER_HOME="$(getent passwd "$SUDO_USER" | cut -d: -f6)"
fi
KERNEL_DIR="${JUPYTER_DATA_DIR:-$USER_HOME/.local/share/jupyter}/kernels/gonb"
KERNEL_JSON="$KERNEL_DIR/kernel.json"
KPATH="$GOBIN_DIR:$GO_DIR:/usr/local/bin:/usr/bin:/bin"
# The kernel's GOFLAGS: this environment's, less any -mod=... (workspace mode allows no -mod=mod).
KGOFLAGS="$(printf '%s' "${GOFLAGS:-}" | tr -s ' \t' '\n\n' | { grep -v -- '^-mod=' || true; } | tr '\n' ' ' | sed 's/ *$//')"
want_kernel() {
  /usr/bin/python3 - "$KERNEL_JSON" "$GOBIN_DIR/gonb" "$KPATH" "$ROOT" "$KGOFLAGS" <<'PY'
import json, sys
path, gonb, kpath, root, goflags = sys.argv[1:6]
try:
    spec = json.load(open(path))
except Exception:
    sys.exit(1)
env = spec.get("env") or {}
want = {"GOEXPERIMENT": "simd", "PATH": kpath, "EMBVIZ_ROOT": root, "GOTOOLCHAIN": "local", "GOFLAGS": goflags}
ok = (spec.get("argv", [None])[0] == gonb and all(env.get(k) == v for k, v in want.items())
      and env.get("GOMLX_BACKEND"))
sys.exit(0 if ok else 1)
PY
}
if want_kernel; then
  say "ok: kernel spec $KERNEL_JSON"
else
  say "registering the GoNB kernel"
  as_user env PATH="$GOBIN_DIR:$PATH" "$GOBIN_DIR/gonb" --install >/dev/null 2>&1 \
    || as_user env PATH="$GOBIN_DIR:$PATH" "$GOBIN_DIR/gonb" --install || die "gonb --install failed"
  as_user /usr/bin/python3 - "$KERNEL_JSON" "$KPATH" "$ROOT" "${GOMLX_BACKEND:-go}" "$KGOFLAGS" <<'PY' || die "could not update $KERNEL_JSON"
import json, sys
path, kpath, root, backend, goflags = sys.argv[1:6]
spec = json.load(open(path))
env = spec.setdefault("env", {})
# GOFLAGS is always set, so that a GOFLAGS=-mod=mod in the environment Jupyter starts from (which
# breaks every cell: "-mod may only be set to readonly or vendor when in workspace mode") does not
# reach the kernel.
env.update({"GOEXPERIMENT": "simd", "PATH": kpath, "EMBVIZ_ROOT": root, "GOMLX_BACKEND": backend,
            "GOTOOLCHAIN": "local", "GOFLAGS": goflags})
spec["display_name"] = "Go (gonb)"
json.dump(spec, open(path, "w"), indent=1)
PY
  want_kernel || die "kernel spec $KERNEL_JSON is not as expected after installing"
  say "registered kernel 'gonb' in $KERNEL_DIR (GOEXPERIMENT=simd, EMBVIZ_ROOT=$ROOT, GOFLAGS='$KGOFLAGS')"
fi
as_user /usr/bin/python3 -c 'from jupyter_client.kernelspec import KernelSpecManager as M; import sys; sys.exit("gonb" not in M().find_kernel_specs())' \
  || die "jupyter does not find the gonb kernel (installed in $KERNEL_DIR; is JUPYTER_DATA_DIR/JUPYTER_PATH set elsewhere?)"
say "done: open the notebooks with: cd $ROOT/notebooks && jupyter notebook   (kernel: Go (gonb))"
