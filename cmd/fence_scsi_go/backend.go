package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/fence-scsi-go/fence_scsi_go/internal/fence"
	"github.com/fence-scsi-go/fence_scsi_go/internal/fenceproto"
	"github.com/fence-scsi-go/fence_scsi_go/internal/keys"
	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi"
	"github.com/fence-scsi-go/fence_scsi_go/internal/state"
)

// backend implements fenceproto.Backend with the fence, keys and state
// packages on top of the SG_IO layer.
type backend struct {
	store state.Store
	sysfs string
	stat  func(string) (fs.FileInfo, error) // nil: os.Stat
	open  func(path string, readOnly bool, logf func(string, ...any)) (scsi.Device, error)
	pool  *devPool // nil: every Open opens the device node
}

// devPool keeps the devices an action closed open for the next action of the
// same process: fence_scsi's flow reads the status, fences or unfences, then
// reads the status again, and each step would otherwise open every device
// anew. A device is lent to one user at a time; the process's exit closes
// the idle ones.
type devPool struct {
	mu   sync.Mutex
	idle map[poolKey][]scsi.Device
}

type poolKey struct {
	path     string
	readOnly bool
}

// pooled is a lent device: Close gives it back to the pool, once (a second
// Close must not lend the device to two users).
type pooled struct {
	scsi.Device
	pool     *devPool
	key      poolKey
	returned bool
}

func (d *pooled) Close() error {
	d.pool.mu.Lock()
	defer d.pool.mu.Unlock()
	if !d.returned {
		d.returned = true
		d.pool.idle[d.key] = append(d.pool.idle[d.key], d.Device)
	}
	return nil
}

// take lends an idle device, or opens one with open.
func (p *devPool) take(k poolKey, open func() (scsi.Device, error)) (scsi.Device, error) {
	p.mu.Lock()
	if l := p.idle[k]; len(l) > 0 {
		d := l[len(l)-1]
		p.idle[k] = l[:len(l)-1]
		p.mu.Unlock()
		return &pooled{Device: d, pool: p, key: k}, nil
	}
	p.mu.Unlock()
	d, err := open()
	if err != nil {
		return nil, err
	}
	return &pooled{Device: d, pool: p, key: k}, nil
}

func newBackend() *backend {
	return &backend{
		store: state.Default,
		sysfs: "/sys",
		open: func(path string, readOnly bool, logf func(string, ...any)) (scsi.Device, error) {
			return scsi.Open(path, scsi.OpenOptions{ReadOnly: readOnly, Device: scsi.DeviceOptions{Logf: logf}})
		},
		pool: &devPool{idle: map[poolKey][]scsi.Device{}},
	}
}

// logf adapts the front end's logger to the "LEVEL", format, args form the
// lower layers use.
func logf(o *fenceproto.Options) func(level, format string, args ...any) {
	return func(level, format string, args ...any) {
		if o.Log == nil {
			return
		}
		msg := fmt.Sprintf(format, args...)
		switch level {
		case "ERROR":
			o.Log.Errorf("%s", msg)
		case "WARNING":
			o.Log.Warningf("%s", msg)
		case "INFO":
			o.Log.Infof("%s", msg)
		default:
			o.Log.Debugf("%s", msg)
		}
	}
}

func (b *backend) fenceOptions(o *fenceproto.Options) fence.Options {
	lf := logf(o)
	return fence.Options{
		Open: func(path string, readOnly bool) (scsi.Device, error) {
			open := func() (scsi.Device, error) {
				return b.open(path, readOnly, func(format string, args ...any) { lf("DEBUG", format, args...) })
			}
			if b.pool == nil {
				return open()
			}
			return b.pool.take(poolKey{path, readOnly}, open)
		},
		ReadOnly:            o.Readonly,
		APTPL:               o.Aptpl,
		MpathRegisterMethod: o.MpathRegisterMethod,
		Store:               b.store,
		Logf:                lf,
		Stat:                b.stat,
		RaceYield:           fence.DefaultRaceYield,
	}
}

