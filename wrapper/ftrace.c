// SPDX-License-Identifier: GPL-2.0
/*
 * Look-ups of the ftrace internals of include/wrapper/ftrace.h.
 */
#include <wrapper/ftrace.h>
#include <wrapper/kallsyms.h>

const int *spf_wrapper_ftrace_enabled(void)
{
	return (const int *)spf_symbol_lookup("ftrace_enabled");
}

unsigned long spf_ftrace_location(unsigned long ip)
{
	unsigned long (*location)(unsigned long ip);

	location = (void *)spf_symbol_lookup("ftrace_location");
	return location ? location(ip) : 0;
}

unsigned long spf_wrapper_return_to_handler(void)
{
	return spf_symbol_lookup("return_to_handler");
}
