# check_storage_lib.sh: what the check-storage scenarios share (prepended by the Go tests): a
# stand-in corosync-cmapctl (cluster "fsgcheck", nodes node1 and node2) from which the agent and
# check-storage derive the keys (key_value=id), and helpers to run check-storage and read its
# JSON report.
command -v jq >/dev/null || fail "jq is needed in the guest (host root)"

CMAP=/tmp/fsg-check-cmapctl
cat >"$CMAP" <<'CMAPEOF'
#!/bin/sh
case "$1" in
totem.cluster_name) echo 'totem.cluster_name (str) = fsgcheck' ;;
nodelist) printf '%s\n' 'nodelist.local_node_pos (u32) = 0' \
	'nodelist.node.0.name (str) = node1' 'nodelist.node.0.nodeid (u32) = 1' \
	'nodelist.node.1.name (str) = node2' 'nodelist.node.1.nodeid (u32) = 2' ;;
esac
CMAPEOF
chmod 755 "$CMAP"
H=$(printf %s fsgcheck | md5sum | cut -c1-4)
K1=0x$(printf '%s0000' "$H" | sed 's/^0*//')
K2=0x$(printf '%s0001' "$H" | sed 's/^0*//')
say "derived keys (key_value=id): node1 $K1, node2 $K2"

gen() { _pr_in "$1" 2 -k | sed -n 's/.*PR generation=\(0x[0-9a-fA-F]*\).*/\1/p'; }
rules() { printf '%s\n' "$AGENT_OUT" | jq -r '[.problems[].rule] | unique | join(" ")'; }
# chk RC K ARGS...: check-storage as node K (key derived for nodeK), JSON report; exit RC wanted.
chk() {
	local rc=$1 k=$2
	shift 2
	expect_agent "$rc" "$k" check-storage --corosync-cmap-path="$CMAP" --nodename="node$k" --json "$@"
}
want_rules() {
	local got
	got=$(rules)
	[ "$got" = "$*" ] || fail "rules fired: '$got', want '$*'"
	pass "rules fired: '${*:-none}'"
}
