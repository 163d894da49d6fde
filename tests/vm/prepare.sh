#!/bin/bash
# Prepare everything the real-storage test VM needs, on a Debian 12 machine, as root.
#
#   tests/vm/prepare.sh                 (idempotent; second runs reuse the cache)
#   tests/vm/prepare.sh --kernel new    (also a current Debian kernel, for run.sh --kernel new)
#
# Installs: qemu-system-x86 (no recommends), busybox-static, cpio, sg3-utils, fence-agents (the
# reference fence_scsi), python3, iproute2 (ss -K), dmsetup, xz-utils, lvm2 (real vgs for the
# shared-VG scenario), jq (check-storage's JSON in its scenario), nvme-cli (NVMe reservations
# read and driven independently of the agent in the --target nvmet scenarios), and tgt (the user-space
# iSCSI target run.sh --target tgt starts inside the guest; its service is never started here). Downloads (never installs) the
# Debian kernel package that linux-image-amd64 depends on and open-iscsi (for iscsistart) plus
# the two libraries iscsistart needs that a plain system lacks, unpacks them with dpkg-deb -x,
# and builds an initramfs from tests/vm/guest-init.sh. Everything goes to $FSG_VM_CACHE
# (default /var/cache/fence_scsi_go-vm), outside the repository. The initramfs is keyed on the
# kernel version and a hash of the files it is built from.
#
# --kernel new (or FSG_VM_KERNEL=new): the newest kernel of Debian's trixie-backports (7.x at
# the time of writing; NVMe target with reservations), found and downloaded through a private
# apt configuration under $FSG_VM_CACHE/apt-new (its own sources list and lists): the host's
# apt sources are never changed. Its initramfs also carries nvmet, nvmet-tcp, nvme-tcp,
# nvme-fabrics (loaded at boot; nvme-core with multipath=N) and brd (RAM disks backing the
# namespaces of run.sh --target nvmet, loaded only then).
#
# Result: $FSG_VM_CACHE/current.env (default kernel) or new.env (--kernel new), read by run.sh.
# Output: one progress line per step that has work to do; what apt-get, dpkg and dpkg-deb print
# goes to $FSG_VM_CACHE/prepare.log (FSG_VM_PREPARE_LOG), which every failure names.
set -euo pipefail

CACHE=${FSG_VM_CACHE:-/var/cache/fence_scsi_go-vm}
HERE=$(cd "$(dirname "$0")" && pwd)

log() { printf 'vm-prepare: %s\n' "$*" >&2; }
die() { printf 'vm-prepare: ERROR: %s\n' "$*" >&2; exit 1; }

# logged CMD...: run CMD with its output appended to $LOG (set below); on failure, show the
# last lines of the log and name it. Returns CMD's status.
logged() {
	printf '\n---- %s\n' "$*" >>"$LOG"
	"$@" >>"$LOG" 2>&1 && return 0
	local rc=$?
	tail -n 15 "$LOG" | sed 's/^/    | /' >&2
	log "the full output is in $LOG"
	return "$rc"
}

KERNEL=${FSG_VM_KERNEL:-default}
while [ $# -gt 0 ]; do
	case "$1" in
	--kernel) KERNEL=${2-}; shift 2 ;;
	*) die "unknown argument $1 (usage: prepare.sh [--kernel default|new])" ;;
	esac
done
case "$KERNEL" in default | new) ;; *) die "--kernel must be default or new" ;; esac

[ "$(id -u)" -eq 0 ] || die "must run as root (installs Debian packages)"
command -v dpkg-deb >/dev/null || die "not a Debian system (no dpkg-deb)"
mkdir -p "$CACHE"
LOG=${FSG_VM_PREPARE_LOG:-$CACHE/prepare.log}
printf '\n==== %s: tests/vm/prepare.sh %s\n' "$(date -u '+%F %T UTC')" "$*" >>"$LOG" ||
	die "cannot write the log file $LOG"

