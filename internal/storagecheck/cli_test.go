package storagecheck

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/fence-scsi-go/fence_scsi_go/internal/keys/nodekey"
	"github.com/fence-scsi-go/fence_scsi_go/internal/logging"
	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi"
	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi/sim"
	"github.com/fence-scsi-go/fence_scsi_go/internal/testutil"
)

func TestNodeNames(t *testing.T) {
	if got := NodeNames(testutil.Nodelist); !reflect.DeepEqual(got, []string{"node1", "node2", "node3", "10.0.0.9", "big"}) {
		t.Fatalf("%q", got)
	}
}

func TestLoadCluster(t *testing.T) {
	cmap := testutil.Cmapctl(t, "clu")
	host := func() (string, error) { return "node2.example.com", nil }
	cl, notes := LoadCluster(ctx, ClusterConfig{Method: "id", CmapctlPath: cmap, Hostname: host})
	if len(notes) != 0 || cl.ThisNode != "node2" || len(cl.Nodes) != 5 {
		t.Fatalf("%+v %v", cl, notes)
	}
	// Every node, the unnamed one by its ring0 address, with the key the agent derives.
	for _, n := range []string{"node1", "node2", "node3", "10.0.0.9", "big"} {
		k, err := nodekey.Derive(ctx, cmap, n, "id")
		if err != nil {
			t.Fatal(err)
		}
		if cl.Nodes[k] != n || (n == "node2" && cl.ThisKey != k) {
			t.Fatalf("%s: key %v, cluster %+v", n, k, cl)
		}
	}
	cl, notes = LoadCluster(ctx, ClusterConfig{Method: "id", CmapctlPath: filepath.Join(t.TempDir(), "none"), Key: key1})
	if len(cl.Nodes) != 0 || cl.ThisKey != key1 || len(notes) != 1 {
		t.Fatalf("no corosync: %+v %v", cl, notes)
	}
}

