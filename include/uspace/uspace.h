/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The userspace shim: what vma_lookup/, pgtable_rcu/ and spf/faults/dispatch.c
 * need from the kernel, for tests/userspace, which compiles those files
 * unchanged against it and liburcu.  As in the kernel's
 * tools/testing/radix-tree, each <linux/...> and <asm/...> header here
 * stands in for its kernel namesake and holds its own part; this file
 * only gathers them for the harness (tests/userspace/sim.h).
 *
 * Where to look:
 *  - the weak memory model, barriers and atomics: linux/atomic.h;
 *  - READ_ONCE/WRITE_ONCE: linux/compiler.h;
 *  - RCU (liburcu's memb flavour, tests/userspace/rcu.c): linux/rcupdate.h;
 *  - spinlocks and the lock check: linux/spinlock.h, linux/lockdep.h;
 *  - the mmap_lock rwsem, 6.1's count layout: linux/rwsem.h;
 *  - the page tables and the lockless walk: asm/pgtable_types.h,
 *    linux/pgtable.h; pages, VMAs and the mm: linux/mm_types.h, linux/mm.h;
 *  - the mmu_gather: asm/tlb.h;
 *  - the harness's randomness, delays and failure: uspace_harness.h.
 * The tables, pages and the maple tree are tests/userspace/sim.c's.
 *
 * Nothing here is built into spf.ko.
 */
#ifndef _USPACE_H
#define _USPACE_H

#include <asm/tlb.h>
#include <linux/atomic.h>
#include <linux/debugfs.h>
#include <linux/hash.h>
#include <linux/irqflags.h>
#include <linux/jump_label.h>
#include <linux/kprobes.h>
#include <linux/memcontrol.h>
#include <linux/mempolicy.h>
#include <linux/mempool.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/perf_event.h>
#include <linux/ptrace.h>
#include <linux/rcupdate.h>
#include <linux/seq_file.h>
#include <linux/tracepoint.h>
#include <trace/events/mmap_lock.h>
#include <uspace_harness.h>

#endif
