// Package storagecheck answers, before a cluster depends on it, whether a
// set of LUNs can be fenced with SCSI-3 Persistent Reservations the way
// fence_scsi_go does it (WRITE EXCLUSIVE – REGISTRANTS ONLY, one key per
// node, every path of a multipath device registered).
//
// Inspect reads every path of every device with PERSISTENT RESERVE IN and
// INQUIRY only (no PR OUT); Evaluate applies the rules of docs/check-storage.md
// and WriteTest, an explicit opt-in, exercises PR OUT with a scratch key on
// a LU that has no registrations and puts it back as it was.
package storagecheck

import "github.com/fence-scsi-go/fence_scsi_go/internal/scsi"

// Path is one I_T nexus to a LU: a /dev/sdX (or the device itself when it is
// not multipath) opened by the caller.
type Path struct {
	Name string
	Dev  scsi.Device
	// Nexus is this host's side of the I_T nexus as READ FULL STATUS prints
	// it (an iSCSI "iqn...,i,0x<ISID>"), or "" when unknown.
	Nexus string
	// IO, when set, sends the write test's READ(10)/WRITE(10) on this nexus
	// (a second file descriptor of the same path); BlockSize is its logical
	// block size (0: 512).
	IO        scsi.Transport
	BlockSize int
}

// Target is one configured device and the paths it stands for.
type Target struct {
	Name      string
	Multipath bool
	Paths     []Path
	// Peer is --peer-device: another path to the same LU, the write test's
	// second I_T nexus (nil: the second path of a multipath device, if any).
	Peer *Path
	// OpenErrors are paths that could not be opened ("path: error").
	OpenErrors []string
}

// Cluster is what is known about the nodes' keys.
type Cluster struct {
	// ThisNode and ThisKey identify this node; ThisKey 0 means unknown.
	ThisNode string
	ThisKey  scsi.Key
	// Nodes maps every cluster node's key to its name (this node included).
	// Empty when no cluster is configured: unknown keys are then reported
	// but are not a problem.
	Nodes map[scsi.Key]string
}

// Registration is one registered I_T nexus (READ FULL STATUS) or, when the
// target does not answer READ FULL STATUS, one READ KEYS entry.
type Registration struct {
	Key    string `json:"key"`
	Owner  string `json:"owner"` // node name, "this node (NAME)" or "unknown"
	Nexus  string `json:"nexus,omitempty"`
	Holder bool   `json:"holder,omitempty"`
}

// Capabilities is REPORT CAPABILITIES as the report shows it.
type Capabilities struct {
	TypeMaskValid bool     `json:"type_mask_valid"`
	Types         []string `json:"types"`
	PTPLC         bool     `json:"ptpl_c"`
	PTPLA         bool     `json:"ptpl_a"`
	ATPC          bool     `json:"atp_c"`
	SIPC          bool     `json:"sip_c"`
	CRH           bool     `json:"crh"`
}

// ReservationInfo is READ RESERVATION as the report shows it.
type ReservationInfo struct {
	Present bool   `json:"present"`
	Key     string `json:"key,omitempty"`
	Owner   string `json:"owner,omitempty"`
	Type    string `json:"type,omitempty"`
}

// PathReport is what one path showed.
type PathReport struct {
	Path        string   `json:"path"`
	Nexus       string   `json:"nexus,omitempty"`
	Vendor      string   `json:"vendor,omitempty"`
	Product     string   `json:"product,omitempty"`
	Revision    string   `json:"revision,omitempty"`
	Serial      string   `json:"serial,omitempty"`
	Identity    string   `json:"identity,omitempty"`
	Designators []string `json:"designators,omitempty"`
	// PRSupported is false when PERSISTENT RESERVE IN is refused as an
	// unsupported command (ILLEGAL REQUEST 20/00 and the like).
	PRSupported   bool            `json:"pr_supported"`
	Capabilities  *Capabilities   `json:"capabilities,omitempty"`
	Generation    *uint32         `json:"generation,omitempty"`
	Registrations []Registration  `json:"registrations"`
	Reservation   ReservationInfo `json:"reservation"`
	// FullStatus tells whether Registrations come from READ FULL STATUS
	// (one entry per I_T nexus, with its TransportID) or from READ KEYS.
	FullStatus bool `json:"full_status"`
	// ThisNodeRegistered tells whether this path's own nexus carries this
	// node's key: "yes", "no", "yes (counted)" (as many nexuses of this host
	// carry the key as the device has paths) or "unknown".
	ThisNodeRegistered string   `json:"this_node_registered"`
	Errors             []string `json:"errors,omitempty"`

	noPR bool       // READ KEYS refused as unsupported
	keys []scsi.Key // registered keys, one per nexus
	res  *scsi.Reservation
	caps *scsi.Capabilities
	own  int // registrations carrying this node's key
}

// Problem is one failed rule.
type Problem struct {
	Rule    string `json:"rule"`
	Device  string `json:"device,omitempty"`
	Message string `json:"message"`
	Fix     string `json:"fix"`
}

// DeviceReport is the result for one configured device.
type DeviceReport struct {
	Device    string       `json:"device"`
	Multipath bool         `json:"multipath"`
	Identity  string       `json:"identity,omitempty"`
	Paths     []PathReport `json:"paths"`
	Verdict   string       `json:"verdict"` // "ok" or "fail"
	Problems  []Problem    `json:"problems"`
	Notes     []string     `json:"notes,omitempty"`
}

// Report is the whole result; Verdict is "ok" only if every device is.
type Report struct {
	// SchemaVersion is the version of this document's layout (docs/check-storage.md).
	SchemaVersion int               `json:"schema_version"`
	ThisNode      string            `json:"this_node,omitempty"`
	ThisKey       string            `json:"this_key,omitempty"`
	Nodes         map[string]string `json:"cluster_nodes,omitempty"` // key -> name
	Devices       []DeviceReport    `json:"devices"`
	Problems      []Problem         `json:"problems"` // every problem, devices' included
	Verdict       string            `json:"verdict"`
	WriteTests    []WriteTestResult `json:"write_tests,omitempty"`
	Cleanups      []CleanupResult   `json:"cleanups,omitempty"`
}

// SchemaVersion is the current Report.SchemaVersion.
const SchemaVersion = 1
