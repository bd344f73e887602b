/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in: each simulated thread has its own task; simulated
 * threads never sleep in a task state.
 */
#ifndef _USPACE_LINUX_SCHED_H
#define _USPACE_LINUX_SCHED_H

#include <linux/kernel.h>
#include <linux/mm_types_task.h>

struct mm_struct;

struct task_struct {
	struct mm_struct *mm;
	unsigned long min_flt;
	struct task_rss_stat rss_stat;
};

extern __thread struct task_struct sim_task;
#define current			(&sim_task)

/* Simulated threads never sleep in a task state. */
#define TASK_RUNNING			0
#define __set_current_state(state)	((void)(state))

#endif
