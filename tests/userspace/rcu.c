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

/*
 * When each thread's outermost read section began, on one counter that
 * unlinks of page tables also stamp (sim_rcu_stamp()): a table freed
 * while a section that began before its unlink is still open was freed
 * without a grace period, whatever the timing (sim_rcu_check_free()).
 */
#define SIM_RCU_SLOTS	128
static unsigned long sim_rcu_clock;
static unsigned long sim_rcu_since[SIM_RCU_SLOTS];
extern __thread int sim_tid;

unsigned long sim_rcu_stamp(void)
{
	return __atomic_add_fetch(&sim_rcu_clock, 1, __ATOMIC_SEQ_CST);
}

/* The first thread found in a section begun at or before STAMP, or -1. */
int sim_rcu_reader_since(unsigned long stamp)
{
	int i;

	for (i = 0; i < SIM_RCU_SLOTS; i++) {
		unsigned long s = __atomic_load_n(&sim_rcu_since[i],
						  __ATOMIC_SEQ_CST);

		if (s && s <= stamp)
			return i;
	}
	return -1;
}

/*
 * The stamp is taken inside liburcu's section and dropped before it
 * ends, so that a grace period always waits for a stamped reader: the
 * check then never blames a correct free.
 */
void sim_rcu_read_lock(void)
{
	urcu_memb_read_lock();
	if (!sim_rcu_depth++ && sim_tid >= 0 && sim_tid < SIM_RCU_SLOTS)
		__atomic_store_n(&sim_rcu_since[sim_tid], sim_rcu_stamp(),
				 __ATOMIC_SEQ_CST);
}

void sim_rcu_read_unlock(void)
{
	if (sim_rcu_depth <= 0) {
		fprintf(stderr, "FAIL: rcu_read_unlock without rcu_read_lock\n");
		abort();
	}
	if (!--sim_rcu_depth && sim_tid >= 0 && sim_tid < SIM_RCU_SLOTS)
		__atomic_store_n(&sim_rcu_since[sim_tid], 0, __ATOMIC_SEQ_CST);
	__tsan_release(&sim_rcu_gp);
	urcu_memb_read_unlock();
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
