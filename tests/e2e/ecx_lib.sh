# Helpers of the ECX scenarios: tests/e2e/ecx_*.sh. ecx_test.go prepends this file
# to the scenario (the guest receives one script); run by hand, a scenario sources it from the
# repository next to the agent (--agent <repo>/bin/fence_scsi_go).
#
#   P M T W              the agent's default period, misses, command timeout and wait
#   now / since T0       the time, and the seconds since T0 (2 decimals)
#   fge A B              A >= B for decimal numbers
#   bg_node K LOG cmd... cmd as node K in its own session and process group; sets BG_PID
#   pgid_of PID / pstate PID   process group, and state letter (or "gone")
#   /tmp/ecx-writer.sh   the sequence writer: WHO DELAY BASE FIRST LAST DEV...
ecx_lib_loaded() { :; }
P=3 M=1 T=2 W=10 # the agent's defaults: period, misses, command timeout, wait = (M+1)P+T+1+1 (RunOverhead 1 s)
BASE=256        # first 4 KiB block of the sequence area (lib.sh's probes use blocks k*8)
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN {printf "%.2f", b - a}'; }
fge() { awk -v a="$1" -v b="$2" 'BEGIN {exit !(a >= b)}'; } # float a >= b
# bg_node K LOG cmd...: cmd as node K (private /run), in its own session and process group
# (setsid without fork: $! is the pgid), output to LOG. Sets BG_PID.
bg_node() {
	local k=$1 log=$2
	shift 2
	mkdir -p "/tmp/fsg-nodes/node$k"
	setsid unshare -m --propagation private -- /bin/sh -c 'mount --bind "$1" /run && shift && exec "$@"' \
		fsg-node "/tmp/fsg-nodes/node$k" "$@" >"$log" 2>&1 &
	BG_PID=$!
}
pgid_of() { awk '{print $5}' "/proc/$1/stat"; }
pstate() { awk '{print $3}' "/proc/$1/stat" 2>/dev/null || echo gone; }
# The writer: WHO DELAY DEV1 DEV2 ...; writes "WHO <seq>" into block BASE+seq of every device
# (dd oflag=direct), one line per attempt: "<seq> <lun> <t_start> <t_end> ok|FAIL <error>".
cat >/tmp/ecx-writer.sh <<'EOF'
who=$1 delay=$2 base=$3 first=$4 last=$5
shift 5
seq=$first
while [ "$seq" -le "$last" ]; do
	l=0
	for d in "$@"; do
		l=$((l + 1))
		t0=$(date +%s.%N)
		if err=$(printf '%s %08d\n' "$who" "$seq" | dd of="$d" bs=4096 count=1 seek=$((base + seq)) \
			conv=sync,notrunc oflag=direct status=none 2>&1); then
			echo "$seq $l $t0 $(date +%s.%N) ok"
		else
			echo "$seq $l $t0 $(date +%s.%N) FAIL $(echo $err)"
		fi
	done
	seq=$((seq + 1))
	[ "$delay" = 0 ] || sleep "$delay"
done
EOF

