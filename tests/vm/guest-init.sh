#!/bin/sh
# /init of the test guest's initramfs (busybox sh, PID 1). Built into the initramfs by
# tests/vm/prepare.sh; see tests/vm/README.md.
#
# 1. loads the kernel modules (LIO, iSCSI initiator, 9p, dm) in dependency order;
# 2. reads /fsgrun/config.env (9p share "fsgrun", written by tests/vm/run.sh);
# 3. mounts the host root (9p "hostroot", read-only) on /host with private /run and /tmp;
# 4. exports LUNS disks over iSCSI: TARGET=lio (default) rd_mcp RAM disks through LIO on one
#    portal per node and path (127.0.P-1.K:3260); TARGET=tgt files in the chroot's tmpfs through
#    tgtd (the host's Debian tgt, run in the chroot; LUN 0 is its controller, disks are LUN 1..);
#    then logs in once per node and path with iscsistart, initiator name
#    iqn.2003-01.org.linux-iscsi.fsg:nodeK;
# 5. runs /tmp/fsg-run/driver.sh in a chroot into the host root;
# 6. prints "FSG-RESULT: PASS" or "FSG-RESULT: FAIL ..." on the console and powers off.
export PATH=/bin:/sbin
umask 022

poweroff_now() {
	sync
	poweroff -f
	sleep 5
	echo o >/proc/sysrq-trigger
}
fail() {
	echo "FSG-RESULT: FAIL $*"
	poweroff_now
}

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
echo "FSG-BOOT: init started (uptime $(cut -d' ' -f1 /proc/uptime)s)"

while read -r m; do
	insmod "/fsg/modules/$m.ko" || fail "insmod $m"
done </fsg/modules/order
echo "FSG-BOOT: kernel $(uname -r)"
if [ -e /fsg/modules/nvmet-tcp.ko ]; then
	for m in nvmet nvmet_tcp nvme_tcp nvme_fabrics; do
		[ -d "/sys/module/$m" ] || fail "module $m not loaded"
	done
	echo "FSG-BOOT: NVMe modules loaded: nvmet nvmet-tcp nvme-tcp nvme-fabrics"
fi
mount -t configfs configfs /sys/kernel/config || fail "mount configfs"
ip link set lo up || fail "lo up"

mkdir -p /fsgrun
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 fsgrun /fsgrun || fail "mount 9p fsgrun"

# Config: only known keys, values checked; never evaluated as shell code.
NODES=1 LUNS=1 PATHS=1 LUN_MB=16 NOPR_LUNS="" TARGET=lio
while IFS='=' read -r k v; do
	case "$k" in
	'' | '#'*) continue ;;
	NODES | LUNS | PATHS | LUN_MB)
		case "$v" in '' | *[!0-9]*) fail "bad config value for $k" ;; esac
		case "$k" in
		NODES) NODES=$v ;; LUNS) LUNS=$v ;; PATHS) PATHS=$v ;; LUN_MB) LUN_MB=$v ;;
		esac
		;;
	NOPR_LUNS)
		case "$v" in *[!0-9\ ]*) fail "bad config value for $k" ;; esac
		NOPR_LUNS=$v
		;;
	TARGET)
		case "$v" in lio | tgt) TARGET=$v ;; *) fail "bad config value for $k" ;; esac
		;;
	*) ;; # keys for the driver (AGENT, ...) are handled there
	esac
done </fsgrun/config.env
[ "$NODES" -ge 1 ] && [ "$NODES" -le 16 ] || fail "NODES out of range"
[ "$LUNS" -ge 1 ] && [ "$LUNS" -le 64 ] || fail "LUNS out of range"
[ "$PATHS" -ge 1 ] && [ "$PATHS" -le 4 ] || fail "PATHS out of range"

