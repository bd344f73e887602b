/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in: tests/userspace/sim.c's page tables, and the
 * lockless walk over them.  A table is its 16 entries, then its struct
 * page and the simulation's tags; every step of a walk checks that the
 * table it reaches is live, so a walk into a freed table fails the run.
 */
#ifndef _USPACE_LINUX_PGTABLE_H
#define _USPACE_LINUX_PGTABLE_H

#include <linux/mm_types.h>
#include <uspace_harness.h>

/* A table: 16 entries, then its struct page and the simulation's tags. */
#define SIM_TABLE_ALIGN		256UL
#define SIM_TABLE_LIVE		0x7ab1e11feUL
#define SIM_TABLE_DEAD		0xdead7ab1eUL
#define SIM_TABLE_POISON	0x9015077abUL

struct sim_table {
	unsigned long entry[PTRS_PER_PTE];
	struct page page;
	unsigned long magic;
	int level;			/* 1 pte, 2 pmd, 3 pud, 4 pgd */
	unsigned long base;		/* first address it maps */
	unsigned long unlinked;		/* sim_rcu_stamp() when unlinked */
} __attribute__((aligned(SIM_TABLE_ALIGN)));

static_assert(sizeof(struct sim_table) == SIM_TABLE_ALIGN,
	      "a table's entries are found by aligning an entry pointer");

extern struct sim_table sim_poison_table;

static inline struct sim_table *sim_table_of_entry(const void *entryp)
{
	return (struct sim_table *)((uintptr_t)entryp & ~(SIM_TABLE_ALIGN - 1));
}

/* The table an entry points to; it must be live, at the right level. */
static inline struct sim_table *sim_table_at(unsigned long entry, int level,
					     const char *what)
{
	struct sim_table *t = (struct sim_table *)(entry & ~SIM_FLAG_MASK);

	sim_delay(sim_delay_permille);	/* widen: entry read, table used */
	if (READ_ONCE(t->magic) != SIM_TABLE_LIVE || t->level != level)
		sim_fail("%s reached a freed table %p (magic %#lx, level %d)",
			 what, (void *)t, READ_ONCE(t->magic), t->level);
	return t;
}

static inline void sim_entry_check(const void *entryp, const char *what)
{
	struct sim_table *t = sim_table_of_entry(entryp);

	if (READ_ONCE(t->magic) != SIM_TABLE_LIVE)
		sim_fail("%s: entry %p is in a freed table (magic %#lx)",
			 what, entryp, READ_ONCE(t->magic));
}

#define pgd_index(a)		(((a) >> PGDIR_SHIFT) & (PTRS_PER_PGD - 1))
#define pud_index(a)		(((a) >> PUD_SHIFT) & (PTRS_PER_PUD - 1))
#define pmd_index(a)		(((a) >> PMD_SHIFT) & (PTRS_PER_PMD - 1))
#define pte_index(a)		(((a) >> PAGE_SHIFT) & (PTRS_PER_PTE - 1))

static inline int sim_table_entry_bad(unsigned long v)
{
	return (v & (_PAGE_PRESENT | _PAGE_TABLE)) !=
	       (_PAGE_PRESENT | _PAGE_TABLE);
}

#define pgd_none(x)		(pgd_val(x) == 0)
#define pgd_bad(x)		sim_table_entry_bad(pgd_val(x))
#define p4d_none(x)		0
#define p4d_bad(x)		0
#define pud_none(x)		(pud_val(x) == 0)
#define pud_leaf(x)		(!!(pud_val(x) & _PAGE_PSE))
#define pud_bad(x)		sim_table_entry_bad(pud_val(x))
#define pmd_none(x)		(pmd_val(x) == 0)
#define pmd_present(x)		(!!(pmd_val(x) & _PAGE_PRESENT))
#define pmd_leaf(x)		(!!(pmd_val(x) & _PAGE_PSE))
#define pmd_devmap(x)		0
#define pmd_bad(x)		sim_table_entry_bad(pmd_val(x))
#define pmd_same(a, b)		(pmd_val(a) == pmd_val(b))
#define pte_none(x)		(pte_val(x) == 0)
#define pte_present(x)		(!!(pte_val(x) & _PAGE_PRESENT))
#define pte_same(a, b)		(pte_val(a) == pte_val(b))

static inline pgd_t *pgd_offset_pgd(pgd_t *pgd, unsigned long addr)
{
	return pgd + pgd_index(addr);
}

#define pgd_offset(mm, addr)	pgd_offset_pgd((mm)->pgd, (addr))

static inline p4d_t *p4d_offset_lockless(pgd_t *pgdp, pgd_t pgd,
					 unsigned long addr)
{
	return (p4d_t *)pgdp;
}

static inline pud_t *pud_offset_lockless(p4d_t *p4dp, p4d_t p4d,
					 unsigned long addr)
{
	struct sim_table *t = sim_table_at(pgd_val(p4d.pgd), 3, "pud walk");

	return (pud_t *)&t->entry[pud_index(addr)];
}

static inline pmd_t *pmd_offset_lockless(pud_t *pudp, pud_t pud,
					 unsigned long addr)
{
	struct sim_table *t = sim_table_at(pud_val(pud), 2, "pmd walk");

	return (pmd_t *)&t->entry[pmd_index(addr)];
}

static inline pte_t *pte_offset_kernel(pmd_t *pmdp, unsigned long addr)
{
	struct sim_table *t = sim_table_at(pmd_val(*pmdp), 1, "pte walk");

	return (pte_t *)&t->entry[pte_index(addr)];
}

static inline pte_t ptep_get(pte_t *ptep)
{
	sim_entry_check(ptep, "ptep_get");
	return READ_ONCE(*ptep);
}

static inline struct page *pmd_page(pmd_t pmd)
{
	return &sim_table_at(pmd_val(pmd), 1, "pmd_page")->page;
}

static inline spinlock_t *pte_lockptr(struct mm_struct *mm, pmd_t *pmdp)
{
	spinlock_t *ptl = READ_ONCE(pmd_page(*pmdp)->ptl);

	sim_delay(sim_delay_permille);	/* widen: walk read, lock taken */
	return ptl;
}

static inline unsigned long page_to_pfn(const struct page *page)
{
	return (uintptr_t)page >> 6;
}

static inline struct page *pfn_to_page(unsigned long pfn)
{
	return (struct page *)(pfn << 6);
}

static inline pte_t pfn_pte(unsigned long pfn, pgprot_t prot)
{
	return __pte((pfn << SIM_PFN_SHIFT) | pgprot_val(prot) |
		     _PAGE_PRESENT);
}

static inline unsigned long pte_pfn(pte_t pte)
{
	return pte_val(pte) >> SIM_PFN_SHIFT;
}

#define pte_page(pte)		pfn_to_page(pte_pfn(pte))
/* Only for a table a fault adds, which the sim never does. */
#define page_address(page)	((void *)(page))
#define mk_pte(page, prot)	pfn_pte(page_to_pfn(page), (prot))
#define pte_mkspecial(p)	__pte(pte_val(p) | _PAGE_SPECIAL)
#define pte_mkwrite(p)		__pte(pte_val(p) | _PAGE_RW)
#define pte_mkdirty(p)		__pte(pte_val(p) | _PAGE_DIRTY)
#define pte_sw_mkyoung(p)	(p)
#define pte_special(p)		(!!(pte_val(p) & _PAGE_SPECIAL))
#define pte_write(p)		(!!(pte_val(p) & _PAGE_RW))

extern struct page sim_zero_page;
#define my_zero_pfn(addr)	page_to_pfn(&sim_zero_page)

#endif
