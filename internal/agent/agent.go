// Package agent is the storage side of the fence_scsi-compatible agent: it
// implements fenceproto.Backend with the fence, keys and state packages on
// top of the reservation layer (internal/pr: SG_IO for SCSI devices, NVMe
// passthrough for NVMe namespaces, chosen per device by prdev), and gives
// every failure fence_scsi's presentation.
package agent

import (
	"context"
	"io/fs"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/fence-scsi-go/fence_scsi_go/internal/fence"
	"github.com/fence-scsi-go/fence_scsi_go/internal/fenceproto"
	"github.com/fence-scsi-go/fence_scsi_go/internal/keys"
	"github.com/fence-scsi-go/fence_scsi_go/internal/keys/nodekey"
	"github.com/fence-scsi-go/fence_scsi_go/internal/logging"
	"github.com/fence-scsi-go/fence_scsi_go/internal/pr"
	"github.com/fence-scsi-go/fence_scsi_go/internal/pr/prdev"
	"github.com/fence-scsi-go/fence_scsi_go/internal/state"
)

// Backend implements fenceproto.Backend with the fence, keys and state
// packages on top of the reservation layer.
type Backend struct {
	store state.Store
	sysfs string
	stat  func(string) (fs.FileInfo, error) // nil: os.Stat
	open  func(path string, readOnly bool, log *slog.Logger) (pr.Device, error)
	pool  *devPool // nil: every Open opens the device node
	// memo hands READ KEYS answers from one step of the run to the next
	// (fence.KeyMemo); nil: every step reads.
	memo *fence.KeyMemo
	// offSent: this process ran off; its later status reads are not
	// reads before off.
	offSent bool

	statMu sync.Mutex
	stats  map[string]fs.FileInfo // device nodes already found to be device nodes
}

// New returns the Backend of one agent process: the default state files,
// /sys, and devices opened with the transport they are (prdev.Open: SCSI,
// or NVMe for NVMe namespaces and dm nodes on them) and kept open between
// the steps of the run (devPool), and the keys a step has just read handed
// to the next (fence.KeyMemo).
func New() *Backend {
	return &Backend{
		store: state.Default,
		sysfs: "/sys",
		open: func(path string, readOnly bool, log *slog.Logger) (pr.Device, error) {
			// SCSI, or NVMe for NVMe namespaces and dm nodes on them.
			return prdev.Open(path, prdev.Options{ReadOnly: readOnly, Log: logging.DebugFunc(log)})
		},
		pool: &devPool{idle: map[poolKey][]pr.Device{}},
		memo: &fence.KeyMemo{},
	}
}

func (b *Backend) fenceOptions(o *fenceproto.Options) fence.Options {
	return fence.Options{
		Open: func(path string, readOnly bool) (pr.Device, error) {
			if b.pool == nil {
				return b.open(path, readOnly, o.Log)
			}
			return b.pool.take(poolKey{path, readOnly}, func() (pr.Device, error) {
				d, err := b.open(path, readOnly, o.Log)
				if err != nil {
					return nil, err
				}
				return &identityOnce{Device: d}, nil
			})
		},
		ReadOnly:            o.Readonly,
		APTPL:               o.Aptpl,
		MpathRegisterMethod: o.MpathRegisterMethod,
		Store:               b.store,
		Log:                 o.Log,
		Stat:                b.statOnce,
		RaceYield:           fence.DefaultRaceYield,
		Memo:                b.memo,
	}
}

// statOnce stats a device path once per process: fence_scsi checks its
// devices once per run, and the steps of the run (status, on or off, status
// again) would otherwise stat every device three times. Only a device node
// is remembered; the step after it uses the descriptor the pool kept open,
// which names that device whatever its path names by then.
func (b *Backend) statOnce(path string) (fs.FileInfo, error) {
	b.statMu.Lock()
	fi, ok := b.stats[path]
	b.statMu.Unlock()
	if ok {
		return fi, nil
	}
	stat := b.stat
	if stat == nil {
		stat = os.Stat
	}
	fi, err := stat(path)
	if err == nil && fi.Mode()&fs.ModeType == fs.ModeDevice {
		b.statMu.Lock()
		if b.stats == nil {
			b.stats = map[string]fs.FileInfo{}
		}
		b.stats[path] = fi
		b.statMu.Unlock()
	}
	return fi, err
}

// commandLimit applies power_timeout to every external command, as
// fence-agents' run_command does (0, e.g. under Pacemaker: no limit).
func commandLimit(ctx context.Context, o *fenceproto.Options) context.Context {
	return nodekey.WithCommandTimeout(ctx, time.Duration(o.PowerTimeout)*time.Second)
}

func (b *Backend) DeriveKey(ctx context.Context, o *fenceproto.Options, node string) (string, error) {
	ctx = commandLimit(ctx, o)
	k, err := nodekey.Deriver{CmapctlPath: o.CorosyncCmapPath, Log: o.Log}.Derive(ctx, node, o.KeyValue)
	if err != nil {
		return "", compatError(err)
	}
	return keys.Format(k), nil
}

func (b *Backend) Devices(ctx context.Context, o *fenceproto.Options) ([]string, error) {
	if devs := fence.ParseDevices(o.Devices); len(devs) > 0 {
		return devs, nil
	}
	devs, err := fence.DiscoverDevices(commandLimit(ctx, o), o.VgsPath, o.Log)
	return devs, compatError(err)
}

func (b *Backend) Status(ctx context.Context, o *fenceproto.Options, devices []string, key string, all bool) (bool, error) {
	k, err := parseKey(key)
	if err != nil {
		return false, err
	}
	fo := b.fenceOptions(o)
	// The status read before off: off orders its devices by identity, and
	// the pool keeps them open with the identity read here (read-write
	// only: off opens them so, a read-only status opens others).
	fo.PrefetchIdentity = b.pool != nil && !o.Readonly && (o.Action == "off" || o.Action == "reboot") && !b.offSent
	// And its reservation, which off's priority check reads on the first
	// logical unit, with the keys (READ FULL STATUS).
	fo.PrefetchReservation = fo.PrefetchIdentity
	if !all {
		on, err := fence.Status(ctx, fo, devices, k)
		return on, compatError(err)
	}
	// "on" asks whether the key is on every device (fence_scsi's get_status
	// for the on action): each device is a status of its own.
	for _, d := range devices {
		on, err := fence.Status(ctx, fo, []string{d}, k)
		if err != nil || !on {
			return false, compatError(err)
		}
	}
	return true, nil
}

func (b *Backend) On(ctx context.Context, o *fenceproto.Options, devices []string, key string) error {
	k, err := parseKey(key)
	if err != nil {
		return err
	}
	return compatError(fence.On(ctx, b.fenceOptions(o), devices, k))
}

func (b *Backend) Off(ctx context.Context, o *fenceproto.Options, devices []string, victimKey string) error {
	k, err := parseKey(victimKey)
	if err != nil {
		return err
	}
	// fenceproto has already seen the key on some device; if it vanished
	// in between, fence.Off reports AlreadyOff, which is success too.
	b.offSent = true
	_, err = fence.Off(ctx, b.fenceOptions(o), devices, k)
	return compatError(err)
}