# 1. Debian packages installed on the host (the guest runs them through the 9p-shared root).
PKGS="qemu-system-x86 busybox-static cpio sg3-utils fence-agents python3 util-linux iproute2 dmsetup xz-utils tgt lvm2 jq nvme-cli"
missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done
apt_updated=0
apt_update() {
	if [ "$apt_updated" -eq 0 ]; then
		log "apt-get update"
		logged apt-get update -q || die "apt-get update failed (log: $LOG)"
		apt_updated=1
	fi
}
if [ -n "$missing" ]; then
	apt_update
	log "installing Debian packages:$missing (output: $LOG)"
	# tgt's package would start tgtd on the host: a policy-rc.d (if none exists) forbids it.
	rcd=""
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod 755 /usr/sbin/policy-rc.d
		rcd=/usr/sbin/policy-rc.d
	fi
	# shellcheck disable=SC2086 # word splitting of the package list is intended
	logged env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing ||
		{ [ -z "$rcd" ] || rm -f "$rcd"; die "apt-get install failed (log: $LOG)"; }
	[ -z "$rcd" ] || rm -f "$rcd"
fi

mkdir -p "$CACHE/debs"

# APT: the host's apt; for --kernel new, the private configuration of new_kernel_apt.
APT_OPTS=()
# download_unpack PKG DESTDIR: apt-get download PKG (exact name) and dpkg-deb -x it.
download_unpack() {
	local pkg=$1 dest=$2 tmp deb
	tmp=$(mktemp -d "$CACHE/debs/dl.XXXXXX")
	chmod 755 "$tmp"
	log "downloading and unpacking $pkg"
	if ! (cd "$tmp" && apt-get "${APT_OPTS[@]}" download -q "$pkg" >>"$LOG" 2>&1); then
		[ ${#APT_OPTS[@]} -gt 0 ] || apt_update
		(cd "$tmp" && logged apt-get "${APT_OPTS[@]}" download -q "$pkg") ||
			{ rm -rf "$tmp"; die "apt-get download $pkg failed (log: $LOG)"; }
	fi
	deb=$(ls "$tmp"/*.deb)
	mkdir -p "$dest"
	logged dpkg-deb -x "$deb" "$dest" || die "dpkg-deb -x $deb failed (log: $LOG)"
	mv "$deb" "$CACHE/debs/"
	rmdir "$tmp"
}

# 2. The kernel: the package linux-image-amd64 depends on (6.1.x on Debian 12), or with
# --kernel new the one it depends on in trixie-backports. Newer Debian kernels are split into
# linux-image-VER (a stub), linux-binary-VER (vmlinuz) and linux-modules-VER.
ENVFILE="$CACHE/current.env"
[ "$KERNEL" = new ] && ENVFILE="$CACHE/new.env"

# new_kernel_apt: a private apt configuration (sources, lists, cache under $CACHE/apt-new)
# knowing trixie-backports only; its lists are refreshed when older than a day.
new_kernel_apt() {
	local a="$CACHE/apt-new"
	mkdir -p "$a/lists/partial" "$a/archives/partial"
	echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie-backports main" >"$a/sources.list"
	APT_OPTS=(-o "Dir::Etc::SourceList=$a/sources.list" -o Dir::Etc::SourceParts=/dev/null
		-o "Dir::State::Lists=$a/lists" -o "Dir::Cache=$a" -o "Dir::Cache::archives=$a/archives"
		-o Acquire::Languages=none -o APT::Architectures=amd64 -o APT::Sandbox::User=root)
	if [ -z "$(find "$a/lists" -maxdepth 1 -name '*Packages*' -mtime -1 2>/dev/null)" ]; then
		log "apt-get update (private list: trixie-backports)"
		logged apt-get "${APT_OPTS[@]}" update -q || log "private apt-get update failed (log: $LOG)"
	fi
}

# (awk reads to the end: an early exit would kill apt-cache with SIGPIPE, and under pipefail and
# set -e that ended prepare.sh without a message when the host was busy.)
kernel_pkg() {
	{ apt-cache "${APT_OPTS[@]}" depends linux-image-amd64 2>/dev/null || true; } |
		awk '/Depends: linux-image-[0-9]/ && !found {print $2; found = 1}'
}

if [ "$KERNEL" = new ]; then new_kernel_apt; fi
KPKG=$(kernel_pkg)
if [ -z "$KPKG" ] && [ "$KERNEL" = default ]; then
	apt_update
	KPKG=$(kernel_pkg)
fi
if [ -z "$KPKG" ]; then
	# Offline: fall back to the kernel this mode used last time.
	KVER=$(sed -n 's/^FSG_KVER=//p' "$ENVFILE" 2>/dev/null)
	[ -n "$KVER" ] && [ -e "$CACHE/kernel/$KVER/.ok" ] || die "cannot find the kernel package linux-image-amd64 depends on ($KERNEL)"
	log "apt-cache has no linux-image-amd64; using cached kernel $KVER"
else
	KVER=${KPKG#linux-image-}
fi
KDIR="$CACHE/kernel/$KVER"
if [ ! -e "$KDIR/.ok" ]; then
	rm -rf "$KDIR"
	download_unpack "linux-image-$KVER" "$KDIR"
	for p in "linux-binary-$KVER" "linux-modules-$KVER"; do
		if apt-cache "${APT_OPTS[@]}" show "$p" >/dev/null 2>&1; then download_unpack "$p" "$KDIR"; fi
	done
	touch "$KDIR/.ok"
fi
APT_OPTS=()
VMLINUZ=""
for f in "$KDIR/boot/vmlinuz-$KVER" "$KDIR/usr/lib/modules/$KVER/vmlinuz"; do
	[ -f "$f" ] && VMLINUZ=$f && break
done
[ -n "$VMLINUZ" ] || die "no vmlinuz in the kernel packages of $KVER"
MODDIR="$KDIR/lib/modules/$KVER"
[ -d "$MODDIR" ] || MODDIR="$KDIR/usr/lib/modules/$KVER"
[ -d "$MODDIR/kernel" ] || die "no modules directory for $KVER"

# 3. iscsistart (open-iscsi) and the libraries it needs beyond the base system.
IDIR="$CACHE/open-iscsi"
if [ ! -e "$IDIR/.ok" ]; then
	rm -rf "$IDIR"
	for p in open-iscsi libisns0 libopeniscsiusr; do download_unpack "$p" "$IDIR"; done
	touch "$IDIR/.ok"
fi
[ -x "$IDIR/sbin/iscsistart" ] || die "no sbin/iscsistart in open-iscsi"

# 4. The initramfs. Modules in load order (dependency order, as modules.dep gives it).
# Each module's own dependencies (its modinfo "depends=") are loaded before it, so the list
# works for kernels whose helpers moved (newer kernels build the CRC and virtio helpers in or
# merged fscache into netfs: a listed module missing from such a kernel is skipped).
MODULES="crct10dif_common crct10dif_generic crc-t10dif crc64 crc64_rocksoft_generic crc64-rocksoft
t10-pi crc32c_generic scsi_common scsi_mod sd_mod sg configfs target_core_mod iscsi_target_mod
scsi_transport_iscsi libiscsi libiscsi_tcp iscsi_tcp
virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci 9pnet 9pnet_virtio
netfs fscache 9p dm-mod dm-multipath dm-round-robin inet_diag tcp_diag"
# Required on the new kernel: the NVMe-over-TCP target and initiator (run.sh --target nvmet),
# and brd, the RAM disks behind its namespaces.
NVME_MODULES="nvme-fabrics nvme-tcp nvmet nvmet-tcp brd"
[ "$KERNEL" = new ] && MODULES="$MODULES $NVME_MODULES"

HASH=$( { cat "$HERE/guest-init.sh"; echo "$MODULES"; sed -n '/^# BEGIN-INITRD-BUILD/,/^# END-INITRD-BUILD/p' "$0"; } | sha256sum | cut -c1-16)
INITRD="$CACHE/initrd-$KVER-$HASH.gz"

# BEGIN-INITRD-BUILD
if [ ! -s "$INITRD" ]; then
	log "building initramfs $INITRD"
	BUSYBOX=/bin/busybox # from busybox-static: statically linked
	[ -x "$BUSYBOX" ] || die "busybox-static not installed"
	R=$(mktemp -d "$CACHE/initrd-build.XXXXXX")
	trap 'rm -rf "$R"' EXIT
	mkdir -p "$R"/{bin,sbin,dev,proc,sys,host,run,tmp,etc/target/pr,fsg/bin,fsg/lib,fsg/modules}
	cp "$BUSYBOX" "$R/bin/busybox"
	for a in $("$R/bin/busybox" --list); do
		[ -e "$R/bin/$a" ] || ln -s busybox "$R/bin/$a"
	done
	: >"$R/fsg/modules/order"
	# add_module M: M's dependencies, then M (decompressed), once.
	add_module() {
		local m=$1 f d
		[ -e "$R/fsg/modules/$m.ko" ] && return 0
		f=$(find "$MODDIR/kernel" \( -name "$m.ko" -o -name "$m.ko.xz" -o -name "$m.ko.zst" \) | head -1)
		if [ -z "$f" ]; then
			if grep -q "/$m.ko" "$MODDIR/modules.builtin" 2>/dev/null; then return 0; fi
			case " $NVME_MODULES " in *" $m "*) die "module $m not found in $MODDIR" ;; esac
			[ "$KERNEL" = new ] || die "module $m not found in $MODDIR"
			log "module $m not in $KVER (built in or merged): skipped"
			return 0
		fi
		case "$f" in
		*.xz) xz -dc "$f" >"$R/fsg/modules/$m.ko.tmp" ;;
		*.zst) zstd -qdc "$f" >"$R/fsg/modules/$m.ko.tmp" ;;
		*) cp "$f" "$R/fsg/modules/$m.ko.tmp" ;;
		esac
		for d in $(tr '\0' '\n' <"$R/fsg/modules/$m.ko.tmp" | sed -n 's/^depends=//p' | head -1 | tr ',' ' '); do
			add_module "$d"
		done
		mv "$R/fsg/modules/$m.ko.tmp" "$R/fsg/modules/$m.ko"
		echo "$m" >>"$R/fsg/modules/order"
	}
	for m in $MODULES; do add_module "$m"; done
	cp "$IDIR/sbin/iscsistart" "$R/fsg/bin/iscsistart.bin"
	# Copy every shared library iscsistart needs; run it through the copied loader so it works
	# both in the initramfs and inside the chroot into the host root.
	LD_LIBRARY_PATH="$IDIR/usr/lib/x86_64-linux-gnu:$IDIR/lib/x86_64-linux-gnu" \
		ldd "$IDIR/sbin/iscsistart" | awk '/=>/ {print $3} /^[ \t]*\/.*ld-linux/ {print $1}' |
		while read -r lib; do
			[ -n "$lib" ] && [ -e "$lib" ] || die "iscsistart library not found: $lib"
			cp -L "$lib" "$R/fsg/lib/"
		done
	ls "$R"/fsg/lib/ld-linux-x86-64.so.2 >/dev/null || die "no dynamic loader copied"
	cat >"$R/fsg/bin/iscsistart" <<'EOF'
#!/bin/sh
# iscsistart from Debian's open-iscsi, run through its own copied libraries.
d=$(dirname "$0")/..
exec "$d/lib/ld-linux-x86-64.so.2" --library-path "$d/lib" "$d/bin/iscsistart.bin" "$@"
EOF
	chmod 755 "$R/fsg/bin/iscsistart"
	cp "$HERE/guest-init.sh" "$R/init"
	chmod 755 "$R/init"
	(cd "$R" && find . | cpio -o -H newc --quiet | gzip -1) >"$INITRD.tmp.$$"
	mv "$INITRD.tmp.$$" "$INITRD"
	# Older initramfs builds are stale now (QEMU reads the file at start, so running guests
	# are not affected).
	for f in "$CACHE/initrd-$KVER-"*.gz; do [ "$f" = "$INITRD" ] || rm -f "$f"; done
	rm -rf "$R"
	trap - EXIT
fi
# END-INITRD-BUILD

cat >"$ENVFILE.tmp.$$" <<EOF
FSG_KVER=$KVER
FSG_VMLINUZ=$VMLINUZ
FSG_INITRD=$INITRD
FSG_INIT_SHA=$(sha256sum "$HERE/guest-init.sh" | cut -d' ' -f1)
EOF
mv "$ENVFILE.tmp.$$" "$ENVFILE"
log "ready: kernel $KVER, initrd $(basename "$INITRD") (cache $CACHE)"
