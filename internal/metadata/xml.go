// Package metadata renders the fence-agent metadata XML (OCF/RHCS style) and
// the --help text for an agent described by a list of parameters.
package metadata

import (
	"bytes"
	"fmt"
	"strings"
	"sync"

	"github.com/beevik/etree"
)

// Parameter is one <parameter> element.
type Parameter struct {
	Name       string
	Getopt     string // the "mixed" getopt text, e.g. "-o, --action=[action]"
	Type       string // string, second, integer or boolean
	Default    string
	HasDefault bool
	Required   bool
	Deprecated bool   // deprecated="1"
	Obsoletes  string // obsoletes="<name>"
	ShortDesc  string
}

// Action is one <action> element.
type Action struct {
	Name      string
	OnTarget  bool // on_target="1" (Pacemaker runs it on the target node)
	Automatic bool // automatic="1" (unfencing required)
}

// Agent is the whole metadata document.
type Agent struct {
	Name       string // basename(argv[0])
	ShortDesc  string
	LongDesc   string // may contain roff ".P" paragraph markers
	VendorURL  string
	Parameters []Parameter
	Actions    []Action
}

// stripRoff removes the roff markers from the long description in metadata
// mode (they are kept in manpage mode), as fence-agents does. They are the
// matches of `\\f[BPIR]|\.P|\.TP|\.br\n`, found by hand so that the agent
// links no regular expressions; TestStripRoff and FuzzStripRoff compare the
// two.
func stripRoff(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		if n := roffMarkerAt(s[i:]); n > 0 {
			i += n
			continue
		}
		b.WriteByte(s[i])
		i++
	}
	return b.String()
}

// roffMarkerAt is the length of the marker s starts with, 0 if none; the
// alternatives are tried in the expression's order.
func roffMarkerAt(s string) int {
	switch {
	case len(s) >= 3 && s[0] == '\\' && s[1] == 'f' && strings.IndexByte("BPIR", s[2]) >= 0:
		return 3
	case strings.HasPrefix(s, ".P"):
		return 2
	case strings.HasPrefix(s, ".TP"):
		return 3
	case strings.HasPrefix(s, ".br\n"):
		return 4
	}
	return 0
}

// Document builds the metadata as an etree document. With manpage set the
// roff markers in the long description are kept.
func Document(a Agent, manpage bool) *etree.Document {
	doc := etree.NewDocument()
	doc.CreateProcInst("xml", `version="1.0"`)
	ra := doc.CreateElement("resource-agent")
	ra.CreateAttr("name", a.Name)
	ra.CreateAttr("shortdesc", a.ShortDesc)
	long := a.LongDesc
	if !manpage {
		long = stripRoff(long)
	}
	ra.CreateElement("longdesc").SetText(long)
	ra.CreateElement("vendor-url").SetText(a.VendorURL)
	params := ra.CreateElement("parameters")
	for _, p := range a.Parameters {
		e := params.CreateElement("parameter")
		e.CreateAttr("name", p.Name)
		e.CreateAttr("unique", "0")
		e.CreateAttr("required", boolDigit(p.Required))
		if p.Deprecated {
			e.CreateAttr("deprecated", "1")
		}
		if p.Obsoletes != "" {
			e.CreateAttr("obsoletes", p.Obsoletes)
		}
		e.CreateElement("getopt").CreateAttr("mixed", p.Getopt)
		c := e.CreateElement("content")
		c.CreateAttr("type", p.Type)
		if p.HasDefault {
			c.CreateAttr("default", p.Default)
		}
		sd := e.CreateElement("shortdesc")
		sd.CreateAttr("lang", "en")
		sd.SetText(p.ShortDesc)
	}
	acts := ra.CreateElement("actions")
	for _, a := range a.Actions {
		e := acts.CreateElement("action")
		e.CreateAttr("name", a.Name)
		if a.OnTarget {
			e.CreateAttr("on_target", "1")
		}
		if a.Automatic {
			e.CreateAttr("automatic", "1")
		}
	}
	return doc
}

func boolDigit(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// XML renders the metadata byte for byte in fence-agents' layout.
func XML(a Agent, manpage bool) []byte {
	var b bytes.Buffer
	Write(&b, Document(a, manpage))
	return b.Bytes()
}

// Write serialises a document built by Document in fence-agents' exact
// layout. etree's own serialiser cannot be used: fence-agents prints the
// XML with print() statements, leaving two spaces before "/>" in <content>,
// a space before ">" in <resource-agent>, no space before "/>" in the
// on action, and unescaped quotes in text, none of which etree reproduces.
func Write(b *bytes.Buffer, doc *etree.Document) {
	b.WriteString("<?xml version=\"1.0\" ?>\n")
	ra := doc.SelectElement("resource-agent")
	fmt.Fprintf(b, "<resource-agent%s >\n", attrs(ra))
	fmt.Fprintf(b, "<longdesc>%s</longdesc>\n", text(ra.SelectElement("longdesc").Text()))
	fmt.Fprintf(b, "<vendor-url>%s</vendor-url>\n", text(ra.SelectElement("vendor-url").Text()))
	b.WriteString("<parameters>\n")
	for _, p := range ra.SelectElement("parameters").SelectElements("parameter") {
		fmt.Fprintf(b, "\t<parameter%s>\n", attrs(p))
		fmt.Fprintf(b, "\t\t<getopt%s />\n", attrs(p.SelectElement("getopt")))
		fmt.Fprintf(b, "\t\t<content%s  />\n", attrs(p.SelectElement("content")))
		sd := p.SelectElement("shortdesc")
		fmt.Fprintf(b, "\t\t<shortdesc%s>%s</shortdesc>\n", attrs(sd), text(sd.Text()))
		b.WriteString("\t</parameter>\n")
	}
	b.WriteString("</parameters>\n<actions>\n")
	for _, a := range ra.SelectElement("actions").SelectElements("action") {
		if a.SelectAttr("automatic") != nil {
			fmt.Fprintf(b, "\t<action%s/>\n", attrs(a))
		} else {
			fmt.Fprintf(b, "\t<action%s />\n", attrs(a))
		}
	}
	b.WriteString("</actions>\n</resource-agent>\n")
}

// attrs renders attributes with fence-agents' entity encoding
// (_encode_html_entities: & " < > ').
func attrs(e *etree.Element) string {
	var s strings.Builder
	for _, a := range e.Attr {
		fmt.Fprintf(&s, " %s=\"%s\"", a.Key, attrEscaper().Replace(a.Value))
	}
	return s.String()
}

var attrEscaper = sync.OnceValue(func() *strings.Replacer {
	return strings.NewReplacer("&", "&amp;", `"`, "&quot;", "<", "&lt;", ">", "&gt;", "'", "&apos;")
})

// text escapes character data minimally: fence-agents prints text raw, and
// its texts contain quotes but never markup characters.
func text(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}
