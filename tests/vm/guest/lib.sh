# Helpers for scenario scripts (tests/e2e/*.sh). Sourced by driver.sh inside the guest, in the
# chroot into the host root (bash). Scenarios run with `set -eu`; any failing helper ends the
# scenario with a non-zero status, which the host turns into a test failure.
#
# Nodes are numbered 1..FSG_NODES, LUNs 1..FSG_LUNS, paths 1..FSG_PATHS. FSG_TARGET is lio,
# tgt, nvmet or lio+nvmet (run.sh --target): LUN L is SCSI LUN L-1 on LIO and L on tgt (its
# LUN 0 is the controller), and namespace ID L on nvmet (one path per node; the NVMe helpers
# are below). lio+nvmet serves both: LUN L is LIO's, namespace N is named nsN (1..FSG_LUNS).
#
#   dev K L [P]          node K's /dev/sdX for LUN L (through path P, default 1), from sysfs;
#                        on nvmet node K's /dev/nvmeXnY of namespace L (its own controller);
#                        L = nsN: node K's namespace N (nvmet, lio+nvmet); the helpers that
#                        take a LUN L and call dev (assert_write_ok, write_check ...) take nsN too
#   devs K [P]           node K's devices of every LUN, comma-separated (for -d); lio+nvmet:
#                        the LUNs, then the namespaces
#   nvme_target          true if FSG_TARGET serves NVMe namespaces (nvmet, lio+nvmet)
#   key K                the reservation key used for node K (hex, no 0x)
#   on_node K cmd...     run cmd with node K's private /run (unshare -m + bind mount)
#   agent K args...      run $AGENT as node K; sets AGENT_RC, AGENT_OUT (stdout), AGENT_ERR
#   expect_agent RC K args...   agent, and fail unless its exit status is RC
#   keys L [K]           registered keys of LUN L (lower-case 0x..., one per line), read with
#                        sg_persist -n -i -k through node K's path (default 1)
#   holder L [K]         reservation key holding LUN L (0x...), empty if none
#   restype L [K]        reservation type text of LUN L, empty if none
#   show_pr L            print keys and reservation of LUN L
#   assert_keys L K1 K2  the registered keys of LUN L are exactly those of nodes K1 K2 ... (any order)
#   assert_holder L K    node K's key holds the reservation of LUN L ("none" for no reservation)
#   assert_write_ok K L  dd oflag=direct of one block by node K to LUN L succeeds
#   assert_write_fails K L   that write fails with a reservation conflict (EBADE)
#   assert_has TEXT WHAT PAT...    pass WHAT if TEXT contains one of the PATs, else fail
#   assert_lacks TEXT WHAT PAT...  pass WHAT if TEXT contains none of the PATs, else fail
#                        (PAT is a bash glob matched anywhere in TEXT: quote * ? [ for literals)
#   node_logout K [P]    end node K's session through path P (target side, see README)
#   node_login K P       log node K in through portal path P (P=9 is the spare re-login portal)
#   pr_dir_remove        rm -rf LIO's /etc/target/pr (REGISTER then answers NOT READY)
#   pr_reset_all         every node unregisters from every LUN (so no reservation is left) and
#                        every node's /run is emptied
#   step TEXT / say TEXT / pass TEXT / fail TEXT
#
# NVMe (FSG_TARGET=nvmet or lio+nvmet; L below is a namespace ID). A node is an NVMe host: host NQN $FSG_HNQN:nodeK and host ID
# fe5c0000-0000-4000-8000-00000000000K (hex K), one controller each. Running a command "as
# node K" is using node K's device, dev K L (reservations belong to the host behind the
# controller the command goes through); on_node K still gives it a private /run.
#   nvme_ctrl K          node K's live controller (nvmeX), from /sys/class/nvme
#   nvme_hostid K        node K's host ID as nvme-cli prints it (32 hex digits, no dashes)
#   nvme_report L [K]    nvme resv-report --eds -o json of namespace L through node K (witness)
#   nvme_keys L [K]      registered keys (0x..., lower case, sorted), from that JSON
#   nvme_holder L [K]    keys of the registrants holding the reservation (RCSTS bit 0), or empty
#   nvme_rtype L [K]     reservation type (NVMe RTYPE: 0 none, 1 WE, 2 EA, 3 WE-RO, 4 EA-RO,
#                        5 WE-AR, 6 EA-AR)
#   nvme_regs L [K]      "KEY HOSTID" per registrant
#   write_check K L      one direct write by node K to LUN L: prints ok, conflict (EBADE, the
#                        block layer's reservation conflict) or "error: <dd's message>"
#   assert_nvme_keys L K1 K2 ...   namespace L's keys are exactly those of nodes K1 K2 ...
#   assert_nvme_holder L K|none    node K's key (alone) holds namespace L's reservation
#   nvme_disconnect K [nvmeX]   delete node K's controller (or nvmeX); the host's registrations stay
#   nvme_connect K [dup] connect node K again (a new controller); dup: while its old one lives

