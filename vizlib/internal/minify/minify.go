// Package minify shrinks vizlib's embedded JavaScript and CSS with esbuild. Every output of a
// notebook carries the library (DESIGN.md: everything travels inside each output), so its bytes
// count once per output. `go generate ./vizlib` writes the minified assets that vizlib embeds
// (assets/*.min.js, assets/*.min.css); a test fails when they are stale.
package minify

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/evanw/esbuild/pkg/api"
)

// Target is the language level the minified code may use. The library is written in ES5 with a few
// ES2015 APIs; esbuild is told ES2017 so that minification never introduces newer syntax than the
// browsers Jupyter itself supports.
const Target = api.ES2017

// Asset returns the minified text of one asset: name's extension (.js or .css) picks the
// language. Identifiers are renamed only inside the library's function scope (it is one IIFE;
// the globals it defines, window.embviz, keep their names).
func Asset(name string, src []byte) ([]byte, error) {
	var loader api.Loader
	switch strings.ToLower(filepath.Ext(name)) {
	case ".js":
		loader = api.LoaderJS
	case ".css":
		loader = api.LoaderCSS
	default:
		return nil, fmt.Errorf("minify: %s: want a .js or .css file", name)
	}
	res := api.Transform(string(src), api.TransformOptions{
		Loader:            loader,
		Target:            Target,
		MinifyWhitespace:  true,
		MinifyIdentifiers: true,
		MinifySyntax:      true,
		LegalComments:     api.LegalCommentsNone,
		Charset:           api.CharsetASCII, // \u escapes: the text is safe in any page encoding
		Sourcefile:        name,
	})
	if len(res.Errors) > 0 {
		msgs := api.FormatMessages(res.Errors, api.FormatMessagesOptions{Kind: api.ErrorMessage})
		return nil, fmt.Errorf("minify: %s:\n%s", name, strings.Join(msgs, ""))
	}
	return res.Code, nil
}

// MinName is the file name of an asset's minified copy: embviz.js -> embviz.min.js.
func MinName(name string) string {
	ext := filepath.Ext(name)
	return strings.TrimSuffix(name, ext) + ".min" + ext
}
