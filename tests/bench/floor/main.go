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
//	floor -3 -d DEV[,DEV...] -k OWNKEY -v VICTIMKEY
//
// is the floor of fence_scsi_go's own off sequence, three commands per LUN: READ FULL STATUS
// (keys and reservation), PREEMPT AND ABORT, READ FULL STATUS to verify (the victim gone, the
// own key registered and holding the reservation). Same output and exit status.
//
//	floor -3 -o -d DEV[,DEV...] -k OWNKEY -v VICTIMKEY
//
// adds fence_scsi_go's race order (docs/fencing-race.md) to the three commands: every LUN is
// opened and gets READ FULL STATUS and then INQUIRY (VPD page 0x83, the LU identity)
// concurrently; the LUN with the lowest identity then gets PREEMPT AND ABORT and READ FULL
// STATUS alone, and only then the others, concurrently, each verified as with -3. It
// measures what the order costs.
//
//	floor -r KEY -d DEV[,DEV...]
//
// is set-up, not a floor: it registers KEY (PR OUT REGISTER, reservation key 0) on every
// device concurrently and checks with READ KEYS that it is there; the benchmark uses it for
// the extra registrants of its long registration lists (one process per I_T nexus instead of
// one sg_persist per LUN). A UNIT ATTENTION (the first command of a new session gets one) is
// retried up to three times.
//
//	floor [-u] [-w KEY,KEY...|-] [-h HOLDER] -d DEV[,DEV...]
//
// is the benchmark's state reset and check, one process for all LUNs instead of a few
// sg_persist per LUN: -u unregisters this I_T nexus (REGISTER AND IGNORE EXISTING KEY with
// key 0); -w checks that exactly these keys are registered ("-": none) and that HOLDER (-h)
// holds the reservation, or, without -h, that there is none.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"
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

// fence3 sends the three commands of fence_scsi_go's off sequence to one LUN and verifies.
func fence3(ctx context.Context, path string, own, vic scsi.Key) error {
	d, err := scsi.Open(path, scsi.OpenOptions{})
	if err != nil {
		return err
	}
	defer d.Close()
	if _, err := d.ReadFullStatus(ctx); err != nil {
		return fmt.Errorf("read full status: %w", err)
	}
	if err := d.PreemptAndAbort(ctx, own, vic, scsi.TypeWriteExclusiveRegistrantsOnly); err != nil {
		return fmt.Errorf("preempt and abort: %w", err)
	}
	return verify3(ctx, d, own, vic)
}

// verify3 is the read-back of the three-command sequences: one READ FULL STATUS, which must
// hold the whole list, without the victim's key, with the own key registered and holding the
// reservation.
func verify3(ctx context.Context, d scsi.Device, own, vic scsi.Key) error {
	fs, err := d.ReadFullStatus(ctx)
	if err != nil {
		return fmt.Errorf("read full status: %w", err)
	}
	if fs.Partial {
		return fmt.Errorf("verify: partial list")
	}
	ownSeen, holds := false, false
	for _, x := range fs.Descriptors {
		if x.Key == vic {
			return fmt.Errorf("verify: victim %v still registered", vic)
		}
		ownSeen = ownSeen || x.Key == own
		holds = holds || (x.Key == own && x.ReservationHolder)
	}
	if !ownSeen || !holds {
		return fmt.Errorf("verify: own key %v registered %v, holding the reservation %v", own, ownSeen, holds)
	}
	return nil
}

// fence3Ordered is fence3 on every device with fence_scsi_go's race order: identities first,
// then the lowest alone, then the rest concurrently.
func fence3Ordered(devs []string, own, vic scsi.Key) (time.Duration, bool) {
	ctx := context.Background()
	start := time.Now()
	ds := make([]scsi.Device, len(devs))
	ids := make([]string, len(devs))
	errs := make([]error, len(devs))
	each := func(idx []int, f func(i int) error) {
		var wg sync.WaitGroup
		for _, i := range idx {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				if errs[i] == nil {
					errs[i] = f(i)
				}
			}(i)
		}
		wg.Wait()
	}
	all := make([]int, len(devs))
	for i := range all {
		all[i] = i
	}
	each(all, func(i int) (err error) {
		if ds[i], err = scsi.Open(devs[i], scsi.OpenOptions{}); err != nil {
			return err
		}
		if _, err = ds[i].ReadFullStatus(ctx); err != nil {
			return fmt.Errorf("read full status: %w", err)
		}
		ids[i], err = scsi.LUIdentity(ctx, ds[i])
		return err
	})
	finish := func(i int) error {
		if err := ds[i].PreemptAndAbort(ctx, own, vic, scsi.TypeWriteExclusiveRegistrantsOnly); err != nil {
			return fmt.Errorf("preempt and abort: %w", err)
		}
		return verify3(ctx, ds[i], own, vic)
	}
	order := slices.Clone(all)
	slices.SortFunc(order, func(a, b int) int { return strings.Compare(ids[a], ids[b]) })
	each(order[:1], finish)
	if errs[order[0]] == nil {
		each(order[1:], finish)
	}
	el := time.Since(start)
	ok := true
	for i, err := range errs {
		if ds[i] != nil {
			ds[i].Close()
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "floor: %s: %v\n", devs[i], err)
			ok = false
		}
	}
	return el, ok
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

// retryUA runs f again after a UNIT ATTENTION, up to three times.
func retryUA(f func() error) error {
	err := f()
	for try := 0; try < 3 && errors.Is(err, scsi.ErrUnitAttention); try++ {
		err = f()
	}
	return err
}

