package fence

import (
	"context"
	"io/fs"
	"log/slog"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/fence-scsi-go/fence_scsi_go/internal/logging"
	"github.com/fence-scsi-go/fence_scsi_go/internal/pr"
	"github.com/fence-scsi-go/fence_scsi_go/internal/pr/scsipr"
	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi"
	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi/sim"
	"github.com/fence-scsi-go/fence_scsi_go/internal/state"
	"github.com/fence-scsi-go/fence_scsi_go/internal/testutil"
)

// san is a set of simulated LUs seen by several nodes. Each node reaches a
// device path through its own I_T nexus, named "<node>:<path>"; a path can
// be an alias of another (a dm node forwarding to one path).
type san struct {
	lus     map[string]*sim.LU // device path -> LU
	alias   map[string]string  // path -> path whose nexus it uses
	regular map[string]bool    // paths that exist but are not block devices

	mu    sync.Mutex
	opens []string // "node path ro|rw", in call order
}

func newSAN(paths ...string) *san {
	s := &san{lus: map[string]*sim.LU{}, alias: map[string]string{}, regular: map[string]bool{}}
	for _, p := range paths {
		s.lus[p] = sim.NewLU(sim.WithSerial("sim" + p))
	}
	return s
}

func (s *san) stat(path string) (fs.FileInfo, error) {
	if s.regular[path] {
		return testutil.Info(path, 0o644), nil
	}
	if _, ok := s.lus[path]; ok {
		return testutil.Info(path, fs.ModeDevice|0o660), nil
	}
	return nil, &fs.PathError{Op: "stat", Path: path, Err: fs.ErrNotExist}
}

// nexusName is the I_T nexus node uses for path.
func (s *san) nexusName(node, path string) string {
	if a, ok := s.alias[path]; ok {
		path = a
	}
	return node + ":" + path
}

// options returns the Options of an agent running on node, with its own
// state directory.
func (s *san) options(t *testing.T, node string) Options {
	return s.optionsIn(t, node, t.TempDir())
}

// optionsIn is options with the state files in dir.
func (s *san) optionsIn(t *testing.T, node, dir string) Options {
	return Options{
		Open: func(path string, readOnly bool) (pr.Device, error) {
			lu, ok := s.lus[path]
			if !ok {
				return nil, &scsi.Error{Op: "open", Device: path, Class: scsi.ErrTransport, Errno: fs.ErrNotExist}
			}
			mode := "rw"
			if readOnly {
				mode = "ro"
			}
			s.mu.Lock()
			s.opens = append(s.opens, node+" "+path+" "+mode)
			s.mu.Unlock()
			return scsipr.New(scsi.NewDevice(path, lu.Connect(s.nexusName(node, path)), scsi.DeviceOptions{})), nil
		},
		Stat:      s.stat,
		Realpath:  func(p string) (string, error) { return p, nil },
		SysfsRoot: filepath.Join(dir, "sys"),
		Store:     state.Store{KeyFile: filepath.Join(dir, "cluster.key"), DevFile: filepath.Join(dir, "cluster.dev")},
		Log: logging.Func(func(level slog.Level, msg string) {
			t.Logf("%s %s: %s", node, level, strings.TrimSuffix(msg, "\n"))
		}),
	}
}

// logRecorder keeps the messages logged through its logger that start
// with prefix (all of them when prefix is empty).
type logRecorder struct {
	prefix string
	mu     sync.Mutex
	msgs   []string
}

func recordLog(prefix string) *logRecorder { return &logRecorder{prefix: prefix} }

func (l *logRecorder) logger() *slog.Logger {
	return logging.Func(func(_ slog.Level, msg string) {
		if strings.HasPrefix(msg, l.prefix) {
			l.mu.Lock()
			l.msgs = append(l.msgs, msg)
			l.mu.Unlock()
		}
	})
}

func (l *logRecorder) messages() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.msgs...)
}

// regs renders the registrations of path's LU as sorted "nexus=key" items.
func (s *san) regs(path string) string {
	var out []string
	for _, r := range s.lus[path].Registrations() {
		out = append(out, r.Nexus+"="+strings.TrimPrefix(r.Key.String(), "0x"))
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

// register registers key through nexus directly, as another host would.
func register(t *testing.T, lu *sim.LU, nexus string, key scsi.Key) scsi.Device {
	t.Helper()
	d := scsi.NewDevice(nexus, lu.Connect(nexus), scsi.DeviceOptions{})
	if err := d.RegisterAndIgnore(context.Background(), key, scsi.RegisterOptions{}); err != nil {
		t.Fatalf("register %s: %v", nexus, err)
	}
	return d
}

const (
	key1 scsi.Key = 0x6c9d0000
	key2 scsi.Key = 0x6c9d0001
	key3 scsi.Key = 0x6c9d0002
)

var nodeKeys = map[string]scsi.Key{"n1": key1, "n2": key2, "n3": key3}

// unfenceAll runs On on n1, n2, n3 and returns their options.
func unfenceAll(t *testing.T, s *san, devs []string) map[string]Options {
	t.Helper()
	opts := map[string]Options{}
	for _, n := range []string{"n1", "n2", "n3"} {
		opts[n] = s.options(t, n)
		if err := On(context.Background(), opts[n], devs, nodeKeys[n]); err != nil {
			t.Fatalf("On(%s): %v", n, err)
		}
	}
	return opts
}
