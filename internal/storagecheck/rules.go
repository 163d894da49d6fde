package storagecheck

import (
	"fmt"
	"sort"
	"strings"

	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi"
)

// The rules a device must pass; docs/check-storage.md explains each.
const (
	RuleUnreadable        = "unreadable"
	RuleNoPR              = "no-pr"
	RuleNoWERO            = "no-wero"
	RuleIdentityMismatch  = "identity-mismatch"
	RuleUnregisteredPath  = "unregistered-path"
	RuleUnknownKey        = "unknown-key"
	RuleUnfinishedUnfence = "unfinished-unfence"
	RuleNoAPTPL           = "no-aptpl"
	RuleDuplicateLU       = "duplicate-lu"
	RuleScratchKey        = "scratch-key"
	RuleWriteTest         = "write-test"
)

// Options are the requirements the caller adds.
type Options struct {
	// APTPL: the agent will be run with --aptpl, so PTPL_C is required.
	APTPL bool
}

// Evaluate applies the per-device rules to the paths of one target.
func Evaluate(t Target, paths []PathReport, cl Cluster, opt Options) DeviceReport {
	d := DeviceReport{Device: t.Name, Multipath: t.Multipath, Paths: paths, Problems: []Problem{}}
	add := func(rule, fix, format string, a ...any) {
		d.Problems = append(d.Problems, Problem{Rule: rule, Device: t.Name, Message: fmt.Sprintf(format, a...), Fix: fix})
	}
	for _, e := range t.OpenErrors {
		add(RuleUnreadable, "check the path is present and this runs as root", "cannot open %s", e)
	}
	var ok []PathReport // paths that answered READ KEYS
	for _, p := range paths {
		switch {
		case p.noPR:
			add(RuleNoPR, "enable SCSI-3 persistent reservations on the array for this LU (on LIO: emulate_pr=1), or do not use it for fencing",
				"%s does not support persistent reservations (PERSISTENT RESERVE IN refused)", p.Path)
			continue
		case len(p.Errors) > 0:
			add(RuleUnreadable, "check the path (multipath -ll, dmesg) and run again", "%s: %s", p.Path, strings.Join(p.Errors, "; "))
		}
		if p.Generation != nil {
			ok = append(ok, p)
		}
	}
	d.Identity = checkIdentity(paths, add)
	if len(ok) > 0 {
		checkCapabilities(ok, opt, add)
		checkRegistrations(&d, ok, len(paths), cl, add)
	}
	d.Verdict = "ok"
	if len(d.Problems) > 0 {
		d.Verdict = "fail"
	}
	return d
}

type addFunc func(rule, fix, format string, a ...any)

// checkIdentity requires one LU identity on every path and returns it.
func checkIdentity(paths []PathReport, add addFunc) string {
	ids := map[string][]string{}
	var order []string
	for _, p := range paths {
		if p.Identity == "" {
			continue
		}
		if _, seen := ids[p.Identity]; !seen {
			order = append(order, p.Identity)
		}
		ids[p.Identity] = append(ids[p.Identity], p.Path)
	}
	if len(order) > 1 {
		var parts []string
		for _, id := range order {
			parts = append(parts, fmt.Sprintf("%s on %s", id, strings.Join(ids[id], ",")))
		}
		add(RuleIdentityMismatch, "the multipath map combines different LUs: fix multipath.conf (wwid, blacklist) and rebuild the map",
			"the paths do not reach one LU: %s", strings.Join(parts, "; "))
		return ""
	}
	if len(order) == 1 {
		return order[0]
	}
	return ""
}

func checkCapabilities(ok []PathReport, opt Options, add addFunc) {
	c := ok[0].caps
	if c == nil {
		return
	}
	if !c.Supports(scsi.TypeWriteExclusiveRegistrantsOnly) {
		add(RuleNoWERO, "fence_scsi and fence_scsi_go reserve with type 5 (WRITE EXCLUSIVE - REGISTRANTS ONLY): this LU cannot be used for fencing",
			"the LU does not list type 5 (WE-RO) in its REPORT CAPABILITIES type mask")
	}
	if opt.APTPL && !c.PTPLC {
		add(RuleNoAPTPL, "run the agent without --aptpl, or enable persistence through power loss on the array",
			"--aptpl requested but the LU does not report PTPL_C (persist through power loss capable)")
	}
}

