/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one place that knows how spf finds kernel functions that are not
 * exported to modules (wrapper/kallsyms.c), in the style of
 * lttng-modules' wrapper/.  Each wrapper/ file stands in for the kernel
 * header it is named after, resolves its symbols here at load time and
 * offers typed calls, so a kernel that lacks a symbol is refused at
 * insmod with the symbol's name instead of failing later.
 *
 * spf_symbol_lookup() and spf_resolve() are for wrapper/ only; the rest
 * of spf uses the typed calls, and below, the load-time entry and the
 * resolution of the functions its hook table names by symbol.
 */
#ifndef _SPF_WRAPPER_KALLSYMS_H
#define _SPF_WRAPPER_KALLSYMS_H

int spf_symbols_init(void);
unsigned long spf_symbol_lookup(const char *name);

/*
 * The function a hook of spf/hooks/hooks.c's table names: its address into
 * *ADDR, or an error naming it and -ENOENT.
 */
int spf_hook_target_resolve(unsigned long *addr, const char *symbol);

/* The same for a hook target that may be missing (inlined): 0 then. */
unsigned long spf_hook_target_find(const char *symbol);

/* debug_require_symbol=NAME: refuse the load unless NAME is there. */
int spf_symbol_require(const char *name);

/*
 * Resolve NAME into *PTR (a function pointer of the right type), or log
 * an error naming the symbol and why spf needs it, and return -ENOENT.
 */
#define spf_resolve(ptr, name, why)					\
	({								\
		unsigned long __a = spf_symbol_lookup(name);		\
		int __ret = 0;						\
		if (!__a) {						\
			pr_err("kernel lacks symbol %s, needed %s; refusing to load\n", \
			       name, why);				\
			__ret = -ENOENT;				\
		} else {						\
			*(unsigned long *)&(ptr) = __a;			\
		}							\
		__ret;							\
	})

#endif
