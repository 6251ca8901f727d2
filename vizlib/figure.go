package vizlib

import (
	"errors"
	"strings"
)

// Output is what every notebook-facing call of vizlib returns: a value that shows itself in a GoNB
// notebook (Show; elsewhere Show does nothing), renders to a self-contained HTML fragment (HTML)
// and carries its error (Err). A failed output renders as an error box; nothing panics.
// *Figure and *Animation are Outputs.
type Output interface {
	// Show displays the output inline when running in GoNB.
	Show()
	// HTML returns the self-contained fragment (an error box if the output failed).
	HTML() string
	// Err returns what went wrong, or nil.
	Err() error
}

// Figure is a rendered view: a chart, heatmap, table, image grid, grid of players or a whole
// report page, with the error that made it fail or that a part of it met.
type Figure struct {
	content renderable // nil when the view failed
	err     error
	notes   []string // shown above the content (e.g. a parameter lowered for a small run)
}

// figure wraps content and err; content is dropped when err is set unless keep.
func figure(content renderable, err error) *Figure {
	if err != nil {
		return &Figure{err: err}
	}
	return &Figure{content: content}
}

// figureOf reads a view's options (at most one value, see one) and builds its figure with build.
func figureOf[T any, R renderable](view string, opts []T, build func(T) (R, error)) *Figure {
	o, err := one(view, opts)
	if err != nil {
		return figure(nil, err)
	}
	r, err := build(o)
	if err != nil {
		return figure(nil, err)
	}
	return figure(r, nil)
}

// Show displays the figure inline when running in GoNB (no-op elsewhere).
func (f *Figure) Show() { display(f.HTML()) }

// HTML returns the figure's self-contained fragment; a failed figure is an error box, and a
// figure with content and an error (a report with a failed section) shows both.
func (f *Figure) HTML() string {
	if f == nil {
		return errorHTML(errors.New("vizlib: nil figure"))
	}
	var b strings.Builder
	b.WriteString(notesHTML(f.notes))
	if f.content == nil {
		if f.err == nil {
			return errorHTML(errors.New("vizlib: empty figure"))
		}
		b.WriteString(errorHTML(f.err))
		return b.String()
	}
	b.WriteString(f.content.html())
	return b.String()
}

// Err returns the error of the figure, or nil.
func (f *Figure) Err() error {
	if f == nil {
		return errors.New("vizlib: nil figure")
	}
	return f.err
}

// WriteFile writes the figure as a standalone HTML page (the embedded library included once) to
// path; the page's title is the figure's. A failed figure writes nothing and returns its error.
func (f *Figure) WriteFile(path string) error {
	if f == nil || f.content == nil {
		return f.Err()
	}
	p, ok := f.content.(*htmlPage)
	if !ok {
		p = &htmlPage{Title: "embviz", Sections: []pageSection{{Content: f.content}}}
	}
	return p.writeFile(path)
}

// notesHTML renders notes as small print above a figure.
func notesHTML(notes []string) string {
	var b strings.Builder
	for _, n := range notes {
		b.WriteString(`<div class="embviz-note" style="font:12px sans-serif;color:#765;margin:2px 0">` + htmlEscape(n) + `</div>`)
	}
	return b.String()
}
