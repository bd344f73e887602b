#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Runs in the guest for "make bench" (busybox sh): every scenario below,
# in every mode of MODES, REPS times, in one boot.
#
#   stock   spf not loaded
#   spf     spf loaded
#   spf+tp  spf loaded, and perf stat also counts the spf:* tracepoints
#           (counting them costs a fault 12-15% under TCG, so the
#           ratios are taken from the spf mode; see docs/benchmarks.md)
#
# On the 6.1 kernel MODES is "stock spf spf+tp"; on a kernel spf does
# not load on (6.12) it is "stock".  A scenario's modes run back to back
# (spf and spf+tp under one insmod), in alternating order from one
# repetition to the next (stock spf spf+tp, then spf+tp spf stock...),
# so slow drifts of a shared host hit every mode alike.
#
# Anonymous scenarios run twice per repetition: with THP as the kernel
# booted (Debian: always), then with THP off, by writing
# /sys/kernel/mm/transparent_hugepage/enabled in this same boot; their
# fault_bench runs get -H, so the sysfs setting alone decides.  File
# scenarios (tmpfs, whose huge pages are shmem_enabled's business) and
# the writer's-side scenarios (kind vm: mmap/munmap, no faults) run in
# the first pass only.
#
# -p: the run is in a parallel guest (tools/vm/run --parallel: the vCPUs
# on host threads of their own): only the contended scenarios (class c
# below: several faulting threads, a background thread, fork, the
# writer's side) run; the uncontended single-thread ones (class u) are
# measured in the single-threaded guest only.  The output says which
# ("info tcg=single|parallel").
#
# Every run is under perf stat (software events; spf:* in spf+tp mode).
# Events perf cannot open here are dropped, once, and said so ("info
# perf_dropped=..."); without a working perf the runs go on without it.
#
# A failed benchmark run is reported ("scenario=... failed=...") and the
# run goes on; a failed insmod or rmmod ends it (status 1).
#
# -c CLOCKSOURCE switches the guest to that clocksource first, if the
# kernel offers it: each fault is timed with two clock_gettime calls,
# which cost a system call each with hpet (6.1 on x86-64 under TCG finds
# the TSC unstable) and next to nothing with a vDSO clock (6.12 keeps
# the TSC); the host passes the 6.1 boot's clocksource to the 6.12 boot
# so that both carry the same timing cost.
#
# Usage: bench-guest.sh [-m MODES] [-s SCENARIO-PATTERN] [-c CLOCKSOURCE]
#                       [-p] REPS SECONDS
# Output: "info KEY=VALUE" lines, then one line per run:
#   scenario=NAME kind=anon|file|vm thp=VALUE mode=MODE rep=N <fault_bench
#   output> [perf_EVENT=N...] [tp_EVENT=N...]
set -u
dir=$(cd "$(dirname "$0")" && pwd)
modes='stock spf spf+tp'
only='*'
clock=''
tcg=single
while [ $# -gt 2 ]; do
	case "$1" in
	-m) modes=$2; shift 2 ;;
	-s) only=$2; shift 2 ;;
	-c) clock=$2; shift 2 ;;
	-p) tcg=parallel; shift ;;
	*) break ;;
	esac