// compatError gives an error fence_scsi's presentation: "Failed to verify"
// is a plain ERROR line, every other failure is a fatal usage error
// followed by the -h hint, as fence_scsi's fail_usage prints it.
func compatError(err error) error {
	if err == nil {
		return nil
	}
	var fe *fenceproto.Error
	if errors.As(err, &fe) {
		return err
	}
	if errors.Is(err, keys.ErrCommandTimeout) {
		return &fenceproto.Error{Msg: fenceproto.TimedOutMsg, Err: err}
	}
	var ve *fence.VerifyError
	var lost *fence.LostError
	var nx *fence.NexusError
	var ur *fence.UnreservedError
	// Outcomes on the storage, not usage mistakes: no "-h" hint.
	if errors.As(err, &ve) || errors.As(err, &lost) || errors.As(err, &nx) || errors.As(err, &ur) {
		return &fenceproto.Error{Msg: err.Error(), Err: err}
	}
	return &fenceproto.Error{Msg: err.Error(), Usage: true, Err: err}
}

// commandLimit applies power_timeout to every external command, as
// fence-agents' run_command does (0, e.g. under Pacemaker: no limit).
func commandLimit(ctx context.Context, o *fenceproto.Options) context.Context {
	return keys.WithCommandTimeout(ctx, time.Duration(o.PowerTimeout)*time.Second)
}

func (b *backend) DeriveKey(ctx context.Context, o *fenceproto.Options, node string) (string, error) {
	ctx = commandLimit(ctx, o)
	k, err := keys.Deriver{CmapctlPath: o.CorosyncCmapPath, Logf: logf(o)}.Derive(ctx, node, o.KeyValue)
	if err != nil {
		return "", compatError(err)
	}
	return keys.Format(k), nil
}

func (b *backend) Devices(ctx context.Context, o *fenceproto.Options) ([]string, error) {
	if devs := fence.ParseDevices(o.Devices); len(devs) > 0 {
		return devs, nil
	}
	devs, err := fence.DiscoverDevices(commandLimit(ctx, o), o.VgsPath, logf(o))
	return devs, compatError(err)
}

func parseKey(s string) (scsi.Key, error) {
	k, err := keys.Parse(s)
	if err != nil {
		return 0, &fenceproto.Error{Msg: err.Error(), Usage: true, Err: err}
	}
	return k, nil
}

func (b *backend) Status(ctx context.Context, o *fenceproto.Options, devices []string, key string, all bool) (bool, error) {
	k, err := parseKey(key)
	if err != nil {
		return false, err
	}
	fo := b.fenceOptions(o)
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

func (b *backend) On(ctx context.Context, o *fenceproto.Options, devices []string, key string) error {
	k, err := parseKey(key)
	if err != nil {
		return err
	}
	return compatError(fence.On(ctx, b.fenceOptions(o), devices, k))
}

func (b *backend) Off(ctx context.Context, o *fenceproto.Options, devices []string, victimKey string) error {
	k, err := parseKey(victimKey)
	if err != nil {
		return err
	}
	// fenceproto has already seen the key on some device; if it vanished
	// in between, fence.Off reports AlreadyOff, which is success too.
	_, err = fence.Off(ctx, b.fenceOptions(o), devices, k)
	return compatError(err)
}

// Monitor is fence_scsi HEAD's monitor (fence_scsi.py's monitor action) without the sg_persist
// and sg_turs checks, since this agent runs no external SCSI tools: vgs must
// run when no devices are configured, the key and dev files must be
// readable, and every device this node unfenced must be in the SCSI state
// "live" or "running".
func (b *backend) Monitor(ctx context.Context, o *fenceproto.Options) error {
	if len(fence.ParseDevices(o.Devices)) == 0 {
		res, err := keys.RunCommand(commandLimit(ctx, o), logf(o), o.VgsPath, "--version")
		if err != nil {
			return compatError(err)
		}
		if res.ExitCode != 0 {
			return &fenceproto.Error{Msg: "Unable to run " + fenceproto.Clean(o.VgsPath)}
		}
	}
	if _, err := b.store.ReadKey(); err != nil {
		return compatError(err)
	}
	devs, err := b.store.ReadDevices()
	if err != nil {
		return compatError(err)
	}
	for _, dev := range devs {
		if st, ok := b.deviceState(dev); ok && st != "live" && st != "running" {
			return &fenceproto.Error{Msg: "Failed: Unable to access " + dev}
		}
	}
	return nil
}

// deviceState reads /sys/block/<dev>/device/state for a device path (after
// resolving symlinks); ok is false when there is no such file (dm nodes),
// which fence_scsi ignores.
func (b *backend) deviceState(dev string) (state string, ok bool) {
	real, err := filepath.EvalSymlinks(dev)
	if err != nil {
		real = dev
	}
	data, err := os.ReadFile(filepath.Join(b.sysfs, "block", filepath.Base(real), "device", "state"))
	if err != nil {
		return "", false
	}
	return strings.TrimSpace(string(data)), true
}
