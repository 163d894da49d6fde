# fence_side_by_side: the same sequence of agent calls run with Debian's fence_scsi (the
# reference, /usr/sbin/fence_scsi from the host root) and with the agent under test ($AGENT),
# one after the other on the same LUNs, from the same clean PR state. After every call the
# transcript records the exit status, stdout, the keys, reservation holder and type of every
# LUN (sg_persist, read through node 1's path) and every node's state files; the two
# transcripts must be identical. stderr (log lines) is shown, not compared.
#
# Left out on purpose, each covered by its own scenario: the ISID change
# (fence_isid_change.sh, where fence_scsi 4.12.1 is wrong), the fencer that lost its registration
# (fence_refusals.sh: 4.12.1 fails, HEAD and fence_scsi_go fence), a LUN without PR (fence_no_pr.sh:
# 4.12.1 registers on the other LUNs first), and `monitor` (4.12.1 does not check the devices;
# HEAD does). docs/differences.md lists them.
[ "$FSG_NODES" -ge 3 ] && [ "$FSG_LUNS" -ge 2 ] || fail "needs --nodes 3 --luns 2"
REF=/usr/sbin/fence_scsi
[ -x "$REF" ] || fail "Debian's fence_scsi is not at $REF in the guest (fence-agents on the host)"
[ "$(readlink -f "$AGENT")" != "$(readlink -f "$REF")" ] || say "NOTE: the agent under test is the reference itself"
FSG_WITNESS=1

# record FILE: the PR state of every LUN and every node's state files.
record() {
	local f=$1 l k h s
	for ((l = 1; l <= FSG_LUNS; l++)); do
		h=$(holder "$l")
		echo "  LUN $l keys: $(keys "$l" | sort | tr '\n' ' ')| reservation: ${h:-none}${h:+ $(restype "$l")}"
	done >>"$f"
	for k in $(seq 1 "$FSG_NODES"); do
		for s in cluster.key cluster.dev; do
			if [ -e "/tmp/fsg-nodes/node$k/$s" ]; then
				echo "  node$k /run/$s: $(tr '\n' '|' <"/tmp/fsg-nodes/node$k/$s")"
			else
				echo "  node$k /run/$s: (absent)"
			fi
		done
	done >>"$f"
}

# call FILE K ARGS...: run the current $AGENT as node K, append exit status, stdout and state.
call() {
	local f=$1 k=$2
	shift 2
	agent "$k" "$@"
	{
		echo "[node$k] $*"
		echo "  exit $AGENT_RC"
		printf '%s\n' "$AGENT_OUT" | sed 's/^/  stdout: /'
	} >>"$f"
	record "$f"
}

# call_stdin FILE K LINE...: the same with the options as stdin key=value lines (no arguments).
call_stdin() {
	local f=$1 k=$2 o e rc=0
	shift 2
	o=$(mktemp) e=$(mktemp)
	printf '   $ [node%s] %s <<< %s\n' "$k" "${AGENT##*/}" "$*"
	printf '%s\n' "$@" | on_node "$k" "$AGENT" >"$o" 2>"$e" || rc=$?
	sed '/^$/d; s/^/     2> /' "$e"
	sed 's/^/     > /' "$o"
	printf '     (exit %s)\n' "$rc"
	{
		echo "[node$k] stdin: $*"
		echo "  exit $rc"
		sed 's/^/  stdout: /' "$o"
	} >>"$f"
	rm -f "$o" "$e"
	record "$f"
}

