/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in: per-CPU counters are plain shared atomics.
 */
#ifndef _USPACE_LINUX_PERCPU_H
#define _USPACE_LINUX_PERCPU_H

#include <linux/preempt.h>

#define DECLARE_PER_CPU(type, name)	extern __typeof__(type) name
#define DEFINE_PER_CPU(type, name)	__typeof__(type) name
#define this_cpu_inc(pcp)	__atomic_fetch_add(&(pcp), 1, __ATOMIC_RELAXED)
#define this_cpu_add(pcp, n)	__atomic_fetch_add(&(pcp), (n), __ATOMIC_RELAXED)
/* ...so a sum over every CPU reads the one shared copy once. */
#define for_each_possible_cpu(cpu)	for ((cpu) = 0; (cpu) < 1; (cpu)++)
#define per_cpu(var, cpu)		(*((void)(cpu), &(var)))

/*
 * Per-CPU data used with preemption disabled (vma_lookup/snapshot.c's
 * cache): each thread is a CPU that is never preempted, so it gets its
 * own zeroed copy of the object (tests/userspace/sim.c).
 */
void *sim_this_cpu_ptr(void *pcp, unsigned long size);
#define this_cpu_ptr(p)	((__typeof__(p))sim_this_cpu_ptr((p), sizeof(*(p))))
#define this_cpu_read(pcp)	(*this_cpu_ptr(&(pcp)))
#define this_cpu_write(pcp, v)	(*this_cpu_ptr(&(pcp)) = (v))
#define this_cpu_xchg(pcp, v)	({				\
	__typeof__(pcp) *p_ = this_cpu_ptr(&(pcp));		\
	__typeof__(pcp) o_ = *p_;				\
								\
	*p_ = (v);						\
	o_;							\
})

#endif
