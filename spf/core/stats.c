// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/kernel/debug/spf/: the counters, one "name value" line each in
 * "stats", and a file per counter for scripts that want one number.
 * A reader sums the per-CPU slots without stopping writers; a value can
 * be a few events behind, never ahead, which is all tests rely on: they
 * read deltas around a quiesced section.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/seq_file.h>
#include "../hooks/internal.h"
#include "internal.h"

DEFINE_PER_CPU(struct spf_stats, spf_stats);

static const char *const spf_stat_names[NR_SPF_STATS] = {
	[SPF_STAT_FAULT_HOOK]	= "fault_hook",
	[SPF_STAT_HANDLE_HOOK]	= "handle_hook",
	[SPF_STAT_STOCK]	= "stock",
	[SPF_STAT_RETRY]	= "retry",
	[SPF_STAT_DISABLED]	= "disabled",
	[SPF_STAT_DECLINED]	= "declined",
	[SPF_STAT_FREE + SPF_FREE_VMA_DEFERRED] = "vma_deferred",
	[SPF_STAT_FREE + SPF_FREE_VMA_FREED] = "vma_freed",
	[SPF_STAT_FREE + SPF_FREE_PGTABLE_DEFERRED] = "pgtable_deferred",
	[SPF_STAT_FREE + SPF_FREE_PGTABLE_SYNC] = "pgtable_sync",
	[SPF_STAT_FREE + SPF_FREE_PTL_DEFERRED] = "ptl_deferred",
	[SPF_STAT_FREE + SPF_FREE_PTL_FREED] = "ptl_freed",
	[SPF_STAT_FREE + SPF_FREE_PTL_LEAKED] = "ptl_leaked",
	[SPF_STAT_SPEC_READ]	= "spec_read",
	[SPF_STAT_SPEC_WRITE]	= "spec_write",
	[SPF_STAT_SPEC_WP_REUSE] = "spec_wp_reuse",
	[SPF_STAT_SPEC_WP_COPY]	= "spec_wp_copy",
	[SPF_STAT_SPEC_WP_ZERO]	= "spec_wp_zero",
	[SPF_STAT_SPEC_FILE]	= "spec_file",
	[SPF_STAT_SPEC_THP]	= "spec_thp",
	[SPF_STAT_SPEC_SWAP]	= "spec_swap",
	[SPF_STAT_SPEC_FILE_WRITE] = "spec_file_write",
	[SPF_STAT_FILE_MAPPED]	= "file_mapped",
	[SPF_STAT_PTE_TABLES]	= "pte_tables",
	[SPF_STAT_ABORT + SPF_ABORT_SEQ_ODD] = "abort_seq_odd",
	[SPF_STAT_ABORT + SPF_ABORT_SEQ_CHANGED] = "abort_seq_changed",
	[SPF_STAT_ABORT + SPF_ABORT_NO_VMA] = "abort_no_vma",
	[SPF_STAT_ABORT + SPF_ABORT_NOT_ANON] = "abort_not_anon",
	[SPF_STAT_ABORT + SPF_ABORT_NO_ANON_VMA] = "abort_no_anon_vma",
	[SPF_STAT_ABORT + SPF_ABORT_ACCESS] = "abort_access",
	[SPF_STAT_ABORT + SPF_ABORT_PGTABLE] = "abort_pgtable",
	[SPF_STAT_ABORT + SPF_ABORT_PTE] = "abort_pte",
	[SPF_STAT_ABORT + SPF_ABORT_PTL] = "abort_ptl",
	[SPF_STAT_ABORT + SPF_ABORT_UFFD] = "abort_uffd",
	[SPF_STAT_ABORT + SPF_ABORT_ALLOC] = "abort_alloc",
	[SPF_STAT_ABORT + SPF_ABORT_PAGECACHE] = "abort_pagecache",
	[SPF_STAT_ABORT + SPF_ABORT_SWAPCACHE] = "abort_swapcache",
	[SPF_STAT_ABORT + SPF_ABORT_OTHER] = "abort_other",
};

struct dentry *spf_debugfs_dir;

unsigned long spf_stat_read(enum spf_stat stat)
{
	unsigned long sum = 0;
	int cpu;

	if (stat >= SPF_STAT_FREE && stat < SPF_STAT_FREE + NR_SPF_FREE_STATS)
		return spf_free_stat_read(stat - SPF_STAT_FREE);
	for_each_possible_cpu(cpu)
		sum += READ_ONCE(per_cpu(spf_stats, cpu).count[stat]);
	return sum;
}

static int spf_stats_show(struct seq_file *m, void *v)
{
	int i;

	for (i = 0; i < NR_SPF_STATS; i++)
		seq_printf(m, "%s %lu\n", spf_stat_names[i], spf_stat_read(i));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(spf_stats);

static int spf_arch_show(struct seq_file *m, void *v)
{
	seq_printf(m, "%s\n", spf_arch_hook_desc);
	spf_hooks_show(m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(spf_arch);

static int spf_stat_get(void *data, u64 *val)
{
	*val = spf_stat_read((enum spf_stat)(uintptr_t)data);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(spf_stat_fops, spf_stat_get, NULL, "%llu\n");

int spf_debugfs_init(void)
{
	int i;

	spf_debugfs_dir = debugfs_create_dir(KBUILD_MODNAME, NULL);
	if (IS_ERR(spf_debugfs_dir)) {
		pr_err("cannot create debugfs directory (%ld)\n",
		       PTR_ERR(spf_debugfs_dir));
		return PTR_ERR(spf_debugfs_dir);
	}
	debugfs_create_file("stats", 0444, spf_debugfs_dir, NULL,
			    &spf_stats_fops);
	debugfs_create_file("arch", 0444, spf_debugfs_dir, NULL,
			    &spf_arch_fops);
	for (i = 0; i < NR_SPF_STATS; i++)
		debugfs_create_file_unsafe(spf_stat_names[i], 0444,
					   spf_debugfs_dir,
					   (void *)(uintptr_t)i,
					   &spf_stat_fops);
	return 0;
}

void spf_debugfs_exit(void)
{
	debugfs_remove_recursive(spf_debugfs_dir);
}
