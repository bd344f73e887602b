/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in: atomics and the memory barriers, which together
 * are the simulated weak memory model; it lives here and nowhere else.
 *
 * On x86 a missing smp_rmb() changes nothing the hardware would show, so
 * atomic_long_t carries a simulated weak memory: atomic_long_read() may
 * return the value before the latest store, if that store came after this
 * thread's last barrier (smp_rmb, smp_mb, lock acquisition).  That is a
 * subset of what arm64 allows (a load may be satisfied early, but never
 * before a barrier that precedes it), so correct code is never failed by
 * it.  The store side: now and then the store that takes the mmap_lock
 * rwsem for write stays in its thread's store buffer, unseen by the other
 * threads (they read the value before it) until that thread next orders
 * its stores: smp_mb (so smp_mb__before/after_atomic), smp_wmb, a fully
 * ordered atomic, a release (spin_unlock, rcu_assign_pointer, unlocking
 * the rwsem), or another store to the word.  Its relaxed atomics
 * meanwhile are seen at once, as arm64 allows too.  The drain sometimes
 * waits a little first, so that other threads can run in the window.
 */
#ifndef _USPACE_LINUX_ATOMIC_H
#define _USPACE_LINUX_ATOMIC_H

#include <asm/processor.h>
#include <linux/kernel.h>

extern unsigned long sim_clock;		/* stores to atomic_long_t so far */
extern __thread unsigned long sim_floor;	/* sim_clock at our last barrier */

static inline void sim_barrier_floor(void)
{
	sim_floor = __atomic_load_n(&sim_clock, __ATOMIC_SEQ_CST);
}

/* Makes this thread's late store (below) seen by all: it orders stores. */
static inline void sim_store_drain(void);

#define smp_mb()							\
	do {								\
		sim_store_drain();					\
		__atomic_thread_fence(__ATOMIC_SEQ_CST);		\
		sim_barrier_floor();					\
	} while (0)
#define smp_rmb()							\
	do { __atomic_thread_fence(__ATOMIC_ACQUIRE); sim_barrier_floor(); } while (0)
#define smp_wmb()							\
	do { sim_store_drain(); __atomic_thread_fence(__ATOMIC_RELEASE); } while (0)
#define smp_mb__after_atomic()	smp_mb()
#define smp_mb__before_atomic()	smp_mb()

typedef struct {
	int counter;
} atomic_t;

#define ATOMIC_INIT(i)		{ (i) }

static inline int atomic_read(const atomic_t *v)
{
	return __atomic_load_n(&v->counter, __ATOMIC_RELAXED);
}

static inline void atomic_set(atomic_t *v, int i)
{
	__atomic_store_n(&v->counter, i, __ATOMIC_RELAXED);
}

static inline void atomic_inc(atomic_t *v)
{
	__atomic_fetch_add(&v->counter, 1, __ATOMIC_RELAXED);
}

static inline bool atomic_add_unless(atomic_t *v, int a, int u)
{
	int c = atomic_read(v);

	sim_store_drain();	/* fully ordered when it adds */
	do {
		if (c == u)
			return false;
	} while (!__atomic_compare_exchange_n(&v->counter, &c, c + a, false,
					      __ATOMIC_SEQ_CST,
					      __ATOMIC_RELAXED));
	smp_mb();
	return true;
}

/*
 * atomic_long_t keeps the value it had before its latest store, and
 * when that store happened (sim_clock), under a small lock of its own;
 * and which thread's late store, if any, it holds (unseen_by).
 */
typedef struct {
	long counter;
	long prev;
	unsigned long prev_until;
	int lock;
	int unseen_by;
} atomic_long_t;

#define ATOMIC_LONG_INIT(i)	{ (i), (i), 0, 0, 0 }

/* This thread's late store, waiting for sim_store_drain(). */
extern __thread atomic_long_t *sim_late;

