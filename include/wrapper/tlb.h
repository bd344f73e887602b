/* SPDX-License-Identifier: GPL-2.0 */
/*
 * struct mmu_gather for spf.  x86 hides its TLB flush API from modules
 * (asm/tlbflush.h is "#ifndef MODULE"), so its asm/tlb.h does not
 * compile in a module.  spf never flushes through a gather; it only
 * reads and fills tlb->batch, so on x86 it takes the generic layout
 * with a tlb_flush() that is never called.
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

#endif