# ecx_after_takeover NOUN NOUNS REFUSED: the common second half of the delayed-server case, after
# node 2's takeover: node 2 overwrites the sequence area, node 1 resumes and its defender exits
# 1 (LOST), its writer's attempts are all refused, REFUSED L asserts node 1's direct write to
# unit L is refused, and the blocks read back through node 2 hold no data node 1 wrote after the
# takeover. NOUN/NOUNS name a unit in messages (LUN/LUNs, namespace/namespaces). Uses the
# variables of the scenario: LAST1, BASE, D2, DPID, WPID, T_FREEZE, P, T; sets DET.
ecx_after_takeover() {
	step "Node 2 writes its own blocks over the same LBAs (0..$((LAST1 + 10)))"
	bash /tmp/ecx-writer.sh node2 0 "$BASE" 0 $((LAST1 + 10)) $(echo "$D2" | tr , ' ') >/tmp/ecx-writer2.log
	if grep FAIL /tmp/ecx-writer2.log; then fail "node 2's writes failed"; fi
	pass "node 2 wrote $(wc -l </tmp/ecx-writer2.log) blocks (sequence 0..$((LAST1 + 10)) on both $2)"

	step "Node 1 resumes (SIGCONT): its defender must exit 1 within about one period"
	# Watchdog: if the defender has not exited after P+T+20 s, kill it (exit 137 fails the test).
	setsid bash -c 'sleep "$1"; kill -KILL "$2"' wd $((P + T + 20)) "$DPID" 2>/dev/null &
	WD=$!
	T_RESUME=$(now)
	say "resuming node 1 at $T_RESUME"
	kill -CONT -- "-$DPID" "-$WPID"
	rc=0
	wait "$DPID" || rc=$?
	DET=$(since "$T_RESUME")
	kill -- "-$WD" 2>/dev/null || true
	sed 's/^/     defend1> /' /tmp/ecx-defend1.log
	[ "$rc" = 1 ] || fail "node 1's defender exited $rc, want 1"
	grep -q "LOST" /tmp/ecx-defend1.log || fail "node 1's defender does not say LOST"
	LIMIT=$((P + T + 2))
	fge "$LIMIT" "$DET" || fail "node 1's defender took ${DET}s after the resume to exit, more than P+T+2s=${LIMIT}s"
	pass "node 1's defender exited 1 (LOST) ${DET}s after the resume (limit P+T+2s=${LIMIT}s)"

	step "Node 1's writer, resumed, must be refused by the target"
	for i in $(seq 600); do # up to 60 s on a slow host
		n1=$(awk -v t="$T_RESUME" '$3 > t && $2 == 1' /tmp/ecx-writer1.log | wc -l)
		n2=$(awk -v t="$T_RESUME" '$3 > t && $2 == 2' /tmp/ecx-writer1.log | wc -l)
		[ "$n1" -ge 3 ] && [ "$n2" -ge 3 ] && break
		sleep 0.1
	done
	kill -KILL -- "-$WPID" 2>/dev/null || true
	wait "$WPID" 2>/dev/null || true
	say "writer log (seq unit t_start t_end result) of attempts that ended after the freeze:"
	awk -v t="$T_FREEZE" '$4 > t' /tmp/ecx-writer1.log | sed 's/^/     writer1> /'
	awk -v t="$T_RESUME" '$3 > t' /tmp/ecx-writer1.log >/tmp/ecx-after.log
	[ "$(wc -l </tmp/ecx-after.log)" -ge 6 ] || fail "node 1's writer made fewer than 3 attempts per $1 after the resume"
	if awk '$5 == "ok"' /tmp/ecx-after.log | grep .; then fail "node 1 wrote after the takeover"; fi
	grep -v "Invalid exchange" /tmp/ecx-after.log && fail "a write of node 1 failed, but not with a reservation conflict (EBADE)"
	pass "all $(wc -l </tmp/ecx-after.log) writes node 1 attempted after the resume were refused: reservation conflict (Invalid exchange)"
	for l in 1 2; do "$3" "$l"; done

	step "Read back the sequence area through node 2: every block written after the takeover is node 2's"
	MAXSEQ=$(awk '{s=$1} END {print s+0}' /tmp/ecx-writer1.log)
	[ "$MAXSEQ" -gt $((LAST1 + 10)) ] || MAXSEQ=$((LAST1 + 10))
	for l in 1 2; do
		d=$(dev 2 "$l")
		dd if="$d" of="/tmp/ecx-lun$l.img" bs=4096 skip="$BASE" count=$((MAXSEQ + 1)) iflag=direct status=none ||
			fail "node 2 cannot read $1 $l"
	done
	python3 - "$LAST1" "$MAXSEQ" "$T_FREEZE" /tmp/ecx-writer1.log "$1" /tmp/ecx-lun1.img /tmp/ecx-lun2.img <<-'PY' || fail "content check"
	import sys
	last1, maxseq, tfreeze, wlog = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
	noun, imgs = sys.argv[5], sys.argv[6:]
	# node 1's attempts that started after the freeze (i.e. could only land after the takeover)
	late = set()
	for line in open(wlog):
	    f = line.split()
	    if float(f[2]) > tfreeze:
	        late.add((int(f[0]), int(f[1])))
	bad = 0
	for lun, img in enumerate(imgs, 1):
	    data = open(img, "rb").read()
	    n2 = 0
	    for s in range(maxseq + 1):
	        blk = data[s * 4096:(s + 1) * 4096].split(b"\n")[0].rstrip(b"\0").decode(errors="replace")
	        if s <= last1 + 10:
	            if blk != "node2 %08d" % s:
	                print("   %s %d block %d: %r, want node 2's" % (noun, lun, s, blk)); bad += 1
	            else:
	                n2 += 1
	        elif blk.startswith("node1") or (s, lun) in late and blk:
	            print("   %s %d block %d: %r written after the takeover by node 1" % (noun, lun, s, blk)); bad += 1
	    print("   %s %d: blocks 0..%d all node 2's (%d blocks)" % (noun, lun, last1 + 10, n2))
	    if maxseq > last1 + 10:
	        print("   %s %d: blocks %d..%d (node 1's late attempts only) hold no node 1 data" % (noun, lun, last1 + 11, maxseq))
	sys.exit(1 if bad else 0)
	PY
	pass "no block of node 1 written after the takeover; node 2's blocks intact"
}

