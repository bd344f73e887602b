/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in: the fault event, counted in tests/userspace/sim.c.
 */
#ifndef _USPACE_LINUX_VMSTAT_H
#define _USPACE_LINUX_VMSTAT_H

enum vm_event_item { PGFAULT, NR_VM_EVENT_ITEMS };

extern unsigned long sim_vm_events[NR_VM_EVENT_ITEMS];
#define count_vm_event(item)						\
	__atomic_fetch_add(&sim_vm_events[item], 1, __ATOMIC_RELAXED)

#endif