static inline void uspace_atomic_lock(atomic_long_t *v)
{
	while (__atomic_exchange_n(&v->lock, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(&v->lock, __ATOMIC_RELAXED))
			cpu_relax();
}

static inline void uspace_atomic_unlock(atomic_long_t *v)
{
	__atomic_store_n(&v->lock, 0, __ATOMIC_RELEASE);
}

/*
 * Under the lock: store a new value, remembering the old one.  A store
 * ends any late one before it (coherence: whoever sees this one saw it).
 */
static inline void uspace_atomic_store(atomic_long_t *v, long val)
{
	v->prev = v->counter;
	v->prev_until = __atomic_add_fetch(&sim_clock, 1, __ATOMIC_SEQ_CST);
	__atomic_store_n(&v->unseen_by, 0, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);	/* unseen_by first */
	__atomic_store_n(&v->counter, val, __ATOMIC_RELAXED);
}

/*
 * Under the lock: a store that, in weak mode, now and then stays
 * unseen by the other threads until sim_store_drain().  One at a time.
 */
static inline void uspace_atomic_store_late(atomic_long_t *v, long val)
{
	if (!sim_stale_permille || sim_late ||
	    sim_rand() % 1000 >= sim_late_permille) {
		uspace_atomic_store(v, val);
		return;
	}
	v->prev = v->counter;
	__atomic_store_n(&v->unseen_by, sim_tid, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);	/* unseen_by first */
	__atomic_store_n(&v->counter, val, __ATOMIC_RELAXED);
	sim_late = v;
}

static inline void sim_store_drain(void)
{
	atomic_long_t *v = sim_late;

	if (!v)
		return;
	sim_late = NULL;
	sim_delay(250);		/* the window, widened */
	uspace_atomic_lock(v);
	if (__atomic_load_n(&v->unseen_by, __ATOMIC_RELAXED) == sim_tid) {
		v->prev_until = __atomic_add_fetch(&sim_clock, 1,
						   __ATOMIC_SEQ_CST);
		__atomic_store_n(&v->unseen_by, 0, __ATOMIC_RELAXED);
	}
	uspace_atomic_unlock(v);
}

static inline long atomic_long_read(const atomic_long_t *cv)
{
	atomic_long_t *v = (atomic_long_t *)cv;
	long val;

	if (sim_stale_permille && sim_rand() % 1000 < sim_stale_permille) {
		bool stale = false;

		uspace_atomic_lock(v);
		if (v->prev_until > sim_floor) {
			val = v->prev;
			stale = true;
		}
		uspace_atomic_unlock(v);
		if (stale)
			return val;
	}
	/*
	 * Fences, not acquire/release, pair unseen_by with the value:
	 * ThreadSanitizer ignores fences, so it is given no order that the
	 * kernel's relaxed accesses would not have.
	 */
	val = __atomic_load_n(&v->counter, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	if (__atomic_load_n(&v->unseen_by, __ATOMIC_RELAXED)) {
		uspace_atomic_lock(v);
		val = v->unseen_by && v->unseen_by != sim_tid ? v->prev :
								v->counter;
		uspace_atomic_unlock(v);
	}
	return val;
}

/* Relaxed, as atomic_long_add() and atomic_long_inc() are. */
static inline long uspace_atomic_add(atomic_long_t *v, long i)
{
	long val;

	uspace_atomic_lock(v);
	val = v->counter + i;
	uspace_atomic_store(v, val);
	uspace_atomic_unlock(v);
	return val;
}

static inline void atomic_long_add(long i, atomic_long_t *v)
{
	uspace_atomic_add(v, i);
}

/* Fully ordered: smp_mb() on both sides. */
static inline long atomic_long_add_return(long i, atomic_long_t *v)
{
	long val;

	smp_mb();
	val = uspace_atomic_add(v, i);
	smp_mb();
	return val;
}

static inline void atomic_long_inc(atomic_long_t *v)
{
	uspace_atomic_add(v, 1);
}

static inline long atomic_long_inc_return(atomic_long_t *v)
{
	return atomic_long_add_return(1, v);
}

static inline void atomic_long_set(atomic_long_t *v, long i)
{
	uspace_atomic_lock(v);
	uspace_atomic_store(v, i);
	uspace_atomic_unlock(v);
}

#endif
