/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The userspace shim: what vma_lookup/, pgtable_rcu/ and spf/speculate.c
 * need from the kernel, for tests/userspace, which compiles those files
 * unchanged against it and liburcu.  Every <linux/...> header they
 * include is a one-line file beside this one that includes it.
 *
 * What maps to what:
 *  - RCU: rcu_read_lock/unlock, call_rcu, synchronize_rcu, rcu_barrier
 *    go to liburcu's memb flavour (tests/userspace/rcu.c);
 *    rcu_dereference is an acquire load, rcu_assign_pointer a release.
 *  - READ_ONCE/WRITE_ONCE: relaxed C11 atomics (acquire/release under
 *    ThreadSanitizer, which cannot see address dependencies), so the
 *    sanitizer judges plain accesses only.
 *  - Barriers: C11 fences.  On x86 a missing smp_rmb() changes nothing
 *    the hardware would show, so atomic_long_t carries a simulated weak
 *    memory: atomic_long_read() may return the value before the latest
 *    store, if that store came after this thread's last barrier
 *    (smp_rmb, smp_mb, lock acquisition).  That is a subset of what
 *    arm64 allows (a load may be satisfied early, but never before a
 *    barrier that precedes it), so correct code is never failed by it.
 *    The store side: now and then the store that takes the mmap_lock
 *    rwsem for write stays in its thread's store buffer, unseen by the
 *    other threads (they read the value before it) until that thread
 *    next orders its stores: smp_mb (so smp_mb__before/after_atomic),
 *    smp_wmb, a fully ordered atomic, a release (spin_unlock,
 *    rcu_assign_pointer, unlocking the rwsem), or another store to the
 *    word.  Its relaxed atomics meanwhile are seen at once, as arm64
 *    allows too.  The drain sometimes waits a little first, so that
 *    other threads can run in the window.
 *  - Spinlocks and the mmap_lock rwsem: spinning locks that yield;
 *    the rwsem keeps RWSEM_WRITER_LOCKED in bit 0 of count, as 6.1 does
 *    (include/wrapper/mmap_lock.h reads it), and a successful write
 *    acquisition fires the mmap_lock_acquire_returned probes.
 *  - The mm: a 4-level page table (p4d folded, as on x86-64 with 4
 *    levels) of 16-entry tables with split PTE locks allocated apart
 *    (ALLOC_SPLIT_PTLOCKS), VMAs, pages and folios, mmu_gather.  The
 *    tables, pages and the maple tree are tests/userspace/sim.c's.
 *
 * Nothing here is built into spf.ko.
 */
#ifndef _USPACE_H
#define _USPACE_H

#include <assert.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The configuration the sources see. */
#define CONFIG_X86_64		1	/* selects spf/arch/x86_64.h only */
#define CONFIG_SMP		1
#define CONFIG_NUMA		1
#define CONFIG_USERFAULTFD	1
#define CONFIG_MMU		1
#define ALLOC_SPLIT_PTLOCKS	1
#define SPLIT_RSS_COUNTING	1
#define KBUILD_MODNAME		"spf"

#if defined(__SANITIZE_THREAD__)
#define USPACE_TSAN		1
#else
#define USPACE_TSAN		0
#endif

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int64_t s64;
typedef unsigned int gfp_t;
typedef unsigned int vm_fault_t;
typedef unsigned long pgoff_t;
typedef unsigned short umode_t;

#define __rcu
#define __user
#define __maybe_unused		__attribute__((unused))
#ifndef __always_inline
#define __always_inline		inline __attribute__((always_inline))
#endif
#define ____cacheline_aligned_in_smp __attribute__((aligned(64)))
#define likely(x)		__builtin_expect(!!(x), 1)
#define unlikely(x)		__builtin_expect(!!(x), 0)
#define barrier()		__asm__ __volatile__("" : : : "memory")
#define cpu_relax()		__builtin_ia32_pause()
#define container_of(ptr, type, member)					\
	((type *)((char *)(ptr) - offsetof(type, member)))
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#define BIT(n)			(1UL << (n))

#ifndef pr_fmt
#define pr_fmt(fmt)		fmt
#endif
#define pr_err(fmt, ...)	fprintf(stderr, pr_fmt(fmt), ##__VA_ARGS__)
#define pr_warn(fmt, ...)	fprintf(stderr, pr_fmt(fmt), ##__VA_ARGS__)
#define pr_info(fmt, ...)	do { } while (0)