FSG_RUN=/tmp/fsg-run
FSG_TOOLS=/tmp/fsg-tools
FSG_TIQN=iqn.2003-01.org.linux-iscsi.fsg:target
FSG_IIQN=iqn.2003-01.org.linux-iscsi.fsg
FSG_TPG=/sys/kernel/config/target/iscsi/$FSG_TIQN/tpgt_1

step() { printf '\n== %s\n' "$*"; }
say() { printf '   %s\n' "$*"; }
pass() { printf '   ok: %s\n' "$*"; }
fail() {
	printf '   FAIL: %s\n' "$*" >&2
	exit 1
}

# _matches TEXT PAT...: the first PAT found in TEXT; false if none.
_matches() {
	local text=$1 p
	shift
	for p in "$@"; do
		# shellcheck disable=SC2053 # $p is a glob pattern on purpose
		if [[ $text == *$p* ]]; then
			printf '%s' "$p"
			return 0
		fi
	done
	return 1
}

# _excerpt TEXT: TEXT on one line, at most 200 characters, for a failure message.
_excerpt() {
	local t=${1//$'\n'/ | }
	[ "${#t}" -le 200 ] || t="${t:0:200}..."
	printf "'%s'" "$t"
}

assert_has() {
	local text=$1 what=$2 pats
	shift 2
	pats=$(printf "'%s', " "$@")
	_matches "$text" "$@" >/dev/null || fail "$what: none of ${pats%, } in $(_excerpt "$text")"
	pass "$what"
}

assert_lacks() {
	local text=$1 what=$2 p
	shift 2
	if p=$(_matches "$text" "$@"); then fail "$what: '$p' in $(_excerpt "$text")"; fi
	pass "$what"
}

_num() { case "$1" in '' | *[!0-9]*) fail "not a number: '$1'" ;; esac; }

# _session K P: sysfs directory of node K's session through path P (portal 127.0.P-1.K; P=9:
# the spare portal 127.0.9.K).
_session() {
	local k=$1 p=$2 s n addr want
	if [ "$p" -ge 9 ]; then want=127.0.$p.$k; else want=127.0.$((p - 1)).$k; fi
	# read, not $(cat): no process per file (the guest runs under TCG, where each one is slow).
	for s in /sys/class/iscsi_session/session*; do
		[ -e "$s/initiatorname" ] || continue
		read -r n <"$s/initiatorname" || true
		[ "$n" = "$FSG_IIQN:node$k" ] || continue
		n=${s##*/session}
		addr=""
		read -r addr <"/sys/class/iscsi_connection/connection$n:0/persistent_address" 2>/dev/null || true
		[ "$addr" = "$want" ] || continue
		echo "$s"
		return 0
	done
	return 1
}

nvme_target() { [ "${FSG_TARGET:-lio}" = nvmet ] || [ "${FSG_TARGET:-lio}" = lio+nvmet ]; }

dev() {
	local k=$1 l=$2 p=${3:-${FSG_PATH_OF_NODE[$1]:-1}} s b base=0
	_num "$k"
	if [[ $l == ns* ]]; then
		nvme_target || fail "dev $k $l: no NVMe namespaces on target ${FSG_TARGET:-lio}"
		_num "${l#ns}"
		_nvme_dev "$k" "${l#ns}"
		return
	fi
	_num "$l"
	_num "$p"
	[ "${FSG_TARGET:-lio}" != nvmet ] || { _nvme_dev "$k" "$l"; return; }
	[ "${FSG_TARGET:-lio}" != tgt ] || base=1
	s=$(_session "$k" "$p") || fail "no iSCSI session for node $k path $p"
	for b in "$s"/device/target*/*:*:*:"$((l - 1 + base))"/block/*; do
		[ -e "$b" ] || continue
		echo "/dev/${b##*/}"
		return 0
	done
	fail "no disk for node $k LUN $l path $p"
}

