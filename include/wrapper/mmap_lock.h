/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one place that reads mmap_lock's internal state.
 *
 * 6.1 offers no "is this rwsem write-locked" helper.  The answer is in
 * the lock word: on !PREEMPT_RT, bit 0 of rw_semaphore.count is
 * RWSEM_WRITER_LOCKED (private to kernel/locking/rwsem.c, stable since
 * 5.3); on PREEMPT_RT, rwbase_rt.readers leaves READER_BIAS as soon as a
 * writer starts to take the lock and returns to it when the writer is
 * done.  A racy read is all the callers need: see vma_lookup/mm_seq.c.
 */
#ifndef _SPF_WRAPPER_MMAP_LOCK_H
#define _SPF_WRAPPER_MMAP_LOCK_H

#include <linux/mm_types.h>
#include <linux/rwsem.h>

#ifdef CONFIG_PREEMPT_RT
#include <linux/rwbase_rt.h>

static inline bool spf_mmap_write_locked(struct mm_struct *mm)
{
	return atomic_read(&mm->mmap_lock.rwbase.readers) != READER_BIAS;
}
#else
#define SPF_RWSEM_WRITER_LOCKED	(1UL << 0)

static inline bool spf_mmap_write_locked(struct mm_struct *mm)
{
	return atomic_long_read(&mm->mmap_lock.count) &
	       SPF_RWSEM_WRITER_LOCKED;
}
#endif

#endif