# ecx_until_takeover NOUN NOUNS OWNED: the first half of the delayed-server case: node 1
# acquires units 1 and 2, defends them and writes sequence-numbered blocks; both its processes
# are frozen; node 2 acquires after its wait window. OWNED K L asserts (and shows) that unit L is
# held by node K's key alone with the WE-AR reservation. Sets DPID, WPID, T_FREEZE, LAST1, ACQ2,
# T_TAKE. NOUN/NOUNS as for ecx_after_takeover.
ecx_until_takeover() {
	step "Node 1 acquires $2 1 and 2 (nobody owns them: no wait)"
	t=$(now)
	expect_agent 0 1 acquire --devices="$D1" --key="$(key 1)"
	say "node 1 acquire took $(since "$t") s"
	for l in 1 2; do "$3" 1 "$l"; done

	step "Node 1 defends in the background and writes sequence-numbered blocks"
	bg_node 1 /tmp/ecx-defend1.log "$AGENT" defend --devices="$D1" --key="$(key 1)"
	DPID=$BG_PID
	bg_node 1 /tmp/ecx-writer1.log bash /tmp/ecx-writer.sh node1 0.2 "$BASE" 0 3000 $(echo "$D1" | tr , ' ')
	WPID=$BG_PID
	[ "$(pgid_of "$DPID")" = "$DPID" ] && [ "$(pgid_of "$WPID")" = "$WPID" ] || fail "setsid did not make process-group leaders"
	say "defender pid/pgid $DPID, writer pid/pgid $WPID"
	# ~3 s of writing, longer if the host is slow: at least 2 successful writes per unit (limit 60 s)
	sleep 3
	t=$(now)
	for i in $(seq 600); do
		n1=$(awk '$2 == 1 && $5 == "ok"' /tmp/ecx-writer1.log | wc -l)
		n2=$(awk '$2 == 2 && $5 == "ok"' /tmp/ecx-writer1.log | wc -l)
		{ [ "$n1" -ge 2 ] && [ "$n2" -ge 2 ]; } || grep -q FAIL /tmp/ecx-writer1.log && break
		sleep 0.1
	done
	[ "$n1" -ge 2 ] && [ "$n2" -ge 2 ] || { cat /tmp/ecx-writer1.log; fail "node 1's writer: only $n1/$n2 successful writes to $2 1/2"; }
	pass "node 1's writer wrote $n1 blocks to $1 1 and $n2 to $1 2 (after 3+$(since "$t")s)"
	! grep -q FAIL /tmp/ecx-writer1.log || { cat /tmp/ecx-writer1.log; fail "node 1's writer failed while it owned the $2"; }
	[ -d "/proc/$DPID" ] || { cat /tmp/ecx-defend1.log; fail "node 1's defender exited early"; }
	sed 's/^/     defend1> /' /tmp/ecx-defend1.log

	step "Node 1 is delayed: its defender and writer are frozen (SIGSTOP of both process groups)"
	kill -STOP -- "-$DPID" "-$WPID"
	T_FREEZE=$(now)
	for p in $DPID $WPID; do
		for i in $(seq 50); do [ "$(pstate "$p")" = T ] && break; sleep 0.1; done
		[ "$(pstate "$p")" = T ] || fail "pid $p not stopped (state $(pstate "$p"))"
	done
	sleep 0.5 # a dd in flight at the freeze completes (in the kernel) before its process stops
	LAST1=$(awk '{s=$1} END {print s+0}' /tmp/ecx-writer1.log)
	pass "node 1 frozen at $T_FREEZE; its writer's last logged sequence number is $LAST1"

	step "Node 2 acquires: node 1 does not renew, so node 2 must wait W=${W}s and then take over"
	t=$(now)
	expect_agent 0 2 acquire --devices="$D2" --key="$(key 2)"
	ACQ2=$(since "$t")
	T_TAKE=$(now)
	say "takeover complete at $T_TAKE"
	fge "$ACQ2" "$W" || fail "node 2's acquire took ${ACQ2}s, less than the wait window ${W}s"
	pass "node 2's acquire took ${ACQ2}s (>= W=${W}s)"
	assert_has "$AGENT_ERR" "node 2 reports the preemption" "preempted owner"
	for l in 1 2; do "$3" 2 "$l"; done
}

# ecx_node2_releases NOUNS HELD FREE: the end of the delayed-server case: node 2 still holds
# units 1 and 2 (HELD L asserts that unit L has node 2's key alone and node 2 writes it),
# `defend --once` and `release` as node 2 exit 0, and FREE L asserts (and shows) that unit L
# is left with no key and no holder. Then the SUMMARY line. Uses D2, and ACQ2 and DET of the halves.
ecx_node2_releases() {
	step "Node 2 still holds the $1; defend --once -> 0; release -> 0"
	for l in 1 2; do "$2" "$l"; done
	expect_agent 0 2 defend --once --devices="$D2" --key="$(key 2)"
	expect_agent 0 2 release --devices="$D2" --key="$(key 2)"
	for l in 1 2; do "$3" "$l"; done
	say "SUMMARY: node 2 acquire (takeover) ${ACQ2}s (W=${W}s); node 1 defender exit 1 ${DET}s after resume (P=${P}s T=${T}s); scenario ${SECONDS}s"
}