done
[ $# -eq 2 ] || { echo "usage: bench-guest.sh [-m MODES] [-s PATTERN] [-c CLOCKSOURCE] [-p] REPS SECONDS"; exit 2; }
reps=$1
secs=$2

# name|kind|class|fault_bench arguments (anon scenarios also get -H; all
# get -s).  Class c: contended (more than one busy thread, or the
# writer's side), run in parallel guests too; u: single-threaded only.
scenarios='1t-fresh|anon|u|-t 1 -m 16
2t-fresh|anon|c|-t 2 -m 16
4t-fresh|anon|c|-t 4 -m 16
2t-reuse|anon|c|-t 2 -m 16 -r
1t-fresh-tput|anon|u|-t 1 -m 16 -n
1t-reuse-tput|anon|u|-t 1 -m 16 -r -n
1t-reuse|anon|u|-t 1 -m 16 -r
1t+hog|anon|c|-t 1 -m 16 -r -b
1t+churn|anon|c|-t 1 -m 16 -r -w
1t+convoy|anon|c|-t 1 -m 16 -r -c -R 64
1t-fork|anon|c|-t 1 -m 32 -k
1t-file-private|file|u|-t 1 -m 16 -F private
2t-file-private|file|c|-t 2 -m 16 -F private
1t-file-shared|file|u|-t 1 -m 16 -F shared
2t-file-shared|file|c|-t 2 -m 16 -F shared
1t-mmap|vm|c|-t 1 -W 4
2t-mmap|vm|c|-t 2 -W 4
1t-mmap-16m|vm|c|-t 1 -W 4096
2t-mmap-16m|vm|c|-t 2 -W 4096'

fail() {
	echo "bench-guest: FAILED: $*"
	exit 1
}

thp_file=/sys/kernel/mm/transparent_hugepage/enabled
thp_now() {
	if [ -r $thp_file ]; then
		sed 's/.*\[\(.*\)\].*/\1/' $thp_file
	else
		echo none
	fi
}

cpus=$(grep -c '^processor' /proc/cpuinfo)
thp_boot=$(thp_now)
echo "info kernel=$(uname -r) arch=$(uname -m) cpus=$cpus"
echo "info thp=$thp_boot shmem_thp=$(sed 's/.*\[\(.*\)\].*/\1/' \
	/sys/kernel/mm/transparent_hugepage/shmem_enabled 2>/dev/null || echo none)"
cs=/sys/devices/system/clocksource/clocksource0
cs_boot=$(cat $cs/current_clocksource)
if [ -n "$clock" ] && [ "$clock" != "$cs_boot" ]; then
	if grep -qw "$clock" $cs/available_clocksource; then
		echo "$clock" > $cs/current_clocksource
	else
		echo "info clocksource_wanted=$clock available=$(tr ' ' ',' < $cs/available_clocksource)"
	fi
fi
echo "info clocksource=$(cat $cs/current_clocksource) clocksource_boot=$cs_boot"
echo "info tmp=$(awk '$2 == "/tmp" {print $3}' /proc/mounts)"
echo "info reps=$reps seconds=$secs modes=$(echo "$modes" | tr ' ' ',') tcg=$tcg"
thp_passes=$thp_boot
if [ "$thp_boot" != none ] && [ "$thp_boot" != never ]; then
	thp_passes="$thp_boot never"
fi
echo "info thp_passes=$(echo "$thp_passes" | tr ' ' ',')"
case "$modes" in
*spf*)
	/sbin/rmmod spf 2>/dev/null
	[ ! -d /sys/module/spf ] || fail "cannot unload spf"
	;;
esac

# perf stat: keep the events this perf and kernel can count.
perf_ev=''
perf_ok=0
dropped=''
if perf --version >/dev/null 2>&1; then
	for e in page-faults minor-faults major-faults task-clock \
		context-switches cpu-migrations; do
		if perf stat -x, -o /dev/null -e "$e" -- true >/dev/null 2>&1; then
			perf_ev=${perf_ev:+$perf_ev,}$e
		else
			dropped="$dropped $e"
		fi
	done
	[ -z "$perf_ev" ] || perf_ok=1
	echo "info perf=$(perf --version | tr ' ' '_') perf_events=${perf_ev:-none}"
else
	echo "info perf=none"
fi
[ -z "$dropped" ] || echo "info perf_dropped=$(echo "$dropped" | sed 's/^ //' | tr ' ' ',')"

# The spf:* tracepoints, checked the first time spf is loaded.
tp_checked=0
tp_ok=0
check_tp() {
	[ $tp_checked -eq 0 ] || return 0
	tp_checked=1
	if [ $perf_ok -eq 0 ]; then
		echo "info tp=none tp_why=no_perf"
	elif [ ! -d /sys/kernel/tracing/events/spf ]; then
		echo "info tp=none tp_why=no_spf_events_in_tracefs"
	elif perf stat -x, -o /dev/null -e 'spf:*' -- true >/dev/null 2>&1; then
		tp_ok=1
		n=0
		for e in /sys/kernel/tracing/events/spf/spf_*; do n=$((n + 1)); done
		echo "info tp=$n"
	else
		echo "info tp=none tp_why=perf_stat_refuses_spf:*"
	fi
}

