#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Runs in the guest for "make bench" (busybox sh): every scenario below,
# spf unloaded and loaded, REPS times each, in one boot.  Each scenario's
# off and on runs are adjacent, in alternating order from one repetition
# to the next (off-on, on-off, ...), so slow drifts of a shared host hit
# both modes alike; the host reports medians, spreads and on/off ratios.
# Any failure (insmod, rmmod, the benchmark) ends the run with status 1.
#
# Usage: bench-guest.sh REPS SECONDS
# Output: "info KEY=VALUE" lines, then one line per run:
#   scenario=NAME mode=off|on rep=N <fault_bench output>
set -eu
dir=$(cd "$(dirname "$0")" && pwd)
reps=$1
secs=$2

# name|fault_bench arguments; -s adds the spf counter deltas when loaded.
scenarios='2t-fresh|-t 2 -m 16
2t-reuse|-t 2 -m 16 -r
2t-thp|-t 2 -m 16 -H
1t-fresh-tput|-t 1 -m 16 -n
1t-reuse-tput|-t 1 -m 16 -r -n
1t-reuse|-t 1 -m 16 -r
1t+hog|-t 1 -m 16 -r -b
1t+churn|-t 1 -m 16 -r -w
1t+convoy|-t 1 -m 16 -r -c -R 64'

fail() {
	echo "bench-guest: FAILED: $*"
	exit 1
}

cpus=$(grep -c '^processor' /proc/cpuinfo)
echo "info kernel=$(uname -r) arch=$(uname -m) cpus=$cpus"
echo "info thp=$(sed 's/.*\[\(.*\)\].*/\1/' /sys/kernel/mm/transparent_hugepage/enabled)"
echo "info clocksource=$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
echo "info reps=$reps seconds=$secs"
/sbin/rmmod spf 2>/dev/null || true
[ ! -d /sys/module/spf ] || fail "cannot unload spf"

rep=1
while [ "$rep" -le "$reps" ]; do
	if [ $((rep % 2)) -eq 1 ]; then order='off on'; else order='on off'; fi
	while IFS='|' read -r name args; do
		for mode in $order; do
			if [ "$mode" = on ]; then
				/sbin/insmod "$SPF_KO" </dev/null ||
					fail "insmod $SPF_KO"
			fi
			# shellcheck disable=SC2086
			out=$("$dir/fault_bench" $args -d "$secs" -s </dev/null) ||
				fail "fault_bench $args ($mode)"
			echo "scenario=$name mode=$mode rep=$rep $out"
			if [ "$mode" = on ]; then
				case "$out" in
				*spf_fault_hook=*) ;;
				*) fail "no spf counters with spf loaded" ;;
				esac
				/sbin/rmmod spf </dev/null || fail "rmmod spf"
			fi
		done
	done <<SCENARIOS
$scenarios
SCENARIOS
	rep=$((rep + 1))
done
echo "info done"
