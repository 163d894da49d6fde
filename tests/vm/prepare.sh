#!/bin/bash
# Prepare everything the real-storage test VM needs, on a Debian 12 machine, as root.
#
#   tests/vm/prepare.sh            (idempotent; second runs reuse the cache)
#
# Installs: qemu-system-x86 (no recommends), busybox-static, cpio, sg3-utils, fence-agents (the
# reference fence_scsi), python3, iproute2 (ss -K), dmsetup. Downloads (never installs) the
# Debian kernel package that linux-image-amd64 depends on and open-iscsi (for iscsistart) plus
# the two libraries iscsistart needs that a plain system lacks, unpacks them with dpkg-deb -x,
# and builds an initramfs from tests/vm/guest-init.sh. Everything goes to $FSG_VM_CACHE
# (default /var/cache/fence_scsi_go-vm), outside the repository. The initramfs is keyed on the
# kernel version and a hash of the files it is built from.
#
# Result: $FSG_VM_CACHE/current.env, read by tests/vm/run.sh.
set -euo pipefail

CACHE=${FSG_VM_CACHE:-/var/cache/fence_scsi_go-vm}
HERE=$(cd "$(dirname "$0")" && pwd)

log() { printf 'vm-prepare: %s\n' "$*" >&2; }
die() { printf 'vm-prepare: ERROR: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "must run as root (installs Debian packages)"
command -v dpkg-deb >/dev/null || die "not a Debian system (no dpkg-deb)"

# 1. Debian packages installed on the host (the guest runs them through the 9p-shared root).
PKGS="qemu-system-x86 busybox-static cpio sg3-utils fence-agents python3 util-linux iproute2 dmsetup"
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
		apt-get update -qq
		apt_updated=1
	fi
}
if [ -n "$missing" ]; then
	apt_update
	log "installing:$missing"
	# shellcheck disable=SC2086 # word splitting of the package list is intended
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >&2
fi

mkdir -p "$CACHE/debs"

# download_unpack PKG DESTDIR: apt-get download PKG (exact name) and dpkg-deb -x it.
download_unpack() {
	local pkg=$1 dest=$2 tmp deb
	tmp=$(mktemp -d "$CACHE/debs/dl.XXXXXX")
	chmod 755 "$tmp"
	log "downloading $pkg"
	if ! (cd "$tmp" && apt-get download -qq "$pkg" >&2 2>/dev/null); then
		apt_update
		(cd "$tmp" && apt-get download -qq "$pkg" >&2) || { rm -rf "$tmp"; die "apt-get download $pkg failed"; }
	fi
	deb=$(ls "$tmp"/*.deb)
	mkdir -p "$dest"
	dpkg-deb -x "$deb" "$dest"
	mv "$deb" "$CACHE/debs/"
	rmdir "$tmp"
}

# 2. The kernel: the package linux-image-amd64 depends on (6.1.x on Debian 12).
KPKG=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
if [ -z "$KPKG" ]; then
	apt_update
	KPKG=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
fi
if [ -z "$KPKG" ]; then
	# Offline: fall back to a kernel already in the cache.
	KVER=$(ls "$CACHE/kernel" 2>/dev/null | sort -V | tail -1)
	[ -n "$KVER" ] || die "cannot find the kernel package linux-image-amd64 depends on"
	log "apt-cache has no linux-image-amd64; using cached kernel $KVER"
else
	KVER=${KPKG#linux-image-}
fi
KDIR="$CACHE/kernel/$KVER"
if [ ! -e "$KDIR/.ok" ]; then
	rm -rf "$KDIR"
	download_unpack "linux-image-$KVER" "$KDIR"
	touch "$KDIR/.ok"
fi
VMLINUZ="$KDIR/boot/vmlinuz-$KVER"
MODDIR="$KDIR/lib/modules/$KVER"
[ -f "$VMLINUZ" ] || die "no $VMLINUZ in the kernel package"

# 3. iscsistart (open-iscsi) and the libraries it needs beyond the base system.
IDIR="$CACHE/open-iscsi"
if [ ! -e "$IDIR/.ok" ]; then
	rm -rf "$IDIR"
	for p in open-iscsi libisns0 libopeniscsiusr; do download_unpack "$p" "$IDIR"; done
	touch "$IDIR/.ok"
fi
[ -x "$IDIR/sbin/iscsistart" ] || die "no sbin/iscsistart in open-iscsi"

# 4. The initramfs. Modules in load order (dependency order; see docs/real-storage-vm.md).
MODULES="crct10dif_common crct10dif_generic crc-t10dif crc64 crc64_rocksoft_generic crc64-rocksoft
t10-pi crc32c_generic scsi_common scsi_mod sd_mod sg configfs target_core_mod iscsi_target_mod
scsi_transport_iscsi libiscsi libiscsi_tcp iscsi_tcp
virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci 9pnet 9pnet_virtio
netfs fscache 9p dm-mod dm-multipath dm-round-robin inet_diag tcp_diag"

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
	for m in $MODULES; do
		f=$(find "$MODDIR/kernel" -name "$m.ko" | head -1)
		if [ -z "$f" ]; then
			if grep -q "/$m.ko\$" "$MODDIR/modules.builtin" 2>/dev/null; then continue; fi
			die "module $m not found in $MODDIR"
		fi
		cp "$f" "$R/fsg/modules/$m.ko"
		echo "$m" >>"$R/fsg/modules/order"
	done
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
	(cd "$R" && find . | cpio -o -H newc --quiet | gzip -1) >"$INITRD.tmp"
	mv "$INITRD.tmp" "$INITRD"
	# Older initramfs builds are stale now (QEMU reads the file at start, so running guests
	# are not affected).
	for f in "$CACHE"/initrd-*.gz; do [ "$f" = "$INITRD" ] || rm -f "$f"; done
	rm -rf "$R"
	trap - EXIT
fi
# END-INITRD-BUILD

cat >"$CACHE/current.env.tmp" <<EOF
FSG_KVER=$KVER
FSG_VMLINUZ=$VMLINUZ
FSG_INITRD=$INITRD
FSG_INIT_SHA=$(sha256sum "$HERE/guest-init.sh" | cut -d' ' -f1)
EOF
mv "$CACHE/current.env.tmp" "$CACHE/current.env"
log "ready: kernel $KVER, initrd $(basename "$INITRD") (cache $CACHE)"
