# Guest side of the fence agent benchmark; run by tests/bench/fence_bench.sh through
# tests/vm/run.sh, which prepends the BENCH_* settings below. Helpers: tests/vm/guest/lib.sh.
#
# For every LUN count in BENCH_LUNSETS (the first N LUNs of the guest): clear all PR state,
# then BENCH_REPS repetitions in which the two agents alternate (so that both see the same
# host load), each agent doing: node2 unfences itself (setup, not reported), then
#   on     node1 unfences itself (-o on; node2 holds the reservation, node1 is not registered)
#   status node1 asks for its own status (-o status, exit 0: ON)
#   off    node2 fences node1 (-o off -n node1 -k node1's key)
# fence_scsi does fewer repetitions at large LUN counts: BENCH_PY_REPS, "N:R ..." (R
# repetitions at N LUNs and more; the old BENCH_PY_REPS16=R means "16:R").
# Each call is timed by tests/bench/timer, one per node, started once through on_node (so it
# and the agents it starts see that node's private /run): from just before the fork to the
# end of the wait, the agent's whole process and nothing of the harness.
# For every LUN count in BENCH_FLOOR_SETS, the floor (tests/bench/floor: the PR commands of
# off only, one process, one goroutine per LUN) is timed the same way, BENCH_FLOOR_REPS times,
# each followed by a fence_scsi_go off on the same LUNs (agent=fence_scsi_go-paired) and by
# /bin/true (the cost of starting any process in this guest), so that the three see the same
# host load.
# For every LUN count in BENCH_KEY_SETS, the same agent comparison and floor with a
# registration list of BENCH_KEYS keys per LUN: node1, node2 and BENCH_KEYS-2 extra
# registrants, each an iSCSI session of its own (initiator name ...:regK, K = 3.., an explicit
# ACL mapping only the LUNs needed, its own portal 127.0.20.K) that registers key K with
# PR OUT REGISTER on each LUN (tests/bench/floor -r); its SCSI disks are then deleted (the session, and
# with it the I_T nexus and its registrations, stays). These lines carry keys=BENCH_KEYS.
# Results are console lines: BENCH agent=A op=O luns=N rep=R ms=M rc=C [keys=K] (M: 0.1 ms).
# On NVMe namespaces (run.sh --target nvmet) only fence_scsi_go runs (fence_scsi is SCSI only),
# as agent=fence_scsi_go-nvme, read back with nvme-cli, and without the floor (an SG_IO program).
: "${BENCH_LUNSETS=1}" "${BENCH_REPS:=5}" "${BENCH_FLOOR_REPS:=10}"
: "${BENCH_PY_REPS:=16:${BENCH_PY_REPS16:-3}}" "${BENCH_FLOOR_SETS=1}" "${BENCH_KEY_SETS=}" "${BENCH_KEYS:=32}"
: "${BENCH_GO:?}" "${BENCH_FLOOR:?}" "${BENCH_TIMER:?}" "${BENCH_PY:=/usr/sbin/fence_scsi}"

# Private copies: a concurrent `make build` on the host must not change a running binary.
mkdir -p /tmp/fsg-bench
cp "$BENCH_GO" /tmp/fsg-bench/fence_scsi_go
cp "$BENCH_FLOOR" /tmp/fsg-bench/floor
cp "$BENCH_TIMER" /tmp/fsg-bench/timer
chmod 755 /tmp/fsg-bench/fence_scsi_go /tmp/fsg-bench/floor /tmp/fsg-bench/timer
GO=/tmp/fsg-bench/fence_scsi_go FLOOR=/tmp/fsg-bench/floor
ERRORS=0
NVME=0 AGENTS="fence_scsi_go fence_scsi"
if [ "${FSG_TARGET:-lio}" = nvmet ]; then NVME=1 AGENTS=fence_scsi_go-nvme; fi

