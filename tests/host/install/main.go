// Command install installs the Debian packages of the Pacemaker stack (host.Pacemaker: the
// fencer, its command-line tools, pcs, corosync, Debian's fence_scsi and sg_persist) when they
// are missing, as the tests/pacemaker suite does before it runs. `make bench-fence` runs it
// first, so that its Pacemaker latency step does not stop a half-hour run at the end:
//
//	go run ./tests/host/install
//
// Exit 0 when every package is there afterwards, 1 with apt-get's output otherwise.
package main

import (
	"fmt"
	"os"

	"github.com/fence-scsi-go/fence_scsi_go/tests/host"
)

func main() {
	if len(os.Args) > 1 {
		fmt.Fprintln(os.Stderr, "usage: go run ./tests/host/install")
		os.Exit(2)
	}
	if why := host.WhyNot(); why != "" {
		fmt.Fprintf(os.Stderr, "install: cannot install the Pacemaker packages: %s\n", why)
		os.Exit(1)
	}
	if err := host.Install(host.Pacemaker); err != nil {
		fmt.Fprintf(os.Stderr, "install: %v\n", err)
		os.Exit(1)
	}
}
