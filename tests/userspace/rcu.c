// SPDX-License-Identifier: GPL-2.0
/*
 * RCU for the userspace shim: liburcu's memb flavour (readers are plain
 * loads and stores, the writer side uses membarrier), kept in a file of
 * its own because liburcu's names collide with the kernel's.
 *
 * ThreadSanitizer cannot see liburcu's grace periods (they are made of
 * uninstrumented loads and system calls), so the happens-before they
 * imply is annotated: every read-side unlock releases one sync object,
 * and a grace period's end (synchronize_rcu returning, a callback
 * running) acquires it.  That orders everything any reader did before
 * the grace period ended before the free, which is the RCU guarantee,
 * and leaves a free without a grace period (the broken variant) visible
 * as a race.
 */
/* Under TSan, liburcu's own (uninstrumented) code, not its inlines. */
#if !defined(__SANITIZE_THREAD__)
#define _LGPL_SOURCE
#endif
#include <stdio.h>
#include <stdlib.h>
#include <urcu/urcu-memb.h>

#if defined(__SANITIZE_THREAD__)
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
#else
static inline void __tsan_acquire(void *addr) { }
static inline void __tsan_release(void *addr) { }
#endif

/* The shim's struct rcu_head: same size as liburcu's, never used by it. */
struct sim_rcu_head {
	void *next;
	void (*func)(struct sim_rcu_head *head);
};

struct sim_rcu_cb {
	struct rcu_head urcu;
	struct sim_rcu_head *head;
	void (*func)(struct sim_rcu_head *head);
};

static char sim_rcu_gp;		/* readers' unlocks -> grace period ends */
static char sim_rcu_cbs;	/* callbacks run -> rcu_barrier returns */
__thread int sim_rcu_depth;

void sim_rcu_read_lock(void)
{
	sim_rcu_depth++;
	urcu_memb_read_lock();
}

void sim_rcu_read_unlock(void)
{
	if (sim_rcu_depth <= 0) {
		fprintf(stderr, "FAIL: rcu_read_unlock without rcu_read_lock\n");
		abort();
	}
	__tsan_release(&sim_rcu_gp);
	urcu_memb_read_unlock();
	sim_rcu_depth--;
}

static void sim_rcu_trampoline(struct rcu_head *urcu)
{
	struct sim_rcu_cb *cb = caa_container_of(urcu, struct sim_rcu_cb, urcu);

	__tsan_acquire(cb);
	__tsan_acquire(&sim_rcu_gp);
	cb->func(cb->head);
	__tsan_release(&sim_rcu_cbs);
	free(cb);
}

void call_rcu(struct sim_rcu_head *head,
	      void (*func)(struct sim_rcu_head *head))
{
	struct sim_rcu_cb *cb = malloc(sizeof(*cb));

	if (!cb) {
		fprintf(stderr, "FAIL: out of memory in call_rcu\n");
		abort();
	}
	cb->head = head;
	cb->func = func;
	__tsan_release(cb);
	urcu_memb_call_rcu(&cb->urcu, sim_rcu_trampoline);
}

void synchronize_rcu(void)
{
	if (sim_rcu_depth) {
		fprintf(stderr, "FAIL: synchronize_rcu inside rcu_read_lock\n");
		abort();
	}
	urcu_memb_synchronize_rcu();
	__tsan_acquire(&sim_rcu_gp);
}

void rcu_barrier(void)
{
	urcu_memb_barrier();
	__tsan_acquire(&sim_rcu_cbs);
}

void sim_rcu_register(void)
{
	urcu_memb_register_thread();
}

void sim_rcu_unregister(void)
{
	urcu_memb_unregister_thread();
}
