/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A VMA found without mmap_lock and copied: the fault works from the
 * copy, never from the live VMA, so a writer changing the VMA after
 * the copy cannot make the fault use half-old, half-new fields.  The
 * copy is worth something only while spf_mm_seq_changed(mm, seq) says
 * no write section overlapped; the fault checks that again under the
 * PTE lock before committing.
 */
#ifndef _SPF_SNAPSHOT_H
#define _SPF_SNAPSHOT_H

#include <linux/mm_types.h>
#include <spf/outcome.h>

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

#endif