devs() {
	local k=$1 l out=""
	for ((l = 1; l <= FSG_LUNS; l++)); do
		out="$out${out:+,}$(dev "$k" "$l" "${2:-${FSG_PATH_OF_NODE[$1]:-1}}")"
	done
	if [ "${FSG_TARGET:-lio}" = lio+nvmet ]; then
		for ((l = 1; l <= FSG_LUNS; l++)); do out="$out,$(dev "$k" "ns$l")"; done
	fi
	echo "$out"
}

key() {
	_num "$1"
	printf 'fe5c%04x\n' "$1"
}

# Per-node /run: every node gets /tmp/fsg-nodes/nodeK bind-mounted on /run in a private mount
# namespace, so agents' state files (cluster.key, cluster.dev) never mix nor touch the host.
on_node() {
	local k=$1
	_num "$k"
	shift
	mkdir -p "/tmp/fsg-nodes/node$k"
	unshare -m --propagation private -- /bin/sh -c 'mount --bind "$1" /run && shift && exec "$@"' \
		fsg-node "/tmp/fsg-nodes/node$k" "$@"
}

AGENT_RC=0
AGENT_OUT=""
AGENT_ERR=""
agent() {
	local k=$1
	shift
	local o e
	o=$(mktemp) e=$(mktemp)
	printf '   $ [node%s] %s %s\n' "$k" "${AGENT##*/}" "$*"
	AGENT_RC=0
	on_node "$k" "$AGENT" "$@" >"$o" 2>"$e" || AGENT_RC=$?
	AGENT_OUT=$(cat "$o")
	AGENT_ERR=$(cat "$e")
	rm -f "$o" "$e"
	if [ -n "$AGENT_ERR" ] && [ "${FSG_SHOW_STDERR:-1}" = 1 ]; then
		printf '%s\n' "$AGENT_ERR" | sed '/^$/d; s/^/     2> /'
	fi
	case "$AGENT_OUT" in
	'') printf '     (exit %s)\n' "$AGENT_RC" ;;
	*$'\n'*)
		printf '%s\n' "$AGENT_OUT" | sed 's/^/     > /'
		printf '     (exit %s)\n' "$AGENT_RC"
		;;
	*) printf '     > %s   (exit %s)\n' "$AGENT_OUT" "$AGENT_RC" ;;
	esac
}

expect_agent() {
	local want=$1
	shift
	agent "$@"
	[ "$AGENT_RC" = "$want" ] || fail "agent on node $1 exited $AGENT_RC, want $want"
}

# sg_persist through node K's path; a TEST UNIT READY first consumes a pending UNIT ATTENTION
# (after a preempt, the fenced nexus gets one), and one retry covers a late one.
_pr_in() {
	local l=$1 k=$2 what=$3 d
	d=$(dev "$k" "$l")
	sg_turs "$d" >/dev/null 2>&1 || true
	sg_persist -n -i "$what" -d "$d" 2>/dev/null || {
		sg_turs "$d" >/dev/null 2>&1 || true
		sg_persist -n -i "$what" -d "$d"
	}
}

keys() {
	local out
	out=$(_pr_in "$1" "${2:-${FSG_WITNESS:-1}}" -k) || fail "sg_persist read keys LUN $1"
	printf '%s\n' "$out" | awk '$1 ~ /^0x[0-9a-fA-F]+$/ {print tolower($1)}'
}

holder() {
	local out
	out=$(_pr_in "$1" "${2:-${FSG_WITNESS:-1}}" -r) || fail "sg_persist read reservation LUN $1"
	printf '%s\n' "$out" | sed -n 's/^ *Key=\(0x[0-9a-fA-F]*\).*/\1/p' | tr 'A-F' 'a-f'
}

