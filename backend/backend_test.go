package backend

import (
	"os"
	"strings"
	"testing"
)

func TestConfigDefaultsToGo(t *testing.T) {
	t.Setenv(EnvVar, "")
	if got := Config(); got != "go" {
		t.Fatalf("Config() with %s unset = %q, want go", EnvVar, got)
	}
	t.Setenv(EnvVar, " xla:cuda ")
	if got := Config(); got != "xla:cuda" {
		t.Fatalf("Config() = %q, want xla:cuda", got)
	}
}

func TestNewErrors(t *testing.T) {
	tests := []struct{ config, want string }{
		{"nosuch", `names backend "nosuch", which is not compiled in`},
		{"xla:cpu", "embviz never downloads"},
	}
	for _, tc := range tests {
		t.Run(tc.config, func(t *testing.T) {
			t.Setenv(EnvVar, tc.config)
			mu.Lock()
			saved := cached
			cached = nil
			mu.Unlock()
			defer func() { mu.Lock(); cached = saved; mu.Unlock() }()
			_, err := New()
			if tc.config == "xla:cpu" && err != nil && strings.Contains(err.Error(), "no plugins found") {
				return // built with -tags xla: the plugin is missing and nothing was downloaded
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New() with %s=%q: got %v, want error containing %q", EnvVar, tc.config, err, tc.want)
			}
		})
	}
}

func TestNewGo(t *testing.T) {
	t.Setenv(EnvVar, "")
	b, err := New()
	if err != nil {
		t.Fatal(err)
	}
	if b2 := Must(); b2 != b {
		t.Fatal("New should return the same backend on every call")
	}
	if !strings.Contains(strings.ToLower(b.Name()), "go") {
		t.Fatalf("default backend is %q, want the Go backend", b.Name())
	}
}

// TestSIMD checks that SIMD reports how this test binary was built: `go test` builds with the
// GOEXPERIMENT of its environment, which the test binary inherits.
func TestSIMD(t *testing.T) {
	want := strings.Contains(os.Getenv("GOEXPERIMENT"), "simd")
	if SIMD() != want {
		t.Errorf("SIMD() = %v, but GOEXPERIMENT=%q", SIMD(), os.Getenv("GOEXPERIMENT"))
	}
	t.Setenv(EnvVar, "go")
	if w := SpeedWarning(); (w != "") == want || (w != "" && !strings.Contains(w, "GOEXPERIMENT=simd")) {
		t.Errorf("SpeedWarning() = %q with SIMD() = %v", w, SIMD())
	}
	t.Setenv(EnvVar, "xla:cpu")
	if w := SpeedWarning(); w != "" {
		t.Errorf("SpeedWarning() = %q for XLA, want none", w)
	}
}
