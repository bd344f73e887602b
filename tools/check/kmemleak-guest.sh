#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Runs in the guest of the debug kernel (tools/check/run-debug): forget
# the leaks kmemleak knows of so far (boot), load spf, fault, unload and
# reload it a few times under load (the kselftest reload test), unload,
# then scan twice and report every unreferenced object as a leak.
# Usage: kmemleak-guest.sh TESTS_DIR
KL=/sys/kernel/debug/kmemleak
tests=$1
echo "TAP version 13"
echo "1..2"
if [ ! -w "$KL" ]; then
	echo "not ok 1 - kmemleak is not available ($KL)"
	echo "not ok 2 - kmemleak scan # SKIP"
	exit 1
fi
/sbin/rmmod spf 2>/dev/null
echo scan > "$KL"
echo clear > "$KL"
if SPF_RELOAD_CYCLES=5 "$tests/spf_load_test" > /tmp/load.out 2>&1; then
	echo "ok 1 - spf loaded, faulted, reloaded 5 times under load and unloaded"
else
	echo "not ok 1 - spf_load_test failed"
	sed 's/^/#   /' /tmp/load.out | tail -n 20
fi
/sbin/rmmod spf 2>/dev/null
# An object is reported only once it has been unreferenced for a while
# and in two scans.
sleep 6
echo scan > "$KL"
sleep 6
echo scan > "$KL"
cat "$KL" > /tmp/leaks
n=$(grep -c 'unreferenced object' /tmp/leaks)
if [ "$n" -eq 0 ]; then
	echo "ok 2 - kmemleak: no leak after unload"
else
	echo "not ok 2 - kmemleak: $n unreferenced objects after unload"
	head -n 60 /tmp/leaks | sed 's/^/#   /'
fi
# Spare the runner's final scan (it would report them again as a splat
# without the context above).
echo clear > "$KL"
[ "$n" -eq 0 ]
