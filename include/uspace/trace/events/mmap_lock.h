/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in: the mmap_lock_acquire_returned tracepoint, whose
 * probes tests/userspace/sim.c fires on a write acquisition.
 */
#ifndef _USPACE_TRACE_EVENTS_MMAP_LOCK_H
#define _USPACE_TRACE_EVENTS_MMAP_LOCK_H

#include <linux/tracepoint.h>

struct mm_struct;

typedef void (*sim_mmap_lock_probe_t)(void *data, struct mm_struct *mm,
				      const char *memcg_path, bool write,
				      bool success);
int register_trace_mmap_lock_acquire_returned(sim_mmap_lock_probe_t probe,
					      void *data);
int unregister_trace_mmap_lock_acquire_returned(sim_mmap_lock_probe_t probe,
						void *data);

#endif