restype() {
	local out
	out=$(_pr_in "$1" "${2:-${FSG_WITNESS:-1}}" -r) || fail "sg_persist read reservation LUN $1"
	printf '%s\n' "$out" | sed -n 's/.*type: *//p'
}

show_pr() {
	local l=$1 k h
	k=$(keys "$l" | tr '\n' ' ')
	k=${k% }
	h=$(holder "$l")
	if [ -n "$h" ]; then
		say "LUN $l: keys: ${k:-(none)} | reservation: $h, $(restype "$l")"
	else
		say "LUN $l: keys: ${k:-(none)} | reservation: none"
	fi
}

_hexkey() { printf '0x%s\n' "$(key "$1" | sed 's/^0*//')"; }

assert_keys() {
	local l=$1 k want got
	shift
	want=$(for k in "$@"; do _hexkey "$k"; done | sort)
	got=$(keys "$l" | sort)
	[ "$want" = "$got" ] ||
		fail "LUN $l keys are [$(echo $got)], want [$(echo $want)]"
	pass "LUN $l keys are exactly [$(echo $want)]"
}

assert_holder() { _assert_holder LUN holder "$@"; }

# _assert_holder NOUN GETTER L K|none: the reservation of LUN/namespace L, read with GETTER,
# is held by node K's key (none: no reservation).
_assert_holder() {
	local what=$1 get=$2 l=$3 k=$4 got
	got=$("$get" "$l")
	if [ "$k" = none ]; then
		[ -z "$got" ] || fail "$what $l reserved by [$(echo $got)], want no reservation"
		pass "$what $l has no reservation"
		return
	fi
	[ "$got" = "$(_hexkey "$k")" ] || fail "$what $l reservation holder is [$(echo ${got:-none})], want $(_hexkey "$k")"
	pass "$what $l reservation held by node $k's key $(_hexkey "$k")"
}

# One 4 KiB block at a node-specific offset, bypassing the page cache.
_write() {
	local k=$1 l=$2 d
	d=$(dev "$k" "$l")
	dd if=/dev/zero of="$d" bs=4096 count=1 seek="$((k * 8))" oflag=direct conv=notrunc status=none 2>&1
}

# _unit L: "LUN L", or "namespace N" for L = nsN and for L on nvmet, for messages.
_unit() {
	if [[ $1 == ns* ]]; then
		echo "namespace ${1#ns}"
	elif [ "${FSG_TARGET:-lio}" = nvmet ]; then
		echo "namespace $1"
	else
		echo "LUN $1"
	fi
}

assert_write_ok() {
	local out
	out=$(_write "$1" "$2") || fail "node $1 cannot write $(_unit "$2") ($(dev "$1" "$2")): $out"
	pass "node $1 writes $(_unit "$2") ($(dev "$1" "$2"))"
}

assert_write_fails() {
	local out
	if out=$(_write "$1" "$2"); then
		fail "node $1 could still write $(_unit "$2") ($(dev "$1" "$2"))"
	fi
	case "$out" in
	*"Invalid exchange"*) pass "node $1 write to $(_unit "$2") refused: reservation conflict (dd: Invalid exchange)" ;;
	*) fail "node $1 write to $(_unit "$2") failed, but not with a reservation conflict: $out" ;;
	esac
}

