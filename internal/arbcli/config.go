package arbcli

import (
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/fence-scsi-go/fence_scsi_go/internal/arbitrate"
	"github.com/fence-scsi-go/fence_scsi_go/internal/fence"
	"github.com/fence-scsi-go/fence_scsi_go/internal/keys"
	"github.com/fence-scsi-go/fence_scsi_go/internal/pr"
	"github.com/fence-scsi-go/fence_scsi_go/internal/pr/prdev"
	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi"
)

// env is what the command touches outside its arguments; tests replace it.
type env struct {
	stat      func(path string) (fs.FileInfo, error)
	multipath func(dev string) ([]string, error) // the paths of a dm-multipath node, nil for any other device
	open      func(path string, o prdev.Options) (pr.Device, error)
}

var system = env{
	stat:      os.Stat,
	multipath: func(dev string) ([]string, error) { return fence.MultipathPaths("", dev) },
	open:      prdev.Open, // SCSI, or NVMe for NVMe namespaces and dm nodes on them

}

// config turns the flags into an arbitrate.Config with the devices opened;
// it refuses an unsafe timing before any device is touched.
func config(c *cli.Context, e env, logf func(string, ...any)) (arbitrate.Config, func(), error) {
	none := func() {}
	cfg, retries, err := settings(c)
	if err != nil {
		return arbitrate.Config{}, none, err
	}
	paths := fence.ParseDevices(c.String("devices"))
	if len(paths) == 0 {
		return arbitrate.Config{}, none, fmt.Errorf("--devices is required (whole LUNs, comma or space separated)")
	}
	if err := checkBlockDevices(paths, e.stat); err != nil {
		return arbitrate.Config{}, none, err
	}
	nexuses, err := expandMultipath(paths, e.multipath, func(dev string, mp []string) {
		logf("%s: %s is a multipath device: working through its paths %s", c.Command.Name, dev, strings.Join(mp, ","))
	})
	if err != nil {
		return arbitrate.Config{}, none, err
	}
	closeAll := func() {
		for _, d := range cfg.Devices {
			d.Close()
		}
	}
	for _, p := range nexuses {
		d, err := e.open(p, deviceOptions(cfg.CommandTimeout, retries))
		if err != nil {
			closeAll()
			return arbitrate.Config{}, none, err
		}
		cfg.Devices = append(cfg.Devices, d)
	}
	// Opening sends no command; an unsafe timing is refused before any is sent.
	if err := cfg.Validate(); err != nil {
		closeAll()
		return arbitrate.Config{}, none, err
	}
	return cfg, closeAll, nil
}

// settings reads the key, type and timing flags (no device yet) and
// returns the configuration and the SG_IO layer's retry count.
func settings(c *cli.Context) (arbitrate.Config, int, error) {
	key, err := flagKey(c)
	if err != nil {
		return arbitrate.Config{}, 0, err
	}
	typ, err := strconv.ParseUint(c.String("type"), 10, 8)
	if err != nil || !scsi.ReservationType(typ).Valid() {
		return arbitrate.Config{}, 0, fmt.Errorf("--type=%q is not a reservation type (1, 3, 5, 6, 7 or 8)", c.String("type"))
	}
	cfg := arbitrate.Defaults(nil, key)
	cfg.Type = scsi.ReservationType(typ).PR() // the SPC-4 code names the type on NVMe too
	cfg.Period = c.Duration("period")
	cfg.Misses = c.Int("misses")
	cfg.CommandTimeout = c.Duration("command-timeout")
	cfg.PreemptFallback = c.Bool("preempt-fallback")
	cfg.Verbose = c.Bool("verbose")
	retries := c.Int("retries")
	if retries < 0 || retries > arbitrate.MaxRetries {
		return arbitrate.Config{}, 0, fmt.Errorf("--retries=%d must be between 0 and %d", retries, arbitrate.MaxRetries)
	}
	cfg.SyncMonitor = c.Bool("sync-monitor")
	defaultWait := arbitrate.DefaultWait
	if cfg.SyncMonitor {
		defaultWait = arbitrate.DefaultSyncWait
	}
	if c.IsSet("wait") {
		cfg.Wait = c.Duration("wait")
	} else if cfg.Wait, err = defaultWait(cfg.Period, cfg.Misses, cfg.CommandTimeout); err != nil ||
		cfg.Misses > arbitrate.MaxMisses {
		cfg.Wait = 0 // ValidateTiming names the setting out of range
	}
	// Refused before any device is looked at.
	if err := cfg.ValidateTiming(); err != nil {
		return arbitrate.Config{}, 0, err
	}
	return cfg, retries, nil
}

// flagKey is the key of --key, or of --node and --cluster-name.
func flagKey(c *cli.Context) (pr.Key, error) {
	switch {
	case c.String("key") != "" && c.String("node") != "":
		return 0, fmt.Errorf("give either --key or --node, not both")
	case c.String("key") != "":
		return keys.Parse(c.String("key"))
	case c.String("node") != "":
		return arbitrate.KeyFromNames(c.String("cluster-name"), c.String("node"))
	}
	return 0, fmt.Errorf("a key is required: --key=KEY, or --node=NAME --cluster-name=NAME")
}

// checkBlockDevices requires every path to exist and be a block device.
func checkBlockDevices(paths []string, stat func(string) (fs.FileInfo, error)) error {
	for _, p := range paths {
		fi, err := stat(p)
		if err != nil {
			return fmt.Errorf("device %q does not exist", p)
		}
		if fi.Mode()&fs.ModeDevice == 0 || fi.Mode()&fs.ModeCharDevice != 0 {
			return fmt.Errorf("device %q is not a block device", p)
		}
	}
	return nil
}

// expandMultipath replaces each device-mapper multipath node by its paths:
// one I_T nexus each, all registered, as fence_scsi's
// mpath_register_method=multi. expanded is told about each node expanded.
func expandMultipath(paths []string, multipath func(string) ([]string, error), expanded func(dev string, paths []string)) ([]string, error) {
	var nexuses []string
	for _, p := range paths {
		mp, err := multipath(p)
		if err != nil {
			return nil, err
		}
		if mp == nil {
			nexuses = append(nexuses, p)
			continue
		}
		expanded(p, mp)
		nexuses = append(nexuses, mp...)
	}
	return nexuses, nil
}

// deviceOptions are the device layer's settings (SG_IO or NVMe
// passthrough): its retry policy is the only one (the arbitrate package
// never re-sends), each command bounded by t in the kernel and, with all its
// retries, by t through the context.
func deviceOptions(t time.Duration, retries int) prdev.Options {
	o := prdev.Options{Timeout: t, MaxTransientRetries: retries}
	if retries == 0 {
		o.MaxTransientRetries = -1 // DeviceOptions: 0 means the default, negative none
	}
	return o
}
