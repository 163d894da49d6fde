//go:build packaging

package packaging

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

var pkgNames = []string{"fence-scsi-go", "fence-scsi-go-dropin"}

// build is one `make deb rpm` in a fresh clone.
type build struct {
	dir     string            // the clone
	version string            // upstream version (packaging/version.sh)
	epoch   int64             // SOURCE_DATE_EPOCH: the committer time of HEAD
	files   map[string]string // "fence-scsi-go.deb" etc. -> path of the package
}

func TestPackaging(t *testing.T) {
	need(t)
	start := time.Now()
	src := os.Getenv("FSG_PKG_SRC")
	if src == "" {
		src = repoRoot(t)
	}
	tmp := t.TempDir()
	a := buildClone(t, src, filepath.Join(tmp, "a"), "")
	// The second clone has another path. With FSG_PKG_FRESH_GOCACHE=1 its agent is first
	// compiled with an empty Go build cache (minutes on a busy machine), and must be the
	// binary that the cached build then packages.
	fresh := ""
	if os.Getenv("FSG_PKG_FRESH_GOCACHE") == "1" {
		fresh = filepath.Join(tmp, "gocache-b")
	}
	b := buildClone(t, src, filepath.Join(tmp, "build-b"), fresh)
	t.Logf("two builds from clean clones of %s: %v", src, time.Since(start).Round(time.Second))
	t.Run("reproducible", func(t *testing.T) { checkSame(t, a, b) })
	t.Run("deb_contents", func(t *testing.T) { checkDebContents(t, a) })
	t.Run("deb_control", func(t *testing.T) { checkDebControl(t, a) })
	t.Run("lintian", func(t *testing.T) { checkLintian(t, a) })
	t.Run("rpm", func(t *testing.T) { checkRPM(t, a) })
	if t.Failed() {
		t.Fatalf("the packages are wrong: not installing them")
	}
	t.Run("install", func(t *testing.T) { checkInstall(t, a) })
	t.Logf("packaging test: %v in all", time.Since(start).Round(time.Second))
}

// buildClone clones src into dir and runs make deb rpm there; if freshCache is not "", it
// first runs make build with that (empty) GOCACHE and checks that make deb rpm packaged the
// same binary.
func buildClone(t *testing.T, src, dir, freshCache string) *build {
	t.Helper()
	must(t, "", "git", "clone", "-q", "--no-local", src, dir)
	freshSum := ""
	if freshCache != "" {
		t0 := time.Now()
		if r := runEnv(t, dir, []string{"GOCACHE=" + freshCache}, "make", "build"); r.rc != 0 {
			t.Fatalf("make build (empty GOCACHE) in %s: exit %d\n%s%s", dir, r.rc, r.out, r.errOut)
		}
		freshSum = sha256File(t, filepath.Join(dir, "bin", "fence_scsi_go"))
		t.Logf("make build with an empty GOCACHE: %v, sha256 %s", time.Since(t0).Round(time.Second), freshSum)
	}
	t0 := time.Now()
	r := run(t, dir, "make", "--no-print-directory", "deb", "rpm", "PKG_OUTDIR=out")
	if r.rc != 0 {
		t.Fatalf("make deb rpm in %s: exit %d\n%s%s", dir, r.rc, r.out, r.errOut)
	}
	t.Logf("make deb rpm in %s: %v", dir, time.Since(t0).Round(time.Second))
	if sum := sha256File(t, filepath.Join(dir, "bin", "fence_scsi_go")); freshSum != "" && sum != freshSum {
		t.Errorf("make build with the Go cache gave sha256 %s, with an empty cache %s", sum, freshSum)
	}
	b := &build{dir: dir, files: map[string]string{}}
	b.version = strings.TrimSpace(must(t, dir, "packaging/version.sh"))
	ct := strings.TrimSpace(must(t, dir, "git", "log", "-1", "--format=%ct"))
	var err error
	if b.epoch, err = strconv.ParseInt(ct, 10, 64); err != nil {
		t.Fatal(err)
	}
	arch := strings.TrimSpace(must(t, dir, "go", "env", "GOARCH"))
	for _, p := range pkgNames {
		debArch, rArch := arch, rpmArch(arch)
		if p == "fence-scsi-go-dropin" {
			debArch, rArch = "all", "noarch" // only symlinks
		}
		b.files[p+".deb"] = filepath.Join(dir, "out", p+"_"+b.version+"-1_"+debArch+".deb")
		b.files[p+".rpm"] = filepath.Join(dir, "out", p+"-"+b.version+"-1."+rArch+".rpm")
	}
	ents, _ := os.ReadDir(filepath.Join(dir, "out"))
	if len(ents) != len(b.files) {
		t.Errorf("%s/out has %d files, want %d", dir, len(ents), len(b.files))
	}
	return b
}

