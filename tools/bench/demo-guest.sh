#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Runs in the guest for "make run": the same fault_bench binary with spf
# unloaded and loaded, alternating, REPS times each, in one boot, so the
# host can report on/off ratios rather than absolute times.
# Usage: demo-guest.sh REPS BENCH_ARGS...
dir=$(dirname "$0")
reps=$1
shift
/sbin/rmmod spf 2>/dev/null
i=1
while [ "$i" -le "$reps" ]; do
	echo "mode=off rep=$i $("$dir/fault_bench" "$@")"
	/sbin/insmod "$SPF_KO" || exit 1
	echo "mode=on rep=$i $("$dir/fault_bench" "$@")"
	echo "mode=on rep=$i $(grep -E '^(fault_hook|stock) ' /sys/kernel/debug/spf/stats | tr '\n' ' ')"
	/sbin/rmmod spf || exit 1
	i=$((i + 1))
done
