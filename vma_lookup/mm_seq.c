// SPDX-License-Identifier: GPL-2.0
/*
 * Per-mm write sequence counts, kept from the mmap_lock tracepoints.
 *
 * mm_struct has no room for spf, so the counts live in a table indexed
 * by a hash of the mm pointer.  Two mms sharing a slot only make each
 * other's speculation abort needlessly; they can never hide a write.
 *
 * Two facts of 6.1 carry the argument:
 *  (a) every write acquisition of mmap_lock goes through the
 *      mmap_write_lock*() wrappers, which fire
 *      mmap_lock_acquire_returned(write=true, success=true) after the
 *      lock is held and before the holder changes anything (a failed
 *      trylock fires it with success=false and changes nothing);
 *  (b) while a writer holds the lock, the lock word says so
 *      (include/wrapper/mmap_lock.h).
 *
 * Writer side (the probe): on a successful write acquisition, bump the
 * slot (writers of other mms may share it) with a fully ordered atomic,
 * atomic_long_inc_return().  It orders every access before it, the
 * lock-word store that set the writer bit included, before the bump,
 * and the bump before everything the section then does.  The first
 * half matters on arm64: down_write() is only an acquire, so its RMW's
 * store (casa, or ldaxr/stxr; on PREEMPT_RT the relaxed atomic_sub()
 * on readers) could otherwise reach other CPUs after the store of a
 * later relaxed increment.  In the ARMv8 model the bump's store is a
 * release (ldaddal's L, or stlxr), so the lock-word store is ordered
 * before it, and arm64 is other-multi-copy-atomic: a CPU that reads
 * the new count and then, after a dmb ishld (smp_rmb), the lock word
 * reads the writer's store or one coherence-after it.  In LKMM terms
 * this is message passing, a full barrier between the writes and
 * smp_rmb() between the reads: the new count with the old lock word
 * is forbidden.
 * Cheapest on both arches: x86-64's lock xadd costs what lock inc did
 * (TSO never reordered the two stores); arm64's is one ldaddal with
 * LSE (ldxr/stlxr and a dmb without), no dearer than the relaxed add
 * and smp_mb__after_atomic() it replaces; smp_mb__before_atomic()
 * before them would have added a dmb.
 *
 * Reader side: spf_mm_seq_begin() reads the slot, smp_rmb(), and fails
 * if a writer holds the lock.  After reading what it needs,
 * spf_mm_seq_changed() issues smp_rmb() and re-reads the slot.  A write
 * section overlapping the window [begin, changed] either
 *  - was in progress at begin's lock check: (b) makes begin fail; if
 *    begin read the count this section bumped, the ordering above
 *    makes its check see the writer bit or a value stored after it,
 *    never the word from before the acquisition, or
 *  - started after it: by (a) its bump precedes its first store; if the
 *    reader saw any of its stores, the smp_wmb/smp_rmb pair makes the
 *    re-read see the bump too.
 * So a window that begins and is not "changed" saw no write section's
 * partial work.  Release and downgrade need no event: a reader whose
 * window overlapped the writing part was caught by one of the two cases.
 * The same holds for a section that started before this module was
 * loaded, for the faulting task holding the lock itself, and for fork
 * (dup_mmap write-locks both mms through the wrappers).
 *
 * Begin's lock-word check is itself ordered before the reads that
 * follow (a second smp_rmb()): a branch on a load does not order later
 * loads on arm64, so a reader could otherwise copy the VMA while a
 * section is still writing it, then read the lock word after that
 * section's release and begin at the count that section bumped; the
 * re-read would then find nothing changed.
 *
 * The install fence.  Writers skip a none pmd without any lock, so a
 * fault that publishes a PTE table or a huge pmd must not be between
 * its last check of the count and its pmd store when a write section
 * starts (pgtable_rcu/pte_table.c).  The fault holds its slot's install
 * lock across that check and store; the probe, after its bump, takes and
 * releases the same lock.  Either the install finished first (the
 * writer then meets the pmd filled), or the bump came first (the
 * install's check sees it and gives up).  The lock is a raw spinlock
 * because the probe runs where sleeping is not allowed: a tracepoint
 * calls its probes with preemption disabled, and on PREEMPT_RT a
 * spinlock_t (mm->page_table_lock, the fence's first form) is a
 * sleeping lock.  Nothing that can sleep on RT runs under it: only the
 * count check and the pmd store with what must precede it.
 *
 * Attaching this probe makes 6.1 format a memcg path on every
 * acquisition; spf/hooks/mm_seq_traced.c keeps stock faults from
 * paying for it, calling the probe's body itself.
 *
 * tests/userspace builds this file against liburcu and, to prove that
 * its torture would notice, without the barriers (SPF_BROKEN_NO_RMB),
 * without begin's lock check (SPF_BROKEN_ACCEPT_WRITER), or with the
 * relaxed bump this replaced (SPF_BROKEN_BUMP_BEFORE_LOCK); see
 * include/spf/broken.h.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cache.h>
#include <linux/debugfs.h>
#include <linux/hash.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/tracepoint.h>
#include <trace/events/mmap_lock.h>
#include <spf/broken.h>
#include <spf/vma_lookup.h>
#include <wrapper/mmap_lock.h>

#define SPF_MM_SEQ_BITS	10

struct spf_mm_seq_slot {
	atomic_long_t seq;
	raw_spinlock_t install;	/* the install fence, see above */
} ____cacheline_aligned_in_smp;

