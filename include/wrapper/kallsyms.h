/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one place that knows how spf finds kernel functions that are not
 * exported to modules (wrapper/kallsyms.c), in the style of
 * lttng-modules' wrapper/: only wrapper/ includes this header.  Each
 * wrapper/ file stands in for the kernel header it is named after,
 * resolves its symbols here at load time and offers typed calls, so a
 * kernel that lacks a symbol is refused at insmod with the symbol's name
 * instead of failing later.
 */
#ifndef _SPF_WRAPPER_KALLSYMS_H
#define _SPF_WRAPPER_KALLSYMS_H

int spf_symbols_init(void);
unsigned long spf_symbol_lookup(const char *name);

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
