#!/bin/sh
# packaging/build.sh FORMAT...: build the fence-scsi-go and fence-scsi-go-dropin packages
# (FORMAT: deb or rpm) from the agent binary that `make build` wrote, with nfpm run through the
# Go toolchain. Called by `make deb` / `make rpm`; see docs/packaging.md.
#
# Environment (all optional): GO, BIN (the agent binary), CHECK_BIN (the watchdog check's
# binary), TOOLS_BIN (the helper for check-storage and acquire/defend/release), PKG_OUTDIR, NFPM_VERSION,
# PKG_MAINTAINER, PKG_HOMEPAGE, SOURCE_DATE_EPOCH (default: the committer time
# of HEAD). The same commit, toolchain and these variables give the same package bytes.
set -eu

cd "$(dirname "$0")/.."
GO=${GO:-go}
BIN=${BIN:-bin/fence_scsi_go}
CHECK_BIN=${CHECK_BIN:-bin/fence_scsi_check}
TOOLS_BIN=${TOOLS_BIN:-bin/fence_scsi_go_tools}
PKG_OUTDIR=${PKG_OUTDIR:-bin/packages}
NFPM_VERSION=${NFPM_VERSION:-v2.45.2}

die() { echo "packaging: $*" >&2; exit 1; }

[ $# -gt 0 ] || die "usage: packaging/build.sh deb|rpm..."
for f in "$@"; do
	case $f in deb | rpm) ;; *) die "unknown package format '$f' (want deb or rpm)" ;; esac
done
[ -x "$BIN" ] || die "$BIN is missing: run make build first"
[ -x "$CHECK_BIN" ] || die "$CHECK_BIN is missing: run make build first"
[ -x "$TOOLS_BIN" ] || die "$TOOLS_BIN is missing: run make build first"
git rev-parse --verify -q HEAD >/dev/null || die "not a git checkout with a commit: the version and date come from git"

# Dates and version from the last commit (docs/packaging.md, "Version").
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct)}
case $SOURCE_DATE_EPOCH in '' | *[!0-9]*) die "SOURCE_DATE_EPOCH '$SOURCE_DATE_EPOCH' is not a number of seconds" ;; esac
export SOURCE_DATE_EPOCH
FSG_VERSION=$(packaging/version.sh)
FSG_ARCH=${GOARCH:-$($GO env GOARCH)}
FSG_MAINTAINER=${PKG_MAINTAINER:-$(git log -1 --format='%an <%ae>')}
FSG_HOMEPAGE=${PKG_HOMEPAGE:-https://github.com/fence-scsi-go/fence_scsi_go}
case $FSG_MAINTAINER in *'"'* | *'\'*) die "PKG_MAINTAINER must not contain quotes or backslashes" ;; esac
case $FSG_MAINTAINER in *?' <'?*@?*'>') ;; *) die "PKG_MAINTAINER '$FSG_MAINTAINER' is not 'Name <address>'" ;; esac
if [ -n "$(git status --porcelain --untracked-files=no)" ]; then
	echo "packaging: NOTE: the work tree has uncommitted changes; the version names HEAD ($FSG_VERSION)" >&2
fi

stage=$(mktemp -d "${TMPDIR:-/tmp}/fsg-pkg-stage.XXXXXX")
trap 'rm -rf "$stage"' EXIT
stage_files() {
	# Stripped as dh_strip does (Debian policy 10.1); the Go build info stays (go version -m).
	strip --strip-unneeded --remove-section=.comment --remove-section=.note -o "$stage/fence_scsi_go" "$BIN"
	strip --strip-unneeded --remove-section=.comment --remove-section=.note -o "$stage/fence_scsi_check" "$CHECK_BIN"
	strip --strip-unneeded --remove-section=.comment --remove-section=.note -o "$stage/fence_scsi_go_tools" "$TOOLS_BIN"
	chmod 0755 "$stage/fence_scsi_go" "$stage/fence_scsi_check" "$stage/fence_scsi_go_tools"
	gzip -9n <man/fence_scsi_go.8 >"$stage/fence_scsi_go.8.gz"
	first=$(git log --reverse --format=%ad --date=format:%Y | head -n 1)
	last=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y)
	years=$first; [ "$first" = "$last" ] || years=$first-$last
	sed "s/@YEARS@/$years/" packaging/copyright.in >"$stage/copyright"
	install -m 0644 packaging/debian/fence-scsi-go.lintian-overrides "$stage/lintian-overrides"
	install -m 0755 packaging/debian/dropin.preinst packaging/debian/dropin.postrm "$stage/"
	date=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ)
	what=$(git describe --tags 2>/dev/null || echo "no release tag")
	cat >"$stage/changelog.yml" <<-YAML
		- semver: "$FSG_VERSION-1"
		  date: "$date"
		  packager: "$FSG_MAINTAINER"
		  deb:
		    urgency: medium
		    distributions: [unstable]
		  changes:
		    - note: "Build of fence_scsi_go from git commit $(git rev-parse --short=12 HEAD) ($what)."
	YAML
	touch -h -d "@$SOURCE_DATE_EPOCH" "$stage"/*
}
stage_files

export FSG_VERSION FSG_ARCH FSG_MAINTAINER FSG_HOMEPAGE
mkdir -p "$PKG_OUTDIR"
out=$(cd "$PKG_OUTDIR" && pwd)
# The pinned nfpm, built once by the Go toolchain from the module proxy (cached afterwards).
GOBIN="$stage/tools" "$GO" install "github.com/goreleaser/nfpm/v2/cmd/nfpm@$NFPM_VERSION" ||
	die "go install github.com/goreleaser/nfpm/v2/cmd/nfpm@$NFPM_VERSION failed"
for fmt in "$@"; do
	for pkg in fence-scsi-go fence-scsi-go-dropin; do
		cp "packaging/$pkg.yaml" "$stage/nfpm.yaml"
		# nfpm reads the changelog path relative to its working directory: run it in $stage.
		(cd "$stage" && tools/nfpm package --config nfpm.yaml --packager "$fmt" --target "$out") >"$stage/nfpm.log" 2>&1 ||
			{ cat "$stage/nfpm.log" >&2; die "nfpm failed for $pkg ($fmt)"; }
		awk -F 'created package: ' 'NF > 1 { print $2 }' "$stage/nfpm.log"
	done
done
