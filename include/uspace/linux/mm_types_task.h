/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in: the mm's RSS counters, and a task's cached ones.
 */
#ifndef _USPACE_LINUX_MM_TYPES_TASK_H
#define _USPACE_LINUX_MM_TYPES_TASK_H

enum { MM_FILEPAGES, MM_ANONPAGES, MM_SWAPENTS, MM_SHMEMPAGES,
	NR_MM_COUNTERS };

struct task_rss_stat {
	int events;
	int count[NR_MM_COUNTERS];
};

#endif
