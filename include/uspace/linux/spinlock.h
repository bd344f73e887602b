/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in: spinning locks that yield, with an owner and a
 * magic word, so that a lock in freed memory or an unlock by another
 * thread fails the run.
 */
#ifndef _USPACE_LINUX_SPINLOCK_H
#define _USPACE_LINUX_SPINLOCK_H

#include <linux/atomic.h>
#include <linux/irqflags.h>

#define SIM_LOCK_LIVE		0x10c4a11eUL
#define SIM_LOCK_DEAD		0xdead10c4UL

typedef struct {
	int locked;
	int owner;		/* sim_tid of the holder */
	unsigned long magic;
} spinlock_t;

static inline void spin_lock_init(spinlock_t *l)
{
	l->locked = 0;
	l->owner = 0;
	l->magic = SIM_LOCK_LIVE;
}

static inline void spin_lock(spinlock_t *l)
{
	unsigned int spins = 0;

	sim_delay(sim_delay_permille);
	if (READ_ONCE(l->magic) != SIM_LOCK_LIVE)
		sim_fail("spin_lock on a freed lock %p (magic %#lx)",
			 (void *)l, READ_ONCE(l->magic));
	while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE)) {
		while (__atomic_load_n(&l->locked, __ATOMIC_RELAXED)) {
			if (++spins % 64 == 0)
				sched_yield();
			else
				cpu_relax();
		}
	}
	WRITE_ONCE(l->owner, sim_tid);
	sim_barrier_floor();
}

static inline void spin_unlock(spinlock_t *l)
{
	if (READ_ONCE(l->owner) != sim_tid)
		sim_fail("spin_unlock of a lock held by %d, not %d",
			 READ_ONCE(l->owner), sim_tid);
	WRITE_ONCE(l->owner, 0);
	sim_store_drain();
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
}

/* A raw spinlock is a spinlock here: nothing in userspace sleeps on one. */
typedef spinlock_t raw_spinlock_t;
#define raw_spin_lock_init(l)	spin_lock_init(l)
#define raw_spin_lock(l)	spin_lock(l)
#define raw_spin_unlock(l)	spin_unlock(l)

static inline bool spin_is_held_by_me(spinlock_t *l)
{
	return __atomic_load_n(&l->locked, __ATOMIC_RELAXED) &&
	       READ_ONCE(l->owner) == sim_tid;
}

#endif
