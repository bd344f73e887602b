// SPDX-License-Identifier: GPL-2.0
/*
 * set_pte_at() calls mte_sync_tags(), which 6.1 does not export.  spf
 * never maps a tagged page (VM_MTE VMAs stay stock) over a swap entry,
 * so the call is not expected, but if made it goes to the kernel's own,
 * resolved here at load; see include/wrapper/mte.h.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <asm/mte.h>
#include <wrapper/kallsyms.h>
#include <wrapper/mte.h>

static void (*spf_mte_sync_tags)(pte_t old_pte, pte_t pte);

void mte_sync_tags(pte_t old_pte, pte_t pte)
{
	spf_mte_sync_tags(old_pte, pte);
}

int spf_wrapper_mte_init(void)
{
	return spf_resolve(spf_mte_sync_tags, "mte_sync_tags",
			   "by set_pte_at() on MTE kernels");
}
