# ecx_simultaneous_acquire: simultaneous start. Two servers run `acquire` at the same instant on two free
# LUNs (as both ECX start scripts do after a split), released by one barrier: each node blocks
# reading its own FIFO, and the barrier opens both FIFOs for writing and closes them together.
# Node 2 lists the LUNs in the other order under its own names. As an ECX server does, a node
# whose acquire exits 0 starts its defender. After each round: exactly one acquire exited 0, the
# other non-zero; every LUN's keys are exactly [winner] and its reservation is the winner's
# (WE-AR: the winner is the only registrant); the loser's writes are refused by the target; the
# winner's defender never reports a loss. Then the defender is stopped and the PR state reset.
# ECX_RACE_N rounds (default 10; ecx_test.go sets it, 100 with FSG_SOAK=1).
# Run with: tests/vm/run.sh --nodes 2 --luns 2 --agent $PWD/bin/fence_scsi_go tests/e2e/ecx_simultaneous_acquire.sh
[ "$FSG_NODES" -ge 2 ] && [ "$FSG_LUNS" -ge 2 ] || fail "needs --nodes 2 --luns 2"
FSG_WITNESS=1

declare -F ecx_lib_loaded >/dev/null || . "$(dirname "$AGENT")/../tests/e2e/ecx_lib.sh" ||
	fail "ecx_lib.sh not found: run through ecx_test.go or with --agent <repo>/bin/fence_scsi_go"

N=${ECX_RACE_N:-10}
D[1]=$(dev 1 1),$(dev 1 2)
D[2]=$(dev 2 2),$(dev 2 1)
say "node 1 devices ${D[1]}; node 2 devices ${D[2]}; $N rounds; W=${W}s"

# The node's start script: wait at the barrier, acquire, and on exit 0 become the defender.
cat >/tmp/ecx-race-node.sh <<'NODE'
fifo=$1 agent=$2 devs=$3 key=$4
read -r _ <"$fifo" || true
t0=$(date +%s.%N)
rc=0
"$agent" acquire --devices="$devs" --key="$key" || rc=$?
echo "ACQUIRE rc=$rc start=$t0 end=$(date +%s.%N)"
[ "$rc" = 0 ] || exit "$rc"
exec "$agent" defend --devices="$devs" --key="$key"
NODE

