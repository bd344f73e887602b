// SPDX-License-Identifier: GPL-2.0
/*
 * The walk from the pgd to the PTE without mmap_lock, under
 * rcu_read_lock() with interrupts on.
 *
 * Why it cannot touch freed memory: every table it can reach was
 * reachable from the pgd when the walk read the entry pointing at it;
 * while spf is loaded a table is freed only after the entry pointing
 * at it was cleared and a grace period passed (pgtable_rcu/
 * pgtable_free.c), so it outlives this RCU read section, and so does
 * its split lock.  The pgd itself lives as long as the mm, which the
 * faulting task holds.
 *
 * Why what it reads is usable: each entry is read once (READ_ONCE) and
 * the next level is located from that copy (the *_offset_lockless
 * helpers, as GUP-fast does), never by re-reading the live entry, so
 * a concurrent change cannot make the walk mix two tables.  A none or
 * huge entry at pgd, p4d or pud, and anything but a present table at
 * the pmd (none, huge, bad, migration), ends the walk: those are stock
 * work, and so is a PTE that is neither none nor present (swap,
 * migration, device entries).  Like GUP-fast and stock's own walk
 * (p4d_alloc(), pud_alloc()), it does not test the upper levels for
 * corruption (*_bad()); the pmd is tested as stock's
 * pmd_trans_unstable() tests it.  The
 * values are only a guess; spf_walk_still_valid() checks them under the
 * PTE lock.
 */
#include <linux/mm.h>
#include <linux/pgtable.h>
#include <spf/pgtable_rcu.h>

/* Call under rcu_read_lock(). */
enum spf_abort spf_walk_to_pte(struct mm_struct *mm, unsigned long addr,
			       struct spf_pte_walk *walk)
{
	pgd_t *pgdp, pgd;
	p4d_t *p4dp, p4d;
	pud_t *pudp, pud;

	RCU_LOCKDEP_WARN(!rcu_read_lock_held(),
			 "spf: page-table walk outside rcu_read_lock()");
	walk->no_table = false;
	pgdp = pgd_offset(mm, addr);
	pgd = READ_ONCE(*pgdp);
	if (pgd_none(pgd))
		return SPF_ABORT_PGTABLE;

	p4dp = p4d_offset_lockless(pgdp, pgd, addr);
	p4d = READ_ONCE(*p4dp);
	if (p4d_none(p4d))
		return SPF_ABORT_PGTABLE;

	pudp = pud_offset_lockless(p4dp, p4d, addr);
	pud = READ_ONCE(*pudp);
	if (pud_none(pud) || pud_leaf(pud))
		return SPF_ABORT_PGTABLE;

	walk->pmdp = pmd_offset_lockless(pudp, pud, addr);
	walk->pmd = READ_ONCE(*walk->pmdp);
	walk->no_table = pmd_none(walk->pmd);
	if (pmd_none(walk->pmd) || !pmd_present(walk->pmd) ||
	    pmd_leaf(walk->pmd) || pmd_devmap(walk->pmd) ||
	    pmd_bad(walk->pmd))
		return SPF_ABORT_PGTABLE;

	walk->ptep = pte_offset_kernel(&walk->pmd, addr);
	walk->pte = ptep_get(walk->ptep);
	walk->ptl = pte_lockptr(mm, &walk->pmd);
	if (!pte_none(walk->pte) && !pte_present(walk->pte))
		return SPF_ABORT_PTE;	/* spf/faults/swap_fault.c may take it */
	return SPF_ABORT_NONE;
}

/*
 * Under walk->ptl: is the pmd still the one the walk followed (then the
 * table is live and walk->ptl is its lock) and the PTE still the value
 * found (none as pte_none() sees it, the way stock compares a none PTE)?
 */
bool spf_walk_still_valid(const struct spf_pte_walk *walk)
{
	pte_t pte;

	lockdep_assert_held(walk->ptl);
	if (!pmd_same(READ_ONCE(*walk->pmdp), walk->pmd))
		return false;
	pte = ptep_get(walk->ptep);
	if (pte_none(walk->pte))
		return pte_none(pte);
	return pte_same(pte, walk->pte);
}
