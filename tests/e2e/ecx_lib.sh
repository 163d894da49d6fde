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
