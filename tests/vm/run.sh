#!/bin/bash
# Boot the real-storage test guest and run one scenario in it.
#
#   tests/vm/run.sh [options] SCENARIO.sh
#   tests/vm/run.sh [options] --exec BINARY [ARG...]
#
# Options:
#   --nodes N       simulated cluster nodes, each a distinct iSCSI I_T nexus or NVMe host (default 2)
#   --luns D        LUNs (LIO rd_mcp RAM disks; nvmet: namespaces) every node sees (default 1)
#   --paths P       sessions (portals) per node, for multipath (default 1)
#   --lun-mb M      size of each LUN in MiB (default 16)
#   --nopr "L ..."  LUNs exported with PR emulation off (LIO attrib emulate_pr=0)
#   --target T      lio (default: the kernel target), tgt (tgtd, the user-space target),
#                   nvmet (the kernel's NVMe-oF target over TCP, with reservations; needs and
#                   implies --kernel new) or lio+nvmet (both at once: D LIO LUNs over iSCSI and
#                   D namespaces over NVMe/TCP, every node an initiator and a host of its own;
#                   implies --kernel new; scenarios name namespace N as `dev K nsN`)
#   --kernel K      default (Debian 12's) or new (prepare.sh --kernel new: trixie-backports)
#   --agent PATH    the fence agent the scenario runs as $AGENT (default /usr/sbin/fence_scsi)
#   --timeout S     hard limit for the whole guest run (default 420 s; FSG_VM_TIMEOUT)
#   --keep          keep the run directory (console.log, devices.txt) even on success
#   --verbose       print the whole console, not only the scenario's output
#
# Exit status: 0 scenario passed; 1 failed (console saved, path printed); 2 usage error;
# 77 this machine cannot run the VM (not prepared: run tests/vm/prepare.sh as root).
# Environment: FSG_VM_CACHE (cache of prepare.sh), FSG_VM_KVM=1 (use /dev/kvm if present),
# FSG_VM_LOGDIR (copy the console log of failed runs there), FSG_VM_TARGET and FSG_VM_KERNEL
# (defaults of --target and --kernel).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${FSG_VM_CACHE:-/var/cache/fence_scsi_go-vm}

usage() {
	sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2
	exit 2
}
die() {
	echo "vm: $*" >&2
	exit 2
}
isnum() { case "$1" in '' | *[!0-9]*) return 1 ;; esac; }

NODES=2 LUNS=1 PATHS=1 LUN_MB=16 NOPR="" AGENT=/usr/sbin/fence_scsi
TARGET=${FSG_VM_TARGET:-lio} KERNEL=${FSG_VM_KERNEL:-}
TIMEOUT=${FSG_VM_TIMEOUT:-420} KEEP=0 VERBOSE=0 MODE=script SCEN="" EXEC_BIN=""
EXEC_ARGS=()
while [ $# -gt 0 ]; do
	case "$1" in
	--nodes) NODES=${2-}; shift 2 ;;
	--luns) LUNS=${2-}; shift 2 ;;
	--paths) PATHS=${2-}; shift 2 ;;
	--lun-mb) LUN_MB=${2-}; shift 2 ;;
	--nopr) NOPR=${2-}; shift 2 ;;
	--target) TARGET=${2-}; shift 2 ;;
	--kernel) KERNEL=${2-}; shift 2 ;;
	--agent) AGENT=${2-}; shift 2 ;;
	--timeout) TIMEOUT=${2-}; shift 2 ;;
	--keep) KEEP=1; shift ;;
	--verbose) VERBOSE=1; shift ;;
	--exec) MODE=exec; EXEC_BIN=${2-}; shift 2; EXEC_ARGS=("$@"); break ;;
	-h | --help) usage ;;
	-*) die "unknown option $1" ;;
	*) SCEN=$1; shift; [ $# -eq 0 ] || die "extra arguments after the scenario" ;;
	esac
done
for v in NODES LUNS PATHS LUN_MB TIMEOUT; do isnum "${!v}" || die "--${v,,} needs a number"; done
[ "$NODES" -ge 1 ] && [ "$NODES" -le 16 ] || die "--nodes must be 1..16"
[ "$LUNS" -ge 1 ] && [ "$LUNS" -le 64 ] || die "--luns must be 1..64"
[ "$PATHS" -ge 1 ] && [ "$PATHS" -le 4 ] || die "--paths must be 1..4"
for l in $NOPR; do isnum "$l" && [ "$l" -ge 1 ] && [ "$l" -le "$LUNS" ] || die "--nopr: bad LUN '$l'"; done
case "$TARGET" in lio | tgt | nvmet | lio+nvmet) ;; *) die "--target must be lio, tgt, nvmet or lio+nvmet" ;; esac
# nvmet has reservations from Linux 6.13: only the new kernel has them.
if [ "$TARGET" = nvmet ] || [ "$TARGET" = lio+nvmet ]; then
	[ -z "$KERNEL" ] || [ "$KERNEL" = new ] ||
		die "--target $TARGET needs --kernel new (NVMe reservations in nvmet need Linux 6.13+; Debian 12's kernel is 6.1)"
	KERNEL=new
	[ "$PATHS" = 1 ] || die "--paths: --target $TARGET has one controller (and one iSCSI session) per node"
