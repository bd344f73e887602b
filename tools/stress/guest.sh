#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Runs in the guest (busybox sh; tools/stress/soak boots it): stress-ng's
# memory stressors with --verify, a bounded time each, first with spf
# unloaded (the baseline), then loaded ($SPF_KO), in one boot.  Prints
# one TAP line per stressor and mode with its bogo-ops, its verification
# verdict and, with spf loaded, what the spf counters did meanwhile;
# then a line that fails unless the speculative path was taken at all.
#
# Temporary files go to tmpfs (--temp-path): the working directory is a
# 9p share, on which the fault stressor's mmap of its file fails.
# madvise and the mix run as nobody: as root, stress-ng's madvise also
# poisons its own pages (MADV_HWPOISON) and is then killed by SIGBUS
# ("MCE: Killing stress-ng-madvi"), which makes it exit 2 at random,
# with or without spf.  Unprivileged userfaultfd is allowed for the mix.
# Environment: SPF_STRESS_TIME seconds per stressor (default 20),
# SPF_STRESS_ONLY "vm mmap ..." to run a subset, SPF_STRESS_REPEAT=N
# to run each N times.
T=${SPF_STRESS_TIME:-20}
ALL="vm mmap mremap madvise fault stack brk fork userfaultfd mix"
ONLY=${SPF_STRESS_ONLY:-$ALL}
REPEAT=${SPF_STRESS_REPEAT:-1}
STATS=/sys/kernel/debug/spf/stats
W=$(mktemp -d)
chmod 1777 "$W"
echo 1 > /proc/sys/vm/unprivileged_userfaultfd
n=0
status=0
spec_total=0

args_for() {
	case $1 in
	vm) echo "--vm 2 --vm-bytes 128M" ;;
	mmap) echo "--mmap 2 --mmap-bytes 16M" ;;
	mremap) echo "--mremap 2 --mremap-bytes 16M" ;;
	madvise) echo "--madvise 2" ;;
	fault) echo "--fault 2" ;;
	stack) echo "--stack 2" ;;
	brk) echo "--brk 2" ;;
	fork) echo "--fork 2" ;;
	userfaultfd) echo "--userfaultfd 2 --userfaultfd-bytes 16M" ;;
	mix) echo "--vm 1 --vm-bytes 64M --mmap 1 --mmap-bytes 16M --mremap 1 --mremap-bytes 16M --madvise 1 --fault 1 --stack 1 --brk 1 --fork 1 --userfaultfd 1 --userfaultfd-bytes 8M" ;;
	esac
}

# "name value" lines of the spf counters, or nothing if not loaded.
stats() { cat "$STATS" 2>/dev/null; }

# delta BEFORE AFTER NAME
delta() {
	awk -v n="$3" 'FNR == NR { if ($1 == n) b = $2; next }
		$1 == n { a = $2 } END { print (a - b) + 0 }' "$1" "$2"
}
# the sum of abort_* deltas
aborts() {
	awk 'FNR == NR { if ($1 ~ /^abort_/) b += $2; next }
		$1 ~ /^abort_/ { a += $2 } END { print (a - b) + 0 }' "$1" "$2"
}

