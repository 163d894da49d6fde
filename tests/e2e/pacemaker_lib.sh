# pacemaker_lib.sh: what the scenarios that run a real corosync share (prepended by the Go
# tests: pacemaker_cluster.sh, check_storage.sh).
#
#   corosync_conf NAME N LOG   print a corosync.conf for cluster NAME of nodes node1..nodeN on
#                              loopback (nodeid K, ring0_addr 127.0.0.K), knet without crypto,
#                              votequorum; corosync logs to the file LOG, or to stderr when LOG is -
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