fi
KERNEL=${KERNEL:-default}
case "$KERNEL" in default | new) ;; *) die "--kernel must be default or new" ;; esac
[ "$TARGET" = lio ] || [ -z "$NOPR" ] || die "--nopr needs --target lio"
[[ "$AGENT" =~ ^/[A-Za-z0-9/._+-]+$ ]] || die "--agent must be an absolute path of [A-Za-z0-9/._+-]"
if [ "$MODE" = script ]; then
	[ -n "$SCEN" ] && [ -f "$SCEN" ] || die "scenario script missing (see --help)"
else
	[ -f "$EXEC_BIN" ] || die "--exec: no such file $EXEC_BIN"
	for a in "${EXEC_ARGS[@]}"; do [[ "$a" != *$'\n'* ]] || die "--exec: newline in argument"; done
fi

# Can this machine run the guest at all?
ENVFILE=$CACHE/current.env
PREP=(--kernel default)
if [ "$KERNEL" = new ]; then ENVFILE=$CACHE/new.env PREP=(--kernel new); fi
[ -r "$ENVFILE" ] || { echo "vm: not prepared: run tests/vm/prepare.sh ${PREP[*]} as root" >&2; exit 77; }
# Guests may start together (make e2e runs two at a time): one at a time checks, and if need
# be rebuilds, the initramfs.
exec {PREP_LOCK}>"$CACHE/.run-prepare.lock"
flock "$PREP_LOCK"
FSG_VMLINUZ="" FSG_INITRD="" FSG_INIT_SHA=""
while IFS='=' read -r k v; do
	case "$k" in FSG_VMLINUZ) FSG_VMLINUZ=$v ;; FSG_INITRD) FSG_INITRD=$v ;; FSG_INIT_SHA) FSG_INIT_SHA=$v ;; esac
done <"$ENVFILE"
[ -f "$FSG_VMLINUZ" ] && [ -f "$FSG_INITRD" ] || { echo "vm: cache incomplete: run tests/vm/prepare.sh" >&2; exit 77; }
QEMU=$(command -v qemu-system-x86_64 || true)
[ -n "$QEMU" ] || { echo "vm: qemu-system-x86_64 not installed: run tests/vm/prepare.sh" >&2; exit 77; }
# A stale initramfs (guest-init.sh changed since prepare) would run old code: rebuild it.
if [ "$FSG_INIT_SHA" != "$(sha256sum "$HERE/guest-init.sh" | cut -d' ' -f1)" ]; then
	echo "vm: guest-init.sh changed since the initramfs was built: running prepare.sh" >&2
	"$HERE/prepare.sh" "${PREP[@]}" >&2 || { echo "vm: prepare.sh failed" >&2; exit 77; }
	while IFS='=' read -r k v; do
		case "$k" in FSG_VMLINUZ) FSG_VMLINUZ=$v ;; FSG_INITRD) FSG_INITRD=$v ;; esac
	done <"$ENVFILE"
fi
exec {PREP_LOCK}>&-