// admin unregisters this nexus from one LUN (unreg) and/or checks its keys and holder.
func admin(ctx context.Context, path string, unreg bool, want []scsi.Key, holder scsi.Key) error {
	d, err := scsi.Open(path, scsi.OpenOptions{})
	if err != nil {
		return err
	}
	defer d.Close()
	if unreg {
		if err := retryUA(func() error { return d.RegisterAndIgnore(ctx, 0, scsi.RegisterOptions{}) }); err != nil {
			return fmt.Errorf("unregister: %w", err)
		}
	}
	if want == nil {
		return nil
	}
	var kl *scsi.KeyList
	var r *scsi.Reservation
	if err := retryUA(func() (e error) { kl, e = d.ReadKeys(ctx); return e }); err != nil {
		return fmt.Errorf("read keys: %w", err)
	}
	if err := retryUA(func() (e error) { r, e = d.ReadReservation(ctx); return e }); err != nil {
		return fmt.Errorf("read reservation: %w", err)
	}
	got := map[scsi.Key]bool{}
	for _, k := range kl.Keys {
		got[k] = true
	}
	ok := len(got) == len(want) && r.Present == (holder != 0) && (holder == 0 || r.Key == holder)
	for _, k := range want {
		ok = ok && got[k]
	}
	if !ok {
		return fmt.Errorf("state: keys %v, reservation %+v; want keys %v, holder %v", kl.Keys, *r, want, holder)
	}
	return nil
}

// adminOp parses -w and -h for admin.
func adminOp(unreg bool, w, h string) (func(context.Context, string) error, error) {
	var want []scsi.Key
	var holder scsi.Key
	if w != "" {
		want = []scsi.Key{}
		for _, f := range strings.Split(w, ",") {
			if f == "-" {
				continue
			}
			k, err := parseKey(f)
			if err != nil || k == 0 {
				return nil, fmt.Errorf("bad key %q", f)
			}
			want = append(want, k)
		}
	}
	if h != "" {
		k, err := parseKey(h)
		if err != nil || k == 0 || want == nil {
			return nil, fmt.Errorf("bad holder %q (or -h without -w)", h)
		}
		holder = k
	}
	return func(ctx context.Context, p string) error { return admin(ctx, p, unreg, want, holder) }, nil
}

// onAll runs op on every device, one goroutine each, and returns the time from the start
// of the first to the end of the last, and whether all succeeded (failures are printed).
func onAll(devs []string, op func(context.Context, string) error) (time.Duration, bool) {
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
	ok := true
	for i, err := range errs {
		if err != nil {
			fmt.Fprintf(os.Stderr, "floor: %s: %v\n", devs[i], err)
			ok = false
		}
	}
	return el, ok
}

func main() {
	var devs devFlags
	flag.Var(&devs, "d", "device(s): repeat or comma-separate")
	own := flag.String("k", "", "own key (hex)")
	vic := flag.String("v", "", "victim key (hex)")
	reg := flag.String("r", "", "only register this key (hex) on the devices (set-up)")
	unreg := flag.Bool("u", false, "unregister this nexus (set-up)")
	want := flag.String("w", "", "check: exactly these keys (hex, comma-separated; - for none)")
	hold := flag.String("h", "", "check: this key holds the reservation (with -w)")
	three := flag.Bool("3", false, "fence_scsi_go's three-command off sequence instead of fence_scsi's five")
	ordered := flag.Bool("o", false, "with -3: in fence_scsi_go's race order (identities, the first LU alone, the rest)")
	flag.Parse()
	var op func(context.Context, string) error
	setup := *unreg || *want != "" || *hold != "" || *reg != ""
	switch {
	case *unreg || *want != "" || *hold != "":
		var err error
		op, err = adminOp(*unreg, *want, *hold)
		if err != nil || len(devs) == 0 || flag.NArg() != 0 || *reg != "" || *own != "" || *vic != "" {
			if err == nil {
				err = errors.New("bad arguments")
			}
			die("usage: floor [-u] [-w KEY,...|-] [-h HOLDER] -d DEV[,DEV...]: %v", err)
		}
	case *reg != "":
		rk, err := parseKey(*reg)
		if len(devs) == 0 || flag.NArg() != 0 || err != nil || rk == 0 || *own != "" || *vic != "" {
			die("usage: floor -r KEY -d DEV[,DEV...]")
		}
		op = func(ctx context.Context, p string) error { return register(ctx, p, rk) }
	default:
		ok, err1 := parseKey(*own)
		vk, err2 := parseKey(*vic)
		if len(devs) == 0 || flag.NArg() != 0 || err1 != nil || err2 != nil || ok == 0 || vk == 0 {
			die("usage: floor -d DEV[,DEV...] [-d DEV...] -k OWNKEY -v VICTIMKEY")
		}
		op = func(ctx context.Context, p string) error { return fence(ctx, p, ok, vk) }
		if *three {
			op = func(ctx context.Context, p string) error { return fence3(ctx, p, ok, vk) }
		}
	}
	var el time.Duration
	var ok bool
	if *ordered {
		if !*three || setup {
			die("usage: floor -3 -o -d DEV[,DEV...] -k OWNKEY -v VICTIMKEY")
		}
		ownK, _ := parseKey(*own)
		vicK, _ := parseKey(*vic)
		el, ok = fence3Ordered(devs, ownK, vicK)
	} else {
		el, ok = onAll(devs, op)
	}
	if !ok {
		os.Exit(1)
	}
	if !setup {
		fmt.Printf("inproc_us=%d\n", el.Microseconds())
	}
}
