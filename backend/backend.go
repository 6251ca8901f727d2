// Package backend is the one place where embviz chooses the GoMLX compute backend.
//
// The Go backend (github.com/gomlx/compute/gobackend) is the default: when the environment variable
// GOMLX_BACKEND is unset or empty, "go" is used. XLA is used only when asked for explicitly
// (GOMLX_BACKEND=xla:cpu or xla:cuda) and only in binaries built with the `xla` build tag; it is never
// downloaded automatically. Build with GOEXPERIMENT=simd so the Go backend's SIMD matmul is compiled in.
package backend

import (
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/gomlx/compute"
	_ "github.com/gomlx/compute/gobackend" // Registers the "go" backend.
)

// EnvVar is the environment variable that selects the backend, shared with GoMLX.
const EnvVar = compute.ConfigEnvVar

// Default is the backend configuration used when EnvVar is unset or empty.
const Default = "go"

var (
	mu     sync.Mutex
	cached compute.Backend
)

// Config returns the backend configuration in effect: $GOMLX_BACKEND, or Default when it is unset.
func Config() string {
	if c := strings.TrimSpace(os.Getenv(EnvVar)); c != "" {
		return c
	}
	return Default
}

// New returns the process-wide backend for Config(), creating it on first use.
// It returns an error, never panics, when the configuration names a backend not compiled in.
func New() (b compute.Backend, err error) {
	mu.Lock()
	defer mu.Unlock()
	if cached != nil {
		return cached, nil
	}
	config := Config()
	name, _, _ := strings.Cut(config, ":")
	available := compute.List()
	found := false
	for _, a := range available {
		if a == name {
			found = true
		}
	}
	if !found {
		hint := ""
		if name == "xla" {
			hint = " (XLA is opt-in: build with -tags xla and provide a PJRT plugin; embviz never downloads one)"
		}
		return nil, fmt.Errorf("backend: %s=%q names backend %q, which is not compiled in; available: %s%s",
			EnvVar, config, name, strings.Join(available, ", "), hint)
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("backend: creating %q: %v", config, r)
		}
	}()
	cached, err = compute.NewWithConfig(config)
	if err != nil {
		return nil, fmt.Errorf("backend: creating %q: %w", config, err)
	}
	return cached, nil
}

// Must is New that panics on error; for tests and notebooks.
func Must() compute.Backend {
	b, err := New()
	if err != nil {
		panic(err)
	}
	return b
}

// SIMD reports whether this binary was built with GOEXPERIMENT=simd, which compiles the Go
// backend's AVX2/AVX-512 matrix products in. Without it they fall back to plain Go loops: the
// benchmark CNN trains ~4x slower (330 vs 75 ms per step on the development machine).
func SIMD() bool { return simdBuild }

// SpeedWarning returns a one-line warning when the Go backend is in use without its SIMD matrix
// products (see SIMD), and "" otherwise; commands that train print it on stderr.
func SpeedWarning() string {
	name, _, _ := strings.Cut(Config(), ":")
	if name != Default || SIMD() {
		return ""
	}
	return "embviz: warning: built without GOEXPERIMENT=simd, so the Go backend's SIMD matrix products are " +
		"not compiled in (training runs ~4x slower); rebuild with GOEXPERIMENT=simd (the Makefile and the kernel set it)"
}
