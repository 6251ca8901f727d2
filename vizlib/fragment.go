package vizlib

import (
	"crypto/rand"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html"
	"strings"
	"sync/atomic"

	"github.com/janpfeifer/gonb/gonbui"
)

// The library travels in every output, so vizlib embeds its minified copies (esbuild; see
// internal/minify, whose test fails when they are older than the sources): edit assets/embviz.js
// and assets/embviz.css, then run go generate ./vizlib.
//
//go:generate go run ./internal/minify/gen assets/embviz.js assets/embviz.css

//go:embed assets/embviz.min.js
var libJS string

//go:embed assets/embviz.min.css
var libCSS string

// renderable is anything that renders to a self-contained HTML fragment.
type renderable interface {
	// html returns a fragment that carries its own JavaScript and CSS.
	html() string
}

// specer is implemented by the visualizations drawn by the embedded JavaScript library: spec
// returns the JSON-serializable description that embviz.mount draws.
type specer interface {
	spec() (any, error)
}

var idCounter atomic.Uint64

// newID returns an element id unique across fragments, notebooks and machines (random prefix).
func newID() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("evz-%s-%d", hex.EncodeToString(b[:]), idCounter.Add(1))
}

// libHTML is the style and script block that defines window.embviz (guarded: evaluating it twice
// is harmless).
func libHTML() string {
	return "<style>" + libCSS + "</style>\n<script>" + libJS + "</script>\n"
}

// render returns the fragment of a specer, with its poster when it draws one (see posterer);
// withLib includes the embedded library.
func render(s specer, withLib bool) string {
	sp, err := s.spec()
	if err != nil {
		return errorHTML(err)
	}
	return renderSpec(sp, withLib, posterOf(s))
}

// renderSpec writes the mount point, the JSON data and the mount call; extra is HTML placed after
// the mount point (a poster: an <img class="evz-poster" data-for="{{ID}}"> shown where scripts do
// not run, hidden by the mount script once the view has mounted).
func renderSpec(sp any, withLib bool, extra string) string {
	data, err := json.Marshal(sp)
	if err != nil {
		return errorHTML(fmt.Errorf("vizlib: encoding visualization: %w", err))
	}
	id := newID()
	var b strings.Builder
	b.WriteString(`<div class="evz-frag">`)
	if withLib {
		b.WriteString(libHTML())
	}
	fmt.Fprintf(&b, `<div class="evz" id="%s" tabindex="0"></div>`, id)
	b.WriteString(strings.ReplaceAll(extra, "{{ID}}", id))
	// json.Marshal escapes <, > and &, so the data cannot close the script element.
	fmt.Fprintf(&b, `<script type="application/json" id="%s-data">%s</script>`, id, data)
	// The mount script finds its fragment through document.currentScript (JupyterLab may run it
	// before the output is attached to the document), retries until the library and the element
	// are there, and hides the poster once the view has mounted.
	fmt.Fprintf(&b, `<script>(function(){var s=document.currentScript,p=s&&s.parentNode,n=0,f=function(){var r=(p&&p.querySelector&&p.querySelector("#%[1]s"))||document.getElementById(%[1]q);if(window.embviz&&r){window.embviz.mountRoot(r);var q=p&&p.querySelector&&p.querySelector(".evz-poster[data-for='%[1]s']");if(q&&r.getAttribute("data-mounted")){q.style.display="none"}}else if(n++<400){setTimeout(f,50)}};f()})();</script>`, id)
	b.WriteString(`</div>`)
	return b.String()
}

// errorHTML renders err as a visible error box (with the CSS it needs).
func errorHTML(err error) string {
	return `<div class="evz-frag"><style>` + libCSS + `</style><div class="evz"><div class="evz-error">embviz: ` +
		html.EscapeString(err.Error()) + `</div></div></div>`
}

// display shows html in the notebook when running inside GoNB; elsewhere it does nothing.
func display(htmlText string) {
	if gonbui.IsNotebook {
		gonbui.DisplayHTML(htmlText)
		gonbui.Sync() // the output must reach the kernel before the cell's program exits
	}
}

// nullable converts values to JSON-friendly numbers: NaN and ±Inf become null.
func nullable(v []float64) []any {
	out := make([]any, len(v))
	for i, x := range v {
		if x != x || x > 1.7e308 || x < -1.7e308 {
			out[i] = nil
		} else {
			out[i] = x
		}
	}
	return out
}
