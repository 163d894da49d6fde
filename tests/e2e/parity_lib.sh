# Extra helpers for the fence_scsi parity scenarios: tests/e2e/parity_*.sh.
# Sourced inside the guest after tests/vm/guest/lib.sh (whose helpers it uses). parity_test.go
# prepends this file to each scenario; run by hand (tests/vm/run.sh ... parity_X.sh) a scenario
# finds it next to the agent (<repo>/bin/fence_scsi_go -> <repo>/tests/e2e/parity_lib.sh).
#
#   mpath_create K NAME [L]      dm-multipath device over node K's paths 1..FSG_PATHS to LUN L
#                                (default 1); /dev/mapper/NAME -> ../dm-N made by hand (no udev);
#                                sets MPATH_DEV (/dev/mapper/NAME) and MPATH_DM (/dev/dm-N)
#   key_count L K [W]            how many registrations of node K's key LUN L shows (READ KEYS
#                                through node W's path 1, default $FSG_WITNESS or 1)
#   assert_key_count L K N       ... is exactly N
#   assert_dev_write_ok DEV      one direct 4 KiB write to DEV succeeds
#   assert_dev_write_fails DEV   it fails with a reservation conflict (EBADE)
#   check_setup DIR              symlinks DIR/fence_scsi_check{,_hardreboot} -> the check's own
#                                binary beside $AGENT (make build's bin/fence_scsi_check), else $AGENT
#   run_check K PROG [ARGS]      run PROG as node K (its /run); sets CHECK_RC, CHECK_ERR
#   expect_check RC K PROG WHAT [ARGS]  run_check K PROG ARGS and fail unless it exits RC;
#                                WHAT names the check in the messages
#   pr_caps L [K]                REPORT CAPABILITIES (sg_persist -n -i -c) of LUN L via node K
#   ptpl_active L [K]            "1" if REPORT CAPABILITIES says PTPL_A (persist through power
#                                loss active), "0" if not
#   parity_marker TEXT           print "FSG-PARITY: TEXT" (lines parity_test.go looks for)

parity_lib_loaded() { :; }

parity_marker() { printf 'FSG-PARITY: %s\n' "$*"; }

mpath_create() {
	local k=$1 name=$2 l=${3:-1} p d mm sz table="" n=0 minor
	for ((p = 1; p <= FSG_PATHS; p++)); do
		d=$(dev "$k" "$l" "$p")
		mm=$(cat "/sys/block/${d#/dev/}/dev")
		sz=$(blockdev --getsz "$d")
		table="$table $mm 1"
		n=$((n + 1))
	done
	[ "$n" -ge 2 ] || fail "mpath_create needs --paths 2 or more (have $FSG_PATHS)"
	# multipath: no features, no hardware handler, one priority group, round-robin over n paths.
	DM_DISABLE_UDEV=1 dmsetup create "$name" --noudevsync \
		--table "0 $sz multipath 0 0 1 1 round-robin 0 $n 1$table" ||
		fail "dmsetup create $name"
	minor=$(DM_DISABLE_UDEV=1 dmsetup info -c --noheadings -o minor "$name" | tr -d ' ')
	_num "$minor"
	MPATH_DM=/dev/dm-$minor
	[ -b "$MPATH_DM" ] || fail "$MPATH_DM is not a block device"
	mkdir -p /dev/mapper
	ln -sfn "../dm-$minor" "/dev/mapper/$name"
	MPATH_DEV=/dev/mapper/$name
	say "$MPATH_DEV -> $(readlink -f "$MPATH_DEV"); paths: $(ls "/sys/block/dm-$minor/slaves" | tr '\n' ' ')"
	say "table: $(DM_DISABLE_UDEV=1 dmsetup table "$name")"
}

key_count() {
	local l=$1 k=$2 w=${3:-${FSG_WITNESS:-1}}
	keys "$l" "$w" | grep -cx "$(_hexkey "$k")" || true
}

assert_key_count() {
	local l=$1 k=$2 want=$3 got
	got=$(key_count "$l" "$k")
	[ "$got" = "$want" ] || fail "LUN $l shows node $k's key $got times, want $want"
	pass "LUN $l shows node $k's key $(_hexkey "$k") exactly $want time(s)"
}

_dev_write() {
	dd if=/dev/zero of="$1" bs=4096 count=1 seek=64 oflag=direct conv=notrunc status=none 2>&1
}

assert_dev_write_ok() {
	local out
	out=$(_dev_write "$1") || fail "cannot write $1: $out"
	pass "write through $1 succeeds"
}

assert_dev_write_fails() {
	local out
	if out=$(_dev_write "$1"); then
		fail "write through $1 still succeeds"
	fi
	case "$out" in
	*"Invalid exchange"*) pass "write through $1 refused: reservation conflict (dd: Invalid exchange)" ;;
	*) fail "write through $1 failed, but not with a reservation conflict: $out" ;;
	esac
}

