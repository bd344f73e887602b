// SPDX-License-Identifier: GPL-2.0
/*
 * Look-up of the page-table allocation internals; see
 * include/wrapper/pgalloc.h.  Those the speculative table install calls
 * are optional (without them tables stay stock); ptlock_free() as a
 * hook target is not.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <wrapper/kallsyms.h>
#include <wrapper/pgalloc.h>

struct spf_pgalloc_internal spf_pgalloc;

bool spf_wrapper_pgalloc_init(void)
{
	bool ok = true;

	if (IS_ENABLED(CONFIG_LOCKDEP)) {
		spf_pgalloc.pte_alloc_one =
			(void *)spf_symbol_lookup("pte_alloc_one");
		ok = spf_pgalloc.pte_alloc_one;
	} else if (ALLOC_SPLIT_PTLOCKS) {
		spf_pgalloc.ptlock_alloc =
			(void *)spf_symbol_lookup("ptlock_alloc");
		ok = spf_pgalloc.ptlock_alloc;
	}
	if (ALLOC_SPLIT_PTLOCKS) {
		spf_pgalloc.ptlock_free =
			(void *)spf_symbol_lookup("ptlock_free");
		ok = ok && spf_pgalloc.ptlock_free;
	}
	return ok;
}

int spf_wrapper_ptlock_free_hook(unsigned long *addr)
{
	return spf_resolve(*addr, "ptlock_free",
			   "to defer freeing split page-table locks");
}