func rpmArch(goarch string) string {
	switch goarch {
	case "amd64":
		return "x86_64"
	case "arm64":
		return "aarch64"
	case "386":
		return "i386"
	}
	return goarch
}

// checkSame: the two builds gave the same bytes, file by file.
func checkSame(t *testing.T, a, b *build) {
	for k, fa := range a.files {
		ha, hb := sha256File(t, fa), sha256File(t, b.files[k])
		t.Logf("sha256 %s  %s (build a), %s (build b)", ha, filepath.Base(fa), hb)
		if ha != hb {
			t.Errorf("%s: the two builds differ", filepath.Base(fa))
		}
	}
}

// checkVersion: the version is what docs/packaging.md says it is.
func checkVersion(t *testing.T, b *build) {
	r := run(t, b.dir, "git", "describe", "--tags")
	if r.rc == 0 {
		return // a tagged tree: packaging/version.sh's mapping is shown by its own comments
	}
	short := strings.TrimSpace(must(t, b.dir, "git", "rev-parse", "--short=7", "HEAD"))
	want := "0.0.0+git" + time.Unix(b.epoch, 0).UTC().Format("20060102150405") + "." + short
	if b.version != want {
		t.Errorf("version %q, want %q (no tag: 0.0.0+git<UTC commit time>.<short hash>)", b.version, want)
	}
}

var dpkgListLine = regexp.MustCompile(`^(\S+) (\S+) +\d+ (\d{4}-\d\d-\d\d \d\d:\d\d) (.*)$`)

// debList is `dpkg-deb -c` as in packaging/contents/*.deb: mode, owner, path [-> target].
// Every entry must carry the commit's time.
func debList(t *testing.T, b *build, deb string) []string {
	t.Helper()
	stamp := time.Unix(b.epoch, 0).UTC().Format("2006-01-02 15:04")
	var out []string
	for _, l := range lines(must(t, "", "dpkg-deb", "-c", deb)) {
		m := dpkgListLine.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("dpkg-deb -c: unexpected line %q", l)
		}
		if m[3] != stamp {
			t.Errorf("%s: %s has time %s, want the commit's %s", filepath.Base(deb), m[4], m[3], stamp)
		}
		owner := m[2]
		if owner == "0/0" {
			owner = "root/root"
		}
		out = append(out, m[1]+" "+owner+" "+m[4])
	}
	return out
}

func wantList(t *testing.T, b *build, name string) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(b.dir, "packaging", "contents", name))
	if err != nil {
		t.Fatal(err)
	}
	return lines(string(data))
}

func checkDebContents(t *testing.T, b *build) {
	checkVersion(t, b)
	for _, p := range pkgNames {
		diffLines(t, "dpkg-deb -c "+p, wantList(t, b, p+".deb"), debList(t, b, b.files[p+".deb"]))
	}
	// The man page is the repository's, gzipped; the changelog names this version.
	deb := b.files["fence-scsi-go.deb"]
	man := extract(t, deb, "./usr/share/man/man8/fence_scsi_go.8.gz")
	src, _ := os.ReadFile(filepath.Join(b.dir, "man", "fence_scsi_go.8"))
	if gunzip(t, man) != string(src) {
		t.Errorf("the packaged man page is not man/fence_scsi_go.8")
	}
	for _, p := range pkgNames {
		cl := gunzip(t, extract(t, b.files[p+".deb"], "./usr/share/doc/"+p+"/changelog.Debian.gz"))
		head := p + " (" + b.version + "-1) unstable; urgency=medium"
		if !strings.HasPrefix(cl, head+"\n") {
			t.Errorf("%s changelog.Debian.gz does not start with %q:\n%s", p, head, cl)
		}
	}
}