// sysfs builds dm-0 over sda, sdb (two iSCSI sessions) and a plain sdc.
func fakeSys(t *testing.T) Sysfs {
	root := t.TempDir()
	mk := func(p string) {
		if err := os.MkdirAll(filepath.Join(root, p), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write := func(p, s string) {
		if err := os.WriteFile(filepath.Join(root, p), []byte(s+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	mk("block/dm-0/slaves/sda")
	mk("block/dm-0/slaves/sdb")
	for i, s := range []string{"sda", "sdb"} {
		sess := "session" + string(rune('1'+i))
		dev := "devices/platform/host2/" + sess + "/target2:0:0/2:0:0:1"
		mk(dev)
		mk("block/" + s)
		if err := os.Symlink(filepath.Join(root, dev), filepath.Join(root, "block", s, "device")); err != nil {
			t.Fatal(err)
		}
		mk("class/iscsi_session/" + sess)
		write("class/iscsi_session/"+sess+"/initiatorname", "iqn.2003-01.test:node1")
		write("class/iscsi_session/"+sess+"/isid", "00023d00000"+string(rune('1'+i)))
	}
	real := map[string]string{"/dev/mapper/mpatha": "/dev/dm-0"}
	return Sysfs{Root: root, Realpath: func(p string) (string, error) {
		if r, ok := real[p]; ok {
			return r, nil
		}
		return p, nil
	}}
}

func TestSysfs(t *testing.T) {
	s := fakeSys(t)
	paths, err := s.Paths("/dev/mapper/mpatha")
	if err != nil || !reflect.DeepEqual(paths, []string{"/dev/sda", "/dev/sdb"}) {
		t.Fatalf("%q %v", paths, err)
	}
	if p, err := s.Paths("/dev/sdc"); p != nil || err != nil {
		t.Fatalf("plain disk: %q %v", p, err)
	}
	if got := s.Nexus("/dev/sdb"); got != "iqn.2003-01.test:node1,i,0x00023d000002" {
		t.Fatalf("nexus %q", got)
	}
	if got := s.Nexus("/dev/sdc"); got != "" {
		t.Fatalf("no session: %q", got)
	}
	if !sameNexus("IQN.2003-01.test:node1,i,0x23d000002", "iqn.2003-01.test:node1,i,0x00023d000002") || sameNexus(nx(1, 1), nx(1, 2)) {
		t.Fatal("sameNexus")
	}
}

// cliEnv opens sim devices by path: sda, sdb are node1's paths to lu, sdc
// and sdd are node1's two single paths to plain.
func cliEnv(t *testing.T, lu, plain *sim.LU, readOnly *[]bool) (Env, *bytes.Buffer, *bytes.Buffer) {
	var out, errb bytes.Buffer
	type target struct {
		lu    *sim.LU
		nexus string
	}
	devs := map[string]target{
		"/dev/sda": {lu, "iqn.2003-01.test:node1,i,0x00023d000001"},
		"/dev/sdb": {lu, "iqn.2003-01.test:node1,i,0x00023d000002"},
		"/dev/sdc": {plain, nx(1, 3)},
		"/dev/sdd": {plain, nx(1, 4)},
	}
	notFound := func(p string) error { return &os.PathError{Op: "open", Path: p, Err: os.ErrNotExist} }
	return Env{Stdout: &out, Stderr: &errb, Sysfs: fakeSys(t), Hostname: func() (string, error) { return "node1", nil },
		OpenIO: func(p string) (scsi.Transport, error) {
			if d, ok := devs[p]; ok {
				return d.lu.Connect(d.nexus), nil
			}
			return nil, notFound(p)
		},
		Open: func(p string, ro bool) (scsi.Device, error) {
			*readOnly = append(*readOnly, ro)
			if d, ok := devs[p]; ok {
				return d.lu.Device(d.nexus), nil
			}
			return nil, notFound(p)
		}}, &out, &errb
}

func TestRunMultipath(t *testing.T) {
	cmap := testutil.Cmapctl(t, "clu")
	k1, _ := nodekey.Derive(ctx, cmap, "node1", "id")
	k2, _ := nodekey.Derive(ctx, cmap, "node2", "id")
	lu, plain := sim.NewLU(), sim.NewLU(sim.WithSerial("plain"))
	node1 := []string{"iqn.2003-01.test:node1,i,0x00023d000001", "iqn.2003-01.test:node1,i,0x00023d000002"}
	for i, n := range node1 {
		if err := lu.Device(n).RegisterAndIgnore(ctx, k1, scsi.RegisterOptions{}); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			if err := lu.Device(n).Reserve(ctx, k1, 5); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := lu.Device("iqn.2003-01.test:node2,i,0x1").RegisterAndIgnore(ctx, k2, scsi.RegisterOptions{}); err != nil {
		t.Fatal(err)
	}
	var ro []bool
	env, out, errb := cliEnv(t, lu, plain, &ro)
	gen := lu.Generation()
	code := Run([]string{"--devices=/dev/mapper/mpatha, /dev/sdc", "--corosync-cmap-path=" + cmap, "--json"}, env)
	var r Report
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("%v: %s %s", err, out, errb)
	}
	if code != ExitReady || r.Verdict != "ok" || len(r.Devices) != 2 || !r.Devices[0].Multipath || len(r.Devices[0].Paths) != 2 ||
		r.Devices[0].Paths[1].ThisNodeRegistered != "yes" || r.ThisNode != "node1" || r.Devices[0].Paths[0].Registrations[2].Owner != "node2" {
		t.Fatalf("exit %d: %s %s", code, out, errb)
	}
	if lu.Generation() != gen || !reflect.DeepEqual(ro, []bool{true, true, true}) {
		t.Fatalf("read-only run: generation %d -> %d, opens read-only %v", gen, lu.Generation(), ro)
	}
	// node1 loses its registration through sdb: exit 1, the path is named.
	if err := lu.Device(node1[1]).Register(ctx, k1, 0, scsi.RegisterOptions{}); err != nil {
		t.Fatal(err)
	}
	env, out, _ = cliEnv(t, lu, plain, &ro)
	if code := Run([]string{"--devices", "/dev/mapper/mpatha", "--corosync-cmap-path", cmap}, env); code != ExitNotReady ||
		!contains(out.String(), "PROBLEM [unregistered-path] this node's key "+k1.String()+" is not registered through /dev/sdb") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
}

func TestRunWriteTestAndUsage(t *testing.T) {
	lu, plain := sim.NewLU(), sim.NewLU(sim.WithSerial("plain"))
	var ro []bool
	env, out, errb := cliEnv(t, lu, plain, &ro)
	none := "--corosync-cmap-path=" + filepath.Join(t.TempDir(), "none")
	if code := Run([]string{"--devices=/dev/mapper/mpatha", "--write-test", none}, env); code != ExitReady ||
		!contains(out.String(), "WRITE TEST /dev/mapper/mpatha: PASS") || !reflect.DeepEqual(ro, []bool{false, false}) {
		t.Fatalf("exit %d ro %v:\n%s%s", code, ro, out, errb)
	}
	pristine(t, lu)
	for _, args := range [][]string{{"--bogus"}, {"--key=xyz", "--devices=/dev/sdc"}, {"--key-value=name"}, {"extra"},
		{"--vgs-path=" + filepath.Join(t.TempDir(), "novgs"), none}, {"--force", "--devices=/dev/sdc"}, {"--step-delay=1s", "--devices=/dev/sdc"},
		{"--write-test", "--peer-device=/dev/sdd", "--devices=/dev/sda,/dev/sdc"}, {"--peer-device=/dev/sdd", "--devices=/dev/sdc"},
		{"--write-test", "--step-delay=2m", "--devices=/dev/sdc"}} {
		env, out, errb := cliEnv(t, lu, plain, &ro)
		if code := Run(args, env); code != ExitError || out.Len() != 0 || bytes.Count(errb.Bytes(), []byte("\n")) < 1 ||
			!bytes.HasPrefix(errb.Bytes(), []byte("check-storage: ")) {
			t.Errorf("%q: exit %d, stdout %q stderr %q", args, code, out, errb)
		}
	}
	env, out, _ = cliEnv(t, lu, plain, &ro)
	if code := Run([]string{"--devices=/dev/sdq", none}, env); code != ExitError || !contains(out.String(), "[unreadable]") {
		t.Errorf("missing device: exit %d %s", code, out)
	}
}

func TestTransportIDAndDesignators(t *testing.T) {
	iscsi := append([]byte{0x45, 0, 0, 28}, []byte("iqn.x:n1,i,0x00023d000001\x00\x00\x00")...)
	fc := []byte{0x00, 0, 0, 0, 0, 0, 0, 0, 0x21, 0, 0, 0x24, 0xff, 0x5a, 0x6b, 0x7c, 0, 0, 0, 0, 0, 0, 0, 0}
	sas := []byte{0x06, 0, 0, 0, 0x50, 0x06, 0x05, 0xb0, 0, 0, 0, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	for _, tc := range []struct {
		b    []byte
		want string
	}{{iscsi, "iqn.x:n1,i,0x00023d000001"}, {fc, "fc.21000024ff5a6b7c"}, {sas, "sas.500605b000000001"}, {[]byte{1, 2}, "0102"}} {
		if got := TransportID(tc.b); got != tc.want {
			t.Errorf("TransportID(% x) = %q, want %q", tc.b, got, tc.want)
		}
	}
	all, id := designators([]scsi.Designator{
		{CodeSet: 2, Association: 0, Type: 1, Value: []byte("LIO-ORG RAMDISK-MCP:fsg-lun1")},
		{CodeSet: 1, Association: 1, Type: 4, Value: []byte{0, 0, 0, 1}}, // target port: not the LU
		{CodeSet: 1, Association: 0, Type: 3, Value: []byte{0x60, 0x01, 0x40, 0x5f}},
	})
	if id != "naa.6001405f" || !reflect.DeepEqual(all, []string{"t10.LIO-ORG_RAMDISK-MCP:fsg-lun1", "naa.6001405f"}) {
		t.Errorf("designators %q identity %q", all, id)
	}
}

// Exit codes: 0 ready, 2 not ready (the storage failed a rule), 1 error.
func TestExitCodes(t *testing.T) {
	none := "--corosync-cmap-path=" + filepath.Join(t.TempDir(), "none")
	nopr := sim.NewLU(sim.WithSerial("plain"))
	nopr.Inject(nx(1, 3), sim.Fault{Kind: sim.FaultPRUnsupported, Count: -1, Opcodes: []byte{0x5E, 0x5F}})
	for _, tc := range []struct {
		name  string
		plain *sim.LU
		args  []string
		want  int
	}{
		{"ready", sim.NewLU(sim.WithSerial("plain")), []string{"--devices=/dev/sdc"}, ExitReady},
		{"no PR", nopr, []string{"--devices=/dev/sdc"}, ExitNotReady},
		{"unreadable and not ready", nopr, []string{"--devices=/dev/sdc,/dev/sdq"}, ExitError},
		{"usage", nopr, []string{"--devices=/dev/sdc", "--bogus"}, ExitError},
	} {
		var ro []bool
		env, out, errb := cliEnv(t, sim.NewLU(), tc.plain, &ro)
		if code := Run(append(tc.args, none), env); code != tc.want {
			t.Errorf("%s: exit %d, want %d\n%s%s", tc.name, code, tc.want, out, errb)
		}
	}
}

// --peer-device gives a single-path LU its second nexus; --force is needed
// (and enough) on a LU another node has registered on.
func TestRunPeerAndForce(t *testing.T) {
	lu, plain := sim.NewLU(), sim.NewLU(sim.WithSerial("plain"))
	none := "--corosync-cmap-path=" + filepath.Join(t.TempDir(), "none")
	var ro []bool
	env, out, errb := cliEnv(t, lu, plain, &ro)
	if code := Run([]string{"--devices=/dev/sdc", "--peer-device=/dev/sdd", "--write-test", "--json", none}, env); code != ExitReady {
		t.Fatalf("exit %d\n%s%s", code, out, errb)
	}
	var r Report
	if err := json.Unmarshal(out.Bytes(), &r); err != nil || len(r.WriteTests) != 1 || !reflect.DeepEqual(r.WriteTests[0].Nexuses, []string{"/dev/sdc", "/dev/sdd"}) ||
		len(r.WriteTests[0].Steps) != 10 {
		t.Fatalf("%v %+v", err, r.WriteTests)
	}
	pristine(t, plain)
	unfence(t, plain, 2, 1, key2, true)
	env, out, _ = cliEnv(t, lu, plain, &ro)
	if code := Run([]string{"--devices=/dev/sdc", "--peer-device=/dev/sdd", "--write-test", none}, env); code != ExitNotReady ||
		!contains(out.String(), "PROBLEM [write-test] refused: the LU has 1 registration(s)") {
		t.Fatalf("without --force: exit %d\n%s", code, out)
	}
	env, out, _ = cliEnv(t, lu, plain, &ro)
	if code := Run([]string{"--devices=/dev/sdc", "--peer-device=/dev/sdd", "--write-test", "--force", none}, env); code != ExitReady ||
		!contains(out.String(), "WRITE TEST /dev/sdc: PASS") {
		t.Fatalf("--force: exit %d\n%s", code, out)
	}
	if regs := plain.Registrations(); len(regs) != 1 || regs[0].Key != key2 {
		t.Fatalf("--force touched %+v", regs)
	}
}

// --cleanup after a killed write test; the next --write-test cleans first.
func TestRunCleanup(t *testing.T) {
	lu, plain := sim.NewLU(), sim.NewLU(sim.WithSerial("plain"))
	none := "--corosync-cmap-path=" + filepath.Join(t.TempDir(), "none")
	var ro []bool
	env, out, errb := cliEnv(t, lu, plain, &ro)
	tg := openTargets([]string{"/dev/mapper/mpatha"}, env, false, true)
	killed(t, tg[0], 5)
	if code := Run([]string{"--devices=/dev/mapper/mpatha", none}, env); code != ExitNotReady || !contains(out.String(), "[scratch-key]") {
		t.Fatalf("leftover: exit %d\n%s%s", code, out, errb)
	}
	ro = nil
	env, out, errb = cliEnv(t, lu, plain, &ro)
	if code := Run([]string{"--devices=/dev/mapper/mpatha", "--cleanup", none}, env); code != ExitReady ||
		!contains(out.String(), "CLEANUP /dev/mapper/mpatha: removed 2 scratch key(s)") || !reflect.DeepEqual(ro, []bool{false, false}) {
		t.Fatalf("--cleanup: exit %d ro %v\n%s%s", code, ro, out, errb)
	}
	pristine(t, lu)
	killed(t, tg[0], 2)
	env, out, errb = cliEnv(t, lu, plain, &ro)
	if code := Run([]string{"--devices=/dev/mapper/mpatha", "--write-test", none}, env); code != ExitReady ||
		!contains(out.String(), "removed 1 scratch key(s)") || !contains(out.String(), "WRITE TEST /dev/mapper/mpatha: PASS") {
		t.Fatalf("--write-test after a kill: exit %d\n%s%s", code, out, errb)
	}
	pristine(t, lu)
}

// Progress goes to stderr once a run has taken a second, never to stdout.
func TestProgress(t *testing.T) {
	lu, plain := sim.NewLU(), sim.NewLU(sim.WithSerial("plain"))
	none := "--corosync-cmap-path=" + filepath.Join(t.TempDir(), "none")
	var ro []bool
	env, out, errb := cliEnv(t, lu, plain, &ro)
	if Run([]string{"--devices=/dev/mapper/mpatha", none}, env); contains(errb.String(), "progress") || contains(out.String(), "progress") {
		t.Fatalf("a quick run printed progress: %s%s", out, errb)
	}
	clock := time.Unix(0, 0)
	env, out, errb = cliEnv(t, lu, plain, &ro)
	env.Now = func() time.Time { clock = clock.Add(600 * time.Millisecond); return clock }
	Run([]string{"--devices=/dev/mapper/mpatha", "--write-test", "--json", none}, env)
	for _, want := range []string{"check-storage: progress: /dev/mapper/mpatha: reading path /dev/sdb (2/2)",
		"progress: /dev/mapper/mpatha: write test: PREEMPT AND ABORT"} {
		if !contains(errb.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, errb)
		}
	}
	if contains(out.String(), "progress") {
		t.Error("progress on stdout")
	}
	// The exact bytes: the clock's first reading is the start, each later
	// one 0.6 s on, so the second message is the first one printed.
	want := "" +
		"check-storage: no cluster: $NONE nodelist failed (exit -1) fork/exec $NONE: no such file or directory\n" +
		"check-storage: progress: /dev/mapper/mpatha: reading path /dev/sda (1/2)\n" +
		"check-storage: progress: /dev/mapper/mpatha: reading path /dev/sdb (2/2)\n" +
		"check-storage: progress: /dev/mapper/mpatha: write test: registered 0x5343524154434801 through /dev/sda, read back, generation advanced to 1\n" +
		"check-storage: progress: /dev/mapper/mpatha: write test: reserved WE-RO (type 5) with 0x5343524154434801 through /dev/sda, read back\n" +
		"check-storage: progress: /dev/mapper/mpatha: write test: WRITE through /dev/sda (registered, holder) accepted (LBA 0, the data read from it)\n" +
		"check-storage: progress: /dev/mapper/mpatha: write test: WRITE through unregistered /dev/sdb refused with RESERVATION CONFLICT\n" +
		"check-storage: progress: /dev/mapper/mpatha: write test: registered 0x5343524154434802 through /dev/sdb, read back, generation advanced to 2\n" +
		"check-storage: progress: /dev/mapper/mpatha: write test: WRITE through registered /dev/sdb accepted (same data written back)\n" +
		"check-storage: progress: /dev/mapper/mpatha: write test: PREEMPT AND ABORT through /dev/sdb removed 0x5343524154434801 (reservation now held by 0x5343524154434802), generation advanced to 3\n" +
		"check-storage: progress: /dev/mapper/mpatha: write test: WRITE through preempted /dev/sda refused with RESERVATION CONFLICT\n" +
		"check-storage: progress: /dev/mapper/mpatha: write test: released the reservation through /dev/sdb, read back\n" +
		"check-storage: progress: /dev/mapper/mpatha: write test: unregistered 0x5343524154434802 through /dev/sdb, read back (generation 4)\n"
	if got := strings.ReplaceAll(errb.String(), strings.TrimPrefix(none, "--corosync-cmap-path="), "$NONE"); got != want {
		t.Errorf("stderr:\n got %q\nwant %q", got, want)
	}
}

// A caller's Env.Log gets every progress message, from the first one, at
// INFO; none reaches stderr.
func TestProgressLogOption(t *testing.T) {
	lu, plain := sim.NewLU(), sim.NewLU(sim.WithSerial("plain"))
	var ro []bool
	env, _, errb := cliEnv(t, lu, plain, &ro)
	var got []string
	env.Log = logging.Func(func(lv slog.Level, msg string) { got = append(got, lv.String()+" "+msg) })
	Run([]string{"--devices=/dev/mapper/mpatha", "--corosync-cmap-path=" + filepath.Join(t.TempDir(), "none")}, env)
	want := []string{"INFO /dev/mapper/mpatha: reading path /dev/sda (1/2)", "INFO /dev/mapper/mpatha: reading path /dev/sdb (2/2)"}
	if !reflect.DeepEqual(got, want) || contains(errb.String(), "progress") {
		t.Fatalf("records %q, want %q; stderr %q", got, want, errb.String())
	}
}
