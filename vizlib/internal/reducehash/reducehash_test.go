package reducehash

import (
	"os"
	"path/filepath"
	"testing"
)

func TestSum(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := Sum(dir); err == nil {
		t.Fatal("no sources: want an error")
	}
	write("a.go", "package a\n")
	s1, err := Sum(dir)
	if err != nil {
		t.Fatal(err)
	}
	write("a_test.go", "package a\n// tests do not count\n")
	if s, _ := Sum(dir); s != s1 {
		t.Error("a test file changed the sum")
	}
	for _, c := range []struct{ name, body string }{
		{"a.go", "package a\n\nconst defaultIters = 30\n"}, // an edited default
		{"b.go", "package a\n"},                            // a new file
	} {
		write(c.name, c.body)
		s, err := Sum(dir)
		if err != nil {
			t.Fatal(err)
		}
		if s == s1 {
			t.Errorf("%s: the sum did not change", c.name)
		}
		s1 = s
	}
}
