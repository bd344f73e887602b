/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one place that reads mmap_lock's internal state.
 *
 * 6.1 offers no "is this rwsem write-locked" helper.  The answer is in
 * the lock word: on !PREEMPT_RT, bit 0 of rw_semaphore.count is
 * RWSEM_WRITER_LOCKED (private to kernel/locking/rwsem.c, stable since
 * 5.3).  On PREEMPT_RT, rwbase_rt.readers is READER_BIAS (negative as an
 * int) plus the number of readers while only readers use the lock; a
 * writer subtracts the bias as it starts to take the lock, so the word
 * stays non-negative (readers draining, then WRITER_BIAS) until the
 * writer releases it.  "Not negative" is the writer test; "not
 * READER_BIAS" (rw_base_is_locked) would take every reader for a
 * writer.  A racy read is all the callers need: see vma_lookup/mm_seq.c.
 */
#ifndef _SPF_WRAPPER_MMAP_LOCK_H
#define _SPF_WRAPPER_MMAP_LOCK_H

#include <linux/mm_types.h>
#include <linux/rwsem.h>

#ifdef CONFIG_PREEMPT_RT
#include <linux/rwbase_rt.h>

static inline bool spf_mmap_write_locked(struct mm_struct *mm)
{
	return atomic_read(&mm->mmap_lock.rwbase.readers) >= 0;
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
