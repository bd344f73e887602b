/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in: VMA flags, fault flags, and the few mm functions
 * the fault path calls; the commit-side ones are tests/userspace/sim.c's,
 * which checks each commit.
 */
#ifndef _USPACE_LINUX_MM_H
#define _USPACE_LINUX_MM_H

#include <linux/bitops.h>
#include <linux/gfp.h>
#include <linux/kernel.h>
#include <linux/lockdep.h>
#include <linux/mm_types.h>
#include <linux/percpu.h>
#include <linux/pgtable.h>
#include <linux/sched.h>
#include <linux/vmstat.h>

#define VM_NONE		0x00000000UL
#define VM_READ		0x00000001UL
#define VM_WRITE	0x00000002UL
#define VM_EXEC		0x00000004UL
#define VM_SHARED	0x00000008UL
#define VM_MAYREAD	0x00000010UL
#define VM_MAYWRITE	0x00000020UL
#define VM_UFFD_MISSING	0x00000200UL
#define VM_PFNMAP	0x00000400UL
#define VM_UFFD_WP	0x00001000UL
#define VM_LOCKED	0x00002000UL
#define VM_IO		0x00004000UL
#define VM_HUGETLB	0x00400000UL
#define VM_MIXEDMAP	0x10000000UL
#define VM_UFFD_MINOR	0x20000000UL
#define VM_MTE		VM_NONE
#define __VM_UFFD_FLAGS	(VM_UFFD_MISSING | VM_UFFD_WP | VM_UFFD_MINOR)

#define FAULT_FLAG_WRITE	0x01
#define FAULT_FLAG_TRIED	0x20
#define FAULT_FLAG_USER		0x40
#define FAULT_FLAG_REMOTE	0x80
#define FAULT_FLAG_INSTRUCTION	0x100

#define MMF_UNSTABLE		22

struct vm_fault;

struct vm_operations_struct {
	int (*map_pages)(struct vm_fault *vmf, unsigned long start,
			 unsigned long end);
	struct mempolicy *(*get_policy)(struct vm_area_struct *vma,
					unsigned long addr);
};

static inline int filemap_map_pages(struct vm_fault *vmf,
				    unsigned long start, unsigned long end)
{
	return 0;
}

static inline bool vma_is_anonymous(struct vm_area_struct *vma)
{
	return !vma->vm_ops;
}

static inline bool vma_is_accessible(struct vm_area_struct *vma)
{
	return vma->vm_flags & (VM_READ | VM_WRITE | VM_EXEC);
}

static inline pgoff_t linear_page_index(const struct vm_area_struct *vma,
					unsigned long address)
{
	return ((address - vma->vm_start) >> PAGE_SHIFT) + vma->vm_pgoff;
}

static inline void inc_mm_counter(struct mm_struct *mm, int member)
{
	atomic_long_inc(&mm->rss[member]);
}

/* Commit-side hooks: tests/userspace/sim.c checks each commit. */
void set_pte_at(struct mm_struct *mm, unsigned long addr, pte_t *ptep,
		pte_t pte);
void update_mmu_cache(struct vm_area_struct *vma, unsigned long addr,
		      pte_t *ptep);

void folio_put(struct folio *folio);

static inline void __folio_mark_uptodate(struct folio *folio)
{
	smp_wmb();
	folio->page.flags |= 1;
}

#endif
