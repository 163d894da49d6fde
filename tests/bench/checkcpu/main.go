//go:build linux

// Command checkcpu measures the CPU time (user + system) that programs cost per run, for the
// watchdog check's benchmark (tests/bench/check_cpu.sh):
//
//	checkcpu -n RUNS [-every LABEL=E[,LABEL=E...]] SPEC...     SPEC = LABEL|PATH[|ARG...]
//
// It runs the programs round-robin, RUNS rounds (after one warm-up round that is not
// counted), so that all of them see the same load on a busy machine. With -every, program
// LABEL runs only in every E-th counted round (the first, the (E+1)-th, ...): a slow program
// (Debian's Python check in an emulated guest) is sampled over the same stretch of time as
// the fast ones without multiplying the run time. Each run is a fork and
// exec of PATH (argv[0] = PATH, so a symlink's name chooses the agent's mode) with stdin,
// stdout and stderr on /dev/null, waited for with wait4: its rusage is the child's CPU
// including every process the child waited for (the sg_persist runs of the Python check).
// One line per program on stdout:
//
//	LABEL user_ms=U sys_ms=S cpu_ms=C wall_ms=W minflt=F runs=N exit=CODExCOUNT[,...]
//
// with per-run means over the N counted runs of that program (RUNS unless -every) (F: minor page faults, a measure of the memory a start touches). A program that cannot be started is an error (exit 1).
package main

import (
	"flag"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

type prog struct {
	label  string
	argv   []string
	every  int // runs in every every-th counted round
	runs   int // counted runs
	user   time.Duration
	sys    time.Duration
	wall   time.Duration
	minflt int64
	codes  map[int]int
}

func main() {
	runs := flag.Int("n", 200, "rounds")
	everyFlag := flag.String("every", "", "LABEL=E[,...]: LABEL runs in every E-th round only")
	flag.Parse()
	if *runs < 1 || flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: checkcpu -n RUNS [-every LABEL=E,...] LABEL|PATH[|ARG...]...")
		os.Exit(2)
	}
	every, err := parseEvery(*everyFlag)
	if err != nil {
		fmt.Fprintf(os.Stderr, "checkcpu: -every: %v\n", err)
		os.Exit(2)
	}
	var ps []*prog
	for _, s := range flag.Args() {
		f := strings.Split(s, "|")
		if len(f) < 2 || f[0] == "" || f[1] == "" {
			fmt.Fprintf(os.Stderr, "checkcpu: bad spec %q (LABEL|PATH[|ARG...])\n", s)
			os.Exit(2)
		}
		ps = append(ps, &prog{label: f[0], argv: f[1:], every: 1, codes: map[int]int{}})
		if e, ok := every[f[0]]; ok {
			ps[len(ps)-1].every = e
			delete(every, f[0])
		}
	}
	for l := range every {
		fmt.Fprintf(os.Stderr, "checkcpu: -every: no program labelled %q\n", l)
		os.Exit(2)
	}
	for round := 0; round <= *runs; round++ {
		for _, p := range ps {
			if round > 0 && (round-1)%p.every != 0 {
				continue
			}
			if err := p.run(round > 0); err != nil {
				fmt.Fprintf(os.Stderr, "checkcpu: %s: %v\n", p.label, err)
				os.Exit(1)
			}
		}
	}
	for _, p := range ps {
		p.report()
	}
}

// parseEvery reads -every's LABEL=E[,LABEL=E...] (E >= 1).
func parseEvery(s string) (map[string]int, error) {
	m := map[string]int{}
	if s == "" {
		return m, nil
	}
	for _, f := range strings.Split(s, ",") {
		l, v, ok := strings.Cut(f, "=")
		e, err := strconv.Atoi(v)
		if !ok || l == "" || err != nil || e < 1 {
			return nil, fmt.Errorf("bad %q (LABEL=E, E a whole number >= 1)", f)
		}
		m[l] = e
	}
	return m, nil
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
		p.runs++
	}
	return nil
}

func (p *prog) report() {
	runs := p.runs
	ms := func(d time.Duration) float64 { return float64(d) / float64(runs) / 1e6 }
	var cs []string
	for c, n := range p.codes {
		cs = append(cs, fmt.Sprintf("%dx%d", c, n))
	}
	sort.Strings(cs)
	fmt.Printf("%s user_ms=%.3f sys_ms=%.3f cpu_ms=%.3f wall_ms=%.3f minflt=%d runs=%d exit=%s\n", p.label,
		ms(p.user), ms(p.sys), ms(p.user+p.sys), ms(p.wall), p.minflt/int64(runs), runs, strings.Join(cs, ","))
}
