/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in: the maple tree is tests/userspace/sim.c's index of
 * VMAs, loaded under RCU.
 */
#ifndef _USPACE_LINUX_MAPLE_TREE_H
#define _USPACE_LINUX_MAPLE_TREE_H

#include <linux/rcupdate.h>

struct maple_tree {
	struct sim_vma_index __rcu *index;
};

/* The VMA whose recorded range holds index, or NULL; under RCU. */
void *mtree_load(struct maple_tree *mt, unsigned long index);

#endif
