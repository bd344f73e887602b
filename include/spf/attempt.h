/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the kinds of speculative fault share (spf/attempt.c): the page
 * allocation, the commit lock and the revalidation under it.
 */
#ifndef _SPF_ATTEMPT_H
#define _SPF_ATTEMPT_H

#include <linux/mm_types.h>
#include <linux/rcupdate.h>
#include <spf/outcome.h>
#include <spf/pgtable_walk.h>
#include <spf/snapshot.h>

struct dentry;

/* For the kinds' "Call under rcu_read_lock()": the debug kernel checks. */
#define spf_assert_rcu()						\
	RCU_LOCKDEP_WARN(!rcu_read_lock_held(),				\
			 "spf: speculative fault outside rcu_read_lock()")

struct folio *spf_alloc_page(struct spf_snapshot *snap, unsigned long addr,
			     bool zero, bool reclaim);
enum spf_abort spf_revalidate(struct spf_snapshot *snap,
			      const struct spf_pte_walk *walk);
enum spf_abort spf_commit_lock(struct spf_snapshot *snap,
			       struct spf_pte_walk *walk);
void spf_commit_unlock(struct spf_snapshot *snap, struct spf_pte_walk *walk);
void spf_attempt_init(struct dentry *debugfs_dir);

#endif
