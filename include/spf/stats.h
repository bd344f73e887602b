/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Event counters: per-CPU so the fault path never writes a shared cache
 * line, summed only when someone reads /sys/kernel/debug/spf/.
 */
#ifndef _SPF_STATS_H
#define _SPF_STATS_H

#include <linux/percpu.h>

/* Keep spf_stat_names[] in spf/stats.c in step with this list. */
enum spf_stat {
	SPF_STAT_FAULT_HOOK,	/* arch faults that entered the lock_mm hook */
	SPF_STAT_HANDLE_HOOK,	/* arch faults that entered the handle_mm_fault hook */
	SPF_STAT_STOCK,		/* faults handed to the stock path */
	SPF_STAT_RETRY,		/* stock attempts that asked the arch to retry */
	SPF_STAT_DISABLED,	/* faults seen while enabled=0, not redirected */
	SPF_STAT_VMA_DEFERRED,	/* VMAs whose freeing waits for a grace period */
	SPF_STAT_VMA_FREED,	/* ...and that have since been freed */
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
extern struct dentry *spf_debugfs_dir;
int spf_debugfs_init(void);
void spf_debugfs_exit(void);

#endif
