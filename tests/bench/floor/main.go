// Command floor is the benchmark floor of `off`: the minimum PR commands fence_scsi's
// off sequence needs on one LUN, sent through internal/scsi with nothing else (no option
// parsing, no logging, no device discovery, no state files):
//
//	READ KEYS; REGISTER AND IGNORE EXISTING KEY (own key); PREEMPT AND ABORT (victim key,
//	WE-RO); READ KEYS and READ RESERVATION to verify.
//
//	floor -d /dev/sdX -k OWNKEY -v VICTIMKEY   (keys in hex, with or without 0x)
//
// It prints the in-process time of the five commands ("inproc_us=N") and exits 0 when the
// victim's key is gone and the own key is registered and holds the reservation; 1 otherwise.
// The benchmark (tests/bench/pr_bench.sh) times the whole process from outside, as it does
// for the agents.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi"
)

func parseKey(s string) (scsi.Key, error) {
	v, err := strconv.ParseUint(strings.TrimPrefix(strings.ToLower(s), "0x"), 16, 64)
	return scsi.Key(v), err
}

func die(f string, a ...any) {
	fmt.Fprintf(os.Stderr, "floor: "+f+"\n", a...)
	os.Exit(1)
}

func main() {
	dev := flag.String("d", "", "device")
	own := flag.String("k", "", "own key (hex)")
	vic := flag.String("v", "", "victim key (hex)")
	flag.Parse()
	ok, err1 := parseKey(*own)
	vk, err2 := parseKey(*vic)
	if *dev == "" || err1 != nil || err2 != nil || ok == 0 || vk == 0 {
		die("usage: floor -d DEV -k OWNKEY -v VICTIMKEY")
	}
	ctx := context.Background()
	start := time.Now()
	d, err := scsi.Open(*dev, scsi.OpenOptions{})
	if err != nil {
		die("%v", err)
	}
	defer d.Close()
	if _, err := d.ReadKeys(ctx); err != nil {
		die("read keys: %v", err)
	}
	if err := d.RegisterAndIgnore(ctx, ok, scsi.RegisterOptions{}); err != nil {
		die("register: %v", err)
	}
	if err := d.PreemptAndAbort(ctx, ok, vk, scsi.TypeWriteExclusiveRegistrantsOnly); err != nil {
		die("preempt and abort: %v", err)
	}
	kl, err := d.ReadKeys(ctx)
	if err != nil {
		die("read keys: %v", err)
	}
	r, err := d.ReadReservation(ctx)
	if err != nil {
		die("read reservation: %v", err)
	}
	el := time.Since(start)
	if kl.Contains(vk) || !kl.Contains(ok) || !r.Present || r.Key != ok {
		die("verify: keys %v, reservation %+v", kl.Keys, *r)
	}
	fmt.Printf("inproc_us=%d\n", el.Microseconds())
}
