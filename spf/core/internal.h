/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What spf/core/ (the module's entry, parameters, counters, tracepoints
 * and load-time checks) offers the rest of spf/.
 */
#ifndef _SPF_CORE_INTERNAL_H
#define _SPF_CORE_INTERNAL_H

#include <linux/compiler.h>
#include <linux/percpu.h>
#include <linux/types.h>
#include <spf/outcome.h>
#include <spf/pgtable_rcu.h>

extern char *spf_debug_require_symbol;

int spf_params_check(void);

/* 0, or a negative errno after one log line naming what is missing. */
int spf_compat_check(void);

/*
 * Where kallsyms has data symbols (x86-64's config): the kernel's
 * kprobes_all_disarmed flag; NULL elsewhere.  Read on every redirected
 * fault where a freeing hook is a kprobe, hence inline.
 */
extern const bool *spf_kprobes_all_disarmed;

/* Someone wrote 0 to debugfs kprobes/enabled: kprobe hooks are inert. */
static inline bool spf_compat_kprobes_disarmed(void)
{
	const bool *flag = spf_kprobes_all_disarmed;

	return flag && READ_ONCE(*flag);
}

/* The above can tell (the flag is readable on this kernel). */
static inline bool spf_compat_kprobes_watched(void)
{
	return spf_kprobes_all_disarmed;
}

/*
 * Event counters: per-CPU so the fault path never writes a shared cache
 * line, summed only when someone reads /sys/kernel/debug/spf/.
 */
/* Keep spf_stat_names[] in spf/core/stats.c in step with this list. */
enum spf_stat {
	SPF_STAT_FAULT_HOOK,	/* arch faults that entered the lock_mm hook */
	SPF_STAT_HANDLE_HOOK,	/* arch faults that entered the handle_mm_fault hook */
	SPF_STAT_STOCK,		/* faults handed to the stock path */
	SPF_STAT_RETRY,		/* stock attempts that were retries (TRIED) */
	SPF_STAT_DISABLED,	/* faults seen while enabled=0, not redirected */
	SPF_STAT_DECLINED,	/* aborts decided before redirecting */
	SPF_STAT_FREE,		/* first of NR_SPF_FREE_STATS: pgtable_rcu/'s */
	SPF_STAT_SPEC_READ = SPF_STAT_FREE + NR_SPF_FREE_STATS,
				/* faults done speculatively: zero page mapped */
	SPF_STAT_SPEC_WRITE,	/* faults done speculatively: new page mapped */
	SPF_STAT_SPEC_WP_REUSE,	/* write-protect faults: page made writable */
	SPF_STAT_SPEC_WP_COPY,	/* ...copy-on-write of an anonymous page */
	SPF_STAT_SPEC_WP_ZERO,	/* ...the zero page replaced by a new page */
	SPF_STAT_SPEC_FILE,	/* file read faults: cached pages mapped */
	SPF_STAT_SPEC_THP,	/* anonymous huge pages mapped by a write */
	SPF_STAT_SPEC_SWAP,	/* swap faults: a swap-cache page mapped */
	SPF_STAT_SPEC_FILE_WRITE, /* file writes: a cached page mapped or copied */
	SPF_STAT_FILE_MAPPED,	/* ...and the PTEs they set (fault-around) */
	SPF_STAT_PTE_TABLES,	/* PTE tables installed by speculative faults */
	SPF_STAT_ABORT,		/* first of NR_SPF_ABORTS: abort_<reason> */
	NR_SPF_STATS = SPF_STAT_ABORT + NR_SPF_ABORTS
};

struct spf_stats {
	unsigned long count[NR_SPF_STATS];
};

DECLARE_PER_CPU(struct spf_stats, spf_stats);

static inline void spf_count(enum spf_stat stat)
{
	this_cpu_inc(spf_stats.count[stat]);
}

static inline void spf_count_add(enum spf_stat stat, unsigned int n)
{
	this_cpu_add(spf_stats.count[stat], n);
}

static inline void spf_count_abort(enum spf_abort reason)
{
	spf_count(SPF_STAT_ABORT + reason);
}

unsigned long spf_stat_read(enum spf_stat stat);
extern struct dentry *spf_debugfs_dir;
int spf_debugfs_init(void);
void spf_debugfs_exit(void);

#endif
