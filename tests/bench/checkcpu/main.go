//go:build linux

// Command checkcpu measures the CPU time (user + system) that programs cost per run, for the
// watchdog check's benchmark (tests/bench/check_cpu.sh):
//
//	checkcpu -n RUNS SPEC...     SPEC = LABEL|PATH[|ARG...]
//
// It runs the programs round-robin, RUNS rounds (after one warm-up round that is not
// counted), so that all of them see the same load on a busy machine. Each run is a fork and
// exec of PATH (argv[0] = PATH, so a symlink's name chooses the agent's mode) with stdin,
// stdout and stderr on /dev/null, waited for with wait4: its rusage is the child's CPU
// including every process the child waited for (the sg_persist runs of the Python check).
// One line per program on stdout:
//
//	LABEL user_ms=U sys_ms=S cpu_ms=C wall_ms=W minflt=F exit=CODExCOUNT[,...]
//
// with per-run means over RUNS (F: minor page faults, a measure of the memory a start touches). A program that cannot be started is an error (exit 1).
package main

import (
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
	"syscall"
	"time"
)

type prog struct {
	label  string
	argv   []string
	user   time.Duration
	sys    time.Duration
	wall   time.Duration
	minflt int64
	codes  map[int]int
}

func main() {
	runs := flag.Int("n", 200, "rounds")
	flag.Parse()
	if *runs < 1 || flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: checkcpu -n RUNS LABEL|PATH[|ARG...]...")
		os.Exit(2)
	}
	var ps []*prog
	for _, s := range flag.Args() {
		f := strings.Split(s, "|")
		if len(f) < 2 || f[0] == "" || f[1] == "" {
			fmt.Fprintf(os.Stderr, "checkcpu: bad spec %q (LABEL|PATH[|ARG...])\n", s)
			os.Exit(2)
		}
		ps = append(ps, &prog{label: f[0], argv: f[1:], codes: map[int]int{}})
	}
	for round := 0; round <= *runs; round++ {
		for _, p := range ps {
			if err := p.run(round > 0); err != nil {
				fmt.Fprintf(os.Stderr, "checkcpu: %s: %v\n", p.label, err)
				os.Exit(1)
			}
		}
	}
	for _, p := range ps {
		p.report(*runs)
	}
}

// run starts the program once and waits for it; count adds its usage to the totals.
func (p *prog) run(count bool) error {
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer null.Close()
	fd := null.Fd()
	t0 := time.Now()
	pid, err := syscall.ForkExec(p.argv[0], p.argv, &syscall.ProcAttr{
		Env: os.Environ(), Files: []uintptr{fd, fd, fd},
	})
	if err != nil {
		return err
	}
	var ws syscall.WaitStatus
	var ru syscall.Rusage
	for {
		_, err = syscall.Wait4(pid, &ws, 0, &ru)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		return err
	}
	if count {
		p.wall += time.Since(t0)
		p.user += time.Duration(syscall.TimevalToNsec(ru.Utime))
		p.sys += time.Duration(syscall.TimevalToNsec(ru.Stime))
		p.codes[ws.ExitStatus()]++
		p.minflt += ru.Minflt
	}
	return nil
}

func (p *prog) report(runs int) {
	ms := func(d time.Duration) float64 { return float64(d) / float64(runs) / 1e6 }
	var cs []string
	for c, n := range p.codes {
		cs = append(cs, fmt.Sprintf("%dx%d", c, n))
	}
	sort.Strings(cs)
	fmt.Printf("%s user_ms=%.3f sys_ms=%.3f cpu_ms=%.3f wall_ms=%.3f minflt=%d exit=%s\n", p.label,
		ms(p.user), ms(p.sys), ms(p.user+p.sys), ms(p.wall), p.minflt/int64(runs), strings.Join(cs, ","))
}
