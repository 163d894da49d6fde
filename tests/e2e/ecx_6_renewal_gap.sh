# ECX scenario 6: the real renewal gap on LIO. Node 1 acquires LUN 1 and 2 and renews them
# (a) as the asynchronous monitor does (`defend`, one process) and (b) as the synchronous
# monitor does (`defend --once` run after run, the next started P after the previous ended: the
# slower of the possible monitor schedules). Node 2 polls LUN 1's PRgeneration (sg_persist READ
# KEYS through its own nexus, as an attacker would see it) and records when it changes. The gap
# between consecutive renewals must stay within P + T + overhead (RunOverhead, 1 s): a renewal is
# never later than T plus the overhead after its cycle starts. The measured gaps are printed.
# ECX_GAP_SECONDS per mode (default 45).
# Run with: tests/vm/run.sh --nodes 2 --luns 2 --agent $PWD/bin/fence_scsi_go tests/e2e/ecx_6_renewal_gap.sh
[ "$FSG_NODES" -ge 2 ] && [ "$FSG_LUNS" -ge 2 ] || fail "needs --nodes 2 --luns 2"
FSG_WITNESS=2

declare -F ecx_lib_loaded >/dev/null || . "$(dirname "$AGENT")/../tests/e2e/ecx_lib.sh" ||
	fail "ecx_lib.sh not found: run through ecx_test.go or with --agent <repo>/bin/fence_scsi_go"

DUR=${ECX_GAP_SECONDS:-45}
D1=$(devs 1)
OBS=$(dev 2 1)
LIMIT=$(awk -v p="$P" -v t="$T" 'BEGIN {print p + t + 1}')
say "node 1 devices $D1; observer node 2 on $OBS; P=${P}s T=${T}s; per-renewal limit P+T+1s=${LIMIT}s"

pr_reset_all
expect_agent 0 1 acquire --devices="$D1" --key="$(key 1)"

# observe LOG: generation changes of LUN 1 seen through node 2, "time generation" per poll.
observe() {
	while :; do
		g=$(sg_persist -n -i -k -d "$OBS" 2>/dev/null | sed -n 's/.*PR generation=\(0x[0-9a-fA-F]*\).*/\1/p')
		echo "$(date +%s.%N) $g"
	done >"$1"
}
# gaps LOG: times between consecutive generation changes (first poll that saw the new value),
# and the poll resolution; prints "n max mean resolution".
gaps() {
	awk 'NF == 2 {
		if (prev != "" && $2 != prev) { if (last != "") { g = $1 - last; n++; s += g; if (g > max) max = g } last = $1 }
		if (pt != "") { d = $1 - pt; if (d > res) res = d } pt = $1; prev = $2
	} END { printf "%d %.2f %.2f %.2f\n", n, max, (n ? s / n : 0), res }' "$1"
}

measure() {
	local mode=$1
	shift
	observe "/tmp/ecx-gap-$mode.obs" &
	local opid=$!
	bg_node 1 "/tmp/ecx-gap-$mode.log" "$@"
	local dpid=$BG_PID
	sleep "$DUR"
	kill -TERM -- "-$dpid" 2>/dev/null || true
	wait "$dpid" 2>/dev/null || true
	kill "$opid" 2>/dev/null || true
	wait "$opid" 2>/dev/null || true
	local st n max mean res
	st=$(gaps "/tmp/ecx-gap-$mode.obs") # no process substitution: the guest has no /dev/fd
	n=${st%% *} st=${st#* } max=${st%% *} st=${st#* } mean=${st%% *} res=${st#* }
	say "$mode: $n renewal gaps observed: max ${max}s, mean ${mean}s (P=${P}s), poll resolution <= ${res}s"
	[ "$n" -ge 5 ] || { tail -20 "/tmp/ecx-gap-$mode.log"; fail "$mode: only $n renewals observed in ${DUR}s"; }
	fge "$LIMIT" "$max" || fail "$mode: a renewal came ${max}s after the previous one, more than P+T+1s=${LIMIT}s"
	pass "$mode: every renewal within ${max}s of the previous one (limit ${LIMIT}s)"
	eval "GAP_$mode=$max MEAN_$mode=$mean RES_$mode=$res"
}

step "(a) defend: one process renewing every P"
measure daemon "$AGENT" defend --devices="$D1" --key="$(key 1)"
grep -q "LOST\|FAILED" /tmp/ecx-gap-daemon.log && { cat /tmp/ecx-gap-daemon.log; fail "defend lost or failed"; }

step "(b) defend --once: one process per cycle, the next started P after the previous ended"
cat >/tmp/ecx-once-loop.sh <<LOOP
while :; do
	t0=\$(date +%s.%N)
	"$AGENT" defend --once --quiet --devices="$D1" --key="$(key 1)" || echo "ONCE FAILED rc=\$?"
	echo "ONCE \$t0 \$(date +%s.%N)"
	sleep $P
done
LOOP
measure once bash /tmp/ecx-once-loop.sh
grep -q "ONCE FAILED" /tmp/ecx-gap-once.log && { cat /tmp/ecx-gap-once.log; fail "defend --once failed"; }
RUN=$(awk '$1 == "ONCE" {d = $3 - $2; if (d > m) m = d} END {printf "%.2f", m}' /tmp/ecx-gap-once.log)
say "longest defend --once run (process start, open, renewal, check): ${RUN}s"

expect_agent 0 1 release --devices="$D1" --key="$(key 1)"
say "SUMMARY: renewal gap on LIO: defend max ${GAP_daemon}s (mean ${MEAN_daemon}s), defend --once every P after the previous max ${GAP_once}s (mean ${MEAN_once}s), longest --once run ${RUN}s; P=${P}s, bound P+T+1s=${LIMIT}s; poll resolution ${RES_daemon}s/${RES_once}s"
