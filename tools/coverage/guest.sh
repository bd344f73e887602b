#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# In the guest (tools/coverage/run): load spf, run each workload and
# print, for each counter of /sys/kernel/debug/spf/stats, how much it
# moved: "coverage WORKLOAD COUNTER DELTA", then "coverage WORKLOAD rc N".
top=$1
ko=$2
d=/sys/kernel/debug/spf
/sbin/insmod "$ko" || exit 1

run() {
	name=$1
	shift
	cat $d/stats >/tmp/cov.before
	"$@" >/tmp/cov.out 2>&1
	rc=$?
	cat $d/stats >/tmp/cov.after
	tail -n 3 /tmp/cov.out | sed "s/^/# $name: /"
	awk -v w="$name" 'FNR == NR { b[$1] = $2; next }
		{ printf "coverage %s %s %d\n", w, $1, $2 - b[$1] }' \
		/tmp/cov.before /tmp/cov.after
	echo "coverage $name rc $rc"
}

run python python3 "$top/tools/coverage/threads.py" 4 3
mkdir -p /tmp/headers
run tar tar -xJf "$top/build/coverage/headers.tar.xz" -C /tmp/headers
rm -rf /tmp/k
mkdir -p /tmp/k
tar -xf "$top/build/coverage/src.tar" -C /tmp/k
run kbuild make -C /tmp/k -j2 FLAVOUR=running
/sbin/rmmod spf
