// SPDX-License-Identifier: GPL-2.0
/*
 * Turning faults down before redirecting them.
 *
 * A fault spf hands back costs more than a stock one: the lock_mm hook
 * redirects it, the lookup runs under RCU, and the stock lookup is
 * called through the hook again.  Faults on file and special mappings
 * come in runs (a process writes or reads a mapped file page after
 * page), so each CPU remembers the last such VMA the lookup met: its
 * mm, its range and the mm's write count at the time.  The lock_mm
 * hook (spf/hooks/hooks.c) asks before redirecting a call; a hit goes
 * stock at once, counted and traced as the abort it would have been.
 *
 * Why a hit is right: the entry is written only after the count was
 * re-read unchanged, so the range and the VMA's kind were one state of
 * the tree; a hit needs the same count now and no writer holding the
 * lock, so no write section has run since, and only write sections
 * change which VMA covers an address or make a VMA anonymous.  An mm
 * freed and reused at the same address has had its count moved by
 * exit_mmap()'s write section.  And were a hit ever wrong, the fault
 * would only take the stock path, which is always correct.
 *
 * The entry is per CPU and read or written with preemption disabled;
 * faults on user addresses, the only callers, run in task context.
 */
#include <linux/percpu.h>
#include <linux/preempt.h>
#include <spf/vma_lookup.h>

struct spf_decline {
	struct mm_struct *mm;
	unsigned long start;
	unsigned long end;
	unsigned long seq;
};

static DEFINE_PER_CPU(struct spf_decline, spf_decline);

void spf_decline_note(struct mm_struct *mm, unsigned long start,
		      unsigned long end, unsigned long seq)
{
	struct spf_decline *d;

	preempt_disable();
	d = this_cpu_ptr(&spf_decline);
	d->mm = mm;
	d->start = start;
	d->end = end;
	d->seq = seq;
	preempt_enable();
}

/*
 * Asked before every lock_mm redirection: the per-CPU compare comes
 * first, so that a fault the entry does not cover (every speculative
 * one) costs no read of the count.
 */
bool spf_decline_hit(struct mm_struct *mm, unsigned long addr)
{
	struct spf_decline *d;
	unsigned long noted, seq;
	bool near;

	preempt_disable();
	d = this_cpu_ptr(&spf_decline);
	near = d->mm == mm && addr >= d->start && addr < d->end;
	noted = d->seq;
	preempt_enable();
	return near && spf_mm_seq_begin(mm, &seq) && seq == noted;
}
