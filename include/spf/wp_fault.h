/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The speculative write-protect fault (spf/wp_fault.c), as the fault
 * attempt in spf/speculate.c calls it.
 */
#ifndef _SPF_WP_FAULT_H
#define _SPF_WP_FAULT_H

#include <linux/mm_types.h>
#include <spf/attempt.h>

struct dentry;

/* What a completed write-protect fault did; the spf_spec_wp kinds. */
enum spf_wp_kind {
	SPF_WP_NONE = -1,	/* not a write-protect fault, or not decided */
	SPF_WP_REUSE,		/* the page is this mm's alone: made writable */
	SPF_WP_COPY,		/* copy-on-write of a shared anonymous page */
	SPF_WP_ZERO,		/* the shared zero page replaced by a new page */
};

struct spf_wp {
	enum spf_wp_kind kind;
	struct page *old;	/* COPY: the page copied, referenced */
	struct folio *new;	/* COPY, ZERO: not yet mapped, charged */
	bool replaced;		/* COPY, ZERO: the new page is mapped */
};

enum spf_abort spf_wp_try(struct spf_snapshot *snap,
			  struct spf_pte_walk *walk, unsigned long addr,
			  struct spf_wp *wp);
void spf_wp_finish(struct spf_wp *wp);
void spf_wp_fault_init(struct dentry *debugfs_dir);

#endif
