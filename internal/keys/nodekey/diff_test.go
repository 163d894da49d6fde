package nodekey

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/fence-scsi-go/fence_scsi_go/internal/keys"
	"github.com/fence-scsi-go/fence_scsi_go/internal/testutil"
)

// TestDeriveAgainstFenceSCSI derives keys with the installed Python
// fence_scsi ("status", with a stub corosync-cmapctl and a stub sg_persist
// that lists no key, so it only logs the key it looks for) and compares.
func TestDeriveAgainstFenceSCSI(t *testing.T) {
	agent, err := exec.LookPath("fence_scsi")
	if err != nil {
		t.Skip("fence_scsi is not installed")
	}
	blockDev := ""
	for _, d := range []string{"/dev/loop0", "/dev/vda", "/dev/sda", "/dev/zram0"} {
		if fi, err := os.Stat(d); err == nil && fi.Mode()&fs.ModeType == fs.ModeDevice {
			blockDev = d
			break
		}
	}
	if blockDev == "" {
		t.Skip("no block device for fence_scsi's is_block_device check")
	}
	noop := filepath.Join(t.TempDir(), "noop")
	if err := os.WriteFile(noop, []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	keyRE := regexp.MustCompile(`No registration for key (\S+) on device`)
	errRE := regexp.MustCompile(`ERROR: (Failed: [^\n]*)`)
	tests := []struct{ cluster, node, method string }{
		{"mycluster", "node1", "id"},
		{"mycluster", "node3", "id"},
		{"mycluster", "node2", "hash"},
		{"mycluster", "10.0.0.2", "id"},
		{"mycluster", "10.1.0.9", "id"},
		{"mycluster", "big", "id"},
		{"c216", "node2", "id"},
		{"c216", "node2", "hash"},
		{"mycluster", "node9", "id"},
		{"", "node1", "id"},
	}
	for _, tt := range tests {
		t.Run(tt.cluster+"/"+tt.node+"/"+tt.method, func(t *testing.T) {
			t.Parallel()
			cmap := testutil.Cmapctl(t, tt.cluster)
			cmd := exec.Command(agent, "-o", "status", "-v", "-n", tt.node, "--key-value="+tt.method,
				"--corosync-cmap-path="+cmap, "--sg_persist-path="+noop, "--sg_turs-path="+noop, "-d", blockDev)
			out, _ := cmd.CombinedOutput()
			k, err := Derive(context.Background(), cmap, tt.node, tt.method)
			if m := keyRE.FindSubmatch(out); m != nil {
				if err != nil || keys.Format(k) != string(m[1]) {
					t.Fatalf("Derive = %s, %v; fence_scsi derived %s", keys.Format(k), err, m[1])
				}
				return
			}
			m := errRE.FindSubmatch(out)
			if m == nil {
				t.Fatalf("no key or error in fence_scsi's output:\n%s", out)
			}
			if err == nil || err.Error() != string(m[1]) {
				t.Fatalf("Derive = %s, %v; fence_scsi: %s", keys.Format(k), err, m[1])
			}
			if !errors.Is(err, ErrNodeLookup) && !errors.Is(err, ErrClusterName) {
				t.Fatalf("untyped error %v", err)
			}
		})
	}
}