# sequence FILE: the calls, the same for both agents. Devices are the caller's own paths.
sequence() {
	local f=$1 k
	: >"$f"
	for k in 1 2 3; do call "$f" "$k" -o on -n "node$k" -k "$(key "$k")" -d "$(devs "$k")"; done
	call "$f" 1 -o on -n node1 -k "$(key 1)" -d "$(devs 1)"
	for k in 1 2 3; do call "$f" "$k" -o status -n "node$k" -k "$(key "$k")" -d "$(devs "$k")"; done
	call "$f" 1 -o off -n node3 -k "$(key 3)" -d "$(devs 1)"
	call "$f" 3 -o status -n node3 -k "$(key 3)" -d "$(devs 3)"
	call "$f" 2 -o off -n node3 -k "$(key 3)" -d "$(devs 2)"
	call "$f" 1 -o off -n node1 -k "$(key 1)" -d "$(devs 1)"
	call "$f" 3 -o on -n node3 -k "$(key 3)" -d "$(devs 3)"
	call "$f" 3 -o off -n node1 -k "$(key 1)" -d "$(devs 3)"
	call "$f" 1 -o status -n node1 -k "$(key 1)" -d "$(devs 1)"
	call "$f" 2 -o off -n node4 -k fe5c0004 -d "$(devs 2)"
	call "$f" 2 -o on -n node2 -k "$(key 2)" -d "$(dev 2 1)"
	call "$f" 2 -o validate-all -n node2 -k "$(key 2)" -d "$(devs 2)"
	call "$f" 2 -o list -n node2 -k "$(key 2)" -d "$(devs 2)"
	# Keys derived from the node name (key_value=hash) through a stub corosync-cmapctl.
	mkdir -p /tmp/fsg-sbs
	cat >/tmp/fsg-sbs/cmapctl <<'STUB'
#!/bin/sh
case "$*" in
*totem.cluster_name*) echo "totem.cluster_name (str) = sbs" ;;
*nodelist*) printf 'nodelist.node.0.name (str) = node1\nnodelist.node.0.nodeid (u32) = 1\nnodelist.node.1.name (str) = node2\nnodelist.node.1.nodeid (u32) = 2\n' ;;
esac
STUB
	chmod 755 /tmp/fsg-sbs/cmapctl
	local cm=--corosync-cmap-path=/tmp/fsg-sbs/cmapctl
	call "$f" 1 -o on -n node1 --key-value=hash "$cm" -d "$(devs 1)"
	call "$f" 1 -o status -n node1 --key-value=hash "$cm" -d "$(devs 1)"
	call "$f" 2 -o off -n node1 --key-value=hash "$cm" -d "$(devs 2)"
	call "$f" 1 -o on -n node1 "$cm" -d "$(devs 1)"
	call "$f" 3 -o off -n node1 "$cm" -d "$(devs 3)"
	# Pacemaker's way: options on stdin.
	call_stdin "$f" 1 "action=on" "nodename=node1" "key=$(key 1)" "devices=$(devs 1)"
	call_stdin "$f" 2 "action=off" "port=node1" "key=$(key 1)" "devices=$(devs 2)"
	call_stdin "$f" 1 "action=status" "plug=node1" "key=$(key 1)" "devices=$(devs 1)"
}

step "Reference: Debian's fence_scsi ($REF)"
pr_reset_all
UNDER_TEST=$AGENT
AGENT=$REF
sequence /tmp/sbs.ref

step "Agent under test: ${UNDER_TEST##*/}"
pr_reset_all
AGENT=$UNDER_TEST
sequence /tmp/sbs.test

step "Compare: exit status, stdout, PR state of every LUN and state files after each call"
say "reference transcript ($(grep -c '^\[node' /tmp/sbs.ref) calls):"
sed 's/^/     | /' /tmp/sbs.ref
if diff -u --label "fence_scsi" --label "${UNDER_TEST##*/}" /tmp/sbs.ref /tmp/sbs.test >/tmp/sbs.diff; then
	pass "identical: $(grep -c '^\[node' /tmp/sbs.ref) calls, exit codes, stdout, keys, reservations and state files"
	echo "SUMMARY: side by side with fence_scsi: $(grep -c '^\[node' /tmp/sbs.ref) calls on $FSG_NODES nodes x $FSG_LUNS LUNs, transcripts identical"
else
	sed 's/^/     /' /tmp/sbs.diff
	fail "the transcripts differ (above)"
fi
