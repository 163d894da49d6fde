// Command timer times commands for the fence agent benchmark (tests/bench/pr_bench.sh) from
// inside a node's mount namespace, so that the harness's own cost (unshare, a shell, a bind
// mount: about 240 ms per call under TCG) is not part of the numbers.
//
// pr_bench.sh starts one timer per simulated node through on_node (so the timer, and every
// command it starts, sees that node's private /run), then sends it one request per line on
// stdin:
//
//	OUTFILE<TAB>PROGRAM<TAB>ARG1<TAB>ARG2...
//
// The timer runs PROGRAM directly (fork and exec, no shell) with stdout and stderr written to
// OUTFILE, and answers one line on stdout:
//
//	rc=EXITCODE us=MICROSECONDS
//
// where the time runs from just before the fork to the end of the wait: the whole life of the
// program's process, exec and exit included. A request that cannot be run answers rc=-1 and
// the reason. End of input ends the timer.
package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"
)

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 64*1024), 1024*1024)
	for in.Scan() {
		fmt.Println(run(strings.Split(in.Text(), "\t")))
	}
	if err := in.Err(); err != nil {
		fmt.Fprintln(os.Stderr, "timer:", err)
		os.Exit(1)
	}
}

func run(f []string) string {
	if len(f) < 2 || f[0] == "" || f[1] == "" {
		return "rc=-1 us=0 error=request-needs-OUTFILE-and-PROGRAM"
	}
	out, err := os.Create(f[0])
	if err != nil {
		return "rc=-1 us=0 error=" + strings.ReplaceAll(err.Error(), " ", "_")
	}
	defer out.Close()
	cmd := exec.Command(f[1], f[2:]...)
	cmd.Stdout, cmd.Stderr = out, out
	t0 := time.Now()
	err = cmd.Run()
	us := time.Since(t0).Microseconds()
	rc := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		rc = ee.ExitCode()
	case err != nil:
		return fmt.Sprintf("rc=-1 us=%d error=%s", us, strings.ReplaceAll(err.Error(), " ", "_"))
	}
	return fmt.Sprintf("rc=%d us=%d", rc, us)
}