CHECK_DIR=""
check_setup() {
	CHECK_DIR=$1
	mkdir -p "$CHECK_DIR"
	local bin=$AGENT
	if [ -f "$(dirname "$AGENT")/fence_scsi_check" ] && [ ! -L "$(dirname "$AGENT")/fence_scsi_check" ]; then
		bin=$(dirname "$AGENT")/fence_scsi_check
	fi
	ln -sfn "$bin" "$CHECK_DIR/fence_scsi_check"
	ln -sfn "$bin" "$CHECK_DIR/fence_scsi_check_hardreboot"
	say "$CHECK_DIR/fence_scsi_check{,_hardreboot} -> $bin"
}

CHECK_RC=0
CHECK_ERR=""
run_check() {
	local k=$1 prog=$2 e
	shift 2
	e=$(mktemp)
	printf '   $ [node%s] %s %s\n' "$k" "$prog" "$*"
	CHECK_RC=0
	on_node "$k" "$prog" "$@" 2>"$e" || CHECK_RC=$?
	CHECK_ERR=$(cat "$e")
	rm -f "$e"
	[ -z "$CHECK_ERR" ] || printf '%s\n' "$CHECK_ERR" | sed 's/^/     2> /'
	printf '     (exit %s)\n' "$CHECK_RC"
}

expect_check() {
	local want=$1 k=$2 prog=$3 what=$4
	shift 4
	run_check "$k" "$prog" "$@"
	[ "$CHECK_RC" = "$want" ] || fail "$what exited $CHECK_RC, want $want"
	pass "$what exited $want"
}

pr_caps() {
	_pr_in "$1" "${2:-${FSG_WITNESS:-1}}" -c
}

ptpl_active() {
	local out a
	out=$(pr_caps "$1" "${2:-}") || fail "sg_persist report capabilities LUN $1"
	# sg_persist prints "Persist Through Power Loss Active(PTPL_A): 0|1"
	a=$(printf '%s\n' "$out" | sed -n 's/.*(PTPL_A): *\([01]\).*/\1/p')
	[ -n "$a" ] || fail "no PTPL_A in REPORT CAPABILITIES: $out"
	echo "$a"
}

# lu_power_cycle L: what LIO goes through when the target loses power, for LUN L only. The
# LU (an rd_mcp RAM disk: its data is lost too) is unexported and destroyed, then created
# again with the same size and unit serial; as the target's boot-time restore does (rtslib's
# StorageObject._config_pr_aptpl, run by targetctl), each registration block of LIO's APTPL
# file /etc/target/pr/aptpl_<serial> is written to the new LU's pr/res_aptpl_metadata before
# it is exported again. Without an APTPL file (persistence was not active) nothing is restored.
# The initiators keep their sessions (same I_T nexuses); their next command sees a UNIT
# ATTENTION, consumed here with TEST UNIT READY.
lu_power_cycle() {
	local l=$1 c=/sys/kernel/config/target t d f pages blk block="" line k n=0
	t=$c/iscsi/iqn.2003-01.org.linux-iscsi.fsg:target/tpgt_1
	d=$c/core/rd_mcp_0/lun$l
	f=/tmp/fsg-etc-target/pr/aptpl_fsg-lun$l$([ "$l" -lt 10 ] || echo b)
	blk=$(dev 1 "$l")
	pages=$(($(cat "/sys/block/${blk#/dev/}/size") / 8))
	rm "$t/lun/lun_$((l - 1))/fsg_lun$l" && rmdir "$t/lun/lun_$((l - 1))" || fail "power cycle: unexport LUN $l"
	rmdir "$d" || fail "power cycle: destroy LU $l"
	mkdir "$d" && echo "rd_pages=$pages" >"$d/control" && echo "fsg-lun$l$([ "$l" -lt 10 ] || echo b)" >"$d/wwn/vpd_unit_serial" &&
		echo 1 >"$d/enable" || fail "power cycle: create LU $l"
	if [ -s "$f" ]; then
		tr -d '\0' <"$f" >/tmp/fsg-aptpl.txt
		while IFS= read -r line; do
			case $line in
			PR_REG_START:*) block="" ;;
			PR_REG_END:*)
				printf '%s' "$block" >"$d/pr/res_aptpl_metadata" || fail "power cycle: restore APTPL block $n"
				n=$((n + 1))
				;;
			?*) block="$block${block:+,}$line" ;;
			esac
		done </tmp/fsg-aptpl.txt
	fi
	mkdir "$t/lun/lun_$((l - 1))" && ln -s "$d" "$t/lun/lun_$((l - 1))/fsg_lun$l" || fail "power cycle: export LUN $l"
	for ((k = 1; k <= FSG_NODES; k++)); do
		sg_turs "$(dev "$k" "$l")" >/dev/null 2>&1 || true
		sg_turs "$(dev "$k" "$l")" >/dev/null 2>&1 || true
	done
	say "LUN $l power-cycled; $n APTPL registration block(s) restored from ${f#/tmp/fsg-etc-target}"
}