# devlist K N: node K's devices of LUNs 1..N, comma-separated.
devlist() {
	local k=$1 n=$2 l out=""
	for ((l = 1; l <= n; l++)); do out="$out${out:+,}$(dev "$k" "$l")"; done
	echo "$out"
}

# start_timer K: node K's timer (tests/bench/timer) in node K's mount namespace, reached
# through two FIFOs: TIN[K] (requests) and TOUT[K] (answers).
declare -A TIN TOUT
start_timer() {
	local k=$1 fd
	rm -f "/tmp/fsg-bench/t$k.in" "/tmp/fsg-bench/t$k.out"
	mkfifo "/tmp/fsg-bench/t$k.in" "/tmp/fsg-bench/t$k.out"
	on_node "$k" /tmp/fsg-bench/timer <"/tmp/fsg-bench/t$k.in" >"/tmp/fsg-bench/t$k.out" &
	exec {fd}>"/tmp/fsg-bench/t$k.in"
	TIN[$k]=$fd
	exec {fd}<"/tmp/fsg-bench/t$k.out"
	TOUT[$k]=$fd
}

# timed NAME OP N REP WANT K cmd...: run cmd as node K (through its timer), print a BENCH line
# (with KEYTAG, " keys=K" in the sets with a long registration list).
KEYTAG=""
timed() {
	local name=$1 op=$2 n=$3 rep=$4 want=$5 k=$6 req ans rc us ms
	shift 6
	req=/tmp/fsg-bench/out
	for a in "$@"; do req="$req"$'\t'"$a"; done
	printf '%s\n' "$req" >&"${TIN[$k]}"
	IFS= read -r ans <&"${TOUT[$k]}" || fail "timer of node $k: no answer"
	case $ans in
	"rc="*" us="*) ;;
	*) fail "timer of node $k: bad answer: $ans" ;;
	esac
	rc=${ans#rc=} rc=${rc%% *}
	us=${ans#* us=} us=${us%% *}
	[ "$rc" != -1 ] || fail "timer of node $k could not run $1: $ans"
	ms=$(awk -v u="$us" 'BEGIN { printf "%.1f", u / 1000 }')
	echo "BENCH agent=$name op=$op luns=$n rep=$rep ms=$ms rc=$rc$KEYTAG"
	if [ "$rc" != "$want" ]; then
		ERRORS=$((ERRORS + 1))
		echo "BENCH-ERROR agent=$name op=$op luns=$n rep=$rep rc=$rc want=$want$KEYTAG"
		sed 's/^/     | /' /tmp/fsg-bench/out | tail -n 20
	fi
}

# EXTRA_KEYS: the extra registrants' keys (",0x...,0x..."), expected on every LUN of a key set.
EXTRA_KEYS=""

# check_fenced N NAME: node1's key is gone and node2's holds the reservation on LUNs 1..N;
# the extra registrants (if any) are still there. SCSI: one floor -w for all LUNs.
check_fenced() {
	local n=$1 name=$2 l
	if [ "$NVME" = 1 ]; then
		for ((l = 1; l <= n; l++)); do
			if [ "$(nvme_keys "$l" 2)" != "$(_hexkey 2)" ] || [ "$(nvme_holder "$l" 2)" != "$(_hexkey 2)" ]; then
				ERRORS=$((ERRORS + 1))
				echo "BENCH-ERROR agent=$name luns=$n: namespace $l not fenced as expected (keys: $(nvme_keys "$l" 2 | tr '\n' ' ') holder: $(nvme_holder "$l" 2))"
			fi
		done
		return
	fi
	if ! "$FLOOR" -w "$(_hexkey 2)$EXTRA_KEYS" -h "$(key 2)" -d "$(devlist 2 "$n")" 2>/tmp/fsg-bench/check; then
		ERRORS=$((ERRORS + 1))
		echo "BENCH-ERROR agent=$name luns=$n$KEYTAG: not fenced as expected:"
		sed 's/^/     | /' /tmp/fsg-bench/check
	fi
}

# bench_reset N: nodes 1 and 2 unregistered on LUNs 1..N (the reservation goes with its
# holder: registrants-only types), their /run emptied; then only the extra registrants' keys
# (none outside the key sets) are left and no reservation. SCSI: one floor -u per node, all
# LUNs at once (lib.sh's pr_reset_all runs a few processes per LUN); NVMe: pr_reset_all.
bench_reset() {
	local n=$1 k w=${EXTRA_KEYS#,}
	if [ "$NVME" = 1 ]; then
		pr_reset_all
		return
	fi
	"$FLOOR" -u -d "$(devlist 1 "$n")" || fail "reset: node 1 unregister"
	"$FLOOR" -u -w "${w:--}" -d "$(devlist 2 "$n")" || fail "reset: node 2 unregister, or state left (want keys ${EXTRA_KEYS:-none}, no reservation)"
	for k in 1 2; do
		mkdir -p "/tmp/fsg-nodes/node$k"
		find "/tmp/fsg-nodes/node$k" -mindepth 1 -delete
	done
}

# pyreps N: fence_scsi's repetitions at N LUNs (BENCH_PY_REPS: "N:R ...", R from the largest
# N not above it; BENCH_REPS below every N).
pyreps() {
	local n=$1 r=$BENCH_REPS best=0 e
	for e in $BENCH_PY_REPS; do
		if [ "${e%%:*}" -le "$n" ] && [ "${e%%:*}" -ge "$best" ]; then best=${e%%:*} r=${e#*:}; fi
	done
	echo "$r"
}

# compare N: the agents alternating on LUNs 1..N, BENCH_REPS repetitions (fence_scsi: pyreps).
compare() {
	local n=$1 r name A py
	D1=$(devlist 1 "$n") D2=$(devlist 2 "$n")
	py=$(pyreps "$n")
	step "$n LUN(s) or namespace(s)${KEYTAG:+, $BENCH_KEYS keys}: $AGENTS (alternating), $BENCH_REPS repetitions (fence_scsi: $py)"
	for ((r = 1; r <= BENCH_REPS; r++)); do
		for name in $AGENTS; do
			if [ "$name" = fence_scsi ]; then A=$BENCH_PY; else A=$GO; fi
			if [ "$name" = fence_scsi ] && [ "$r" -gt "$py" ]; then continue; fi
			# node2 (re)unfences itself with this agent, so that its state files are this
			# agent's; already registered, this is cheap for both.
			timed "$name" setup-on "$n" "$r" 0 2 "$A" -o on -n node2 -k "$(key 2)" -d "$D2"
			timed "$name" on "$n" "$r" 0 1 "$A" -o on -n node1 -k "$(key 1)" -d "$D1"
			timed "$name" status "$n" "$r" 0 1 "$A" -o status -n node1 -k "$(key 1)" -d "$D1"
			timed "$name" off "$n" "$r" 0 2 "$A" -o off -n node1 -k "$(key 1)" -d "$D2"
			[ "$r" != 1 ] || check_fenced "$n" "$name"
		done
	done
}

# floor N: the floor on LUNs 1..N, each run followed by a fence_scsi_go off and /bin/true.
floor() {
	local n=$1 r
	D1=$(devlist 1 "$n") D2=$(devlist 2 "$n")
	step "floor: the PR commands of off only (read keys, register, preempt and abort, read keys, read reservation), $n LUN(s) concurrently${KEYTAG:+, $BENCH_KEYS keys}; interleaved with fence_scsi_go off"
	on_node 2 "$GO" -o on -n node2 -k "$(key 2)" -d "$D2" >/dev/null 2>&1 || fail "floor setup: node2 on"
	for ((r = 1; r <= BENCH_FLOOR_REPS; r++)); do
		on_node 1 "$GO" -o on -n node1 -k "$(key 1)" -d "$D1" >/dev/null 2>&1 || fail "floor setup: node1 on"
		timed floor off "$n" "$r" 0 2 "$FLOOR" -d "$D2" -k "$(key 2)" -v "$(key 1)"
		sed -n 's/^inproc_us=/BENCH agent=floor-inproc op=off luns='"$n"' rep='"$r"' us=/p' /tmp/fsg-bench/out | sed "s/\$/$KEYTAG/"
		[ "$r" != 1 ] || check_fenced "$n" floor
		on_node 1 "$GO" -o on -n node1 -k "$(key 1)" -d "$D1" >/dev/null 2>&1 || fail "floor setup: node1 on"
		timed fence_scsi_go-paired off "$n" "$r" 0 2 "$GO" -o off -n node1 -k "$(key 1)" -d "$D2"
		# The cost of starting any process here (the timer around /bin/true).
		timed true none "$n" "$r" 0 2 /bin/true
		# The floor of fence_scsi_go's own sequence: READ FULL STATUS, PREEMPT AND ABORT,
		# READ FULL STATUS (three commands per LUN where fence_scsi's sequence has five).
		on_node 1 "$GO" -o on -n node1 -k "$(key 1)" -d "$D1" >/dev/null 2>&1 || fail "floor setup: node1 on"
		timed floor3 off "$n" "$r" 0 2 "$FLOOR" -3 -d "$D2" -k "$(key 2)" -v "$(key 1)"
		[ "$r" != 1 ] || check_fenced "$n" floor3
		# The same three commands in fence_scsi_go's race order (identities, then the first LU
		# alone, then the others): what the order costs.
		on_node 1 "$GO" -o on -n node1 -k "$(key 1)" -d "$D1" >/dev/null 2>&1 || fail "floor setup: node1 on"
		timed floor3o off "$n" "$r" 0 2 "$FLOOR" -3 -o -d "$D2" -k "$(key 2)" -v "$(key 1)"
		[ "$r" != 1 ] || check_fenced "$n" floor3o
	done
}

# extra_login K M: a new I_T nexus for key K: initiator ...:regK, portal 127.0.20.K, an explicit
# ACL mapping LUNs 1..M only (so that the login does not bring every LUN of the guest).
extra_login() {
	local k=$1 m=$2 iqn=$FSG_IIQN:reg$1 acl l
	acl=$FSG_TPG/acls/$iqn
	mkdir "$acl" || fail "ACL for $iqn"
	for ((l = 0; l < m; l++)); do
		mkdir "$acl/lun_$l" && ln -s "$FSG_TPG/lun/lun_$l" "$acl/lun_$l/map" || fail "ACL $iqn LUN $l"
	done
	mkdir "$FSG_TPG/np/127.0.20.$k:3260" || fail "portal 127.0.20.$k"
	"$FSG_TOOLS/bin/iscsistart" -i "$iqn" -t "$FSG_TIQN" -g 1 -a "127.0.20.$k" -p 3260 >/dev/null 2>&1 ||
		fail "iscsistart $iqn"
}

# extra_register K M: once the session of extra_login K has its M disks, register key K on
# LUNs 1..M (PR OUT REGISTER, all LUNs at once from one process: floor -r), then delete the
# session's disks (the session, its I_T nexus and its registrations stay).
extra_register() {
	local k=$1 m=$2 iqn=$FSG_IIQN:reg$1 l s="" i n d list=""
	for ((i = 0; i < 1200; i++)); do
		for s in /sys/class/iscsi_session/session*; do
			read -r n <"$s/initiatorname" 2>/dev/null && [ "$n" = "$iqn" ] && break
			s=""
		done
		if [ -n "$s" ]; then
			n=0
			for d in "$s"/device/target*/*:*:*:*/block/*; do [ ! -e "$d" ] || n=$((n + 1)); done
			[ "$n" -lt "$m" ] || break
		fi
		sleep 0.2
	done
	[ -n "$s" ] || fail "no session for $iqn"
	for ((l = 0; l < m; l++)); do
		for d in "$s"/device/target*/*:*:*:"$l"/block/*; do :; done
		[ -e "$d" ] || fail "$iqn: no disk for LUN $((l + 1))"
		list="$list${list:+,}/dev/${d##*/}"
	done
	"$FLOOR" -r "$(key "$k")" -d "$list" || fail "$iqn: register key $(key "$k") on LUNs 1..$m"
	for d in "$s"/device/target*/*:*:*:*; do echo 1 >"$d/delete"; done
}

step "Benchmark: LUN sets [$BENCH_LUNSETS], $BENCH_REPS repetitions (fence_scsi: $BENCH_PY_REPS), floor at [$BENCH_FLOOR_SETS], $BENCH_KEYS keys at [$BENCH_KEY_SETS]"
say "guest: $(nproc) vCPU, kernel $(uname -r); host load: see the host side"
# Warm-up (not reported): the first calls of a fresh guest are slower (page cache over 9p,
# TCG translation), and that would count against whichever agent runs first.
bench_reset "$FSG_LUNS"
start_timer 1
start_timer 2
saved=$ERRORS
WL=$FSG_LUNS # the warm-up's LUNs: 4 at most (fence_scsi at 64 LUNs takes minutes per call)
[ "$WL" -le 4 ] || WL=4
for ((r = 1; r <= 3; r++)); do
	for A in "$GO" "$BENCH_PY"; do
		[ "$NVME" = 0 ] || [ "$A" = "$GO" ] || continue
		timed warmup status "$WL" "$r" 2 2 "$A" -o status -n node2 -k "$(key 2)" -d "$(devlist 2 "$WL")" >/dev/null
	done
	[ "$NVME" = 1 ] || timed warmup floor 1 "$r" 1 2 "$FLOOR" >/dev/null
	timed warmup true 1 "$r" 0 2 /bin/true >/dev/null
done
ERRORS=$saved
for n in $BENCH_LUNSETS $BENCH_FLOOR_SETS $BENCH_KEY_SETS; do
	[ "$n" -le "$FSG_LUNS" ] || fail "LUN set $n > $FSG_LUNS LUNs"
done
[ "$NVME" = 0 ] || BENCH_FLOOR_SETS="" BENCH_KEY_SETS=""
for n in $BENCH_LUNSETS; do
	bench_reset "$FSG_LUNS"
	compare "$n"
	case " $BENCH_FLOOR_SETS " in *" $n "*) bench_reset "$n" && floor "$n" ;; esac
done
for n in $BENCH_FLOOR_SETS; do
	case " $BENCH_LUNSETS " in *" $n "*) continue ;; esac
	bench_reset "$FSG_LUNS"
	floor "$n"
done
if [ -n "$BENCH_KEY_SETS" ]; then
	m=0
	for n in $BENCH_KEY_SETS; do [ "$n" -le "$m" ] || m=$n; done
	bench_reset "$FSG_LUNS"
	step "$BENCH_KEYS keys: $((BENCH_KEYS - 2)) extra registrants (sessions of their own) register on LUNs 1..$m"
	t0=$(date +%s)
	# Ten logins at a time (the disks' probing overlaps), then each registers and drops its disks.
	for ((b = 3; b <= BENCH_KEYS; b += 10)); do
		for ((k = b; k < b + 10 && k <= BENCH_KEYS; k++)); do extra_login "$k" "$m"; done
		for ((k = b; k < b + 10 && k <= BENCH_KEYS; k++)); do
			extra_register "$k" "$m"
			EXTRA_KEYS="$EXTRA_KEYS,$(_hexkey "$k")"
		done
	done
	say "registered in $(($(date +%s) - t0)) s; iSCSI sessions: $(ls -d /sys/class/iscsi_session/session* | wc -l)"
	KEYTAG=" keys=$BENCH_KEYS"
	for n in $BENCH_KEY_SETS; do
		bench_reset "$n"
		compare "$n"
		bench_reset "$n"
		floor "$n"
	done
	KEYTAG=""
fi
step "Benchmark done: $ERRORS error(s)"
[ "$ERRORS" = 0 ] || fail "$ERRORS benchmark error(s)"
