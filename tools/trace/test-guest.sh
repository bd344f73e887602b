#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# In the guest (tools/trace/test), spf loaded: run spf-latency.bt
# around a workload and check what it prints against spf's counters.
# Every speculative fault of the workload must be in @ns[speculative]
# (no more than spf counted in the whole run), both histograms must
# exist, and each histogram's buckets must add up to its count.
dir=$(dirname "$0")
out=/tmp/spf-latency.out
d=/sys/kernel/debug/spf
. "$dir/../lib/tap.sh"
. "$dir/../lib/bpftrace.sh"
spec() {
	echo $(($(cat $d/spec_read) + $(cat $d/spec_write) + \
		$(cat $d/spec_wp_reuse) + $(cat $d/spec_wp_copy) + \
		$(cat $d/spec_wp_zero) + $(cat $d/spec_file)))
}

s0=$(spec)
bpftrace "$dir/spf-latency.bt" >"$out" 2>&1 &
bt=$!
i=0
while ! grep -q '^Timing page faults' "$out" && [ $i -lt 240 ]; do
	sleep 0.5
	i=$((i + 1))
done
grep -q '^Timing page faults' "$out"
tap $? "bpftrace attached the script ($((i / 2)) s)"

s1=$(spec)
# brk: first-touch heap faults (speculative), with the program's own
# start-up faults (file-backed: fallback).
stress-ng --brk 1 --timeout 3 >/dev/null 2>&1
s2=$(spec)
bpftrace_stop $bt
s3=$(spec)
sed 's/^/# /' "$out"

# Count of a map entry: "@faults[speculative]: 123".
count() { sed -n "s/^@faults\\[$1\\]: //p" "$out"; }
# Sum of a histogram's buckets: the lines after "@ns[KIND]:" up to a blank.
hsum() {
	awk -v k="@ns[$1]:" '$0 == k || $0 == k " " { on = 1; next }
		on && /^\[/ { sub(/^[^])]*[])]/, ""); s += $1; next }
		on { on = 0 }
		END { print s + 0 }' "$out"
}
spec_n=$(count speculative)
fall_n=$(count fallback)
echo "# workload: spf counted $((s2 - s1)) speculative faults; whole run $((s3 - s0)); histogram ${spec_n:-none}"
[ -n "$spec_n" ] && [ "$spec_n" -ge $((s2 - s1)) ] && [ "$spec_n" -le $((s3 - s0)) ] &&
	[ $((s2 - s1)) -gt 0 ]
tap $? "@ns[speculative] holds every speculative fault of the workload (${spec_n:-0} in [$((s2 - s1)), $((s3 - s0))])"
[ -n "$fall_n" ] && [ "$fall_n" -gt 0 ]
tap $? "@ns[fallback] has faults (${fall_n:-0})"
[ "$(hsum speculative)" = "$spec_n" ] && [ "$(hsum fallback)" = "$fall_n" ]
tap $? "each histogram's buckets add up to its count ($(hsum speculative), $(hsum fallback))"
grep -q '^@abort_reasons\[tracepoint:spf:spf_abort_' "$out"
tap $? "fallbacks are broken down by abort reason"
tap_plan
