#!/bin/sh
# /init of the test guest's initramfs (busybox sh, PID 1). Built into the initramfs by
# tests/vm/prepare.sh; see tests/vm/README.md.
#
# 1. loads the kernel modules (LIO, iSCSI initiator, 9p, dm; NVMe on the new kernel) in order;
# 2. reads /fsgrun/config.env (9p share "fsgrun", written by tests/vm/run.sh);
# 3. mounts the host root (9p "hostroot", read-only) on /host with private /run and /tmp;
# 4. exports LUNS disks over iSCSI: TARGET=lio (default) rd_mcp RAM disks through LIO on one
#    portal per node and path (127.0.P-1.K:3260); TARGET=tgt files in the chroot's tmpfs through
#    tgtd (the host's Debian tgt, run in the chroot; LUN 0 is its controller, disks are LUN 1..);
#    then logs in once per node and path with iscsistart, initiator name
#    iqn.2003-01.org.linux-iscsi.fsg:nodeK; TARGET=nvmet (new kernel only) brd RAM disks as
#    namespaces 1..LUNS of one NVMe subsystem with reservations on, over NVMe/TCP on
#    127.0.0.1:4420, and one controller per node (host NQN HNQN:nodeK, its own host ID);
#    TARGET=lio+nvmet (new kernel only) both: LUNS LIO LUNs and LUNS namespaces, every node
#    logged in over iSCSI and connected over NVMe/TCP;
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
	case "$m" in
	brd) continue ;; # setup_nvmet loads it with the run's disk count and size
	# One controller and one /dev/nvmeXnY per node: without multipath=N the kernel would merge
	# the nodes' paths to a shared namespace into one multipath head.
	nvme-core) insmod "/fsg/modules/$m.ko" multipath=N || fail "insmod $m" ;;
	*) insmod "/fsg/modules/$m.ko" || fail "insmod $m" ;;
	esac
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
		case "$v" in lio | tgt | nvmet | lio+nvmet) TARGET=$v ;; *) fail "bad config value for $k" ;; esac
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
		# LIO derives the NAA designator from the serial's hex digits, zero-padded: fsg-lun1 and
		# fsg-lun10 would both be naa.6001405f1000...; a "b" after two-digit numbers keeps every
		# LUN's identity unique (the agent groups paths by it).
		echo "fsg-lun$L$([ "$L" -lt 10 ] || echo b)" >"$d/wwn/vpd_unit_serial" || fail "serial $L"
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
		tgtadm_ --op update --mode logicalunit --tid 1 --lun "$L" --params "scsi_sn=fsg-lun$L$([ "$L" -lt 10 ] || echo b)" || fail "tgtadm scsi_sn $L"
		L=$((L + 1))
	done
	tgtadm_ --op bind --mode target --tid 1 -I ALL || fail "tgtadm bind"
	tgtadm_ --op show --mode target >/fsgrun/tgt-target.txt 2>&1
}

# setup_nvmet: LUNS brd RAM disks (/dev/ramN, LUN_MB MiB) as namespaces 1..LUNS of subsystem
# SUBNQN, reservations on (resv_enable, which must be set before the namespace is enabled),
# any host allowed, exported over NVMe/TCP on 127.0.0.1:4420.
setup_nvmet() {
	[ -z "$NOPR_LUNS" ] || fail "nvmet: namespaces without reservations (--nopr) are not supported"
	[ -e /fsg/modules/brd.ko ] || fail "nvmet: no brd module in the initramfs (kernel $(uname -r))"
	insmod /fsg/modules/brd.ko rd_nr="$LUNS" rd_size=$((LUN_MB * 1024)) || fail "insmod brd"
	N=/sys/kernel/config/nvmet
	[ -d $N/subsystems ] || fail "nvmet: no $N (module nvmet not loaded?)"
	S=$N/subsystems/$SUBNQN
	mkdir "$S" || fail "mkdir nvmet subsystem"
	echo 1 >"$S/attr_allow_any_host" || fail "nvmet allow_any_host"
	L=1
	while [ "$L" -le "$LUNS" ]; do
		[ -b "/dev/ram$((L - 1))" ] || fail "no /dev/ram$((L - 1))"
		d=$S/namespaces/$L
		mkdir "$d" || fail "mkdir namespace $L"
		[ -e "$d/resv_enable" ] || fail "nvmet of $(uname -r) has no resv_enable (reservations need 6.13+)"
		echo "/dev/ram$((L - 1))" >"$d/device_path" || fail "device_path $L"
		echo 1 >"$d/resv_enable" || fail "resv_enable $L"
		echo 1 >"$d/enable" || fail "enable namespace $L"
		L=$((L + 1))
	done
	ls "$S/namespaces/1" >/fsgrun/nvmet-ns-attribs.txt 2>&1
	P=$N/ports/1
	mkdir "$P" || fail "mkdir nvmet port"
	for a in addr_trtype=tcp addr_adrfam=ipv4 addr_traddr=127.0.0.1 addr_trsvcid=4420; do
		echo "${a#*=}" >"$P/${a%=*}" || fail "nvmet port $a"
	done
	ln -s "$S" "$P/subsystems/$SUBNQN" || fail "nvmet port subsystem link"
}

