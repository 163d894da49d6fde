//go:build !windows && !plan9

package fenceproto

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"
)

// withSyslogPaths points the syslog client at paths for one test.
func withSyslogPaths(t *testing.T, paths ...string) {
	old := syslogPaths
	syslogPaths = paths
	t.Cleanup(func() { syslogPaths = old })
}

// TestSyslogLine: the line is log/syslog's local format, byte for byte:
// fmt.Sprintf("<%d>%s %s[%d]: %s%s", priority, time.Stamp, tag, pid, msg, "\n" unless msg has one).
func TestSyslogLine(t *testing.T) {
	now := time.Date(2026, 3, 7, 9, 5, 2, 0, time.Local)
	for _, msg := range []string{"Failed: Cannot open file", "two\nlines\n", "", "\n"} {
		nl := "\n"
		if len(msg) > 0 && msg[len(msg)-1] == '\n' {
			nl = ""
		}
		want := fmt.Sprintf("<%d>%s %s[%d]: %s%s", syslogErr, now.Format(time.Stamp), "fence_scsi", 4242, msg, nl)
		if got := string(syslogLine(syslogErr, now, "fence_scsi", 4242, msg)); got != want {
			t.Errorf("%q: got %q, want %q", msg, got, want)
		}
	}
}

// TestSyslogDelivery: each level reaches a datagram socket with its
// priority (LOG_USER with ERR, WARNING, INFO, DEBUG), one datagram per
// message; the first socket that accepts wins.
func TestSyslogDelivery(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "log")
	l, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	withSyslogPaths(t, filepath.Join(dir, "missing"), path)
	send := newSyslog("fence_scsi_go")
	levels := []struct {
		l   Level
		pri int
	}{{LevelError, 11}, {LevelWarning, 12}, {LevelInfo, 14}, {LevelDebug, 15}}
	for _, lv := range levels {
		send(lv.l, "message "+lv.l.String())
	}
	buf := make([]byte, 4096)
	for _, lv := range levels {
		l.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, _, err := l.ReadFrom(buf)
		if err != nil {
			t.Fatal(err)
		}
		re := regexp.MustCompile(fmt.Sprintf(`^<%d>[A-Z][a-z]{2} [ 1-3][0-9] [0-2][0-9]:[0-5][0-9]:[0-6][0-9] fence_scsi_go\[%d\]: message %s\n$`,
			lv.pri, os.Getpid(), regexp.QuoteMeta(lv.l.String())))
		if !re.Match(buf[:n]) {
			t.Errorf("got %q, want %v", buf[:n], re)
		}
	}
}

// TestSyslogStream: with only a stream socket, lines arrive on it.
func TestSyslogStream(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	withSyslogPaths(t, path)
	got := make(chan string, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			got <- err.Error()
			return
		}
		defer c.Close()
		b := make([]byte, 4096)
		n, _ := c.Read(b)
		got <- string(b[:n])
	}()
	newSyslog("x")(LevelInfo, "hello")
	select {
	case s := <-got:
		if !regexp.MustCompile(`^<14>.* x\[[0-9]+\]: hello\n$`).MatchString(s) {
			t.Errorf("got %q", s)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("nothing received")
	}
}

// TestSyslogMissing: without a syslog the messages are dropped, and the
// connection is tried once, not for every message.
func TestSyslogMissing(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "log")
	withSyslogPaths(t, path)
	send := newSyslog("x")
	send(LevelError, "lost")
	l, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	send(LevelError, "also dropped: the first connection failed")
	l.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	if n, _, err := l.ReadFrom(make([]byte, 512)); err == nil {
		t.Fatalf("received %d bytes after a failed first connection", n)
	}
}
