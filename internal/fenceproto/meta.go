package fenceproto

import (
	"sort"
	"strings"

	"github.com/fence-scsi-go/fence_scsi_go/internal/metadata"
)

// ShortDesc and LongDesc describe the agent in the metadata. The long
// description is ours; ".P" is a roff paragraph break kept only by manpage.
const (
	ShortDesc = "Fence agent for SCSI persistent reservation"
	LongDesc  = "fence_scsi_go is an I/O Fencing agent compatible with fence_scsi: it takes the same options, keys and state files, and uses SCSI-3 persistent reservations (SPC-3 or greater, with PREEMPT AND ABORT) to control access to shared storage devices. Each node registers its key on the devices, which carry a \"write exclusive, registrants only\" reservation; fencing a node removes its key, so it can no longer write. The node is not rebooted.\n.P\nIt sends the SCSI commands itself through SG_IO instead of running sg_persist."
)

// actionHelpText is the --action help line, listing the actions as fence-agents builds it (list
// and list-status included, "off" marked as default, wrapped at 42 columns). A constant, so that
// the option table is static data and costs nothing at start-up; TestActionHelpText builds it
// from the action list with metadata.Wrap.
const actionHelpText = "-o, --action=[action]          Action: on, off (default), status, list,\n" +
	"                                        list-status, monitor, metadata, manpage or\n" +
	"                                        validate-all"

// Actions are the metadata actions, in fence_scsi's order.
var Actions = []metadata.Action{
	{Name: "on", OnTarget: true, Automatic: true},
	{Name: "off"}, {Name: "status"}, {Name: "monitor"}, {Name: "metadata"}, {Name: "manpage"}, {Name: "validate-all"},
}

// getoptText is the getopt part of an option's help text, as fence-agents
// takes it with the regular expression `(?s)^(.*?--\S+)\s+`: everything up to
// the end of the first "--" word (a "--" followed by at least one
// non-blank) that blanks follow. It is matched by hand so that the agent
// links no regular expressions (package regexp and the Unicode tables it
// keeps would be initialised at every start); TestGetoptText compares the
// two on the option table and FuzzGetoptText on any text.
func getoptText(s string) (string, bool) {
	for j := 0; j+2 < len(s); j++ {
		if s[j] != '-' || s[j+1] != '-' {
			continue
		}
		k := j + 2
		for k < len(s) && !isBlank(s[k]) {
			k++
		}
		if k > j+2 && k < len(s) {
			return s[:k], true
		}
	}
	return "", false
}

// isBlank is RE2's \s: tab, newline, form feed, carriage return, space.
func isBlank(c byte) bool {
	return c == '\t' || c == '\n' || c == '\f' || c == '\r' || c == ' '
}

// Parameters converts the option table into metadata parameters the way
// fence-agents does: options with a long name and help text, sorted by
// (order, name); an option whose internal name differs from its long name
// appears twice, the internal name deprecated and the long-derived name
// obsoleting it.
func Parameters() []metadata.Parameter {
	var ps []metadata.Parameter
	for _, o := range Table {
		if o.Help == "" {
			continue
		}
		mixed := o.Help
		if m, ok := getoptText(mixed); ok {
			mixed = m
		}
		typ := "boolean"
		if o.HasArg {
			typ = o.Type
		}
		p := metadata.Parameter{Name: o.Name, Getopt: mixed, Type: typ, Default: o.Default, HasDefault: o.HasDef,
			Required: o.Required, ShortDesc: o.ShortDesc}
		canon := strings.ReplaceAll(o.Long, "-", "_")
		if canon != o.Name {
			p.Deprecated = true
			alias := p
			alias.Name, alias.Deprecated, alias.Obsoletes = canon, false, o.Name
			ps = append(ps, alias)
		}
		ps = append(ps, p)
	}
	order := map[string]int{}
	for _, o := range Table {
		order[o.Name] = o.Order
		order[strings.ReplaceAll(o.Long, "-", "_")] = o.Order
	}
	sort.SliceStable(ps, func(i, j int) bool {
		if order[ps[i].Name] != order[ps[j].Name] {
			return order[ps[i].Name] < order[ps[j].Name]
		}
		return ps[i].Name < ps[j].Name
	})
	return ps
}

// Agent returns the metadata description for an agent called name.
func Agent(name string) metadata.Agent {
	return metadata.Agent{Name: name, ShortDesc: ShortDesc, LongDesc: LongDesc, Parameters: Parameters(), Actions: Actions}
}

// Usage returns the --help text for an agent called prog.
func Usage(prog string) string {
	helps := make([]string, 0, len(Table))
	for _, o := range Table {
		helps = append(helps, o.Help)
	}
	return metadata.Usage(prog, helps)
}

func (r *run) usage() string { return Usage(r.prog) }

func (r *run) metadataXML(manpage bool) []byte { return metadata.XML(Agent(r.prog), manpage) }
