/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Event counters: per-CPU so the fault path never writes a shared cache
 * line, summed only when someone reads /sys/kernel/debug/spf/.
 */
#ifndef _SPF_STATS_H
#define _SPF_STATS_H

#include <linux/percpu.h>

/* X(name, what it counts); the name is the debugfs line's key. */
#define SPF_STATS(X)							\
	X(fault_hook,	"arch faults that entered the lock_mm_and_find_vma hook") \
	X(handle_hook,	"arch faults that entered the handle_mm_fault hook") \
	X(stock,	"faults handed to the stock path")		\
	X(retry,	"stock attempts that asked the arch to retry")	\
	X(disabled,	"faults seen while enabled=0 (not redirected)")

enum spf_stat {
#define SPF_STAT_ENUM(name, desc) SPF_STAT_##name,
	SPF_STATS(SPF_STAT_ENUM)
#undef SPF_STAT_ENUM
	NR_SPF_STATS
};

struct spf_stats {
	unsigned long count[NR_SPF_STATS];
};

DECLARE_PER_CPU(struct spf_stats, spf_stats);

static inline void spf_count(enum spf_stat stat)
{
	this_cpu_inc(spf_stats.count[stat]);
}

unsigned long spf_stat_read(enum spf_stat stat);
int spf_debugfs_init(void);
void spf_debugfs_exit(void);

#endif