# setup_lio: LIO exports LUNS rd_mcp RAM disks (PR emulation off for NOPR_LUNS).
setup_lio() {
	L=1
	while [ "$L" -le "$LUNS" ]; do
		d=$C/core/rd_mcp_0/lun$L
		mkdir -p "$d" || fail "mkdir backstore $L"
		echo "rd_pages=$((LUN_MB * 256))" >"$d/control" || fail "rd_pages $L"
		echo "fsg-lun$L" >"$d/wwn/vpd_unit_serial" || fail "serial $L"
		echo 1 >"$d/enable" || fail "enable backstore $L"
		for n in $NOPR_LUNS; do
			if [ "$n" = "$L" ]; then
				if [ -e "$d/attrib/emulate_pr" ]; then
					echo 0 >"$d/attrib/emulate_pr" || fail "emulate_pr=0 on LUN $L"
				else
					fail "kernel has no attrib/emulate_pr (LUN $L)"
				fi
			fi
		done
		L=$((L + 1))
	done
	ls "$C/core/rd_mcp_0/lun1/attrib" >/fsgrun/lio-attribs.txt 2>&1

	T=$C/iscsi/$TIQN/tpgt_1
	mkdir -p "$T" || fail "mkdir iscsi target"
	L=1
	while [ "$L" -le "$LUNS" ]; do
		mkdir "$T/lun/lun_$((L - 1))" || fail "mkdir lun_$((L - 1))"
		ln -s "$C/core/rd_mcp_0/lun$L" "$T/lun/lun_$((L - 1))/fsg_lun$L" || fail "link lun $L"
		L=$((L + 1))
	done
	K=1
	while [ "$K" -le "$NODES" ]; do
		P=1
		while [ "$P" -le "$PATHS" ]; do
			mkdir "$T/np/127.0.$((P - 1)).$K:3260" || fail "portal node $K path $P"
			P=$((P + 1))
		done
		K=$((K + 1))
	done
	# Spare portals for re-logins (a node's new session after a logout: 127.0.9.K .. 127.0.11.K).
	K=1
	while [ "$K" -le "$NODES" ]; do
		for P in 9 10 11; do
			mkdir "$T/np/127.0.$P.$K:3260" || fail "spare portal node $K"
		done
		K=$((K + 1))
	done
	for a in generate_node_acls=1 cache_dynamic_acls=1 demo_mode_write_protect=0 authentication=0; do
		echo "${a#*=}" >"$T/attrib/${a%=*}" || fail "tpg attrib $a"
	done
	echo 1 >"$T/enable" || fail "enable tpg"
}

# tgtd and tgtadm from the host's Debian tgt, run in the chroot (their libraries are there).
in_host() {
	chroot $H /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/tmp LANG=C "$@"
}
tgtadm_() { in_host /usr/sbin/tgtadm --lld iscsi "$@"; }

# setup_tgt: tgtd (foreground, log in /fsgrun/tgtd.log) listens on every address, port 3260;
# target TIQN (TPGT 1) with LUNS LUNs 1.. backed by files in the chroot's /tmp (a tmpfs).
setup_tgt() {
	[ -z "$NOPR_LUNS" ] || fail "tgt: LUNs without PR (--nopr) are not supported"
	[ -x $H/usr/sbin/tgtd ] || fail "tgt not installed on the host (run tests/vm/prepare.sh)"
	in_host /usr/sbin/tgtd -f >/fsgrun/tgtd.log 2>&1 &
	i=0
	until tgtadm_ --op show --mode target >/dev/null 2>&1; do
		i=$((i + 1))
		[ "$i" -le 300 ] || fail "tgtd did not start (see tgtd.log)"
		sleep 0.1
	done
	tgtadm_ --op new --mode target --tid 1 -T "$TIQN" || fail "tgtadm new target"
	mkdir -p $H/tmp/fsg-tgt
	L=1
	while [ "$L" -le "$LUNS" ]; do
		dd if=/dev/zero of=$H/tmp/fsg-tgt/lun$L.img bs=1M count=0 seek="$LUN_MB" 2>/dev/null || fail "backing file $L"
		tgtadm_ --op new --mode logicalunit --tid 1 --lun "$L" -b /tmp/fsg-tgt/lun$L.img || fail "tgtadm new lun $L"
		tgtadm_ --op update --mode logicalunit --tid 1 --lun "$L" --params "scsi_sn=fsg-lun$L" || fail "tgtadm scsi_sn $L"
		L=$((L + 1))
	done
	tgtadm_ --op bind --mode target --tid 1 -I ALL || fail "tgtadm bind"
	tgtadm_ --op show --mode target >/fsgrun/tgt-target.txt 2>&1
}

