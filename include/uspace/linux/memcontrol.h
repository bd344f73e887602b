/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in: memory cgroups are off.
 */
#ifndef _USPACE_LINUX_MEMCONTROL_H
#define _USPACE_LINUX_MEMCONTROL_H

#include <linux/types.h>

struct task_struct;

struct mem_cgroup;
static inline bool mem_cgroup_disabled(void)
{
	return true;
}

static inline struct mem_cgroup *mem_cgroup_from_task(struct task_struct *p)
{
	return NULL;
}

#endif
