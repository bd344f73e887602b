/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in: the simulated page-table geometry and entry bits.
 * 16 entries a table: a PTE table maps 64 KiB, a PMD table 1 MiB, a PUD
 * table 16 MiB, the PGD 256 MiB, so a small arena has many tables of
 * every level to free.
 */
#ifndef _USPACE_ASM_PGTABLE_TYPES_H
#define _USPACE_ASM_PGTABLE_TYPES_H

#include <asm/page.h>

#define SIM_PTRS_SHIFT		4
#define PTRS_PER_PTE		(1 << SIM_PTRS_SHIFT)
#define PTRS_PER_PMD		PTRS_PER_PTE
#define PTRS_PER_PUD		PTRS_PER_PTE
#define PTRS_PER_PGD		PTRS_PER_PTE
#define PMD_SHIFT		(PAGE_SHIFT + SIM_PTRS_SHIFT)
#define PUD_SHIFT		(PMD_SHIFT + SIM_PTRS_SHIFT)
#define PGDIR_SHIFT		(PUD_SHIFT + SIM_PTRS_SHIFT)
#define SIM_TASK_SIZE		(1UL << (PGDIR_SHIFT + SIM_PTRS_SHIFT))

/* Entry bits; tables are 256-byte aligned, pages 64. */
#define _PAGE_PRESENT		0x01UL
#define _PAGE_READ		0x02UL
#define _PAGE_RW		0x04UL
#define _PAGE_DIRTY		0x08UL
#define _PAGE_SPECIAL		0x10UL
#define _PAGE_PSE		0x20UL	/* leaf above the PTE level */
#define _PAGE_TABLE		0x40UL	/* points to a table */
#define SIM_FLAG_MASK		0xffUL
#define SIM_PFN_SHIFT		8

typedef struct { unsigned long pte; } pte_t;
typedef struct { unsigned long pmd; } pmd_t;
typedef struct { unsigned long pud; } pud_t;
typedef struct { unsigned long pgd; } pgd_t;
typedef struct { pgd_t pgd; } p4d_t;	/* folded */
typedef struct { unsigned long pgprot; } pgprot_t;

#define pte_val(x)		((x).pte)
#define pmd_val(x)		((x).pmd)
#define pud_val(x)		((x).pud)
#define pgd_val(x)		((x).pgd)
#define pgprot_val(x)		((x).pgprot)
#define __pte(x)		((pte_t) { (x) })
#define __pgprot(x)		((pgprot_t) { (x) })

#endif