#define EINVAL			22
#define ENOENT			2
#define ENOMEM			12

/* ---- the harness's side: randomness, delays, failure ---- */

struct mm_struct;

/* Per-thread xorshift. */
unsigned int sim_rand(void);
/* With probability permille/1000, yield or spin a little. */
void sim_delay(unsigned int permille);
/* An invariant broke: report and exit. */
void sim_fail(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));

extern unsigned int sim_stale_permille;	/* weak-memory loads */
extern unsigned int sim_late_permille;	/* weak-memory lock-word stores */
extern unsigned int sim_delay_permille;	/* delays in the reader */
extern __thread int sim_tid;

/* ---- READ_ONCE, WRITE_ONCE ---- */

#if USPACE_TSAN
#define USPACE_LOAD_ORDER	__ATOMIC_ACQUIRE
#define USPACE_STORE_ORDER	__ATOMIC_RELEASE
#else
#define USPACE_LOAD_ORDER	__ATOMIC_RELAXED
#define USPACE_STORE_ORDER	__ATOMIC_RELAXED
#endif

static __always_inline void uspace_read_once(const void *p, void *res,
					     int size)
{
	switch (size) {
	case 1:
		*(u8 *)res = __atomic_load_n((const u8 *)p, USPACE_LOAD_ORDER);
		break;
	case 2:
		*(u16 *)res = __atomic_load_n((const u16 *)p,
					      USPACE_LOAD_ORDER);
		break;
	case 4:
		*(u32 *)res = __atomic_load_n((const u32 *)p,
					      USPACE_LOAD_ORDER);
		break;
	case 8:
		*(u64 *)res = __atomic_load_n((const u64 *)p,
					      USPACE_LOAD_ORDER);
		break;
	default:
		barrier();
		memcpy(res, p, size);
		barrier();
	}
}

static __always_inline void uspace_write_once(void *p, const void *val,
					      int size)
{
	switch (size) {
	case 1:
		__atomic_store_n((u8 *)p, *(const u8 *)val, USPACE_STORE_ORDER);
		break;
	case 2:
		__atomic_store_n((u16 *)p, *(const u16 *)val,
				 USPACE_STORE_ORDER);
		break;
	case 4:
		__atomic_store_n((u32 *)p, *(const u32 *)val,
				 USPACE_STORE_ORDER);
		break;
	case 8:
		__atomic_store_n((u64 *)p, *(const u64 *)val,
				 USPACE_STORE_ORDER);
		break;
	default:
		barrier();
		memcpy(p, val, size);
		barrier();
	}
}

#define READ_ONCE(x)							\
	({								\
		union { __typeof__(x) __v; char __c[sizeof(x)]; } __u;	\
		uspace_read_once(&(x), __u.__c, sizeof(x));		\
		__u.__v;						\
	})

#define WRITE_ONCE(x, val)						\
	do {								\
		union { __typeof__(x) __v; char __c[sizeof(x)]; } __u =	\
			{ .__v = (val) };				\
		uspace_write_once(&(x), __u.__c, sizeof(x));		\
	} while (0)

/* ---- barriers, and the simulated weak memory ---- */

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

/* ---- atomics ---- */

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

static inline int test_bit(long nr, const unsigned long *addr)
{
	return (READ_ONCE(*addr) >> nr) & 1;
}

/* ---- per-CPU counters: plain shared atomics ---- */

#define DECLARE_PER_CPU(type, name)	extern __typeof__(type) name
#define DEFINE_PER_CPU(type, name)	__typeof__(type) name
#define this_cpu_inc(pcp)	__atomic_fetch_add(&(pcp), 1, __ATOMIC_RELAXED)
#define this_cpu_add(pcp, n)	__atomic_fetch_add(&(pcp), (n), __ATOMIC_RELAXED)

/*
 * Per-CPU data used with preemption disabled (vma_lookup/snapshot.c's
 * cache): each thread is a CPU that is never preempted, so it gets its
 * own zeroed copy of the object (tests/userspace/sim.c).
 */