run_one() {
	name=$1 mode=$2
	n=$((n + 1))
	out=$W/$name-$mode.out
	stats > "$W/before"
	# brk grows the data segment until it fails: bound it, no OOM kill
	# (an OOM report is a Call Trace, which fails the run).
	(
		# shellcheck disable=SC3045  # busybox ash has ulimit -d
		case $name in brk|mix) ulimit -d 262144 ;; esac
		cmd="stress-ng $(args_for "$name") --timeout ${T}s --verify --metrics-brief --oom-avoid --temp-path $W"
		# shellcheck disable=SC2086  # the options are words
		case $name in
		madvise|mix) exec su -s /bin/sh nobody -c "$cmd" ;;
		*) exec $cmd ;;
		esac
	) > "$out" 2>&1
	rc=$?
	stats > "$W/after"
	# metrics lines: "stress-ng: metrc: [PID] NAME BOGO REAL USR SYS OPS/S ..."
	ops=$(awk '$3 ~ /^\[[0-9]+\]$/ && $5 ~ /^[0-9]+$/ && $6 ~ /^[0-9.]+$/ &&
		$4 !~ /^(stressor|info|fail|skip|passed|failed)/ { s += $5 } END { print s + 0 }' "$out")
	rate=$(awk '$3 ~ /^\[[0-9]+\]$/ && $5 ~ /^[0-9]+$/ && $6 ~ /^[0-9.]+$/ &&
		$4 !~ /^(stressor|info|fail|skip|passed|failed)/ { s += $9 } END { printf "%.1f", s }' "$out")
	fails=$(grep -c ' fail: ' "$out")
	vfail=$(grep -ciE 'verif|mismatch|corrupt|bit error|unexpected' "$out" | head -n1)
	extra=
	if [ -s "$W/after" ]; then
		sr=$(delta "$W/before" "$W/after" spec_read)
		sw=$(delta "$W/before" "$W/after" spec_write)
		for k in spec_wp_reuse spec_wp_copy spec_wp_zero spec_file; do
			sw=$((sw + $(delta "$W/before" "$W/after" $k)))
		done
		fh=$(delta "$W/before" "$W/after" fault_hook)
		ab=$(aborts "$W/before" "$W/after")
		spec_total=$((spec_total + sr + sw))
		extra=" fault_hook=$fh spec_read=$sr spec_write+wp+file=$sw aborts=$ab"
	fi
	line="stress $name $mode: bogo-ops=$ops ($rate/s) rc=$rc fail-lines=$fails$extra"
	echo "# $name $mode $ops $rate $rc $fails${extra}" >> "$W/table"
	case $rc in
	0) echo "ok $n - $line" ;;
	4) echo "ok $n - $line # SKIP not implemented here" ;;
	*)
		echo "not ok $n - $line"
		status=1
		grep -vE 'metrc:|^stress-ng: info: .*(dispatching|setting to|defaulting|successful run|passed|skipped|untrustworthy)' "$out" |
			tail -n 25 | sed 's/^/#   /'
		;;
	esac
	[ "$vfail" = 0 ] || grep -iE 'verif|mismatch|corrupt|bit error|unexpected' "$out" |
		head -n 5 | sed 's/^/#   verify: /'
}

echo "TAP version 13"
echo "# stress-ng $(stress-ng --version 2>&1 | head -n1), ${T}s per stressor"
/sbin/rmmod spf 2>/dev/null
for _ in $(seq "$REPEAT"); do for s in $ONLY; do run_one "$s" baseline; done; done
if [ -n "$SPF_KO" ]; then
	if /sbin/insmod "$SPF_KO"; then
		for _ in $(seq "$REPEAT"); do for s in $ONLY; do run_one "$s" spf; done; done
		n=$((n + 1))
		if [ "$spec_total" -gt 0 ]; then
			echo "ok $n - spf took $spec_total faults speculatively during the stress runs"
		else
			echo "not ok $n - spf took no fault speculatively during the stress runs"
			status=1
		fi
		echo "# spf counters at the end:"
		stats | sed 's/^/#   /'
		n=$((n + 1))
		if /sbin/rmmod spf; then
			echo "ok $n - rmmod spf after the stress runs"
		else
			echo "not ok $n - rmmod spf after the stress runs"
			status=1
		fi
	else
		n=$((n + 1))
		echo "not ok $n - insmod $SPF_KO"
		status=1
	fi
fi
echo "# table: stressor mode bogo-ops ops/s rc fail-lines [spf counters]"
sed 's/^# /#   /' "$W/table"
echo "1..$n"
rm -rf "$W"
exit $status
