/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in: allocation flags, and page allocations that fail
 * now and then (tests/userspace/sim.c says how often).
 */
#ifndef _USPACE_LINUX_GFP_H
#define _USPACE_LINUX_GFP_H

#include <asm/page.h>
#include <linux/types.h>

struct folio;
struct vm_area_struct;

#define __GFP_DIRECT_RECLAIM	0x80u
#define GFP_ATOMIC		0x01u
#define GFP_KERNEL		(0x02u | __GFP_DIRECT_RECLAIM)
#define GFP_NOWAIT		0x04u
#define GFP_HIGHUSER_MOVABLE	(0x08u | __GFP_DIRECT_RECLAIM)
#define __GFP_NOWARN		0x10u
#define __GFP_NORETRY		0x20u
#define __GFP_ZERO		0x40u

/* Fails now and then (tests/userspace/sim.c says how often). */
unsigned long __get_free_page(gfp_t gfp);
void free_page(unsigned long addr);

struct folio *vma_alloc_folio(gfp_t gfp, int order,
			      struct vm_area_struct *vma, unsigned long addr,
			      bool hugepage);

/* One node here; only make module BROKEN=ignore_policy allocates so. */
static inline int numa_node_id(void)
{
	return 0;
}

static inline struct folio *__folio_alloc_node(gfp_t gfp, unsigned int order,
					       int nid)
{
	return vma_alloc_folio(gfp, order, NULL, 0, false);
}

#endif
