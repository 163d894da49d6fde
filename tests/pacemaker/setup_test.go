//go:build pacemaker

// Package pacemaker is the static Pacemaker/pcs compatibility suite: the real
// Debian 12 tools (stonith_admin, crm_resource, pcs, cibadmin, crm_verify, crm_simulate) look at
// Debian's /usr/sbin/fence_scsi and at /usr/sbin/fence_scsi_go, and everything they show must be
// identical apart from the agent's name and its (intentionally different) long description.
// No daemon is started; the agents only run metadata and validate-all.
//
// Run: make pacemaker (part of make test), or as root:
//
//	go test -tags pacemaker -count=1 -v ./tests/pacemaker/
//
// The suite needs root: it installs missing Debian packages (apt-get install -y pacemaker
// pacemaker-cli-utils pcs corosync fence-agents sg3-utils) and installs the agent under test as
// /usr/sbin/fence_scsi_go (Pacemaker only looks in /usr/sbin). It never writes
// /usr/sbin/fence_scsi. The agent under test is $FSG_AGENT if set, else a fresh build of
// ./cmd/fence_scsi_go. Not root: every test is skipped with a loud message.
//
// Every tool runs in a private mount namespace with its own tmpfs on /run, so no agent can
// touch the machine's real /run/cluster.key or /run/cluster.dev.
package pacemaker

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/fence-scsi-go/fence_scsi_go/tests/host"
	"github.com/fence-scsi-go/fence_scsi_go/tests/vm"
)

const (
	refAgent = "fence_scsi"    // Debian's fence-agents 4.12.1
	goAgent  = "fence_scsi_go" // the agent under test
	sbin     = "/usr/sbin"
)

var (
	setupOnce sync.Once
	setupErr  error
	skipWhy   string
)

// need prepares the machine once (packages, agent install) and skips or fails the test.
func need(t *testing.T) {
	t.Helper()
	setupOnce.Do(func() {
		if skipWhy = host.WhyNot(); skipWhy == "" {
			setupErr = prepare()
		}
	})
	if skipWhy != "" {
		host.SkipLoudly(t, "the Pacemaker/pcs compatibility suite (tests/pacemaker)", skipWhy, "pacemaker")
	}
	if setupErr != nil {
		t.Fatalf("setup: %v", setupErr)
	}
}

func prepare() error {
	if err := host.Install(host.Pacemaker); err != nil {
		return err
	}
	bin, err := agentBinary()
	if err != nil {
		return err
	}
	return installAgent(bin, filepath.Join(sbin, goAgent))
}

var builtDir string

// agentBinary is $FSG_AGENT or a fresh build of ./cmd/fence_scsi_go.
func agentBinary() (string, error) {
	if a := os.Getenv("FSG_AGENT"); a != "" {
		return a, nil
	}
	root, err := vm.RepoRoot()
	if err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp("", "fsg-pcmk-build-")
	if err != nil {
		return "", err
	}
	builtDir = dir
	out := filepath.Join(dir, goAgent)
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(gobin); err != nil {
		gobin = "go"
	}
	cmd := exec.Command(gobin, "build", "-trimpath", "-tags", "urfave_cli_no_docs", "-o", out, "./cmd/fence_scsi_go") // as make build
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/fence_scsi_go: %v\n%s", err, b)
	}
	return out, nil
}

// installAgent copies src to dst (mode 0755) through a temporary file and a rename, so a
// concurrent reader never sees a half-written binary.
func installAgent(src, dst string) error {
	if filepath.Base(dst) == refAgent {
		return fmt.Errorf("refusing to write %s", dst)
	}
	return vm.InstallExecutable(src, dst)
}

func TestMain(m *testing.M) {
	code := m.Run()
	if builtDir != "" {
		os.RemoveAll(builtDir)
	}
	os.Exit(code)
}

// result of one command.
type result struct {
	out string // stdout and stderr, interleaved as written
	rc  int
}

func (r result) String() string { return fmt.Sprintf("%s[rc=%d]\n", r.out, r.rc) }

// cleanEnv is the environment every tool gets (pcs itself gives the agent less: see
// TestNoPath).
var cleanEnv = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", "LANG=C", "HOME=/root"}