WINS1=0 WINS2=0 LOST_RACE=0 OWNER_ALIVE=0 GAVE_UP=0
pr_reset_all
for ((i = 1; i <= N; i++)); do
	step "Round $i of $N: both nodes acquire at once"
	for k in 1 2; do
		rm -f "/tmp/ecx-race$k.fifo" "/tmp/ecx-race$k.log"
		mkfifo "/tmp/ecx-race$k.fifo"
		bg_node "$k" "/tmp/ecx-race$k.log" bash /tmp/ecx-race-node.sh "/tmp/ecx-race$k.fifo" "$AGENT" "${D[$k]}" "$(key "$k")"
		PID[$k]=$BG_PID
	done
	# Opening a FIFO for writing blocks until its reader is there: both readers wait, then
	# both see end-of-file at once. Odd rounds open node 1's first, even rounds node 2's.
	if [ $((i % 2)) = 1 ]; then
		exec 5>/tmp/ecx-race1.fifo 6>/tmp/ecx-race2.fifo
	else
		exec 6>/tmp/ecx-race2.fifo 5>/tmp/ecx-race1.fifo
	fi
	exec 5>&- 6>&-
	T_GO=$(now)
	for j in $(seq 480); do # both acquires done (the loser may wait W): up to 240 s, few forks
		[[ $(</tmp/ecx-race1.log) == *"ACQUIRE rc="* && $(</tmp/ecx-race2.log) == *"ACQUIRE rc="* ]] && break
		sleep 0.5
	done
	for k in 1 2; do
		RC[$k]=$(sed -n 's/^ACQUIRE rc=\([0-9]*\).*/\1/p' "/tmp/ecx-race$k.log")
		[ -n "${RC[$k]}" ] || { cat "/tmp/ecx-race$k.log"; fail "round $i: node $k's acquire did not finish"; }
	done
	if [ "${RC[1]}" = 0 ] && [ "${RC[2]}" != 0 ]; then
		win=1 lose=2 WINS1=$((WINS1 + 1))
	elif [ "${RC[2]}" = 0 ] && [ "${RC[1]}" != 0 ]; then
		win=2 lose=1 WINS2=$((WINS2 + 1))
	else
		sed 's/^/     node1> /' /tmp/ecx-race1.log
		sed 's/^/     node2> /' /tmp/ecx-race2.log
		fail "round $i: acquire exit codes node 1 ${RC[1]}, node 2 ${RC[2]}; want exactly one 0"
	fi
	grep -q "lost the race" "/tmp/ecx-race$lose.log" && LOST_RACE=$((LOST_RACE + 1))
	grep -q "owner alive" "/tmp/ecx-race$lose.log" && OWNER_ALIVE=$((OWNER_ALIVE + 1))
	say "round $i: node $win acquired; node $lose exited ${RC[$lose]} ($(grep -o 'lost the race\|owner alive\|FAILED.*' "/tmp/ecx-race$lose.log" | head -1)); both done $(since "$T_GO")s after the barrier"
	for l in 1 2; do # one READ KEYS and one READ RESERVATION per LUN (forks are slow under TCG)
		kout=$(_pr_in "$l" 1 -k) || fail "round $i: read keys LUN $l"
		rout=$(_pr_in "$l" 1 -r) || fail "round $i: read reservation LUN $l"
		got=$(printf '%s\n' "$kout" | awk '$1 ~ /^0x[0-9a-fA-F]+$/ {printf "%s ", tolower($1)}')
		hold=$(printf '%s\n' "$rout" | sed -n 's/^ *Key=\(0x[0-9a-fA-F]*\).*/\1/p' | tr 'A-F' 'a-f')
		rtype=$(printf '%s\n' "$rout" | sed -n 's/.*type: *//p')
		say "LUN $l: keys: ${got:-(none)}| reservation: ${hold:-none}, ${rtype:-none}"
		[ "$got" = "$(_hexkey "$win") " ] || fail "round $i: LUN $l keys [${got}], want [$(_hexkey "$win")] alone"
		case "$hold" in
		"$(_hexkey "$win")" | 0x0 | 0x0000000000000000) ;;
		*) fail "round $i: LUN $l reservation holder ${hold:-none}, want node $win's" ;;
		esac
		[ -n "$rtype" ] || fail "round $i: LUN $l has no reservation"
		assert_write_fails "$lose" "$l"
	done
	kill -TERM -- "-${PID[$win]}" 2>/dev/null || true
	wait "${PID[1]}" "${PID[2]}" 2>/dev/null || true
	# Loss (another key took the LUNs) fails the round. A defender that gave up because its
	# commands kept missing T (a starved TCG guest: "cycle failed") is reported, not a race defect.
	grep -q "LOST" "/tmp/ecx-race$win.log" && { cat "/tmp/ecx-race$win.log"; fail "round $i: node $win's defender lost the LUNs"; }
	if grep -q "gave up" "/tmp/ecx-race$win.log"; then
		GAVE_UP=$((GAVE_UP + 1))
		say "round $i: node $win's defender gave up after failed cycles (host too slow for T=${T}s), not a loss"
	fi
	pr_reset_all
done
pass "$N rounds: exactly one owner each time (node 1 won $WINS1, node 2 won $WINS2; loser: lost the race $LOST_RACE, owner alive $OWNER_ALIVE)"
say "SUMMARY: $N simultaneous acquires: node 1 won $WINS1, node 2 won $WINS2; loser lost the race $LOST_RACE, owner alive $OWNER_ALIVE; never two owners; winner's defender gave up on a slow host $GAVE_UP"