static struct spf_mm_seq_slot spf_mm_seq_table[1 << SPF_MM_SEQ_BITS];

static struct spf_mm_seq_slot *spf_mm_seq_slot(struct mm_struct *mm)
{
	return &spf_mm_seq_table[hash_ptr(mm, SPF_MM_SEQ_BITS)];
}

void spf_mm_seq_acquired(void *data, struct mm_struct *mm,
			 const char *memcg_path, bool write, bool success)
{
	struct spf_mm_seq_slot *slot;

	if (!write || !success)
		return;
	slot = spf_mm_seq_slot(mm);
	/* Fully ordered: after the lock word, before the section (above). */
	if (SPF_BROKEN_BUMP_BEFORE_LOCK) {
		atomic_long_inc(&slot->seq);	/* may pass the lock word */
		smp_mb__after_atomic();
	} else {
		atomic_long_inc_return(&slot->seq);
	}
	/* An install that checked the count before the bump goes in first. */
	if (SPF_BROKEN_SLEEPING_FENCE) {
		spin_lock(&mm->page_table_lock);
		spin_unlock(&mm->page_table_lock);
		return;
	}
	raw_spin_lock(&slot->install);
	raw_spin_unlock(&slot->install);
}

/*
 * Held by a fault from its last spf_mm_seq_changed() to the pmd store
 * that publishes a table or a huge page: no write section of MM starts
 * in between.  Never held across anything that may sleep, RT included.
 */
void spf_mm_seq_install_lock(struct mm_struct *mm)
{
	if (SPF_BROKEN_SLEEPING_FENCE)
		spin_lock(&mm->page_table_lock);
	else
		raw_spin_lock(&spf_mm_seq_slot(mm)->install);
}

void spf_mm_seq_install_unlock(struct mm_struct *mm)
{
	if (SPF_BROKEN_SLEEPING_FENCE)
		spin_unlock(&mm->page_table_lock);
	else
		raw_spin_unlock(&spf_mm_seq_slot(mm)->install);
}

bool spf_mm_seq_begin(struct mm_struct *mm, unsigned long *seq)
{
	*seq = atomic_long_read(&spf_mm_seq_slot(mm)->seq);
	if (!SPF_BROKEN_NO_RMB)
		smp_rmb();	/* the count before the lock word */
	if (!SPF_BROKEN_ACCEPT_WRITER && spf_mmap_write_locked(mm))
		return false;
	if (!SPF_BROKEN_NO_RMB)
		smp_rmb();	/* the lock word before the VMA */
	return true;
}

bool spf_mm_seq_changed(struct mm_struct *mm, unsigned long seq)
{
	if (!SPF_BROKEN_NO_RMB)
		smp_rmb();	/* everything read since begin, before the count */
	return atomic_long_read(&spf_mm_seq_slot(mm)->seq) != seq;
}

/*
 * debugfs "mm_seq": the reading process's count and whether its
 * mmap_lock is write-held, so tests can check which operations bump it.
 */
static int spf_mm_seq_show(struct seq_file *m, void *v)
{
	struct mm_struct *mm = current->mm;

	if (!mm)
		return -EINVAL;
	seq_printf(m, "seq %ld\nwrite_locked %d\n",
		   atomic_long_read(&spf_mm_seq_slot(mm)->seq),
		   spf_mmap_write_locked(mm));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(spf_mm_seq);

int spf_mm_seq_init(struct dentry *debugfs_dir)
{
	unsigned int i;
	int ret;

	for (i = 0; i < ARRAY_SIZE(spf_mm_seq_table); i++)
		raw_spin_lock_init(&spf_mm_seq_table[i].install);

	ret = register_trace_mmap_lock_acquire_returned(spf_mm_seq_acquired,
							NULL);
	if (ret) {
		pr_err("cannot attach to tracepoint mmap_lock_acquire_returned (%d); refusing to load\n",
		       ret);
		return ret;
	}
	debugfs_create_file("mm_seq", 0444, debugfs_dir, NULL,
			    &spf_mm_seq_fops);
	return 0;
}

void spf_mm_seq_exit(void)
{
	unregister_trace_mmap_lock_acquire_returned(spf_mm_seq_acquired, NULL);
	/*
	 * No CPU may still run the probe when the module text goes away;
	 * nor the arch glue's, which spf_arch_exit() detached without
	 * waiting (include/spf/arch.h).
	 */
	tracepoint_synchronize_unregister();
}
