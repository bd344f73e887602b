/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The speculative swap-cache fault (spf/swap_fault.c), as the fault
 * attempt in spf/speculate.c calls it.
 */
#ifndef _SPF_SWAP_FAULT_H
#define _SPF_SWAP_FAULT_H

#include <spf/attempt.h>

struct dentry;

/* What the attempt holds until it has left the RCU read section. */
struct spf_swap {
	struct folio *folio;		/* the swap-cache page, referenced */
	struct swap_info_struct *si;	/* the swap device, pinned */
	bool mapped;			/* the PTE now maps the page */
	bool write;			/* ...writable */
};

#ifdef CONFIG_SWAP
enum spf_abort spf_swap_try(struct spf_snapshot *snap,
			    struct spf_pte_walk *walk, unsigned long addr,
			    unsigned int flags, struct spf_swap *swap);
void spf_swap_finish(struct spf_swap *swap);
int spf_swap_fault_init(struct dentry *debugfs_dir);
#else
/* No swap (the userspace harness): a non-present PTE stays stock. */
static inline enum spf_abort spf_swap_try(struct spf_snapshot *snap,
					  struct spf_pte_walk *walk,
					  unsigned long addr, unsigned int flags,
					  struct spf_swap *swap)
{
	return SPF_ABORT_PTE;
}

static inline void spf_swap_finish(struct spf_swap *swap)
{
}

static inline int spf_swap_fault_init(struct dentry *debugfs_dir)
{
	return 0;
}
#endif

#endif
