#!/bin/bash
# Runs inside the guest, chrooted into the host root (see guest-init.sh). Reads the run's
# config, exports the node/LUN device map, and runs the scenario (or the hook binary).
set -u
cd /tmp || exit 1
FSG_NODES=1 FSG_LUNS=1 FSG_PATHS=1
AGENT=/usr/sbin/fence_scsi
FSG_AGENT_SOURCE=""
MODE=script
FSG_TARGET=lio
while IFS='=' read -r k v; do
	case "$k" in
	NODES) FSG_NODES=$v ;;
	LUNS) FSG_LUNS=$v ;;
	PATHS) FSG_PATHS=$v ;;
	AGENT) AGENT=$v ;;
	AGENT_SOURCE) FSG_AGENT_SOURCE=$v ;;
	MODE) MODE=$v ;;
	TARGET) FSG_TARGET=$v ;;
	esac
done </tmp/fsg-run/config.env
FSG_AGENT_SOURCE=${FSG_AGENT_SOURCE:-$AGENT}
export FSG_NODES FSG_LUNS FSG_PATHS AGENT FSG_AGENT_SOURCE FSG_TARGET
declare -a FSG_PATH_OF_NODE=()

# shellcheck source=lib.sh
. /tmp/fsg-run/lib.sh

# FSG_NODEk_LUNl (path 1) and FSG_NODEk_PATHp_LUNl for every node, path and LUN.
for ((k = 1; k <= FSG_NODES; k++)); do
	for ((l = 1; l <= FSG_LUNS; l++)); do
		for ((p = 1; p <= FSG_PATHS; p++)); do
			d=$(dev "$k" "$l" "$p") || exit 1
			export "FSG_NODE${k}_PATH${p}_LUN${l}=$d"
			[ "$p" = 1 ] && export "FSG_NODE${k}_LUN${l}=$d"
		done
	done
done
# nvmet, lio+nvmet: FSG_NODEk_CTRL, node K's controller (/dev/nvmeX); one path per node.
# lio+nvmet also: FSG_NODEk_NSn, node K's namespace n (the FSG_NODEk_LUNl are the LIO LUNs).
if nvme_target; then
	for ((k = 1; k <= FSG_NODES; k++)); do
		c=$(nvme_ctrl "$k") || { echo "no NVMe controller for node $k" >&2; exit 1; }
		export "FSG_NODE${k}_CTRL=/dev/$c"
		if [ "$FSG_TARGET" = lio+nvmet ]; then
			for ((l = 1; l <= FSG_LUNS; l++)); do
				d=$(dev "$k" "ns$l") || exit 1
				export "FSG_NODE${k}_NS${l}=$d"
			done
		fi
	done
fi
{
	echo "# node lun path device (lio+nvmet: namespaces as lun nsN)"
	for ((k = 1; k <= FSG_NODES; k++)); do for ((l = 1; l <= FSG_LUNS; l++)); do for ((p = 1; p <= FSG_PATHS; p++)); do
		v=FSG_NODE${k}_PATH${p}_LUN${l}
		echo "$k $l $p ${!v}"
	done; done; done
	if [ "$FSG_TARGET" = lio+nvmet ]; then
		for ((k = 1; k <= FSG_NODES; k++)); do for ((l = 1; l <= FSG_LUNS; l++)); do
			v=FSG_NODE${k}_NS${l}
			echo "$k ns$l 1 ${!v}"
		done; done
	fi
} >/tmp/fsg-run/devices.txt
[ -x "$AGENT" ] || echo "WARNING: AGENT $AGENT is not executable in the guest" >&2

case "$MODE" in
script)
	(
		set -eu
		# shellcheck source=/dev/null
		. /tmp/fsg-run/scenario.sh
	)
	;;
exec)
	# The hook: an arbitrary host binary (e.g. a `go test -c` binary) with the device map in
	# the environment; its arguments are in args.txt, one per line.
	mapfile -t args </tmp/fsg-run/args.txt
	cd /tmp/fsg-run && ./hook.bin "${args[@]}"
	;;
*) echo "unknown MODE" >&2; exit 1 ;;
esac
