/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The ftrace internals spf reads and 6.1 does not export to modules,
 * each looked up by wrapper/ftrace.c when asked, each optional.
 */
#ifndef _SPF_WRAPPER_FTRACE_H
#define _SPF_WRAPPER_FTRACE_H

/*
 * The sysctl kernel.ftrace_enabled, or NULL where kallsyms lists no
 * data symbols.
 */
const int *spf_wrapper_ftrace_enabled(void);

/*
 * ftrace_location(IP): the ftrace call site of the function at IP, 0 if
 * none or if the function cannot be found.
 */
unsigned long spf_ftrace_location(unsigned long ip);

/* Where function_graph sends a traced function's return, or 0. */
unsigned long spf_wrapper_return_to_handler(void);

#endif