void *sim_this_cpu_ptr(void *pcp, unsigned long size);
#define this_cpu_ptr(p)	((__typeof__(p))sim_this_cpu_ptr((p), sizeof(*(p))))
#define preempt_disable()	do { } while (0)
#define preempt_enable()	do { } while (0)
#define migrate_disable()	do { } while (0)
#define migrate_enable()	do { } while (0)
#define this_cpu_read(pcp)	(*this_cpu_ptr(&(pcp)))
#define this_cpu_write(pcp, v)	(*this_cpu_ptr(&(pcp)) = (v))
#define this_cpu_xchg(pcp, v)	({				\
	__typeof__(pcp) *p_ = this_cpu_ptr(&(pcp));		\
	__typeof__(pcp) o_ = *p_;				\
								\
	*p_ = (v);						\
	o_;							\
})

/* ---- RCU (tests/userspace/rcu.c) ---- */

struct rcu_head {
	void *next;
	void (*func)(struct rcu_head *head);
};

extern __thread int sim_rcu_depth;
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

/* ---- spinlocks ---- */

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

/* The debug kernel's lock and RCU checks, enforced on every run here. */
#define lockdep_assert_held(l)						\
	do {								\
		if (!spin_is_held_by_me(l))				\
			sim_fail("lockdep_assert_held(%s) fails", #l);	\
	} while (0)
#define rcu_read_lock_held()	(sim_rcu_depth > 0)
#define RCU_LOCKDEP_WARN(c, s)						\
	do {								\
		if (c)							\
			sim_fail("%s", s);				\
	} while (0)
#define might_sleep()							\
	do {								\
		if (sim_rcu_depth)					\
			sim_fail("might_sleep() inside rcu_read_lock()"); \
	} while (0)

/* ---- the mmap_lock rwsem, 6.1's count layout ---- */

#define SIM_RWSEM_WRITER_LOCKED	(1UL << 0)
#define SIM_RWSEM_WRITER_WAITING (1UL << 1)
#define SIM_RWSEM_READER_BIAS	(1UL << 8)

struct rw_semaphore {
	atomic_long_t count;
};

/* ---- tracepoints: only the declarations are used ---- */

#define TP_PROTO(args...)	args
#define TP_ARGS(args...)	args
#define TRACE_EVENT(name, proto, args, tstruct, assign, print)		\
	static inline void trace_##name(proto) { }
#define DECLARE_EVENT_CLASS(name, proto, args, tstruct, assign, print)
#define DEFINE_EVENT(template, name, proto, args)			\
	static inline void trace_##name(proto) { }
#define DEFINE_EVENT_PRINT(template, name, proto, args, print)		\
	static inline void trace_##name(proto) { }

typedef void (*sim_mmap_lock_probe_t)(void *data, struct mm_struct *mm,
				      const char *memcg_path, bool write,
				      bool success);
int register_trace_mmap_lock_acquire_returned(sim_mmap_lock_probe_t probe,
					      void *data);
int unregister_trace_mmap_lock_acquire_returned(sim_mmap_lock_probe_t probe,
						void *data);
static inline void tracepoint_synchronize_unregister(void)
{
	synchronize_rcu();
}

/* ---- debugfs and seq_file: compiled, never shown ---- */

struct dentry;
struct seq_file {
	char buf[256];
};

struct file_operations {
	int (*show)(struct seq_file *m, void *v);
	int (*get)(void *data, u64 *val);
	int (*set)(void *data, u64 val);
};

#define DEFINE_SHOW_ATTRIBUTE(__name)					\
	static const struct file_operations __name##_fops = {		\
		.show = __name##_show,					\
	}
#define DEFINE_DEBUGFS_ATTRIBUTE(__fops, __get, __set, __fmt)		\
	static const struct file_operations __fops = {			\
		.get = __get,						\
		.set = __set,						\
	}

static inline struct dentry *debugfs_create_file(const char *name,
						 umode_t mode,
						 struct dentry *parent,
						 void *data,
						 const struct file_operations *f)
{
	return NULL;
}

#define debugfs_create_file_unsafe debugfs_create_file

static inline void debugfs_create_u32(const char *name, umode_t mode,
				      struct dentry *parent, u32 *value)
{
}