# nvme_connect_node K: node K's controller (host NQN HNQN:nodeK, host ID fe5c0000-...-00000000000K
# in hex), through the fabrics device: write the options, read back "instance=N,cntlid=M".
nvme_connect_node() {
	hostid=$(printf 'fe5c0000-0000-4000-8000-%012x' "$1")
	# (a failed redirection of exec would end this shell, PID 1: check first)
	[ -c /dev/nvme-fabrics ] || fail "no /dev/nvme-fabrics (module nvme-fabrics not loaded?)"
	exec 3<>/dev/nvme-fabrics
	printf 'transport=tcp,traddr=127.0.0.1,trsvcid=4420,nqn=%s,hostnqn=%s,hostid=%s,%s' \
		"$SUBNQN" "$HNQN:node$1" "$hostid" "$NVME_TIMING" >&3 || fail "NVMe connect node $1"
	read -r resp <&3 || resp="?"
	exec 3>&-
	echo "node $1: $resp" >>/fsgrun/nvme-connect.txt
}

C=/sys/kernel/config/target
SUBNQN=nqn.2003-01.org.linux-iscsi.fsg:subsys
# Keep-alive 60 s instead of 5: a TCG guest on a loaded host stalls for seconds, and an expired
# keep-alive resets the controllers (their passthrough commands then fail with Host Pathing
# Error until the reconnect, reconnect_delay seconds later). Same options in lib.sh.
NVME_TIMING=keep_alive_tmo=60,reconnect_delay=2
HNQN=nqn.2003-01.org.linux-iscsi.fsg
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
nvmet) setup_nvmet ;;
lio+nvmet)
	setup_lio
	setup_nvmet
	;;
esac
echo "FSG-BOOT: target $TARGET configured"

# iscsi_login_all: one iscsistart login per node and path; wait for every disk.
iscsi_login_all() {
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
	wait_for_disks "iSCSI disks" $((NODES * PATHS * LUNS)) '/sys/class/iscsi_session/session*/device/target*/*:*:*:*/block/*'
}

# wait_for_disks WHAT N GLOB: wait up to 60 s until GLOB (a sysfs pattern, expanded here)
# matches N entries.
wait_for_disks() {
	i=0
	while :; do
		# shellcheck disable=SC2086 # the pattern is expanded on purpose
		have=$(ls -d $3 2>/dev/null | wc -l)
		[ "$have" -ge "$2" ] && break
		i=$((i + 1))
		[ "$i" -le 600 ] || fail "only $have of $2 $1 appeared"
		sleep 0.1
	done
	echo "FSG-BOOT: $2 $1 ready (uptime $(cut -d' ' -f1 /proc/uptime)s)"
}

# nvme_connect_all: one NVMe/TCP controller per node; wait for every node's namespaces.
nvme_connect_all() {
	K=1
	while [ "$K" -le "$NODES" ]; do
		nvme_connect_node "$K"
		K=$((K + 1))
	done
	wait_for_disks "NVMe namespaces" $((NODES * LUNS)) '/sys/block/nvme*n*'
}

case "$TARGET" in
nvmet) nvme_connect_all ;;
lio+nvmet)
	iscsi_login_all
	nvme_connect_all
	;;
*) iscsi_login_all ;;
esac

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