# Session control. iscsistart cannot log out and there is no iscsid in the guest, so
# node_logout K [P] aborts the TCP connection of node K's session (through path P; default:
# all its paths) with `ss -K` (sock_diag destroy, CONFIG_INET_DIAG_DESTROY). LIO sees the
# connection reset and ends the session; the node's dynamic ACL stays cached
# (cache_dynamic_acls=1), so its PR registrations stay, as after a real logout. (Removing the
# node's ACL would also end the session, but LIO then drops the node's registrations too.)
# The initiator keeps the dead session in state FAILED (its I/O would block for recovery_tmo);
# its disks are deleted so nothing touches them by accident. A new login must use a portal the
# node has not used yet: node_login K 9 (then 10, 11) -> 127.0.9.K ...; the kernel gives
# every new session a new ISID (0x00023d0000NN, NN = session number), so it is a new I_T nexus.
# node_login sets the node's default path for dev/devs to the new one.
node_logout() {
	local k=$1 p=${2:-} s d n addr i
	_num "$k"
	[ -z "$p" ] || _num "$p"
	for s in /sys/class/iscsi_session/session*; do
		[ "$(cat "$s/initiatorname" 2>/dev/null)" = "$FSG_IIQN:node$k" ] || continue
		n=${s##*/session}
		addr=$(cat "/sys/class/iscsi_connection/connection$n:0/persistent_address" 2>/dev/null || true)
		if [ -n "$p" ]; then
			case "$p" in 9 | 10 | 11) [ "$addr" = "127.0.$p.$k" ] || continue ;; *) [ "$addr" = "127.0.$((p - 1)).$k" ] || continue ;; esac
		fi
		[ "$(cat "$s/state")" = LOGGED_IN ] || continue
		for d in "$s"/device/target*/*:*:*:*; do
			[ -e "$d/delete" ] && echo 1 >"$d/delete"
		done
		ss -K -t state established dst "$addr" dport = :3260 >/dev/null || fail "ss -K failed"
		for ((i = 0; i < 100; i++)); do
			[ "$(cat "$s/state")" = LOGGED_IN ] || break
			sleep 0.1
		done
		[ "$(cat "$s/state")" != LOGGED_IN ] || fail "node $k session ${s##*/} still logged in"
	done
	FSG_PATH_OF_NODE[k]=0 # no live default path until node_login
	pass "node $k logged out (TCP connection to $addr aborted; session ended)"
}

node_login() {
	local k=$1 p=$2 a i s n
	_num "$k"
	_num "$p"
	case "$p" in 9 | 10 | 11) a=127.0.$p.$k ;; *) a=127.0.$((p - 1)).$k ;; esac
	"$FSG_TOOLS/bin/iscsistart" -i "$FSG_IIQN:node$k" -t "$FSG_TIQN" -g 1 -a "$a" -p 3260 >/dev/null 2>&1 ||
		fail "iscsistart node $k portal $a"
	for ((i = 0; i < 300; i++)); do
		if s=$(_session "$k" "$p"); then
			n=$(ls -d "$s"/device/target*/*:*:*:*/block/* 2>/dev/null | wc -l)
			if [ "$n" -ge "$FSG_LUNS" ]; then
				FSG_PATH_OF_NODE[k]=$p
				pass "node $k logged in through $a (new session ${s##*/})"
				return 0
			fi
		fi
		sleep 0.1
	done
	fail "node $k path $p: disks did not appear after login"
}

# registrations L: "KEY ISID" per registration (READ FULL STATUS), e.g. "0xfe5c0001 0x00023d000003".
registrations() {
	local out
	out=$(_pr_in "$1" "${2:-${FSG_WITNESS:-1}}" -s) || fail "sg_persist read full status LUN $1"
	printf '%s\n' "$out" | awk '$1 ~ /^Key=/ {k=tolower(substr($1,5))} /port id:/ {n=split($NF,a,","); print k, a[n]}'
}

pr_dir_remove() {
	rm -rf /tmp/fsg-etc-target/pr
}

pr_dir_restore() {
	mkdir -p /tmp/fsg-etc-target/pr
}

lio_sessions() {
	cat "$FSG_TPG/dynamic_sessions" 2>/dev/null || true
}

# pr_reset_all: no registration and no reservation on any LUN (every node's nexus unregisters:
# the last registrant going away ends a registrants-only reservation), and every node's /run
# (/tmp/fsg-nodes/nodeK) emptied, not recreated: a long-lived process may have it bind-mounted.
pr_reset_all() {
	local k l
	for ((k = 1; k <= FSG_NODES; k++)); do
		for ((l = 1; l <= FSG_LUNS; l++)); do _pr_unregister "$k" "$l"; done
		mkdir -p "/tmp/fsg-nodes/node$k"
		find "/tmp/fsg-nodes/node$k" -mindepth 1 -delete
	done
	for ((l = 1; l <= FSG_LUNS; l++)); do
		if [ "${FSG_TARGET:-lio}" = nvmet ]; then
			[ -z "$(nvme_keys "$l")$(nvme_holder "$l")" ] || fail "reset: namespace $l still has reservation state"
		else
			[ -z "$(keys "$l")$(holder "$l")" ] || fail "reset: LUN $l still has PR state"
		fi
	done
}