#define seq_printf(m, fmt, ...)						\
	snprintf((m)->buf, sizeof((m)->buf), fmt, ##__VA_ARGS__)

/* ---- hashing ---- */

#define GOLDEN_RATIO_64		0x61C8864680B583EBull

static inline u32 hash_64(u64 val, unsigned int bits)
{
	return val * GOLDEN_RATIO_64 >> (64 - bits);
}

#define hash_ptr(ptr, bits)	hash_64((unsigned long)(ptr), bits)

/* ---- tasks, registers, misc ---- */

struct list_head {
	struct list_head *next, *prev;
};

enum { MM_FILEPAGES, MM_ANONPAGES, MM_SWAPENTS, MM_SHMEMPAGES,
	NR_MM_COUNTERS };

struct task_rss_stat {
	int events;
	int count[NR_MM_COUNTERS];
};

struct task_struct {
	struct mm_struct *mm;
	unsigned long min_flt;
	struct task_rss_stat rss_stat;
};

extern __thread struct task_struct sim_task;
#define current			(&sim_task)

/* Simulated threads never sleep in a task state. */
#define TASK_RUNNING			0
#define __set_current_state(state)	((void)(state))

struct pt_regs {
	unsigned long sp;
	unsigned long cx;	/* include/spf/arch/x86_64.h sets it */
};

static inline unsigned long kernel_stack_pointer(struct pt_regs *regs)
{
	return regs->sp;
}

struct kprobe {
	void *addr;
	const char *symbol_name;
};

#define local_irq_save(flags)	((void)((flags) = 0))
#define local_irq_restore(flags) ((void)(flags))

struct static_key {
	atomic_t enabled;
};

static inline int static_key_count(struct static_key *key)
{
	return atomic_read(&key->enabled);
}

enum perf_sw_ids { PERF_COUNT_SW_PAGE_FAULTS_MIN = 6 };
enum vm_event_item { PGFAULT, NR_VM_EVENT_ITEMS };

extern unsigned long sim_vm_events[NR_VM_EVENT_ITEMS];
#define count_vm_event(item)						\
	__atomic_fetch_add(&sim_vm_events[item], 1, __ATOMIC_RELAXED)

struct mem_cgroup;
static inline bool mem_cgroup_disabled(void)
{
	return true;
}

static inline struct mem_cgroup *mem_cgroup_from_task(struct task_struct *p)
{
	return NULL;
}

/* ---- memory ---- */

#define PAGE_SHIFT		12
#define PAGE_SIZE		(1UL << PAGE_SHIFT)
#define PAGE_MASK		(~(PAGE_SIZE - 1))

#define __GFP_DIRECT_RECLAIM	0x80u
#define GFP_ATOMIC		0x01u
#define GFP_KERNEL		(0x02u | __GFP_DIRECT_RECLAIM)
#define GFP_NOWAIT		0x04u
#define GFP_HIGHUSER_MOVABLE	(0x08u | __GFP_DIRECT_RECLAIM)
#define __GFP_NOWARN		0x10u
#define __GFP_NORETRY		0x20u
#define __GFP_ZERO		0x40u

/* Fails now and then (tests/userspace/sim.c says how often). */
unsigned long __get_free_page(gfp_t gfp);
void free_page(unsigned long addr);

typedef struct mempool_s {
	size_t size;
} mempool_t;

mempool_t *mempool_create_kmalloc_pool(int min_nr, size_t size);
void *mempool_alloc(mempool_t *pool, gfp_t gfp);
void mempool_free(void *element, mempool_t *pool);
void mempool_destroy(mempool_t *pool);

/* ---- page-table entries ---- */

/*
 * 16 entries a table: a PTE table maps 64 KiB, a PMD table 1 MiB, a PUD
 * table 16 MiB, the PGD 256 MiB, so a small arena has many tables of
 * every level to free.
 */
#define SIM_PTRS_SHIFT		4
#define PTRS_PER_PTE		(1 << SIM_PTRS_SHIFT)
#define PTRS_PER_PMD		PTRS_PER_PTE
#define PTRS_PER_PUD		PTRS_PER_PTE
#define PTRS_PER_PGD		PTRS_PER_PTE
#define PMD_SHIFT		(PAGE_SHIFT + SIM_PTRS_SHIFT)
#define PUD_SHIFT		(PMD_SHIFT + SIM_PTRS_SHIFT)
#define PGDIR_SHIFT		(PUD_SHIFT + SIM_PTRS_SHIFT)
#define SIM_TASK_SIZE		(1UL << (PGDIR_SHIFT + SIM_PTRS_SHIFT))

/* Entry bits; tables are 256-byte aligned, pages 64. */
#define _PAGE_PRESENT		0x01UL
#define _PAGE_READ		0x02UL
#define _PAGE_RW		0x04UL
#define _PAGE_DIRTY		0x08UL
#define _PAGE_SPECIAL		0x10UL
#define _PAGE_PSE		0x20UL	/* leaf above the PTE level */
#define _PAGE_TABLE		0x40UL	/* points to a table */
#define SIM_FLAG_MASK		0xffUL
#define SIM_PFN_SHIFT		8

typedef struct { unsigned long pte; } pte_t;
typedef struct { unsigned long pmd; } pmd_t;
typedef struct { unsigned long pud; } pud_t;
typedef struct { unsigned long pgd; } pgd_t;
typedef struct { pgd_t pgd; } p4d_t;	/* folded */
typedef struct { unsigned long pgprot; } pgprot_t;

#define pte_val(x)		((x).pte)
#define pmd_val(x)		((x).pmd)
#define pud_val(x)		((x).pud)
#define pgd_val(x)		((x).pgd)
#define pgprot_val(x)		((x).pgprot)
#define __pte(x)		((pte_t) { (x) })
#define __pgprot(x)		((pgprot_t) { (x) })

/* A table: 16 entries, then its struct page and the simulation's tags. */
#define SIM_TABLE_ALIGN		256UL
#define SIM_TABLE_LIVE		0x7ab1e11feUL
#define SIM_TABLE_DEAD		0xdead7ab1eUL
#define SIM_TABLE_POISON	0x9015077abUL

struct anon_vma;

struct page {
	unsigned long flags;
	spinlock_t *ptl;		/* a PTE table's split lock */
	/* the simulation's */
	unsigned long sim_magic;
	struct anon_vma *sim_anon_vma;	/* rmap: what the fault gave it */
	pgoff_t sim_index;
	pte_t *sim_ptep;		/* where it is mapped */
	unsigned long sim_pad[2];
} __attribute__((aligned(64)));

struct folio {
	struct page page;
};

#define SIM_PAGE_LIVE		0x9a9e11feUL
#define SIM_PAGE_DEAD		0xdead9a9eUL

struct sim_table {
	unsigned long entry[PTRS_PER_PTE];
	struct page page;
	unsigned long magic;
	int level;			/* 1 pte, 2 pmd, 3 pud, 4 pgd */
	unsigned long base;		/* first address it maps */
	unsigned long unlinked;		/* sim_rcu_stamp() when unlinked */
} __attribute__((aligned(SIM_TABLE_ALIGN)));

static_assert(sizeof(struct sim_table) == SIM_TABLE_ALIGN,
	      "a table's entries are found by aligning an entry pointer");

extern struct sim_table sim_poison_table;

static inline struct sim_table *sim_table_of_entry(const void *entryp)
{
	return (struct sim_table *)((uintptr_t)entryp & ~(SIM_TABLE_ALIGN - 1));
}

/* The table an entry points to; it must be live, at the right level. */
static inline struct sim_table *sim_table_at(unsigned long entry, int level,
					     const char *what)
{
	struct sim_table *t = (struct sim_table *)(entry & ~SIM_FLAG_MASK);

	sim_delay(sim_delay_permille);	/* widen: entry read, table used */
	if (READ_ONCE(t->magic) != SIM_TABLE_LIVE || t->level != level)
		sim_fail("%s reached a freed table %p (magic %#lx, level %d)",
			 what, (void *)t, READ_ONCE(t->magic), t->level);
	return t;
}

static inline void sim_entry_check(const void *entryp, const char *what)
{
	struct sim_table *t = sim_table_of_entry(entryp);

	if (READ_ONCE(t->magic) != SIM_TABLE_LIVE)
		sim_fail("%s: entry %p is in a freed table (magic %#lx)",
			 what, entryp, READ_ONCE(t->magic));
}

#define pgd_index(a)		(((a) >> PGDIR_SHIFT) & (PTRS_PER_PGD - 1))
#define pud_index(a)		(((a) >> PUD_SHIFT) & (PTRS_PER_PUD - 1))
#define pmd_index(a)		(((a) >> PMD_SHIFT) & (PTRS_PER_PMD - 1))
#define pte_index(a)		(((a) >> PAGE_SHIFT) & (PTRS_PER_PTE - 1))

static inline int sim_table_entry_bad(unsigned long v)
{
	return (v & (_PAGE_PRESENT | _PAGE_TABLE)) !=
	       (_PAGE_PRESENT | _PAGE_TABLE);
}

#define pgd_none(x)		(pgd_val(x) == 0)
#define pgd_bad(x)		sim_table_entry_bad(pgd_val(x))
#define p4d_none(x)		0
#define p4d_bad(x)		0
#define pud_none(x)		(pud_val(x) == 0)
#define pud_leaf(x)		(!!(pud_val(x) & _PAGE_PSE))
#define pud_bad(x)		sim_table_entry_bad(pud_val(x))
#define pmd_none(x)		(pmd_val(x) == 0)
#define pmd_present(x)		(!!(pmd_val(x) & _PAGE_PRESENT))
#define pmd_leaf(x)		(!!(pmd_val(x) & _PAGE_PSE))
#define pmd_devmap(x)		0
#define pmd_bad(x)		sim_table_entry_bad(pmd_val(x))
#define pmd_same(a, b)		(pmd_val(a) == pmd_val(b))
#define pte_none(x)		(pte_val(x) == 0)
#define pte_present(x)		(!!(pte_val(x) & _PAGE_PRESENT))
#define pte_same(a, b)		(pte_val(a) == pte_val(b))

static inline pgd_t *pgd_offset_pgd(pgd_t *pgd, unsigned long addr)
{
	return pgd + pgd_index(addr);
}

#define pgd_offset(mm, addr)	pgd_offset_pgd((mm)->pgd, (addr))

static inline p4d_t *p4d_offset_lockless(pgd_t *pgdp, pgd_t pgd,
					 unsigned long addr)
{
	return (p4d_t *)pgdp;
}

static inline pud_t *pud_offset_lockless(p4d_t *p4dp, p4d_t p4d,
					 unsigned long addr)
{
	struct sim_table *t = sim_table_at(pgd_val(p4d.pgd), 3, "pud walk");

	return (pud_t *)&t->entry[pud_index(addr)];
}

static inline pmd_t *pmd_offset_lockless(pud_t *pudp, pud_t pud,
					 unsigned long addr)
{
	struct sim_table *t = sim_table_at(pud_val(pud), 2, "pmd walk");

	return (pmd_t *)&t->entry[pmd_index(addr)];
}

static inline pte_t *pte_offset_kernel(pmd_t *pmdp, unsigned long addr)
{
	struct sim_table *t = sim_table_at(pmd_val(*pmdp), 1, "pte walk");

	return (pte_t *)&t->entry[pte_index(addr)];
}

static inline pte_t ptep_get(pte_t *ptep)
{
	sim_entry_check(ptep, "ptep_get");
	return READ_ONCE(*ptep);
}

static inline struct page *pmd_page(pmd_t pmd)
{
	return &sim_table_at(pmd_val(pmd), 1, "pmd_page")->page;
}

static inline spinlock_t *pte_lockptr(struct mm_struct *mm, pmd_t *pmdp)
{
	spinlock_t *ptl = READ_ONCE(pmd_page(*pmdp)->ptl);

	sim_delay(sim_delay_permille);	/* widen: walk read, lock taken */
	return ptl;
}

static inline unsigned long page_to_pfn(const struct page *page)
{
	return (uintptr_t)page >> 6;
}

static inline struct page *pfn_to_page(unsigned long pfn)
{
	return (struct page *)(pfn << 6);
}

static inline pte_t pfn_pte(unsigned long pfn, pgprot_t prot)
{
	return __pte((pfn << SIM_PFN_SHIFT) | pgprot_val(prot) |
		     _PAGE_PRESENT);
}

static inline unsigned long pte_pfn(pte_t pte)
{
	return pte_val(pte) >> SIM_PFN_SHIFT;
}

#define pte_page(pte)		pfn_to_page(pte_pfn(pte))
/* Only for a table a fault adds, which the sim never does. */
#define page_address(page)	((void *)(page))
#define mk_pte(page, prot)	pfn_pte(page_to_pfn(page), (prot))
#define pte_mkspecial(p)	__pte(pte_val(p) | _PAGE_SPECIAL)
#define pte_mkwrite(p)		__pte(pte_val(p) | _PAGE_RW)
#define pte_mkdirty(p)		__pte(pte_val(p) | _PAGE_DIRTY)
#define pte_sw_mkyoung(p)	(p)
#define pte_special(p)		(!!(pte_val(p) & _PAGE_SPECIAL))
#define pte_write(p)		(!!(pte_val(p) & _PAGE_RW))

extern struct page sim_zero_page;
#define my_zero_pfn(addr)	page_to_pfn(&sim_zero_page)

/* ---- VMAs and the mm ---- */

#define VM_NONE		0x00000000UL
#define VM_READ		0x00000001UL
#define VM_WRITE	0x00000002UL
#define VM_EXEC		0x00000004UL
#define VM_SHARED	0x00000008UL
#define VM_MAYREAD	0x00000010UL
#define VM_MAYWRITE	0x00000020UL
#define VM_UFFD_MISSING	0x00000200UL
#define VM_PFNMAP	0x00000400UL
#define VM_UFFD_WP	0x00001000UL
#define VM_LOCKED	0x00002000UL
#define VM_IO		0x00004000UL
#define VM_HUGETLB	0x00400000UL
#define VM_MIXEDMAP	0x10000000UL
#define VM_UFFD_MINOR	0x20000000UL
#define VM_MTE		VM_NONE
#define __VM_UFFD_FLAGS	(VM_UFFD_MISSING | VM_UFFD_WP | VM_UFFD_MINOR)

#define FAULT_FLAG_WRITE	0x01
#define FAULT_FLAG_TRIED	0x20
#define FAULT_FLAG_USER		0x40
#define FAULT_FLAG_REMOTE	0x80
#define FAULT_FLAG_INSTRUCTION	0x100

#define MMF_UNSTABLE		22

struct file;
struct mempolicy;
/* The sim's VMAs are all anonymous: vm_ops is always NULL. */
struct vm_fault;
struct mempolicy;
struct vm_area_struct;

struct vm_operations_struct {
	int (*map_pages)(struct vm_fault *vmf, unsigned long start,
			 unsigned long end);
	struct mempolicy *(*get_policy)(struct vm_area_struct *vma,
					unsigned long addr);
};

static inline int filemap_map_pages(struct vm_fault *vmf,
				    unsigned long start, unsigned long end)
{
	return 0;
}
struct userfaultfd_ctx;

struct vm_userfaultfd_ctx {
	struct userfaultfd_ctx *ctx;
};

struct vm_area_struct {
	unsigned long vm_start;
	unsigned long vm_end;
	struct mm_struct *vm_mm;
	pgprot_t vm_page_prot;
	unsigned long vm_flags;
	struct list_head anon_vma_chain;	/* the rcu_head while freed */
	struct anon_vma *anon_vma;
	const struct vm_operations_struct *vm_ops;
	unsigned long vm_pgoff;
	struct file *vm_file;
	struct vm_userfaultfd_ctx vm_userfaultfd_ctx;
	struct mempolicy *vm_policy;
	/* the simulation's */
	unsigned long sim_magic;
	unsigned long sim_id;
};

#define SIM_VMA_LIVE		0x7111a11eUL
#define SIM_VMA_DEAD		0xdead7111UL

struct maple_tree {
	struct sim_vma_index __rcu *index;
};

struct mm_struct {
	struct maple_tree mm_mt;
	pgd_t *pgd;
	struct rw_semaphore mmap_lock;
	spinlock_t page_table_lock;
	unsigned long flags;
	struct task_struct __rcu *owner;
	atomic_long_t rss[NR_MM_COUNTERS];
};

/* The VMA whose recorded range holds index, or NULL; under RCU. */
void *mtree_load(struct maple_tree *mt, unsigned long index);

static inline bool vma_is_anonymous(struct vm_area_struct *vma)
{
	return !vma->vm_ops;
}

static inline bool vma_is_accessible(struct vm_area_struct *vma)
{
	return vma->vm_flags & (VM_READ | VM_WRITE | VM_EXEC);
}

#define vma_policy(vma)		((vma)->vm_policy)

static inline pgoff_t linear_page_index(const struct vm_area_struct *vma,
					unsigned long address)
{
	return ((address - vma->vm_start) >> PAGE_SHIFT) + vma->vm_pgoff;
}

static inline void inc_mm_counter(struct mm_struct *mm, int member)
{
	atomic_long_inc(&mm->rss[member]);
}

/* Commit-side hooks: tests/userspace/sim.c checks each commit. */
void set_pte_at(struct mm_struct *mm, unsigned long addr, pte_t *ptep,
		pte_t pte);
void update_mmu_cache(struct vm_area_struct *vma, unsigned long addr,
		      pte_t *ptep);

struct folio *vma_alloc_folio(gfp_t gfp, int order,
			      struct vm_area_struct *vma, unsigned long addr,
			      bool hugepage);
void folio_put(struct folio *folio);

static inline void __folio_mark_uptodate(struct folio *folio)
{
	smp_wmb();
	folio->page.flags |= 1;
}

#endif
