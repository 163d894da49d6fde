package testutil

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"testing"
)

// run runs the stub at p with env added to the environment.
func run(t *testing.T, p string, env []string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(p, args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.Output()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return string(out), ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return string(out), 0
}

func TestCmapctl(t *testing.T) {
	c := []string{"LANG=C", "LC_ALL=C"}
	for _, tc := range []struct {
		cluster string
		env     []string
		args    []string
		out     string
		code    int
	}{
		{"mycluster", c, []string{"totem.cluster_name"}, "totem.cluster_name (str) = mycluster\n", 0},
		{"", c, []string{"totem.cluster_name"}, "", 1},
		{"mycluster", c, []string{"nodelist"}, Nodelist, 0},
		{"mycluster", c, []string{"other"}, "", 1},
		{"mycluster", c, []string{"nodelist", "x"}, "", 3},
		{"mycluster", []string{"LANG=en_US.UTF-8", "LC_ALL=C"}, []string{"nodelist"}, "", 3},
	} {
		if out, code := run(t, Cmapctl(t, tc.cluster), tc.env, tc.args...); out != tc.out || code != tc.code {
			t.Errorf("%q %v %v: exit %d output %q, want %d %q", tc.cluster, tc.env, tc.args, code, out, tc.code, tc.out)
		}
	}
}

func TestInfo(t *testing.T) {
	fi := Info("/dev/sdb", fs.ModeDevice|0o660)
	if fi.Name() != "/dev/sdb" || fi.Mode() != fs.ModeDevice|0o660 || fi.IsDir() || fi.Size() != 0 || !fi.ModTime().IsZero() || fi.Sys() != nil {
		t.Fatalf("%+v", fi)
	}
}
