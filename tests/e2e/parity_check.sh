# Parity, watchdog check mode: run with --nodes 2 --luns 1. The agent started as
# fence_scsi_check (argv[0], a symlink) exits 0 when the node is not configured, 0 while its key
# is registered, 2 right after another node fenced it; `repair N` exits N; the devices are
# opened read-only (strace). Debian's Python check (/usr/share/cluster/fence_scsi_check) runs
# the same steps for comparison when installed.
declare -F parity_lib_loaded >/dev/null || . "$(dirname "$AGENT")/../tests/e2e/parity_lib.sh" ||
	fail "parity_lib.sh not found: run through parity_test.go or with --agent <repo>/bin/fence_scsi_go"
[ "$FSG_NODES" -ge 2 ] || fail "needs --nodes 2"
FSG_WITNESS=2
check_setup /tmp/fsg-check
CHK=/tmp/fsg-check/fence_scsi_check
PYCHK=/usr/share/cluster/fence_scsi_check
[ -x "$PYCHK" ] || PYCHK=""

step "Node 1 not configured yet (no /run/cluster.key, /run/cluster.dev): check exits 0"
expect_check 0 1 "$CHK" "node 1's check (not configured)"
parity_marker "CHECK unconfigured rc=$CHECK_RC"

step "repair N exits N"
expect_check 7 1 "$CHK" "repair 7" repair 7

step "Nodes 1 and 2 unfence"
expect_agent 0 1 -o on -n node1 -k "$(key 1)" -d "$(dev 1 1)"
expect_agent 0 2 -o on -n node2 -k "$(key 2)" -d "$(dev 2 1)"
on_node 1 sh -c 'echo "   node1 /run/cluster.key: $(cat /var/run/cluster.key)"; echo "   node1 /run/cluster.dev: $(cat /var/run/cluster.dev | tr "\n" " ")"'
assert_keys 1 1 2

step "Node 1's check passes (exit 0)"
expect_check 0 1 "$CHK" "node 1's check (registered)"
parity_marker "CHECK registered rc=$CHECK_RC"
if [ -n "$PYCHK" ]; then
	expect_check 0 1 "$PYCHK" "Python check (registered)"
	parity_marker "PYCHECK registered rc=$CHECK_RC"
fi

step "The check opens the device read-only (strace)"
if command -v strace >/dev/null; then
	on_node 1 strace -f -qq -e trace=open,openat -o /tmp/fsg-check/strace.txt "$CHK" || true
	d=$(dev 1 1)
	grep -F "\"$d\"" /tmp/fsg-check/strace.txt | sed 's/^/     strace: /'
	grep -F "\"$d\"" /tmp/fsg-check/strace.txt | grep -q O_RDONLY || fail "no read-only open of $d"
	! grep -F "\"$d\"" /tmp/fsg-check/strace.txt | grep -qE 'O_RDWR|O_WRONLY' || fail "$d opened for writing"
	pass "$d opened O_RDONLY only"
	if [ -n "$PYCHK" ]; then
		# for comparison: Debian's check runs sg_persist, which opens read-write
		on_node 1 strace -f -qq -e trace=open,openat -o /tmp/fsg-check/strace-py.txt "$PYCHK" || true
		grep -F "\"$d\"" /tmp/fsg-check/strace-py.txt | sed 's/^/     strace (Python check): /' | head -3
	fi
else
	say "strace not installed: read-only open not verified"
fi

step "Node 2 fences node 1; node 1's check fails (exit 2)"
expect_agent 0 2 -o off -n node1 -k "$(key 1)" -d "$(dev 2 1)"
assert_keys 1 2
expect_check 2 1 "$CHK" "node 1's check (fenced)"
parity_marker "CHECK fenced rc=$CHECK_RC"
expect_check 0 2 "$CHK" "node 2's check"
parity_marker "CHECK node2 rc=$CHECK_RC"
if [ -n "$PYCHK" ]; then
	expect_check 2 1 "$PYCHK" "Python check (fenced)"
	parity_marker "PYCHECK fenced rc=$CHECK_RC"
fi
assert_write_fails 1 1
