package nodekey

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fence-scsi-go/fence_scsi_go/internal/keys"
	"github.com/fence-scsi-go/fence_scsi_go/internal/logging"
	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi"
	"github.com/fence-scsi-go/fence_scsi_go/internal/testutil"
)

func TestDerive(t *testing.T) {
	// Expected values checked with Python:
	// hashlib.md5(b"mycluster").hexdigest()[:4] == "6c9d",
	// hashlib.md5(b"node2").hexdigest()[:4] == "7888",
	// hashlib.md5(b"c216").hexdigest()[:4] == "0029",
	// hashlib.md5(b"nosuch").hexdigest()[:4] == "9346".
	tests := []struct {
		name, cluster, node, method string
		want                        string
		wantErr                     error
	}{
		{"first node", "mycluster", "node1", "id", "6c9d0000", nil},
		{"third node (nodeid 7)", "mycluster", "node3", "id", "6c9d0002", nil},
		{"hash of node2", "mycluster", "node2", "hash", "6c9d7888", nil},
		{"hash of unknown node needs no nodelist", "mycluster", "nosuch", "hash", "6c9d9346", nil},
		{"ring0 fallback", "mycluster", "10.0.0.2", "id", "6c9d0001", nil},
		{"ring1 fallback", "mycluster", "10.1.0.9", "id", "6c9d0003", nil},
		{"position above 9999", "mycluster", "big", "id", "6c9d12345", nil},
		{"leading zero stripped", "c216", "node2", "id", "290001", nil},
		{"unknown node", "mycluster", "node9", "id", "", ErrNodeLookup},
		{"name is not a regex", "mycluster", "node.", "id", "", ErrNodeLookup},
		{"partial name", "mycluster", "node", "id", "", ErrNodeLookup},
		{"no cluster name", "", "node1", "id", "", ErrClusterName},
		{"bad method", "mycluster", "node1", "md5", "", ErrKeyValue},
		{"bad method, corosync error first", "", "node1", "md5", "", ErrClusterName},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := testutil.Cmapctl(t, tt.cluster)
			got, err := Derive(context.Background(), path, tt.node, tt.method)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Derive = %v, %v; want error %v", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || keys.Format(got) != tt.want {
				t.Fatalf("Derive = %q, %v; want %q", keys.Format(got), err, tt.want)
			}
		})
	}
}

func TestDeriveMissingBinary(t *testing.T) {
	_, err := Derive(context.Background(), filepath.Join(t.TempDir(), "none"), "node1", "id")
	if !errors.Is(err, ErrClusterName) || err.Error() != "Failed: cannot get cluster name" {
		t.Fatalf("err = %v", err)
	}
}

func TestDeriveTimeout(t *testing.T) {
	path := filepath.Join(t.TempDir(), "slow")
	if err := os.WriteFile(path, []byte("#!/bin/sh\nexec sleep 10\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := Derive(ctx, path, "node1", "id")
	if !errors.Is(err, ErrCommandTimeout) || time.Since(start) > 5*time.Second {
		t.Fatalf("err = %v after %v", err, time.Since(start))
	}
}

func TestDeriverLogs(t *testing.T) {
	var lines []string
	d := Deriver{CmapctlPath: testutil.Cmapctl(t, "mycluster"), Log: logging.Func(func(level slog.Level, _ string) {
		lines = append(lines, level.String())
	})}
	k, err := d.Derive(context.Background(), "node1", "id")
	if err != nil || k != scsi.Key(0x6c9d0000) {
		t.Fatalf("Derive = %#x, %v", uint64(k), err)
	}
	if got := strings.Join(lines, ","); got != "INFO,DEBUG,INFO,DEBUG" {
		t.Fatalf("log levels = %s", got)
	}
}

func TestCheckMethod(t *testing.T) {
	for m, ok := range map[string]bool{"id": true, "hash": true, "": false, "ID": false} {
		if err := CheckMethod(m); (err == nil) != ok {
			t.Errorf("CheckMethod(%q) = %v", m, err)
		}
	}
}

func TestFromNames(t *testing.T) {
	// Same example as fence_scsi's hash mode: mycluster + node2 = 6c9d7888.
	k, err := FromNames("mycluster", "node2")
	if err != nil || keys.Format(k) != "6c9d7888" {
		t.Fatalf("FromNames = %v, %v; want 6c9d7888", keys.Format(k), err)
	}
	if _, err := FromNames("", "node2"); err == nil {
		t.Fatal("empty cluster name accepted")
	}
}
