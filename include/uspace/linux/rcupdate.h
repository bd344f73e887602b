/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in: RCU is liburcu's memb flavour (tests/userspace/
 * rcu.c); rcu_dereference is an acquire load, rcu_assign_pointer a
 * release that also drains the weak memory's late store.  The debug
 * kernel's RCU checks are enforced on every run.
 */
#ifndef _USPACE_LINUX_RCUPDATE_H
#define _USPACE_LINUX_RCUPDATE_H

#include <linux/atomic.h>
#include <linux/kernel.h>
#include <linux/types.h>

void sim_rcu_read_lock(void);
void sim_rcu_read_unlock(void);
unsigned long sim_rcu_stamp(void);
int sim_rcu_reader_since(unsigned long stamp);
void call_rcu(struct rcu_head *head, void (*func)(struct rcu_head *head));
void synchronize_rcu(void);
void rcu_barrier(void);

#define rcu_read_lock()		sim_rcu_read_lock()
#define rcu_read_unlock()	sim_rcu_read_unlock()
#define rcu_dereference(p)	__atomic_load_n(&(p), __ATOMIC_ACQUIRE)
#define rcu_assign_pointer(p, v)					\
	do {								\
		sim_store_drain();					\
		__atomic_store_n(&(p), (v), __ATOMIC_RELEASE);		\
	} while (0)

#define rcu_read_lock_held()	(sim_rcu_depth > 0)
#define RCU_LOCKDEP_WARN(c, s)						\
	do {								\
		if (c)							\
			sim_fail("%s", s);				\
	} while (0)

#endif