C=/sys/kernel/config/target
TIQN=iqn.2003-01.org.linux-iscsi.fsg:target
IIQN=iqn.2003-01.org.linux-iscsi.fsg
mkdir -p /etc/target/pr
# The host root, read-only, with private /run, /tmp and the run share.
H=/host
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144,cache=loose hostroot $H || fail "mount 9p hostroot"
mount -t proc proc $H/proc || fail "mount proc in chroot"
mount -t sysfs sysfs $H/sys || fail "mount sysfs in chroot"
mount -t configfs configfs $H/sys/kernel/config || fail "mount configfs in chroot"
mount -t devtmpfs devtmpfs $H/dev || fail "mount devtmpfs in chroot"
mount -t tmpfs -o mode=755 tmpfs $H/run || fail "mount /run in chroot"
mount -t tmpfs -o mode=1777 tmpfs $H/tmp || fail "mount /tmp in chroot"
mkdir -p $H/tmp/fsg-run $H/tmp/fsg-tools $H/tmp/fsg-etc-target $H/dev/shm
mount -t tmpfs tmpfs $H/dev/shm
mount --bind /fsgrun $H/tmp/fsg-run || fail "bind fsgrun"
mount --bind /fsg $H/tmp/fsg-tools || fail "bind fsg tools"
# LIO writes APTPL files to /etc/target/pr of the initramfs root; scenarios reach it here.
mount --bind /etc/target $H/tmp/fsg-etc-target || fail "bind /etc/target"

case "$TARGET" in
lio) setup_lio ;;
tgt) setup_tgt ;;
esac
echo "FSG-BOOT: target $TARGET configured"

K=1
while [ "$K" -le "$NODES" ]; do
	P=1
	while [ "$P" -le "$PATHS" ]; do
		/fsg/bin/iscsistart -i "$IIQN:node$K" -t "$TIQN" -g 1 -a "127.0.$((P - 1)).$K" -p 3260 \
			>/fsgrun/iscsistart-node$K-path$P.log 2>&1 || {
			cat /fsgrun/iscsistart-node$K-path$P.log
			fail "iscsistart node $K path $P"
		}
		P=$((P + 1))
	done
	K=$((K + 1))
done
want=$((NODES * PATHS * LUNS))
i=0
while :; do
	have=$(ls -d /sys/class/iscsi_session/session*/device/target*/*:*:*:*/block/* 2>/dev/null | wc -l)
	[ "$have" -ge "$want" ] && break
	i=$((i + 1))
	[ "$i" -le 600 ] || fail "only $have of $want iSCSI disks appeared"
	sleep 0.1
done
echo "FSG-BOOT: $want iSCSI disks ready (uptime $(cut -d' ' -f1 /proc/uptime)s)"

echo "FSG-SCENARIO-START"
chroot $H /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	HOME=/tmp LANG=C LC_ALL=C TERM=dumb /bin/bash /tmp/fsg-run/driver.sh
rc=$?
echo "FSG-SCENARIO-END"
sync
if [ "$rc" -eq 0 ]; then
	echo "FSG-RESULT: PASS"
else
	echo "FSG-RESULT: FAIL scenario exit status $rc"
fi
poweroff_now
