package storagecheck

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// WriteJSON prints the report as one indented JSON document.
func WriteJSON(w io.Writer, r Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteText prints the report as tables for a human.
func WriteText(w io.Writer, r Report) {
	if r.ThisKey != "" {
		fmt.Fprintf(w, "this node: %s, key %s\n", orDash(r.ThisNode), r.ThisKey)
	}
	for _, c := range r.Cleanups {
		writeCleanup(w, c)
	}
	for _, d := range r.Devices {
		writeDevice(w, d)
	}
	for _, t := range r.WriteTests {
		writeWriteTest(w, t)
	}
	fmt.Fprintf(w, "\nOVERALL: %s (%d device(s), %d problem(s))\n", strings.ToUpper(r.Verdict), len(r.Devices), len(r.Problems))
}

func writeDevice(w io.Writer, d DeviceReport) {
	kind := "single path"
	if d.Multipath {
		kind = fmt.Sprintf("multipath, %d paths", len(d.Paths))
	}
	fmt.Fprintf(w, "\nDEVICE %s (%s)  LU %s  verdict: %s\n", d.Device, kind, orDash(d.Identity), strings.ToUpper(d.Verdict))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  PATH\tNEXUS\tVENDOR/PRODUCT/REV\tSERIAL\tPR\tGENERATION\tTHIS NODE REGISTERED")
	for _, p := range d.Paths {
		gen := "-"
		if p.Generation != nil {
			gen = fmt.Sprint(*p.Generation)
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s/%s/%s\t%s\t%s\t%s\t%s\n", p.Path, orDash(p.Nexus), p.Vendor, p.Product, p.Revision,
			orDash(p.Serial), yesNo(p.PRSupported), gen, p.ThisNodeRegistered)
	}
	tw.Flush()
	for _, p := range d.Paths {
		writePathDetails(w, p, len(d.Paths) > 1)
	}
	for _, pr := range d.Problems {
		fmt.Fprintf(w, "  PROBLEM [%s] %s\n          what to do: %s\n", pr.Rule, pr.Message, pr.Fix)
	}
	for _, n := range d.Notes {
		fmt.Fprintf(w, "  note: %s\n", n)
	}
}

func writePathDetails(w io.Writer, p PathReport, label bool) {
	prefix := "  "
	if label {
		fmt.Fprintf(w, "  %s:\n", p.Path)
		prefix = "    "
	}
	if len(p.Designators) > 0 {
		fmt.Fprintf(w, "%sLU designators: %s\n", prefix, strings.Join(p.Designators, " "))
	}
	for _, e := range p.Errors {
		fmt.Fprintf(w, "%serror: %s\n", prefix, e)
	}
	if c := p.Capabilities; c != nil {
		types := "type mask not valid (TMV=0)"
		if c.TypeMaskValid {
			types = "types " + strings.Join(c.Types, ",")
		}
		fmt.Fprintf(w, "%scapabilities: %s  PTPL_C=%d PTPL_A=%d ATP_C=%d SIP_C=%d CRH=%d\n", prefix, types,
			b2i(c.PTPLC), b2i(c.PTPLA), b2i(c.ATPC), b2i(c.SIPC), b2i(c.CRH))
	}
	if p.Generation == nil {
		return
	}
	src := "READ KEYS"
	if p.FullStatus {
		src = "READ FULL STATUS"
	}
	fmt.Fprintf(w, "%sregistrations (%s): %d\n", prefix, src, len(p.Registrations))
	if len(p.Registrations) > 0 {
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintf(tw, "%s  KEY\tOWNER\tNEXUS\tHOLDER\n", prefix)
		for _, g := range p.Registrations {
			h := ""
			if g.Holder {
				h = "*"
			}
			fmt.Fprintf(tw, "%s  %s\t%s\t%s\t%s\n", prefix, g.Key, g.Owner, orDash(g.Nexus), h)
		}
		tw.Flush()
	}
	res := "none"
	if r := p.Reservation; r.Present {
		res = r.Type
		if r.Key != "" {
			res += fmt.Sprintf(" held by %s (%s)", r.Key, r.Owner)
		} else {
			res += " held by all registrants"
		}
	}
	fmt.Fprintf(w, "%sreservation: %s\n", prefix, res)
}

func writeCleanup(w io.Writer, c CleanupResult) {
	fmt.Fprintf(w, "\nCLEANUP %s: removed %d scratch key(s)\n", c.Device, len(c.Removed))
	for _, s := range c.Removed {
		fmt.Fprintf(w, "  %s\n", s)
	}
	for _, k := range c.Remaining {
		fmt.Fprintf(w, "  left: %s (registered through a nexus of another host: run --cleanup there)\n", k)
	}
	for _, e := range c.Errors {
		fmt.Fprintf(w, "  error: %s\n", e)
	}
}

func writeWriteTest(w io.Writer, t WriteTestResult) {
	verdict := "PASS"
	if !t.OK {
		verdict = "FAIL"
	}
	fmt.Fprintf(w, "\nWRITE TEST %s: %s (nexuses: %s)\n", t.Device, verdict, strings.Join(t.Nexuses, ", "))
	for _, s := range t.Steps {
		fmt.Fprintf(w, "  ok: %s\n", s)
	}
	if t.Error != "" {
		fmt.Fprintf(w, "  error: %s\n", t.Error)
	}
	for _, c := range t.Cleanup {
		fmt.Fprintf(w, "  cleanup: %s\n", c)
	}
	if t.Ran {
		fmt.Fprintf(w, "  PR state before: %s\n  PR state after:  %s\n", strings.Join(t.StateBefore, "; "), strings.Join(t.StateAfter, "; "))
		fmt.Fprintf(w, "  PR state exactly as found (READ FULL STATUS before/after): %s\n", yesNo(t.Restored))
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