// checkRegistrations applies the key rules to the LU-wide PR state (read
// through the first path that answered) and the per-path registrations.
func checkRegistrations(d *DeviceReport, ok []PathReport, npaths int, cl Cluster, add addFunc) {
	first := ok[0]
	if scratch := scratchKeys(first.keys); len(scratch) > 0 {
		add(RuleScratchKey, "run fence_scsi_go check-storage --cleanup on the host that ran the write test (it removes only its own scratch keys)",
			"check-storage scratch key(s) %s are registered: left by an interrupted --write-test", joinKeys(scratch))
		first.keys = withoutScratch(first.keys)
	}
	if len(first.keys) == 0 {
		d.Notes = append(d.Notes, "no registrations: the cluster has not unfenced this LU yet (registration rules not applicable)")
		return
	}
	if cl.ThisKey != 0 {
		checkThisNode(d, ok, npaths, cl, add)
	} else {
		d.Notes = append(d.Notes, "this node's key is unknown (no --key, no cluster): per-path registration not checked")
	}
	if len(cl.Nodes) > 0 {
		var unknown []string
		for _, k := range distinctKeys(first.keys) {
			if _, known := cl.Nodes[k]; !known && k != cl.ThisKey {
				unknown = append(unknown, fmt.Sprintf("%s (%s)", k, owner(cl, k)))
			}
		}
		if len(unknown) > 0 {
			add(RuleUnknownKey, "find who registered it (READ FULL STATUS shows the initiator); if it is stale, remove it (e.g. sg_persist --out --register-ignore --param-sark=0 from that initiator) before the cluster depends on this LU",
				"keys of no cluster node are registered: %s", strings.Join(unknown, ", "))
		}
	} else {
		d.Notes = append(d.Notes, "no cluster configured: keys are not matched to nodes")
	}
	if first.res != nil && !first.res.Present {
		add(RuleUnfinishedUnfence, "unfence again (fence_scsi_go -o on) on a node that should have access: it registers and reserves",
			"%d key(s) registered but no reservation is held: an unfinished unfence, and nothing is fenced", len(first.keys))
	} else if first.res != nil && first.res.Type != scsi.TypeWriteExclusiveRegistrantsOnly {
		d.Notes = append(d.Notes, fmt.Sprintf("the reservation is of type %s, not the agent's WE-RO", first.res.Type))
	}
}

// checkThisNode requires this node's key on every path: decided per path
// by the path's own nexus in READ FULL STATUS when known, otherwise by
// counting the nexuses that carry the key against the number of paths.
func checkThisNode(d *DeviceReport, ok []PathReport, npaths int, cl Cluster, add addFunc) {
	const fix = "unfence this node again (fence_scsi_go -o on through the multipath device registers every path)"
	var missing []string
	unknown := false
	for _, p := range ok {
		switch p.ThisNodeRegistered {
		case "no":
			missing = append(missing, p.Path)
		case "unknown":
			unknown = true
		}
	}
	if len(missing) > 0 {
		add(RuleUnregisteredPath, fix, "this node's key %s is not registered through %s", cl.ThisKey, strings.Join(missing, ", "))
		return
	}
	if !unknown {
		return
	}
	if ok[0].own < npaths {
		add(RuleUnregisteredPath, fix, "this node's key %s is registered through %d I_T nexus(es) of this host but the device has %d path(s); which path lacks it cannot be told (this host's nexus names, e.g. the iSCSI ISID, are not in sysfs)",
			cl.ThisKey, ok[0].own, npaths)
		return
	}
	for i := range d.Paths {
		if d.Paths[i].ThisNodeRegistered == "unknown" && d.Paths[i].Generation != nil {
			d.Paths[i].ThisNodeRegistered = "yes (counted)"
		}
	}
}

// scratchKeys lists the distinct check-storage scratch keys among ks.
func scratchKeys(ks []scsi.Key) []scsi.Key {
	var out []scsi.Key
	for _, k := range distinctKeys(ks) {
		if IsScratch(k) {
			out = append(out, k)
		}
	}
	return out
}

func withoutScratch(ks []scsi.Key) []scsi.Key {
	var out []scsi.Key
	for _, k := range ks {
		if !IsScratch(k) {
			out = append(out, k)
		}
	}
	return out
}

func joinKeys(ks []scsi.Key) string {
	var s []string
	for _, k := range ks {
		s = append(s, k.String())
	}
	return strings.Join(s, ", ")
}

func distinctKeys(ks []scsi.Key) []scsi.Key {
	seen := map[scsi.Key]bool{}
	var out []scsi.Key
	for _, k := range ks {
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// Summarize flags LUs listed more than once under different names and
// returns the report with every problem collected and the overall verdict.
func Summarize(devs []DeviceReport, cl Cluster) Report {
	r := Report{SchemaVersion: SchemaVersion, Devices: devs, Problems: []Problem{}, Verdict: "ok", ThisNode: cl.ThisNode}
	if cl.ThisKey != 0 {
		r.ThisKey = cl.ThisKey.String()
	}
	if len(cl.Nodes) > 0 {
		r.Nodes = map[string]string{}
		for k, n := range cl.Nodes {
			r.Nodes[k.String()] = n
		}
	}
	byID := map[string][]int{}
	for i, d := range devs {
		if d.Identity != "" {
			byID[d.Identity] = append(byID[d.Identity], i)
		}
	}
	for id, idx := range byID {
		if len(idx) < 2 {
			continue
		}
		var names []string
		for _, i := range idx {
			names = append(names, devs[i].Device)
		}
		for _, i := range idx {
			devs[i].Problems = append(devs[i].Problems, Problem{Rule: RuleDuplicateLU, Device: devs[i].Device,
				Message: fmt.Sprintf("the same LU (%s) is listed %d times: %s", id, len(idx), strings.Join(names, ", ")),
				Fix:     "list each LU once; for multipath list only the multipath device, not its paths"})
			devs[i].Verdict = "fail"
		}
	}
	for _, d := range devs {
		r.Problems = append(r.Problems, d.Problems...)
		if d.Verdict != "ok" {
			r.Verdict = "fail"
		}
	}
	return r
}