// run runs argv in a private mount namespace with an empty tmpfs on /run, in dir.
func run(t *testing.T, dir string, stdin string, argv ...string) result {
	t.Helper()
	script := `mount -t tmpfs -o mode=0755 fsg-pcmk-static /run && mkdir -p /run/lock && chmod 1777 /run/lock && exec "$@"`
	full := append([]string{"--mount", "--propagation", "private", "--", "/bin/sh", "-c", script, "fsg"}, argv...)
	cmd := exec.Command("/usr/bin/unshare", full...)
	cmd.Dir = dir
	cmd.Env = cleanEnv
	cmd.Stdin = strings.NewReader(stdin)
	var b bytes.Buffer
	cmd.Stdout = &b
	cmd.Stderr = &b
	err := cmd.Run()
	rc := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("%s: %v", strings.Join(argv, " "), err)
		}
		rc = ee.ExitCode()
	}
	return result{out: b.String(), rc: rc}
}

var (
	// The agent-level <longdesc> (the first one, directly under <resource-agent>).
	xmlLongdesc = regexp.MustCompile(`(?s)(<resource-agent[^>]*>\s*<longdesc[^>]*>).*?(</longdesc>)`)
	timestamp   = regexp.MustCompile(`\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}`)
	// pcs prints its own timestamps in some errors.
	pcsTimestamp = regexp.MustCompile(`\d{4}-\d\d-\d\d \d\d:\d\d:\d\d[.,]\d+`)
)

// normName turns every spelling of the agent's name into fence_scsi.
func normName(s string) string { return strings.ReplaceAll(s, goAgent, refAgent) }

// normXML normalises metadata XML: the name and the agent's long description.
func normXML(s string) string {
	return xmlLongdesc.ReplaceAllString(normName(s), "${1}LONGDESC${2}")
}

// normDescribe normalises `pcs stonith describe` output: the long description is the paragraph
// after the "name - shortdesc" line.
func normDescribe(s string) string {
	lines := strings.Split(normName(s), "\n")
	for i := 1; i < len(lines); i++ {
		if lines[i] == "" && i+1 < len(lines) && lines[i+1] != "" {
			lines[i+1] = "LONGDESC"
			break
		}
	}
	return strings.Join(lines, "\n")
}

func normTime(s string) string {
	return pcsTimestamp.ReplaceAllString(timestamp.ReplaceAllString(s, "TIMESTAMP"), "TIMESTAMP")
}

// same fails the test with a unified diff if ref and got differ.
func same(t *testing.T, what string, ref, got string) bool {
	t.Helper()
	if ref == got {
		t.Logf("%s: identical (fence_scsi vs fence_scsi_go, normalised)", what)
		return true
	}
	t.Errorf("%s differs between %s (-) and %s (+), after normalisation:\n%s", what, refAgent, goAgent, udiff(t, ref, got))
	return false
}

func udiff(t *testing.T, a, b string) string {
	dir := t.TempDir()
	fa, fb := filepath.Join(dir, refAgent), filepath.Join(dir, goAgent)
	os.WriteFile(fa, []byte(a), 0o644)
	os.WriteFile(fb, []byte(b), 0o644)
	out, _ := exec.Command("diff", "-u", fa, fb).CombinedOutput()
	s := string(out)
	// Drop the header lines with temporary paths and times.
	if i := strings.Index(s, "\n@@"); i >= 0 {
		s = s[i+1:]
	}
	return s
}

// Debian 12 ships fence_scsi 4.12.1; fence_scsi_go follows upstream HEAD (docs/differences.md),
// whose metadata differs in exactly three places that pcs and Pacemaker show. headToDebian
// rewrites those three in our output, and only those, so every other byte is compared:
//   - the mpath_register_method parameter (new after 4.17.0);
//   - the devices shortdesc (HEAD: comma or space separated, optional with clvm/lvmlockd);
//   - the vgs_path default (HEAD's configure fallback /usr/sbin/vgs; Debian's build /sbin/vgs,
//     the same file on Debian's merged /usr).
var (
	headDevices   = "Devices can be comma or space separated list of raw devices (eg. /dev/sdc). Each device must support SCSI-3 persistent reservations. Optional if cluster is configured with clvm or lvmlockd."
	debianDevices = "Devices can be comma-separated list of raw devices (eg. /dev/sdc). Each device must support SCSI-3 persistent reservations."
	mpathXML      = regexp.MustCompile(`(?s)\n[ \t]*<parameter name="mpath_register_method".*?</parameter>`)
	mpathLine     = regexp.MustCompile(`\n[ \t]*mpath_register_method: [^\n]*`)
	mpathOption   = "'mpath_register_method', "
)

func headToDebian(s string) string {
	s = strings.ReplaceAll(s, headDevices, debianDevices)
	s = mpathXML.ReplaceAllString(s, "")
	s = mpathLine.ReplaceAllString(s, "")
	s = strings.ReplaceAll(s, mpathOption, "")
	return strings.ReplaceAll(s, `default="/usr/sbin/vgs"`, `default="/sbin/vgs"`)
}
