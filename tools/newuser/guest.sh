#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# In the guest (tools/newuser/test): what README.md tells a new user to
# do, on the Debian kernel itself, from a copy of the source tree.  The
# packages the README installs with apt (linux-headers of the running
# kernel, make, gcc, bpftrace) are in the guest already (tools/vm/run
# --with user); nothing here knows the project's internals.
src=$1
cp -a "$src" /tmp/spf && cd /tmp/spf || exit 1
. tools/lib/tap.sh
. tools/lib/bpftrace.sh
[ -e "/lib/modules/$(uname -r)/build/Makefile" ]
tap $? "headers of the running kernel $(uname -r) are installed"

# README, "Two commands".
make FLAVOUR=running >/tmp/build.log 2>&1
rc=$?
tail -n 12 /tmp/build.log | sed 's/^/# /'
! grep -qi 'warning:' /tmp/build.log
tap $((rc || $?)) "make FLAVOUR=running builds without a warning"
# shellcheck disable=SC2086
insmod build/*-running/spf.ko
tap $? "insmod build/*-running/spf.ko"
dmesg | grep 'spf: fault-path hooks installed' | tail -n 1 | sed 's/^/# /'
[ -d /sys/module/spf ]
tap $? "spf is loaded"

# docs/usage.md: counters, the latency histogram, off at run time.
grep -q '^fault_hook ' /sys/kernel/debug/spf/stats
tap $? "/sys/kernel/debug/spf/stats has the counters"
bpftrace tools/trace/spf-latency.bt >/tmp/bt.out 2>&1 &
bt=$!
i=0
while ! grep -q '^Timing' /tmp/bt.out && [ $i -lt 240 ]; do sleep 0.5; i=$((i + 1)); done
stress-ng --brk 1 --timeout 3 >/dev/null 2>&1
bpftrace_stop $bt
grep -E '^@(faults|ns)' /tmp/bt.out | sed 's/^/# /'
grep -q '^@ns\[speculative\]:' /tmp/bt.out && grep -q '^@ns\[fallback\]:' /tmp/bt.out
tap $? "bpftrace tools/trace/spf-latency.bt prints both histograms"
echo 0 > /sys/module/spf/parameters/enabled
d0=$(cat /sys/kernel/debug/spf/disabled)
stress-ng --brk 1 --timeout 1 >/dev/null 2>&1
d1=$(cat /sys/kernel/debug/spf/disabled)
[ "$d1" -gt "$d0" ]
tap $? "enabled=0: faults take the stock path (disabled +$((d1 - d0)))"
rmmod spf
tap $? "rmmod spf"
tap_plan
