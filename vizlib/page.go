package vizlib

import (
	"fmt"
	"html"
	"strings"

	"github.com/embviz/embviz/training/npy"
)

// Section is one part of a Page: a heading, an optional paragraph and its content.
type pageSection struct {
	Heading string
	Text    string
	Content renderable
}

// Page is a standalone HTML document (the report): the embedded library is included once.
type htmlPage struct {
	Title    string
	Subtitle string
	Sections []pageSection
}

// HTML returns the complete document.
func (p *htmlPage) html() string {
	var b strings.Builder
	b.WriteString("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n")
	fmt.Fprintf(&b, "<title>%s</title>\n", html.EscapeString(p.Title))
	b.WriteString(`<meta name="viewport" content="width=device-width, initial-scale=1">` + "\n")
	b.WriteString(`<style>body{font-family:-apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;margin:20px 28px;color:#222}` +
		`h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 6px;border-bottom:1px solid #ddd;padding-bottom:3px}` +
		`.sub{color:#666;margin-bottom:12px}p{max-width:900px;color:#444}</style>` + "\n")
	b.WriteString(libHTML())
	b.WriteString("</head><body>\n")
	fmt.Fprintf(&b, "<h1>%s</h1>\n", html.EscapeString(p.Title))
	if p.Subtitle != "" {
		fmt.Fprintf(&b, "<div class=\"sub\">%s</div>\n", html.EscapeString(p.Subtitle))
	}
	for _, s := range p.Sections {
		if s.Heading != "" {
			fmt.Fprintf(&b, "<h2>%s</h2>\n", html.EscapeString(s.Heading))
		}
		if s.Text != "" {
			fmt.Fprintf(&b, "<p>%s</p>\n", html.EscapeString(s.Text))
		}
		if s.Content != nil {
			if sp, ok := s.Content.(specer); ok {
				b.WriteString(render(sp, false))
			} else {
				b.WriteString(s.Content.html())
			}
			b.WriteString("\n")
		}
	}
	b.WriteString("</body></html>\n")
	return b.String()
}

// writeFile writes the document to path atomically (temporary file + rename).
func (p *htmlPage) writeFile(path string) error {
	return writeFileAtomic(path, []byte(p.html()))
}

// writeFileAtomic writes data to path through a temporary file and a rename; errors name path,
// never the temporary file (npy.WriteFileAtomic).
func writeFileAtomic(path string, data []byte) error {
	if err := npy.WriteFileAtomic(path, data); err != nil {
		return fmt.Errorf("vizlib: %w", err)
	}
	return nil
}
