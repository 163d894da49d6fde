//go:build linux

package main

import (
	"os"
	"os/exec"
	"reflect"
	"strings"
	"testing"
)

func TestParseEvery(t *testing.T) {
	for _, c := range []struct {
		in   string
		want map[string]int
	}{
		{"", map[string]int{}},
		{"python=10", map[string]int{"python": 10}},
		{"a=1,b=3", map[string]int{"a": 1, "b": 3}},
	} {
		got, err := parseEvery(c.in)
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("parseEvery(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{"python", "=3", "a=0", "a=-1", "a=x", "a=1,", "a=1,b"} {
		if _, err := parseEvery(bad); err == nil {
			t.Errorf("parseEvery(%q): no error", bad)
		}
	}
}

// TestEveryRuns runs the command: a program with -every LABEL=E runs in rounds 1, E+1, ...
// of RUNS, and its line says how many runs its means are over.
func TestEveryRuns(t *testing.T) {
	if os.Getenv("CHECKCPU_MAIN") == "1" {
		os.Args = append([]string{"checkcpu"}, strings.Fields(os.Getenv("CHECKCPU_ARGS"))...)
		main()
		os.Exit(0)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestEveryRuns$")
	cmd.Env = append(os.Environ(), "CHECKCPU_MAIN=1", "CHECKCPU_ARGS=-n 7 -every slow=3 fast|/bin/true slow|/bin/false")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("checkcpu: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "fast ") || !strings.HasPrefix(lines[1], "slow ") {
		t.Fatalf("output:\n%s", out)
	}
	if !strings.HasSuffix(lines[0], " runs=7 exit=0x7") {
		t.Errorf("fast: %s; want runs=7 exit=0x7", lines[0])
	}
	// rounds 1, 4 and 7 of 7
	if !strings.HasSuffix(lines[1], " runs=3 exit=1x3") {
		t.Errorf("slow: %s; want runs=3 exit=1x3", lines[1])
	}
}
