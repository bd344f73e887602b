/* SPDX-License-Identifier: GPL-2.0 */
/*
 * struct mmu_gather for spf.  x86 hides its TLB flush API from modules
 * (asm/tlbflush.h is "#ifndef MODULE"), so its asm/tlb.h does not
 * compile in a module.  spf never flushes through a gather; it only
 * reads and fills tlb->batch, so on x86 it takes the generic layout
 * with a tlb_flush() that is never called.  wrapper/tlb.c finds
 * tlb_remove_table() itself, for the hook on it.
 */
#ifndef _SPF_WRAPPER_TLB_H
#define _SPF_WRAPPER_TLB_H

#ifdef CONFIG_X86
#include <linux/mm.h>
struct mmu_gather;
#define tlb_flush tlb_flush
static inline void tlb_flush(struct mmu_gather *tlb)
{
}
#include <asm-generic/tlb.h>
#else
#include <asm/tlb.h>
#endif

/*
 * The address of the kernel's tlb_remove_table() (wrapper/tlb.c), 0 if
 * kallsyms does not know it: x86's paravirt op may point elsewhere.
 */
unsigned long spf_wrapper_tlb_remove_table(void);

#endif
