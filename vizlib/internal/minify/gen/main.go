// Command gen writes the minified copy of each asset named on the command line next to it
// (assets/embviz.js -> assets/embviz.min.js); vizlib runs it with go generate.
package main

import (
	"fmt"
	"os"

	"github.com/embviz/embviz/vizlib/internal/minify"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: gen ASSET.js|ASSET.css...")
		os.Exit(2)
	}
	for _, name := range os.Args[1:] {
		src, err := os.ReadFile(name)
		if err == nil {
			var out []byte
			if out, err = minify.Asset(name, src); err == nil {
				err = os.WriteFile(minify.MinName(name), out, 0o644)
			}
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
}
