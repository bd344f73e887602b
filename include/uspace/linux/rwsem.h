/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in: the mmap_lock rwsem, with 6.1's count layout:
 * RWSEM_WRITER_LOCKED in bit 0, as include/wrapper/mmap_lock.h reads it.
 * tests/userspace/sim.c takes and releases it; a successful write
 * acquisition fires the mmap_lock_acquire_returned probes.
 */
#ifndef _USPACE_LINUX_RWSEM_H
#define _USPACE_LINUX_RWSEM_H

#include <linux/atomic.h>

#define SIM_RWSEM_WRITER_LOCKED	(1UL << 0)
#define SIM_RWSEM_WRITER_WAITING (1UL << 1)
#define SIM_RWSEM_READER_BIAS	(1UL << 8)

struct rw_semaphore {
	atomic_long_t count;
};

#endif