RUN=$(mktemp -d "${TMPDIR:-/tmp}/fsg-vm.XXXXXX")
chmod 755 "$RUN"
cp "$HERE/guest/lib.sh" "$HERE/guest/driver.sh" "$RUN/"
# A built agent (not a system one under /usr) is copied into the run directory and run from
# there: a concurrent `make build` rewriting bin/fence_scsi_go would otherwise be seen torn
# through the guest's 9p cache. The name is kept (scenarios look at ${AGENT##*/}).
GUEST_AGENT=$AGENT
case "$AGENT" in
/usr/*) ;;
*)
	if [ -f "$AGENT" ]; then
		mkdir -p "$RUN/agent/bin"
		cp "$AGENT" "$RUN/agent/bin/${AGENT##*/}"
		GUEST_AGENT=/tmp/fsg-run/agent/bin/${AGENT##*/}
		# The binaries make build writes beside the agent go along: the watchdog check's own
		# (scenarios run it as fence_scsi_check: tests/e2e/parity_lib.sh, check_setup) and the
		# helper that runs check-storage and acquire/defend/release for the agent, which looks
		# for it beside itself.
		for helper in fence_scsi_check fence_scsi_go_tools; do
			if [ -f "$(dirname "$AGENT")/$helper" ] && [ ! -L "$(dirname "$AGENT")/$helper" ]; then
				cp "$(dirname "$AGENT")/$helper" "$RUN/agent/bin/$helper"
			fi
		done
		# Scripts that find repository files next to the agent ($(dirname "$AGENT")/../tests)
		# still find them: the host root is visible in the guest at the same path.
		agent_dir=$(cd "$(dirname "$AGENT")" && pwd)
		if [ -d "$agent_dir/../tests" ]; then
			ln -s "$(cd "$agent_dir/../tests" && pwd)" "$RUN/agent/tests"
		fi
	fi
	;;
esac
{
	echo "NODES=$NODES"
	echo "LUNS=$LUNS"
	echo "PATHS=$PATHS"
	echo "LUN_MB=$LUN_MB"
	echo "NOPR_LUNS=$NOPR"
	echo "TARGET=$TARGET"
	echo "AGENT=$GUEST_AGENT"
	echo "AGENT_SOURCE=$AGENT"
	echo "MODE=$MODE"
} >"$RUN/config.env"
if [ "$MODE" = script ]; then
	cp "$SCEN" "$RUN/scenario.sh"
else
	cp "$EXEC_BIN" "$RUN/hook.bin"
	chmod 755 "$RUN/hook.bin"
	: >"$RUN/args.txt"
	for a in "${EXEC_ARGS[@]}"; do printf '%s\n' "$a" >>"$RUN/args.txt"; done
fi

ACCEL=(-accel tcg -cpu max)
if [ "${FSG_VM_KVM:-0}" = 1 ] && [ -w /dev/kvm ]; then ACCEL=(-accel kvm -cpu host); fi
LOGLEVEL=3
[ "$VERBOSE" = 1 ] && LOGLEVEL=6

start=$(date +%s.%N)
: >"$RUN/console.log"
set +e
timeout -k 5 "$TIMEOUT" "$QEMU" "${ACCEL[@]}" -smp 2 -m 1536 -nographic -no-reboot \
	-kernel "$FSG_VMLINUZ" -initrd "$FSG_INITRD" \
	-append "console=ttyS0 quiet loglevel=$LOGLEVEL panic=-1 no_timer_check" \
	-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
	-virtfs "local,path=$RUN,mount_tag=fsgrun,security_model=none,multidevs=remap" \
	-nic none </dev/null >"$RUN/console.log" 2>&1 &
qpid=$!
# Interrupted (Ctrl-C, go test's timeout): take the guest down with us.
trap 'kill -TERM "$qpid" 2>/dev/null; echo "vm: interrupted; console log: $RUN/console.log" >&2; exit 1' INT TERM
# Stream the scenario's part of the console (all of it with --verbose) as it comes. The
# pipeline runs in the background so that the trap above can fire while we wait.
tail -n +1 -f --pid=$qpid "$RUN/console.log" |
	awk -v all="$VERBOSE" '{sub(/\r+$/, "")}
		all == 1 {print; fflush(); next}
		/^FSG-SCENARIO-START/ {on=1; next} /^FSG-SCENARIO-END/ {on=0} on {print; fflush()}' &
spid=$!
# A guest kernel that reports a soft lockup (a CPU spinning in the kernel for 20 s and more,
# as LIO does when two PREEMPTs naming each other meet on one LU: docs/fencing-race.md) never
# recovers: stop the guest at once instead of waiting for the time limit.
(
	while kill -0 "$qpid" 2>/dev/null; do
		if grep -aq 'BUG: soft lockup' "$RUN/console.log"; then
			: >"$RUN/lockup"
			sleep 3 # let the console print the lines that follow
			kill -TERM "$qpid" 2>/dev/null
			break
		fi
		sleep 2
	done
) &
wpid=$!
wait $qpid
qrc=$?
wait $spid
kill "$wpid" 2>/dev/null
wait "$wpid" 2>/dev/null
set -e
secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}')
boot=$(tr -d '\r' <"$RUN/console.log" | sed -n 's/^FSG-BOOT: .* ready (uptime \(.*\)s)$/\1/p' | head -1)

result=$(tr -d '\r' <"$RUN/console.log" | grep -a '^FSG-RESULT: ' | tail -1 || true)
if [ "$result" = "FSG-RESULT: PASS" ]; then
	echo "vm: PASS (${SCEN:-$EXEC_BIN}; target=$TARGET kernel=$KERNEL nodes=$NODES luns=$LUNS paths=$PATHS; guest ready after ${boot:-?}s, total ${secs}s)"
	if [ "$KEEP" = 1 ]; then echo "vm: run directory kept: $RUN"; else rm -rf "$RUN"; fi
	exit 0
fi
if [ -e "$RUN/lockup" ]; then
	why="the guest kernel locked up ($(tr -d '\r' <"$RUN/console.log" | grep -a -m1 -o 'BUG: soft lockup.*')), guest stopped"
elif [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
	why="timed out after ${TIMEOUT}s"
elif [ -n "$result" ]; then
	why=${result#FSG-RESULT: }
else
	why="guest ended without a result (qemu exit $qrc)"
fi
if [ "$VERBOSE" != 1 ]; then
	echo "---- last console lines ----"
	tr -d '\r' <"$RUN/console.log" | tail -n 40
	echo "----"
fi
if [ -n "${FSG_VM_LOGDIR:-}" ]; then
	mkdir -p "$FSG_VM_LOGDIR"
	cp "$RUN/console.log" "$FSG_VM_LOGDIR/console-$(basename "$RUN").log"
fi
echo "vm: FAIL (${SCEN:-$EXEC_BIN}): $why after ${secs}s; console log: $RUN/console.log" >&2
exit 1
