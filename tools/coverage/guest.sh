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

# The same program in a memory cgroup smaller than its peak, swapping to
# zram (the modules tools/vm/run packs): its faults include swap-ins.
swap_on() {
	while read -r m; do
		/sbin/insmod "/lib/modules/spf-vm/opt/$m" 2>/dev/null
	done < /lib/modules/spf-vm/opt/order
	echo 512M > /sys/block/zram0/disksize &&
		mkswap /dev/zram0 >/dev/null && swapon /dev/zram0
}
if swap_on && echo +memory > /sys/fs/cgroup/cgroup.subtree_control &&
	mkdir -p /sys/fs/cgroup/cov && echo 64M > /sys/fs/cgroup/cov/memory.max
then
	run python-swap sh -c 'echo $$ > /sys/fs/cgroup/cov/cgroup.procs &&
		exec python3 "$1/tools/coverage/threads.py" 4 3' sh "$top"
	echo "# python-swap: swap in use at the end: $(tail -n +2 /proc/swaps)"
	swapoff /dev/zram0
else
	echo "# python-swap: not run: no zram swap or memory cgroup"
fi
mkdir -p /tmp/headers
run tar tar -xJf "$top/build/coverage/headers.tar.xz" -C /tmp/headers
rm -rf /tmp/k
mkdir -p /tmp/k
tar -xf "$top/build/coverage/src.tar" -C /tmp/k
run kbuild make -C /tmp/k -j2 FLAVOUR=running
/sbin/rmmod spf
