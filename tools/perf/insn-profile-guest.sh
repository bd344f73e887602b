#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# In the guest (tools/perf/insn-profile): DIR KO FAULT_BENCH ARGS...
# Asks the plugin for its counters (DIR/req-NAME, answered with
# DIR/snap-NAME) around each run: spf unloaded, loaded, twice.
set -e
dir=$1 ko=$2 bin=$3
shift 3
snap() {
	touch "$dir/req-$1"
	while [ -e "$dir/req-$1" ]; do sleep 0.05; done
}
echo never > /sys/kernel/mm/transparent_hugepage/enabled
echo 0 > /proc/sys/kernel/kptr_restrict
# Not counted: the first run creates files and warms the allocator.
"$bin" "$@" > /dev/null
for i in 1 2; do
	snap "stock$i-a"
	"$bin" "$@" > "$dir/stock$i.out"
	snap "stock$i-b"
	insmod "$ko"
	[ "$i" = 1 ] && cat /proc/kallsyms > "$dir/kallsyms"
	snap "spf$i-a"
	"$bin" "$@" > "$dir/spf$i.out"
	snap "spf$i-b"
	rmmod spf
done
