/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in: pages, folios, VMAs and the mm, each with the
 * simulation's tags after the fields the sources read.  The sim's VMAs
 * are all anonymous: vm_ops is always NULL.
 */
#ifndef _USPACE_LINUX_MM_TYPES_H
#define _USPACE_LINUX_MM_TYPES_H

#include <asm/pgtable_types.h>
#include <linux/atomic.h>
#include <linux/maple_tree.h>
#include <linux/mm_types_task.h>
#include <linux/rwsem.h>
#include <linux/spinlock.h>

struct anon_vma;

struct page {
	unsigned long flags;
	spinlock_t *ptl;		/* a PTE table's split lock */
	/* the simulation's */
	unsigned long sim_magic;
	struct anon_vma *sim_anon_vma;	/* rmap: what the fault gave it */
	pgoff_t sim_index;
	pte_t *sim_ptep;		/* where it is mapped */
	unsigned long sim_pad[2];
} __attribute__((aligned(64)));

struct folio {
	struct page page;
};

#define SIM_PAGE_LIVE		0x9a9e11feUL
#define SIM_PAGE_DEAD		0xdead9a9eUL

struct file;
struct mempolicy;
struct vm_operations_struct;
struct userfaultfd_ctx;

struct vm_userfaultfd_ctx {
	struct userfaultfd_ctx *ctx;
};

struct vm_area_struct {
	unsigned long vm_start;
	unsigned long vm_end;
	struct mm_struct *vm_mm;
	pgprot_t vm_page_prot;
	unsigned long vm_flags;
	struct list_head anon_vma_chain;	/* the rcu_head while freed */
	struct anon_vma *anon_vma;
	const struct vm_operations_struct *vm_ops;
	unsigned long vm_pgoff;
	struct file *vm_file;
	struct vm_userfaultfd_ctx vm_userfaultfd_ctx;
	struct mempolicy *vm_policy;
	/* the simulation's */
	unsigned long sim_magic;
	unsigned long sim_id;
};

#define SIM_VMA_LIVE		0x7111a11eUL
#define SIM_VMA_DEAD		0xdead7111UL

struct mm_struct {
	struct maple_tree mm_mt;
	pgd_t *pgd;
	struct rw_semaphore mmap_lock;
	spinlock_t page_table_lock;
	unsigned long flags;
	struct task_struct __rcu *owner;
	atomic_long_t rss[NR_MM_COUNTERS];
};

#endif
