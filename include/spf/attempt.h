/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the kinds of speculative fault (spf/speculate.c, spf/wp_fault.c,
 * spf/file_fault.c) share, from spf/speculate.c: the page allocation
 * and the revalidation under the PTE lock.
 */
#ifndef _SPF_ATTEMPT_H
#define _SPF_ATTEMPT_H

#include <linux/mm_types.h>
#include <linux/rcupdate.h>
#include <spf/outcome.h>
#include <spf/pgtable_walk.h>
#include <spf/snapshot.h>

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

#endif
