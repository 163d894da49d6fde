# ecx_renewal_gap: the real renewal gap on LIO. Node 1 acquires LUN 1 and 2 and renews them
# (a) as the asynchronous monitor does (`defend`, one process) and (b) as a synchronous monitor
# that counts its interval from the end of the previous run does (`defend --once` run after run,
# the next started P after the previous ended). With --verbose the defender logs the completion
# of every renewal (timestamps in ms); the gaps between consecutive renewals of LUN 1 are printed
# and checked: (a) within P + T + 1 s (RunOverhead), (b) within 2·P + 2 s (docs/arbitration.md
# "Synchronous monitor"). (A second node polling PRgeneration with sg_persist was tried first:
# under TCG on a busy host one sg_persist run takes seconds, too coarse to see 3 s renewals.)
# ECX_GAP_SECONDS per mode (default 45).
# Run with: tests/vm/run.sh --nodes 2 --luns 2 --agent $PWD/bin/fence_scsi_go tests/e2e/ecx_renewal_gap.sh
[ "$FSG_NODES" -ge 2 ] && [ "$FSG_LUNS" -ge 2 ] || fail "needs --nodes 2 --luns 2"
FSG_WITNESS=2

declare -F ecx_lib_loaded >/dev/null || . "$(dirname "$AGENT")/../tests/e2e/ecx_lib.sh" ||
	fail "ecx_lib.sh not found: run through ecx_test.go or with --agent <repo>/bin/fence_scsi_go"

DUR=${ECX_GAP_SECONDS:-45}
D1=$(devs 1)
FIRST=${D1%%,*}
LIMIT_A=$((P + T + 1))
LIMIT_B=$((2 * P + 2))
say "node 1 devices $D1 (gaps of $FIRST); P=${P}s T=${T}s; limits (a) ${LIMIT_A}s (b) ${LIMIT_B}s"

pr_reset_all
expect_agent 0 1 acquire --devices="$D1" --key="$(key 1)"

# gaps LOG: seconds between consecutive "defend $FIRST: renewed" lines; prints "n max mean".
gaps() {
	awk -v dev="$FIRST" '$3 == "defend" && $4 == dev ":" && $5 == "renewed" {
		split($2, h, ":"); t = h[1] * 3600 + h[2] * 60 + h[3]
		if (last != "") { g = t - last; n++; s += g; if (g > max) max = g }
		last = t
	} END { printf "%d %.3f %.3f\n", n, max, (n ? s / n : 0) }' "$1"
}

measure() {
	local mode=$1 limit=$2 st n max mean
	shift 2
	bg_node 1 "/tmp/ecx-gap-$mode.log" "$@"
	local dpid=$BG_PID
	sleep "$DUR"
	kill -TERM -- "-$dpid" 2>/dev/null || true
	wait "$dpid" 2>/dev/null || true
	st=$(gaps "/tmp/ecx-gap-$mode.log")
	n=${st%% *} st=${st#* } max=${st%% *} mean=${st#* }
	say "$mode: $n renewal gaps of $FIRST: max ${max}s, mean ${mean}s (P=${P}s)"
	eval "GAP_$mode=$max MEAN_$mode=$mean"
	[ "$n" -ge 5 ] || { tail -20 "/tmp/ecx-gap-$mode.log"; fail "$mode: only $n renewal gaps in ${DUR}s"; }
	fge "$limit" "$max" || fail "$mode: a renewal came ${max}s after the previous one, more than ${limit}s"
	pass "$mode: every renewal within ${max}s of the previous one (limit ${limit}s)"
}

step "(a) defend: one process renewing every P"
measure daemon "$LIMIT_A" "$AGENT" defend --verbose --devices="$D1" --key="$(key 1)"
grep -q "LOST\|FAILED" /tmp/ecx-gap-daemon.log && { cat /tmp/ecx-gap-daemon.log; fail "defend lost or failed"; }

step "(b) defend --once: one process per cycle, the next started P after the previous ended"
cat >/tmp/ecx-once-loop.sh <<LOOP
while :; do
	t0=\$(date +%s.%N)
	"$AGENT" defend --once --verbose --devices="$D1" --key="$(key 1)" 2>&1 || echo "ONCE FAILED rc=\$?"
	echo "ONCE \$t0 \$(date +%s.%N)"
	sleep $P
done
LOOP
measure once "$LIMIT_B" bash /tmp/ecx-once-loop.sh
grep -q "ONCE FAILED" /tmp/ecx-gap-once.log && { cat /tmp/ecx-gap-once.log; fail "defend --once failed"; }
RUN=$(awk '$1 == "ONCE" {d = $3 - $2; if (d > m) m = d} END {printf "%.2f", m}' /tmp/ecx-gap-once.log)
say "longest defend --once run (process start, open, renewal, check): ${RUN}s"

expect_agent 0 1 release --devices="$D1" --key="$(key 1)"
say "SUMMARY: renewal gap on LIO: defend max ${GAP_daemon}s (mean ${MEAN_daemon}s, limit ${LIMIT_A}s); defend --once started P after the previous ended max ${GAP_once}s (mean ${MEAN_once}s, limit ${LIMIT_B}s), longest run ${RUN}s; P=${P}s T=${T}s"
