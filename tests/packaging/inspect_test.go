//go:build packaging

package packaging

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// extract returns one member of a .deb's data archive.
func extract(t *testing.T, deb, member string) []byte {
	t.Helper()
	dir := t.TempDir()
	must(t, dir, "sh", "-c", `dpkg-deb --fsys-tarfile "$1" | tar -xf - "$2"`, "sh", deb, member)
	data, err := os.ReadFile(filepath.Join(dir, member))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func gunzip(t *testing.T, data []byte) string {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// checkDebControl: the control fields and the maintainer scripts of both .debs.
func checkDebControl(t *testing.T, b *build) {
	full := b.version + "-1"
	arch := strings.TrimSpace(must(t, "", "dpkg", "--print-architecture"))
	want := map[string]map[string]string{
		"fence-scsi-go": {"Package": "fence-scsi-go", "Version": full, "Architecture": arch,
			"Section": "admin", "Priority": "optional", "Depends": "", "Pre-Depends": "",
			"Recommends": "", "Suggests": "corosync, lvm2", "Conflicts": "", "Provides": "",
			"Homepage": "https://github.com/fence-scsi-go/fence_scsi_go"},
		"fence-scsi-go-dropin": {"Package": "fence-scsi-go-dropin", "Version": full, "Architecture": "all",
			"Depends": "fence-scsi-go (= " + full + ")", "Pre-Depends": "", "Conflicts": "",
			"Homepage": "https://github.com/fence-scsi-go/fence_scsi_go"},
	}
	members := map[string]string{
		"fence-scsi-go":        "./control ./md5sums",
		"fence-scsi-go-dropin": "./control ./md5sums ./postrm ./preinst",
	}
	for _, p := range pkgNames {
		deb := b.files[p+".deb"]
		for field, v := range want[p] {
			if got := strings.TrimSpace(must(t, "", "dpkg-deb", "-f", deb, field)); got != v {
				t.Errorf("%s: %s is %q, want %q", p, field, got, v)
			}
		}
		if m := strings.TrimSpace(must(t, "", "dpkg-deb", "-f", deb, "Maintainer")); !strings.Contains(m, "<") {
			t.Errorf("%s: Maintainer %q is not 'Name <address>'", p, m)
		}
		got := strings.Join(lines(must(t, "", "sh", "-c", `dpkg-deb --ctrl-tarfile "$1" | tar -t | sort`, "sh", deb)), " ")
		if got != "./ "+members[p] && got != members[p] {
			t.Errorf("%s: control archive has %q, want %q", p, got, members[p])
		}
	}
	for _, s := range []string{"preinst", "postrm"} {
		got := must(t, "", "dpkg-deb", "-I", b.files["fence-scsi-go-dropin.deb"], s)
		src, _ := os.ReadFile(filepath.Join(b.dir, "packaging", "debian", "dropin."+s))
		if got != string(src) {
			t.Errorf("dropin %s is not packaging/debian/dropin.%s", s, s)
		}
	}
}

var lintianTag = regexp.MustCompile(`^([EWIPX]): (\S+)(?: \S+)?: (\S+)`)

// checkLintian: no error; every other tag is explained in docs/packaging.md.
func checkLintian(t *testing.T, b *build) {
	r := run(t, "", "lintian", "--pedantic", "--display-info", "--display-experimental",
		b.files["fence-scsi-go.deb"], b.files["fence-scsi-go-dropin.deb"])
	t.Logf("lintian (exit %d):\n%s%s", r.rc, r.out, r.errOut)
	doc, err := os.ReadFile(filepath.Join(b.dir, "docs", "packaging.md"))
	if err != nil {
		t.Fatal(err)
	}
	if r.rc != 0 {
		t.Errorf("lintian exited %d", r.rc)
	}
	for _, l := range lines(r.out) {
		m := lintianTag.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		if m[1] == "E" {
			t.Errorf("lintian error: %s", l)
		} else if !bytes.Contains(doc, []byte("`"+m[3]+"`")) {
			t.Errorf("lintian tag not explained in docs/packaging.md: %s", l)
		}
	}
}

// rpmQuery runs rpm -qp QUERY... on a package.
func rpmQuery(t *testing.T, pkg string, query ...string) string {
	t.Helper()
	return must(t, "", append(append([]string{"rpm", "-qp"}, query...), pkg)...)
}

const rpmFileFormat = `[%{FILEMODES:perms} %{FILEUSERNAME}/%{FILEGROUPNAME} %{FILENAMES} -> %{FILELINKTOS}\n]`

// checkRPM: file lists, header fields, dependencies and scriptlets of both .rpms.
func checkRPM(t *testing.T, b *build) {
	full := b.version + "-1"
	deps := map[string]map[string]string{
		"fence-scsi-go": {"--requires": "", "--provides": "fence-scsi-go = " + full,
			"--conflicts": "", "--obsoletes": "", "--recommends": "", "--suggests": "corosync\nlvm2"},
		"fence-scsi-go-dropin": {"--requires": "fence-scsi-go = " + full,
			"--provides":  "fence-agents-scsi\nfence-scsi-go-dropin = " + full,
			"--conflicts": "fence-agents-scsi", "--obsoletes": "", "--recommends": "", "--suggests": ""},
	}
	for _, p := range pkgNames {
		rpm := b.files[p+".rpm"]
		var got []string
		for _, l := range lines(rpmQuery(t, rpm, "--qf", rpmFileFormat)) {
			got = append(got, strings.TrimSuffix(l, " ->"))
		}
		diffLines(t, "rpm -qp --qf FILEMODES... "+p, wantList(t, b, p+".rpm"), got)
		var paths []string
		for _, l := range wantList(t, b, p+".rpm") {
			paths = append(paths, strings.Fields(l)[2])
		}
		diffLines(t, "rpm -qlp "+p, paths, lines(rpmQuery(t, rpm, "-l")))
		for q, v := range deps[p] {
			if got := strings.Join(lines(rpmQuery(t, rpm, q)), "\n"); got != v {
				t.Errorf("rpm -qp %s %s: %q, want %q", q, p, got, v)
			}
		}
		if s := rpmQuery(t, rpm, "--scripts"); s != "" {
			t.Errorf("%s has scriptlets, want none:\n%s", p, s)
		}
		checkRPMInfo(t, b, p, rpm)
	}
}

func checkRPMInfo(t *testing.T, b *build, p, rpm string) {
	info := rpmQuery(t, rpm, "-i")
	t.Logf("rpm -qip %s:\n%s", filepath.Base(rpm), info)
	arch := rpmArch(strings.TrimSpace(must(t, b.dir, "go", "env", "GOARCH")))
	if p == "fence-scsi-go-dropin" {
		arch = "noarch"
	}
	for _, f := range [][2]string{{"Name", p}, {"Version", b.version}, {"Release", "1"},
		{"Architecture", arch}, {"License", "NOASSERTION"}, {"Build Host", "reproducible"},
		{"URL", "https://github.com/fence-scsi-go/fence_scsi_go"}} {
		re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(f[0]) + `\s*: (.*)$`)
		if m := re.FindStringSubmatch(info); m == nil || strings.TrimSpace(m[1]) != f[1] {
			t.Errorf("rpm -qip %s: %s is %v, want %q", p, f[0], m, f[1])
		}
	}
	if bt := strings.TrimSpace(rpmQuery(t, rpm, "--qf", "%{BUILDTIME}")); bt != strconv.FormatInt(b.epoch, 10) {
		t.Errorf("%s: build time %s, want the commit's %d", p, bt, b.epoch)
	}
	if cl := rpmQuery(t, rpm, "--changelog"); !strings.Contains(cl, " - "+b.version+"-1\n") {
		t.Errorf("%s: the changelog does not name %s-1:\n%s", p, b.version, cl)
	}
}
