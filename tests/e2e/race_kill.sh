# kill -9 of the agent at random instants during `on` and `off` across every LUN (KILL_ITER
# iterations each, set by the Go test; KILL_PHASES="off on" by default, one of them for a soak of
# that phase alone; the instants are spread over the length of an unkilled
# run). After a killed `off`, every LUN still has a reservation; after a killed `on`, every
# device in the node's dev file is registered. Re-running the same action then gives exactly the
# expected state, and an `off` that exits 0 leaves node 2 unable to write any LUN.
[ "$FSG_NODES" = 2 ] || fail "needs --nodes 2"
KILL_ITER=${KILL_ITER:-10}
KILL_PHASES=${KILL_PHASES:-off on} # which actions to kill (a soak may run one phase alone)
KILLED=0 # runs the SIGKILL reached while the agent was still running

# ms_now: milliseconds since the epoch.
ms_now() { echo $(($(date +%s%N) / 1000000)); }

# run_killed MS K ARGS...: node K's agent with ARGS, SIGKILLed after MS milliseconds.
run_killed() {
	local ms=$1 k=$2
	shift 2
	mkdir -p "/tmp/fsg-nodes/node$k"
	# Started directly (not through the on_node function, whose background subshell would be
	# what gets killed): unshare execs the shell, which execs the agent, so $! is the agent.
	unshare -m --propagation private -- /bin/sh -c 'mount --bind "$1" /run && shift && exec "$@"' \
		fsg-node "/tmp/fsg-nodes/node$k" "$AGENT" "$@" >/dev/null 2>&1 &
	local pid=$!
	sleep "$((ms / 1000)).$(printf '%03d' $((ms % 1000)))"
	if kill -9 "$pid" 2>/dev/null; then KILLED=$((KILLED + 1)); fi
	wait "$pid" 2>/dev/null || true
}

unfenced_both() {
	pr_reset_all
	on_node 1 "$AGENT" -o on -n node1 -k "$(key 1)" -d "$(devs 1)" >/dev/null || fail "unfence node 1"
	on_node 2 "$AGENT" -o on -n node2 -k "$(key 2)" -d "$(devs 2)" >/dev/null || fail "unfence node 2"
}

# rerun MS KEYS ARGS...: node 1's agent with ARGS, run to completion after a kill at MS ms,
# exits 0 and leaves exactly KEYS (sorted hex) registered and a reservation on every LUN.
rerun() {
	local ms=$1 want=$2 l
	shift 2
	agent 1 "$@" >/dev/null
	[ "$AGENT_RC" = 0 ] || fail "kill at ${ms} ms: the re-run of $2 exited $AGENT_RC"
	for ((l = 1; l <= FSG_LUNS; l++)); do
		pr_state "$l"
		[ "$PR_KEYS" = "$want" ] || fail "kill at ${ms} ms: LUN $l keys after the re-run of $2: $PR_KEYS, want $want"
		[ -n "$PR_HOLDER" ] || fail "kill at ${ms} ms: LUN $l unreserved after the re-run of $2"
	done
}

# timed K ARGS: duration in ms of an unkilled run.
timed() {
	local k=$1 t0
	shift
	t0=$(ms_now)
	on_node "$k" "$AGENT" "$@" >/dev/null 2>&1 || true
	echo $(($(ms_now) - t0))
}

kill_off() {
	step "kill -9 during off (node 1 fences node 2), $KILL_ITER instants"
	unfenced_both
	off_ms=$(timed 1 -o off -n node2 -k "$(key 2)" -d "$(devs 1)")
	say "an unkilled off takes ${off_ms} ms here"
	for ((i = 1; i <= KILL_ITER; i++)); do
		unfenced_both
		ms=$((RANDOM % (off_ms + 1)))
		run_killed "$ms" 1 -o off -n node2 -k "$(key 2)" -d "$(devs 1)"
		state=""
		for ((l = 1; l <= FSG_LUNS; l++)); do
			pr_state "$l"
			[ -n "$PR_HOLDER" ] || fail "kill at ${ms} ms: LUN $l has no reservation"
			state="$state [$PR_KEYS]"
		done
		rerun "$ms" "$(_hexkey 1)" -o off -n node2 -k "$(key 2)" -d "$(devs 1)"
		for ((l = 1; l <= FSG_LUNS; l++)); do
			_write 2 "$l" >/dev/null && fail "kill at ${ms} ms: node 2 still writes LUN $l after off exited 0"
		done
		say "off killed at ${ms} ms: keys then$state; re-run exit 0, node 2 locked out of every LUN"
	done
	pass "$KILL_ITER off runs ($KILLED killed while running): every LUN reserved throughout, re-run completes the fence"
	[ "$KILLED" -gt 0 ] || fail "no off run was killed while running: the instants missed the agent"
	KILLED=0
}

kill_on() {
	step "kill -9 during on (node 1 unfences), $KILL_ITER instants"
	pr_reset_all
	on_node 2 "$AGENT" -o on -n node2 -k "$(key 2)" -d "$(devs 2)" >/dev/null || fail "unfence node 2"
	on_ms=$(timed 1 -o on -n node1 -k "$(key 1)" -d "$(devs 1)")
	say "an unkilled on takes ${on_ms} ms here"
	for ((i = 1; i <= KILL_ITER; i++)); do
		pr_reset_all
		on_node 2 "$AGENT" -o on -n node2 -k "$(key 2)" -d "$(devs 2)" >/dev/null || fail "unfence node 2"
		ms=$((RANDOM % (on_ms + 1)))
		run_killed "$ms" 1 -o on -n node1 -k "$(key 1)" -d "$(devs 1)"
		listed=$(cat /tmp/fsg-nodes/node1/cluster.dev 2>/dev/null || true)
		for d in $listed; do
			l=""
			for ((x = 1; x <= FSG_LUNS; x++)); do [ "$(dev 1 "$x")" = "$d" ] && l=$x; done
			[ -n "$l" ] || fail "kill at ${ms} ms: unknown device $d in the dev file"
			pr_state "$l"
			case " $PR_KEYS " in *" $(_hexkey 1) "*) ;; *) fail "kill at ${ms} ms: $d listed in the dev file but node 1 is not registered" ;; esac
		done
		n_listed=$(echo $listed | wc -w)
		rerun "$ms" "$(_hexkey 1) $(_hexkey 2)" -o on -n node1 -k "$(key 1)" -d "$(devs 1)"
		# Every device once; the killed run may have listed some first (in the order they finished).
		[ "$(sort /tmp/fsg-nodes/node1/cluster.dev | tr '\n' ',')" = "$(devs 1 | tr ',' '\n' | sort | tr '\n' ',')" ] ||
			fail "kill at ${ms} ms: dev file after re-run: $(tr '\n' ' ' </tmp/fsg-nodes/node1/cluster.dev)"
		say "on killed at ${ms} ms: $n_listed device(s) already listed, all registered; re-run complete"
	done
	pass "$KILL_ITER on runs ($KILLED killed while running): the dev file lists only registered devices; re-run completes"
	[ "$KILLED" -gt 0 ] || fail "no on run was killed while running: the instants missed the agent"
}

for phase in $KILL_PHASES; do
	case $phase in
	off) kill_off ;;
	on) kill_on ;;
	*) fail "KILL_PHASES: unknown phase $phase" ;;
	esac
done