# _pr_unregister K L: node K leaves LUN L. SCSI: REGISTER AND IGNORE EXISTING KEY with key 0 (a
# pending UNIT ATTENTION fails a try and is consumed by it). NVMe (nvmet): Reservation Register,
# Unregister, with the node's key (a host that is not registered gets a conflict, ignored); the
# reservation goes with its holder's registration.
_pr_unregister() {
	local d
	d=$(dev "$1" "$2")
	if [ "${FSG_TARGET:-lio}" = nvmet ]; then
		nvme resv-register "$d" --crkey="0x$(key "$1")" --rrega=1 >/dev/null 2>&1 || true
		return
	fi
	sg_persist -n -o -I -S 0 -d "$d" >/dev/null 2>&1 ||
		sg_persist -n -o -I -S 0 -d "$d" >/dev/null 2>&1 ||
		sg_persist -n -o -I -S 0 -d "$d" >/dev/null 2>&1 || fail "reset: unregister node $1 LUN $2"
}

# pr_state L [K]: one READ FULL STATUS of LUN L through node K's path (default the witness).
# Sets PR_KEYS (the registered keys, each once, sorted, space-separated) and PR_HOLDER (the
# reservation holder's key, empty if none). Called directly, not in $(...): it runs one process
# (sg_persist) where keys + holder run eight, and the guest runs under TCG, where each process
# costs tens of milliseconds. READ FULL STATUS is LIO's (SPC-4 6.16.5); tgt does not have it.
# On nvmet (FSG_TARGET=nvmet) the same from nvme-cli's reservation report.
pr_state() {
	local l=$1 k=${2:-${FSG_WITNESS:-1}} d out line cur="" i j t
	local -a ks=()
	if [ "${FSG_TARGET:-lio}" = nvmet ]; then # nvme-cli's report (keys sorted, the holder's key)
		PR_KEYS=$(nvme_keys "$l" "$k" | tr '\n' ' ') PR_HOLDER=$(nvme_holder "$l" "$k" | tr '\n' ' ')
		PR_KEYS=${PR_KEYS% } PR_HOLDER=${PR_HOLDER% }
		return
	fi
	d=$(dev "$k" "$l")
	out=$(sg_persist -n -i -s -d "$d" 2>/dev/null) ||
		out=$(sg_persist -n -i -s -d "$d" 2>/dev/null) || fail "sg_persist read full status LUN $l"
	PR_HOLDER=""
	while IFS= read -r line; do
		case "$line" in
		*Key=0x*)
			cur=${line##*Key=}
			cur=${cur%% *}
			cur=${cur,,}
			case " ${ks[*]} " in *" $cur "*) ;; *) ks+=("$cur") ;; esac
			;;
		*"<< Reservation holder >>"*) PR_HOLDER=$cur ;;
		esac
	done <<<"$out"
	for ((i = 1; i < ${#ks[@]}; i++)); do
		for ((j = i; j > 0; j--)); do
			((16#${ks[j - 1]#0x} > 16#${ks[j]#0x})) || break
			t=${ks[j]} ks[j]=${ks[j - 1]} ks[j - 1]=$t
		done
	done
	PR_KEYS="${ks[*]}"
}

# load_e2e_libs NAME...: source tests/e2e/NAME.sh unless the test already prepended it (each
# library defines NAME_loaded); the repository is found next to the agent.
load_e2e_libs() {
	local lib
	for lib in "$@"; do
		declare -F "${lib}_loaded" >/dev/null || . "$(dirname "$AGENT")/../tests/e2e/$lib.sh" ||
			fail "$lib.sh not found: run through the Go test or with --agent <repo>/bin/fence_scsi_go"
	done
}

# ---- NVMe over TCP (FSG_TARGET=nvmet; see guest-init.sh setup_nvmet) ----

FSG_SUBNQN=nqn.2003-01.org.linux-iscsi.fsg:subsys
FSG_HNQN=nqn.2003-01.org.linux-iscsi.fsg
FSG_NVME_TIMING=keep_alive_tmo=60,reconnect_delay=2 # as guest-init.sh, which explains them
declare -a FSG_CTRL_OF_NODE=()

nvme_hostid() {
	_num "$1"
	printf 'fe5c0000000040008000%012x\n' "$1"
}

_nvme_hostid_uuid() { printf 'fe5c0000-0000-4000-8000-%012x' "$1"; }

# nvme_ctrl K: the controller of node K, the one nvme_connect made last if it is still live,
# else the first live one with node K's host NQN to our subsystem. A controller of node K that
# is resetting or reconnecting is waited for (30 s at most), with a note on stderr.
nvme_ctrl() {
	local k=$1 c v i busy
	_num "$k"
	for ((i = 0; i < 300; i++)); do
		busy=""
		for c in ${FSG_CTRL_OF_NODE[k]:-} /sys/class/nvme/nvme*; do
			c=${c##*/}
			[ -e "/sys/class/nvme/$c/hostnqn" ] || continue
			read -r v <"/sys/class/nvme/$c/hostnqn" || continue
			[ "$v" = "$FSG_HNQN:node$k" ] || continue
			read -r v <"/sys/class/nvme/$c/subsysnqn" || continue
			[ "$v" = "$FSG_SUBNQN" ] || continue
			read -r v <"/sys/class/nvme/$c/state" || continue
			case "$v" in
			live)
				echo "$c"
				return 0
				;;
			resetting | connecting) busy="$c $v" ;;
			esac
		done
		[ -n "$busy" ] || return 1
		[ "$i" -gt 0 ] || printf '   (node %s: controller %s; waiting for it to be live)\n' "$k" "$busy" >&2
		sleep 0.1
	done
	return 1
}

# _nvme_dev K L: node K's block device of namespace ID L (multipath=N: nvmeXnY under nvmeX).
_nvme_dev() {
	local k=$1 l=$2 c b n
	c=$(nvme_ctrl "$k") || fail "no live NVMe controller for node $k"
	for b in /sys/class/nvme/"$c"/"$c"n*; do
		[ -e "$b/nsid" ] || continue
		read -r n <"$b/nsid" || continue
		[ "$n" = "$l" ] || continue
		echo "/dev/${b##*/}"
		return 0
	done
	fail "no namespace $l on node $k's controller $c"
}

nvme_report() {
	local l=$1 k=${2:-${FSG_WITNESS:-1}} d out
	d=$(_nvme_dev "$k" "$l")
	out=$(nvme resv-report "$d" --eds -o json 2>&1) || fail "nvme resv-report $d (node $k): $out"
	printf '%s\n' "$out"
}

# _nvme_jq L K FILTER: FILTER applied to the JSON report of namespace L read through node K.
# Called as out=$(_nvme_jq ...) || fail: a failure inside $(...) only ends the subshell.
_nvme_jq() {
	local out
	out=$(nvme_report "$1" "$2") || return 1
	printf '%s\n' "$out" | jq -r "$3" || { echo "unexpected resv-report JSON: $(_excerpt "$out")" >&2; return 1; }
}

# _nvme_hexkeys: decimal keys (one per line on stdin) as 0x... hex, sorted, each once.
_nvme_hexkeys() {
	local k
	while read -r k; do [ -z "$k" ] || printf '0x%x\n' "$k"; done | sort -u
}

nvme_keys() {
	local out
	out=$(_nvme_jq "$1" "${2:-${FSG_WITNESS:-1}}" '.regctlext[]?.rkey') || fail "read keys of namespace $1"
	printf '%s\n' "$out" | _nvme_hexkeys
}

nvme_holder() {
	local out
	out=$(_nvme_jq "$1" "${2:-${FSG_WITNESS:-1}}" '.regctlext[]? | select(.rcsts % 2 == 1) | .rkey') ||
		fail "read the reservation of namespace $1"
	printf '%s\n' "$out" | _nvme_hexkeys
}

nvme_rtype() {
	local out
	out=$(_nvme_jq "$1" "${2:-${FSG_WITNESS:-1}}" '.rtype') || fail "read the reservation type of namespace $1"
	printf '%s\n' "$out"
}

nvme_regs() {
	local out k h
	out=$(_nvme_jq "$1" "${2:-${FSG_WITNESS:-1}}" '.regctlext[]? | "\(.rkey) \(.hostid)"') ||
		fail "read the registrants of namespace $1"
	while read -r k h; do [ -z "$k" ] || printf '0x%x %s\n' "$k" "$h"; done <<<"$out"
}

write_check() {
	local out
	if out=$(_write "$1" "$2"); then
		echo ok
		return 0
	fi
	case "$out" in
	*"Invalid exchange"*) echo conflict ;;
	*) echo "error: ${out//$'\n'/ }" ;;
	esac
}

# nvme_connect K [dup]: a new controller for node K through the fabrics device (the options
# written in one write, the answer "instance=N,cntlid=M" read back on the same descriptor);
# waits until it is live with all namespaces. Sets NVME_CNTLID; dev/devs use it from now on.
nvme_connect() {
	local k=$1 extra="" fd resp inst i n
	_num "$k"
	[ "${2:-}" != dup ] || extra=,duplicate_connect
	exec {fd}<>/dev/nvme-fabrics || fail "open /dev/nvme-fabrics"
	printf 'transport=tcp,traddr=127.0.0.1,trsvcid=4420,nqn=%s,hostnqn=%s,hostid=%s,%s%s' \
		"$FSG_SUBNQN" "$FSG_HNQN:node$k" "$(_nvme_hostid_uuid "$k")" "$FSG_NVME_TIMING" "$extra" >&"$fd" ||
		{ exec {fd}>&-; fail "NVMe connect of node $k refused"; }
	read -r resp <&"$fd" || resp=""
	exec {fd}>&-
	[[ $resp =~ ^instance=([0-9]+),cntlid=([0-9]+) ]] || fail "NVMe connect node $k: answer '$resp'"
	inst=nvme${BASH_REMATCH[1]} NVME_CNTLID=${BASH_REMATCH[2]}
	for ((i = 0; i < 300; i++)); do
		n=$(ls -d /sys/class/nvme/"$inst"/"$inst"n* 2>/dev/null | wc -l)
		if [ "$n" -ge "$FSG_LUNS" ] && [ "$(cat "/sys/class/nvme/$inst/state" 2>/dev/null)" = live ]; then
			FSG_CTRL_OF_NODE[k]=$inst
			pass "node $k connected: controller $inst, cntlid $NVME_CNTLID"
			return 0
		fi
		sleep 0.1
	done
	fail "node $k: controller $inst not live with $FSG_LUNS namespaces"
}

# nvme_disconnect K [nvmeX]: delete node K's controller, or nvmeX (host side; the target ends
# the association).
nvme_disconnect() {
	local k=$1 c=${2:-} i
	[ -n "$c" ] || c=$(nvme_ctrl "$k") || fail "node $k has no live controller"
	echo 1 >"/sys/class/nvme/$c/delete_controller" || fail "delete_controller $c"
	for ((i = 0; i < 300; i++)); do
		[ -e "/sys/class/nvme/$c" ] || break
		sleep 0.1
	done
	[ ! -e "/sys/class/nvme/$c" ] || fail "controller $c of node $k still there"
	[ "${FSG_CTRL_OF_NODE[k]:-}" != "$c" ] || FSG_CTRL_OF_NODE[k]=""
	pass "node $k disconnected (controller $c deleted)"
}

assert_nvme_keys() {
	local l=$1 k want got
	shift
	want=$(for k in "$@"; do _hexkey "$k"; done | sort -u)
	got=$(nvme_keys "$l")
	[ "$want" = "$got" ] || fail "namespace $l keys are [$(echo $got)], want [$(echo $want)]"
	pass "namespace $l keys are exactly [$(echo $want)]"
}

assert_nvme_holder() { _assert_holder namespace nvme_holder "$@"; }
