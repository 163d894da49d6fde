# pacemaker_lib.sh: what the scenarios that run a real corosync or a stand-alone fencer share
# (prepended by the Go tests: pacemaker_cluster.sh, pacemaker_fenced.sh,
# nvme_pacemaker_fenced.sh, check_storage.sh).
#
#   corosync_conf NAME N LOG   print a corosync.conf for cluster NAME of nodes node1..nodeN on
#                              loopback (nodeid K, ring0_addr 127.0.0.K), knet without crypto,
#                              votequorum; corosync logs to the file LOG, or to stderr when LOG is -
#   cmap_stub FILE NAME NODE=ID...   write FILE, a corosync-cmapctl stand-in (for the agent's
#                              corosync_cmap_path) answering totem.cluster_name (NAME) and the
#                              nodelist NODE=ID..., in that order (key_value=id keys come from
#                              the position in that list, not from ID)
#   fenced_start K DIR         start pacemaker-fenced stand-alone (-s: no corosync, no CIB; the
#                              local node is "localhost") as node K (on_node K: its /run), logging
#                              to DIR/fenced.log, pid in DIR/fenced.pid; waits until it answers
#   fenced_stop DIR            stop it (SIGTERM, SIGKILL after 10 s) and wait until it is gone
#   fenced_log_tail DIR        the last 60 lines of DIR/fenced.log (for a failure)
#   sa ARGS...                 stonith_admin ARGS, printed with its output; sets SA_RC, SA_OUT
#   expect_sa RC ARGS...       sa, and fail unless it exits RC
#   hexkey FILE                the key in a state file (cluster.key) as sg_persist and
#                              nvme_keys print it: 0x..., lower case, no leading zeros
corosync_conf() {
	local k
	printf 'totem {\n\tversion: 2\n\tcluster_name: %s\n\ttransport: knet\n' "$1"
	printf '\tcrypto_cipher: none\n\tcrypto_hash: none\n}\nlogging {\n'
	if [ "$3" = - ]; then
		printf '\tto_logfile: no\n\tto_syslog: no\n\tto_stderr: yes\n'
	else
		printf '\tto_logfile: yes\n\tlogfile: %s\n\tto_syslog: no\n\tto_stderr: no\n\ttimestamp: on\n' "$3"
	fi
	printf '}\nquorum {\n\tprovider: corosync_votequorum\n}\nnodelist {\n'
	for ((k = 1; k <= $2; k++)); do
		printf '\tnode {\n\t\tname: node%d\n\t\tnodeid: %d\n\t\tring0_addr: 127.0.0.%d\n\t}\n' "$k" "$k" "$k"
	done
	printf '}\n'
}

cmap_stub() {
	local f=$1 name=$2 i=0 n
	shift 2
	{
		printf '#!/bin/sh\ncase "$*" in\n*totem.cluster_name*) echo "totem.cluster_name (str) = %s" ;;\n' "$name"
		printf '*nodelist*)\n'
		for n in "$@"; do
			printf '\techo "nodelist.node.%d.name (str) = %s"\n' "$i" "${n%%=*}"
			printf '\techo "nodelist.node.%d.nodeid (u32) = %s"\n' "$i" "${n#*=}"
			i=$((i + 1))
		done
		printf '\t;;\n*) exit 1 ;;\nesac\n'
	} >"$f"
	chmod 755 "$f"
}

fenced_start() {
	local k=$1 w=$2 ok=0
	mkdir -p "$w"
	# What Pacemaker's packaging would create in /run; the log goes to the guest's /tmp (the
	# root is read-only).
	on_node "$k" /bin/sh -c '
		mkdir -p /run/crm /run/lock && chown hacluster:haclient /run/crm && chmod 750 /run/crm &&
		chmod 1777 /run/lock && echo $$ >"$1/fenced.pid" &&
		exec env PCMK_logfile="$1/fenced.log" PCMK_debug=yes PCMK_stderr=no /usr/lib/pacemaker/pacemaker-fenced -s' \
		fenced "$w" >"$w/fenced.out" 2>&1 &
	for _ in $(seq 1 120); do
		if stonith_admin -L >/dev/null 2>&1; then ok=1; break; fi
		sleep 0.5
	done
	[ "$ok" = 1 ] || { cat "$w/fenced.out"; fail "pacemaker-fenced (node $k) did not answer within 60 s"; }
	pass "pacemaker-fenced is up as node $k (pid $(cat "$w/fenced.pid"), /run = /tmp/fsg-nodes/node$k)"
}

fenced_stop() {
	local p
	p=$(cat "$1/fenced.pid" 2>/dev/null) || return 0
	[ -n "$p" ] || return 0
	kill -TERM "$p" 2>/dev/null || return 0
	for _ in $(seq 1 100); do kill -0 "$p" 2>/dev/null || return 0; sleep 0.1; done
	kill -KILL "$p" 2>/dev/null || true
	for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || return 0; sleep 0.1; done
}

fenced_log_tail() {
	[ -f "$1/fenced.log" ] || return 0
	echo "---- last lines of the fencer log ($1/fenced.log) ----"
	tail -n 60 "$1/fenced.log"
	echo "----"
}

SA_RC=0
SA_OUT=""
sa() {
	printf '   $ stonith_admin %s\n' "$*"
	SA_RC=0
	SA_OUT=$(stonith_admin "$@" 2>&1) || SA_RC=$?
	[ -z "$SA_OUT" ] || printf '%s\n' "$SA_OUT" | sed 's/^/     > /'
	printf '     (exit %s)\n' "$SA_RC"
}

expect_sa() {
	local want=$1
	shift
	sa "$@"
	[ "$SA_RC" = "$want" ] || fail "stonith_admin $* exited $SA_RC, want $want"
}

hexkey() { printf '0x%s\n' "$(tr -d '[:space:]' <"$1" | tr 'A-F' 'a-f' | sed 's/^0*//')"; }
