package vizlib

import (
	"fmt"
	"html"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Section is one part of a Page: a heading, an optional paragraph and its content.
type Section struct {
	Heading string
	Text    string
	Content Renderable
}

// Page is a standalone HTML document (the report): the embedded library is included once.
type Page struct {
	Title    string
	Subtitle string
	Sections []Section
}

// HTML returns the complete document.
func (p *Page) HTML() string {
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
				b.WriteString(s.Content.HTML())
			}
			b.WriteString("\n")
		}
	}
	b.WriteString("</body></html>\n")
	return b.String()
}

// WriteTo writes the document to w.
func (p *Page) WriteTo(w io.Writer) (int64, error) {
	n, err := io.WriteString(w, p.HTML())
	return int64(n), err
}

// WriteFile writes the document to path atomically (temporary file + rename).
func (p *Page) WriteFile(path string) error {
	return writeFileAtomic(path, []byte(p.HTML()))
}

// WriteHTMLFile writes r as a standalone document titled title to path.
func WriteHTMLFile(path, title string, r Renderable) error {
	return (&Page{Title: title, Sections: []Section{{Content: r}}}).WriteFile(path)
}

func writeFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("vizlib: writing %s: %w", path, err)
	}
	tmp := f.Name()
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("vizlib: writing %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("vizlib: writing %s: %w", path, err)
	}
	if err := os.Chmod(tmp, 0o644); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("vizlib: writing %s: %w", path, err)
	}
	return nil
}
