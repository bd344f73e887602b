// SPDX-License-Identifier: GPL-2.0
/*
 * Look-up of stack_trace_save_tsk(); see include/wrapper/stacktrace.h.
 */
#include <wrapper/kallsyms.h>
#include <wrapper/stacktrace.h>

static unsigned int (*spf_kernel_stack_trace_save_tsk)(struct task_struct *task,
							unsigned long *store,
							unsigned int size,
							unsigned int skip);

bool spf_wrapper_stacktrace_init(void)
{
	spf_kernel_stack_trace_save_tsk =
		(void *)spf_symbol_lookup("stack_trace_save_tsk");
	return spf_kernel_stack_trace_save_tsk;
}

unsigned int spf_stack_trace_save_tsk(struct task_struct *task,
				      unsigned long *store, unsigned int size,
				      unsigned int skip)
{
	return spf_kernel_stack_trace_save_tsk(task, store, size, skip);
}