out=/tmp/bench-out.$$
perf_out=/tmp/bench-perf.$$
err=/tmp/bench-err.$$

# run NAME KIND THP MODE REP ARGS...: one fault_bench run, one line.
run() {
	name=$1 kind=$2 thp=$3 mode=$4 rep=$5
	shift 5
	ev=$perf_ev
	if [ "$mode" = spf+tp ] && [ $tp_ok -eq 1 ]; then
		ev="$ev,spf:*"
	fi
	rm -f "$perf_out"
	if [ $perf_ok -eq 1 ]; then
		perf stat -x, -o "$perf_out" -e "$ev" -- \
			"$dir/fault_bench" "$@" -d "$secs" -s >"$out" 2>"$err" </dev/null
	else
		"$dir/fault_bench" "$@" -d "$secs" -s >"$out" 2>"$err" </dev/null
	fi
	rc=$?
	head="scenario=$name kind=$kind thp=$thp mode=$mode rep=$rep"
	if [ $rc -ne 0 ] || ! grep -q '_per_sec=' "$out"; then
		echo "$head failed=status_$rc:$(cat "$err" "$out" | head -n 2 | tr ' \n' '_;')"
		return 0
	fi
	# perf -x, lines: value,unit,event,...; "<not counted>" becomes na.
	extra=''
	if [ -s "$perf_out" ]; then
		extra=$(awk -F, '!/^#/ && NF >= 3 && $3 != "" {
			k = $3; v = $1
			if (k ~ /^spf:/) { sub(/^spf:/, "", k); p = "tp_" } else p = "perf_"
			gsub(/[^A-Za-z0-9]/, "_", k)
			if (v !~ /^[0-9.]+$/) v = "na"
			printf " %s%s=%s", p, k, v
		}' "$perf_out")
	fi
	# The guest's clock now, to place the run on the host's timeline:
	# the host stamps the line's arrival, the run's timed part ended at
	# t1_ns (CLOCK_MONOTONIC, the base of /proc/uptime in a guest that
	# never suspends), and under TCG both clocks run at the host's pace.
	echo "$head $(cat "$out")$extra guest_up=$(cut -d' ' -f1 /proc/uptime)"
}

load() {
	/sbin/insmod "$SPF_KO" </dev/null || fail "insmod $SPF_KO"
	check_tp
}

unload() {
	/sbin/rmmod spf </dev/null || fail "rmmod spf"
}

forward=$modes
backward=''
for m in $modes; do backward="$m $backward"; done
rep=1
while [ "$rep" -le "$reps" ]; do
	if [ $((rep % 2)) -eq 1 ]; then order=$forward; else order=$backward; fi
	first=1
	for thp in $thp_passes; do
		if [ "$thp" != none ]; then
			echo "$thp" > $thp_file || fail "cannot set THP to $thp"
		fi
		while IFS='|' read -r name kind class args; do
			# shellcheck disable=SC2254  # a pattern on purpose
			case "$name" in $only) ;; *) continue ;; esac
			if [ "$kind" != anon ] && [ $first -eq 0 ]; then
				continue
			fi
			if [ "$tcg" = parallel ] && [ "$class" != c ]; then
				continue
			fi
			[ "$kind" = anon ] && args="$args -H"
			loaded=0
			for mode in $order; do
				case "$mode" in
				spf|spf+tp) [ $loaded -eq 1 ] || { load; loaded=1; } ;;
				*) [ $loaded -eq 0 ] || { unload; loaded=0; } ;;
				esac
				# shellcheck disable=SC2086  # the arguments are words
				run "$name" "$kind" "$(thp_now)" "$mode" "$rep" $args
			done
			[ $loaded -eq 0 ] || unload
		done <<SCENARIOS
$scenarios
SCENARIOS
		first=0
	done
	rep=$((rep + 1))
done
[ "$thp_boot" = none ] || echo "$thp_boot" > $thp_file
rm -f "$out" "$perf_out" "$err"
echo "info done"
