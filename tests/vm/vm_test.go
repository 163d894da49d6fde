package vm

import (
	"errors"
	"os/exec"
	"reflect"
	"strings"
	"testing"
	"time"
)

// These tests cover how a Scenario becomes run.sh's command line and how its exit is read;
// they boot no guest.

func TestWithDefaults(t *testing.T) {
	got := withDefaults(Scenario{Agent: "/a", Script: "s.sh"})
	want := Scenario{Nodes: 2, LUNs: 1, Paths: 1, Agent: "/a", Timeout: 10 * time.Minute, Script: "s.sh"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("defaults: %+v, want %+v", got, want)
	}
	set := Scenario{Nodes: 3, LUNs: 2, Paths: 2, Agent: "/b", Timeout: time.Minute}
	if got := withDefaults(set); !reflect.DeepEqual(got, set) {
		t.Fatalf("set fields changed: %+v, want %+v", got, set)
	}
}

func TestRunArgs(t *testing.T) {
	base := Scenario{Nodes: 2, LUNs: 1, Paths: 1, Agent: "/a", Timeout: 90 * time.Second}
	common := []string{"--nodes", "2", "--luns", "1", "--paths", "1", "--agent", "/a", "--timeout", "90"}
	for _, tc := range []struct {
		name    string
		edit    func(*Scenario)
		verbose bool
		want    []string
	}{
		{"relative script", func(s *Scenario) { s.Script = "tests/e2e/x.sh" }, false, []string{"/repo/tests/e2e/x.sh"}},
		{"absolute script", func(s *Scenario) { s.Script = "/tmp/x.sh" }, false, []string{"/tmp/x.sh"}},
		{"all options", func(s *Scenario) {
			s.Target, s.Kernel, s.NoPR, s.Script = "tgt", "new", []int{1, 3}, "x.sh"
		}, true, []string{"--target", "tgt", "--kernel", "new", "--nopr", "1 3", "--verbose", "/repo/x.sh"}},
		{"exec", func(s *Scenario) { s.Exec, s.ExecArgs = "/bin/t", []string{"-test.v"} }, false, []string{"--exec", "/bin/t", "-test.v"}},
	} {
		sc := base
		tc.edit(&sc)
		args, err := runArgs(sc, "/repo", tc.verbose)
		if want := append(append([]string{}, common...), tc.want...); err != nil || !reflect.DeepEqual(args, want) {
			t.Errorf("%s: %q (%v), want %q", tc.name, args, err, want)
		}
	}
	for _, sc := range []Scenario{base, {Script: "a.sh", Exec: "/bin/t"}} {
		if _, err := runArgs(sc, "/repo", false); err == nil {
			t.Errorf("Script %q Exec %q: no error", sc.Script, sc.Exec)
		}
	}
}

func TestResult(t *testing.T) {
	exit := func(code string) error { return exec.Command("sh", "-c", "exit "+code).Run() }
	if res, err := result("out", nil); err != nil || !res.Passed || res.Output != "out" {
		t.Fatalf("exit 0: %+v %v", res, err)
	}
	if res, err := result("out", exit("1")); err != nil || res.Passed || res.Output != "out" {
		t.Fatalf("exit 1 (scenario failed): %+v %v", res, err)
	}
	if res, err := result("out", exit("77")); err == nil || !strings.Contains(err.Error(), "exit 77") || res.Passed {
		t.Fatalf("exit 77 (cannot run here): %+v %v", res, err)
	}
	other := errors.New("fork failed")
	if _, err := result("", other); !errors.Is(err, other) {
		t.Fatalf("start error: %v", err)
	}
}
