// Command floor is the benchmark floor of `off`: the minimum PR commands fence_scsi's
// off sequence needs per LUN, sent through internal/scsi with nothing else (no option
// parsing beyond the devices and keys, no logging, no device discovery, no state files):
//
//	READ KEYS; REGISTER AND IGNORE EXISTING KEY (own key); PREEMPT AND ABORT (victim key,
//	WE-RO); READ KEYS and READ RESERVATION to verify.
//
//	floor -d /dev/sdX[,/dev/sdY...] [-d /dev/sdZ ...] -k OWNKEY -v VICTIMKEY   (keys in hex)
//
// With several devices (-d repeated or a comma-separated list), each LUN gets its own
// goroutine, which opens the device and sends its five commands, so that the LUNs are fenced
// as concurrently as the target allows. It prints the in-process time from the first open to
// the last reply ("inproc_us=N") and exits 0 when, on every LUN, the victim's key is gone and
// the own key is registered and holds the reservation; 1 otherwise (one line per failed LUN).
// The benchmark (tests/bench/pr_bench.sh) times the whole process from outside, as it does
// for the agents.
//
//	floor -r KEY -d DEV[,DEV...]
//
// is set-up, not a floor: it registers KEY (PR OUT REGISTER, reservation key 0) on every
// device concurrently and checks with READ KEYS that it is there; the benchmark uses it for
// the extra registrants of its long registration lists (one process per I_T nexus instead of
// one sg_persist per LUN). A UNIT ATTENTION (the first command of a new session gets one) is
// retried up to three times.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi"
)

// devFlags collects -d, repeated or comma-separated.
type devFlags []string

func (d *devFlags) String() string { return strings.Join(*d, ",") }

func (d *devFlags) Set(s string) error {
	for _, p := range strings.Split(s, ",") {
		if p == "" {
			return errors.New("empty device name")
		}
		*d = append(*d, p)
	}
	return nil
}

func parseKey(s string) (scsi.Key, error) {
	v, err := strconv.ParseUint(strings.TrimPrefix(strings.ToLower(s), "0x"), 16, 64)
	return scsi.Key(v), err
}

func die(f string, a ...any) {
	fmt.Fprintf(os.Stderr, "floor: "+f+"\n", a...)
	os.Exit(1)
}

// fence sends the five commands to one LUN and verifies the outcome.
func fence(ctx context.Context, path string, own, vic scsi.Key) error {
	d, err := scsi.Open(path, scsi.OpenOptions{})
	if err != nil {
		return err
	}
	defer d.Close()
	if _, err := d.ReadKeys(ctx); err != nil {
		return fmt.Errorf("read keys: %w", err)
	}
	if err := d.RegisterAndIgnore(ctx, own, scsi.RegisterOptions{}); err != nil {
		return fmt.Errorf("register: %w", err)
	}
	if err := d.PreemptAndAbort(ctx, own, vic, scsi.TypeWriteExclusiveRegistrantsOnly); err != nil {
		return fmt.Errorf("preempt and abort: %w", err)
	}
	kl, err := d.ReadKeys(ctx)
	if err != nil {
		return fmt.Errorf("read keys: %w", err)
	}
	r, err := d.ReadReservation(ctx)
	if err != nil {
		return fmt.Errorf("read reservation: %w", err)
	}
	if kl.Contains(vic) || !kl.Contains(own) || !r.Present || r.Key != own {
		return fmt.Errorf("verify: keys %v, reservation %+v", kl.Keys, *r)
	}
	return nil
}

// register registers k on one LUN (set-up of the extra registrants) and checks it.
func register(ctx context.Context, path string, k scsi.Key) error {
	d, err := scsi.Open(path, scsi.OpenOptions{})
	if err != nil {
		return err
	}
	defer d.Close()
	for try := 0; ; try++ {
		err = d.Register(ctx, 0, k, scsi.RegisterOptions{})
		if err == nil || !errors.Is(err, scsi.ErrUnitAttention) || try == 3 {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("register: %w", err)
	}
	kl, err := d.ReadKeys(ctx)
	if err != nil {
		return fmt.Errorf("read keys: %w", err)
	}
	if !kl.Contains(k) {
		return fmt.Errorf("verify: key %v not in %v", k, kl.Keys)
	}
	return nil
}

func main() {
	var devs devFlags
	flag.Var(&devs, "d", "device(s): repeat or comma-separate")
	own := flag.String("k", "", "own key (hex)")
	vic := flag.String("v", "", "victim key (hex)")
	reg := flag.String("r", "", "only register this key (hex) on the devices (set-up)")
	flag.Parse()
	var op func(context.Context, string) error
	if *reg != "" {
		rk, err := parseKey(*reg)
		if len(devs) == 0 || flag.NArg() != 0 || err != nil || rk == 0 || *own != "" || *vic != "" {
			die("usage: floor -r KEY -d DEV[,DEV...]")
		}
		op = func(ctx context.Context, p string) error { return register(ctx, p, rk) }
	} else {
		ok, err1 := parseKey(*own)
		vk, err2 := parseKey(*vic)
		if len(devs) == 0 || flag.NArg() != 0 || err1 != nil || err2 != nil || ok == 0 || vk == 0 {
			die("usage: floor -d DEV[,DEV...] [-d DEV...] -k OWNKEY -v VICTIMKEY")
		}
		op = func(ctx context.Context, p string) error { return fence(ctx, p, ok, vk) }
	}
	ctx := context.Background()
	errs := make([]error, len(devs))
	var wg sync.WaitGroup
	start := time.Now()
	for i, p := range devs {
		wg.Add(1)
		go func(i int, p string) {
			defer wg.Done()
			errs[i] = op(ctx, p)
		}(i, p)
	}
	wg.Wait()
	el := time.Since(start)
	failed := false
	for i, err := range errs {
		if err != nil {
			fmt.Fprintf(os.Stderr, "floor: %s: %v\n", devs[i], err)
			failed = true
		}
	}
	if failed {
		os.Exit(1)
	}
	fmt.Printf("inproc_us=%d\n", el.Microseconds())
}
