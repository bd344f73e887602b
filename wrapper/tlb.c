// SPDX-License-Identifier: GPL-2.0
/*
 * Where the kernel's tlb_remove_table() is; see include/wrapper/tlb.h.
 */
#include <wrapper/kallsyms.h>
#include <wrapper/tlb.h>

unsigned long spf_wrapper_tlb_remove_table(void)
{
	return spf_symbol_lookup("tlb_remove_table");
}
