/* SPDX-License-Identifier: GPL-2.0 */
/*
 * stack_trace_save_tsk(), which 6.1 does not export to modules, looked
 * up at load by wrapper/stacktrace.c; optional (spf/hooks/hooks.c reports
 * what holds up an unload with it).
 */
#ifndef _SPF_WRAPPER_STACKTRACE_H
#define _SPF_WRAPPER_STACKTRACE_H

#include <linux/types.h>

struct task_struct;

/* Looks stack_trace_save_tsk() up: is it there? */
bool spf_wrapper_stacktrace_init(void);

/* stack_trace_save_tsk(); only once the init said it is there. */
unsigned int spf_stack_trace_save_tsk(struct task_struct *task,
				      unsigned long *store, unsigned int size,
				      unsigned int skip);

#endif
