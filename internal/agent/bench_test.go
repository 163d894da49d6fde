package agent

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkOff is one agent process's work for `off` by the reservation
// holder (status, off, status) on the SCSI simulator, without -v: what the
// agent itself costs per call and per LU beyond the device round trips
// (make bench). Each iteration unfences the victim again first (not timed).
func BenchmarkOff(b *testing.B) {
	for _, n := range []int{1, 16, 64} {
		b.Run(fmt.Sprint(n, "LU"), func(b *testing.B) {
			devs := make([]string, n)
			for i := range devs {
				devs[i] = fmt.Sprintf("/dev/sd%c%c", 'a'+i/26, 'a'+i%26)
			}
			c := newCluster(b, devs...)
			list := "devices=" + strings.Join(devs, ",") + "\n"
			for _, node := range []string{"node1", "node2"} {
				if rc, out, errs := c.agent(node, "action=on\n"+list+"key=6c9d000"+node[4:]+"\n"); rc != 0 {
					b.Fatalf("%s on: rc=%d %q %q", node, rc, out, errs)
				}
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if rc, out, errs := c.agent("node1", "action=off\n"+list+"key=6c9d0002\n"); rc != 0 {
					b.Fatalf("off: rc=%d %q %q", rc, out, errs)
				}
				b.StopTimer()
				if rc, out, errs := c.agent("node2", "action=on\n"+list+"key=6c9d0002\n"); rc != 0 {
					b.Fatalf("on again: rc=%d %q %q", rc, out, errs)
				}
				b.StartTimer()
			}
		})
	}
}
