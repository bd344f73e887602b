/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What spf/faults/ (the speculative attempt: the dispatcher and one file
 * per kind of fault) offers the hooks, and what its kinds share.
 */
#ifndef _SPF_FAULTS_INTERNAL_H
#define _SPF_FAULTS_INTERNAL_H

#include <linux/mm_types.h>
#include <linux/rcupdate.h>
#include <spf/outcome.h>
#include <spf/pgtable_rcu.h>
#include <spf/vma_lookup.h>

struct address_space;
struct dentry;
struct file;
struct pt_regs;

bool spf_speculate(struct mm_struct *mm, unsigned long addr,
		   unsigned int flags, struct pt_regs *regs);
void spf_abort(enum spf_abort reason, unsigned long addr);
int spf_speculate_init(struct dentry *debugfs_dir);

/*
 * What the kinds of speculative fault share (spf/faults/attempt.c): the page
 * allocation, the commit lock and the revalidation under it.
 */
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

/* The first touch of an anonymous private page (spf/faults/anon_fault.c). */
enum spf_abort spf_anon_try(struct spf_snapshot *snap,
			    struct spf_pte_walk *walk, unsigned long addr,
			    struct folio *folio);
void spf_anon_fault_init(struct dentry *debugfs_dir);

/*
 * The speculative write-protect fault (spf/faults/wp_fault.c), as the
 * dispatcher (spf/faults/dispatch.c) calls it.
 */
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

/*
 * The speculative file read fault (spf/faults/file_fault.c), as the
 * dispatcher (spf/faults/dispatch.c) calls it.
 */
bool spf_file_vma(const struct vm_area_struct *vma);
enum spf_abort spf_file_suitable(struct vm_area_struct *vma,
				 unsigned int flags);
enum spf_abort spf_file_try(struct spf_snapshot *snap,
			    struct spf_pte_walk *walk, unsigned long addr,
			    unsigned int *mapped);
struct folio *spf_file_lock_page(struct address_space *mapping,
				 pgoff_t index);
void spf_file_fault_init(struct dentry *debugfs_dir);

/*
 * The speculative file write fault (spf/faults/file_write.c), as the
 * dispatcher (spf/faults/dispatch.c) calls it.
 */
/* What the attempt holds, or has left to do, after the RCU section. */
struct spf_file_write {
	struct file *file;	/* pinned, or NULL */
	bool shared;		/* do_shared_fault()'s road, not do_cow_fault()'s */
	bool mapped;		/* the PTE is set */
	bool dirtied;		/* shared: set_page_dirty() dirtied the page */
};

int spf_file_write_init(void);
enum spf_abort spf_file_write_suitable(struct vm_area_struct *vma);
bool spf_file_write_pin(struct spf_snapshot *snap, struct spf_file_write *fw);
enum spf_abort spf_file_write_try(struct spf_snapshot *snap,
				  struct spf_pte_walk *walk, unsigned long addr,
				  struct folio *copy, struct spf_file_write *fw);
void spf_file_write_finish(struct spf_file_write *fw);

/*
 * The speculative huge-page fault (spf/faults/thp_fault.c), as the
 * dispatcher (spf/faults/dispatch.c) calls it.
 */
#ifdef CONFIG_TRANSPARENT_HUGEPAGE
bool spf_thp_enabled(void);
enum spf_abort spf_thp_try(struct spf_snapshot *snap,
			   struct spf_pte_walk *walk, unsigned long addr);
void spf_thp_fault_init(void);
#else
/* No huge pages (PREEMPT_RT, the userspace harness): never tried. */
static inline bool spf_thp_enabled(void)
{
	return false;
}

static inline enum spf_abort spf_thp_try(struct spf_snapshot *snap,
					 struct spf_pte_walk *walk,
					 unsigned long addr)
{
	return SPF_ABORT_PGTABLE;
}

static inline void spf_thp_fault_init(void)
{
}
#endif

/*
 * The speculative swap-cache fault (spf/faults/swap_fault.c), as the
 * dispatcher (spf/faults/dispatch.c) calls it.
 */
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
