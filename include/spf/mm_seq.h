/* SPDX-License-Identifier: GPL-2.0 */
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
#ifndef _SPF_MM_SEQ_H
#define _SPF_MM_SEQ_H

#include <linux/mm_types.h>

struct dentry;

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

#endif
