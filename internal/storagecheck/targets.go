package storagecheck

import (
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/fence-scsi-go/fence_scsi_go/internal/logging"
)

// openTargets opens every device, or each path of a multipath device;
// withIO also opens each path for block I/O (--write-test).
func openTargets(devices []string, env Env, readOnly, withIO bool) []Target {
	var ts []Target
	for _, d := range devices {
		t := Target{Name: d}
		paths, err := env.Sysfs.Paths(d)
		if err != nil {
			t.OpenErrors = append(t.OpenErrors, fmt.Sprintf("%s: %v", d, err))
		}
		t.Multipath = len(paths) > 0
		if len(paths) == 0 && err == nil {
			paths = []string{d}
		}
		for _, p := range paths {
			if path, err := openPath(p, env, readOnly, withIO); err != nil {
				t.OpenErrors = append(t.OpenErrors, err.Error())
			} else {
				t.Paths = append(t.Paths, path)
			}
		}
		ts = append(ts, t)
	}
	return ts
}

func openPath(p string, env Env, readOnly, withIO bool) (Path, error) {
	dev, err := env.Open(p, readOnly)
	if err != nil {
		return Path{}, fmt.Errorf("%s: %v", p, err)
	}
	path := Path{Name: p, Dev: dev, Nexus: env.Sysfs.Nexus(p)}
	if withIO && env.OpenIO != nil {
		if path.IO, err = env.OpenIO(p); err != nil {
			dev.Close()
			return Path{}, fmt.Errorf("%s: %v", p, err)
		}
		path.BlockSize = env.Sysfs.BlockSize(p)
	}
	return path, nil
}

// addPeer opens --peer-device as the write test's second nexus.
func addPeer(t *Target, peer string, env Env) {
	p, err := openPath(peer, env, false, true)
	if err != nil {
		t.OpenErrors = append(t.OpenErrors, err.Error())
		return
	}
	t.Peer = &p
}

func closeTargets(ts []Target) {
	for _, t := range ts {
		all := t.Paths
		if t.Peer != nil {
			all = append(all[:len(all):len(all)], *t.Peer)
		}
		for _, p := range all {
			p.Dev.Close()
			if p.IO != nil {
				p.IO.Close()
			}
		}
	}
}

// progressLog writes what a run is doing on w, "check-storage: progress:
// MESSAGE" lines, once the run has taken more than a second by now (a quick
// run stays quiet).
func progressLog(w io.Writer, now func() time.Time) *slog.Logger {
	if now == nil {
		now = time.Now
	}
	start := now()
	return logging.Func(func(_ slog.Level, msg string) {
		if now().Sub(start) >= time.Second {
			io.WriteString(w, "check-storage: progress: "+msg+"\n")
		}
	})
}
