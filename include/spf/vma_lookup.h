/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The interface of vma_lookup/: the per-mm write count, the VMA snapshot
 * validated against it, and the cache of the last VMA turned down.
 */
#ifndef _SPF_VMA_LOOKUP_H
#define _SPF_VMA_LOOKUP_H

#include <linux/mm_types.h>
#include <spf/outcome.h>

struct dentry;

/*
 * Per-mm write sequence counts: has any mmap_lock write section
 * overlapped this window?  See vma_lookup/mm_seq.c for the argument.
 *
 *	if (!spf_mm_seq_begin(mm, &seq))
 *		goto fallback;			(a writer holds the lock)
 *	...read the VMA...
 *	if (spf_mm_seq_changed(mm, seq))
 *		goto fallback;			(a write section overlapped)
 */
bool spf_mm_seq_begin(struct mm_struct *mm, unsigned long *seq);
bool spf_mm_seq_changed(struct mm_struct *mm, unsigned long seq);

/* Around the last count check and the pmd store of a table install. */
void spf_mm_seq_install_lock(struct mm_struct *mm);
void spf_mm_seq_install_unlock(struct mm_struct *mm);

/* The probe on mmap_lock_acquire_returned: counts write acquisitions. */
void spf_mm_seq_acquired(void *data, struct mm_struct *mm,
			 const char *memcg_path, bool write, bool success);


int spf_mm_seq_init(struct dentry *debugfs_dir);
void spf_mm_seq_exit(void);

/*
 * A VMA found without mmap_lock and copied: the fault works from the
 * copy, never from the live VMA, so a writer changing the VMA after
 * the copy cannot make the fault use half-old, half-new fields.  The
 * copy is worth something only while spf_mm_seq_changed(mm, seq) says
 * no write section overlapped; the fault checks that again under the
 * PTE lock before committing.
 */
struct spf_snapshot {
	struct vm_area_struct vma;	/* only the fields listed in snapshot.c */
	unsigned long seq;
	/*
	 * The VMA copied: RCU-freed, valid until rcu_read_unlock(), for
	 * fields stock itself updates under the read lock (swap readahead)
	 */
	struct vm_area_struct *live;
};

/*
 * For a snapshot on the stack: spf_vma_snapshot() zeroes the copy
 * itself, so spare it the compiler's zeroing of every stack variable
 * (INIT_STACK_ALL_ZERO, as Debian builds): 168 bytes more per fault,
 * an out-of-line memset() on arm64.
 */
#if __has_attribute(__uninitialized__)
#define __spf_snapshot_uninit	__attribute__((__uninitialized__))
#else
#define __spf_snapshot_uninit
#endif

enum spf_abort spf_vma_snapshot(struct mm_struct *mm, unsigned long addr,
				struct spf_snapshot *snap);

/*
 * The last VMA this CPU's faults found spf cannot handle: lets the next
 * fault in it go stock without a redirection (vma_lookup/decline.c).
 */
/* [start, end) of mm was a file or special VMA while the count was seq. */
void spf_decline_note(struct mm_struct *mm, unsigned long start,
		      unsigned long end, unsigned long seq);
/* Is addr in the VMA noted last, with no write section since? */
bool spf_decline_hit(struct mm_struct *mm, unsigned long addr);

#endif
