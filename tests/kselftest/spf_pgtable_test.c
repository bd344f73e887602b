// SPDX-License-Identifier: GPL-2.0
/*
 * While spf is loaded, page tables and split PTE locks are freed only
 * after an RCU grace period (pgtable_rcu/pgtable_free.c), on every path
 * this process can drive: munmap and exit (through the mmu_gather: on
 * x86-64 native the paravirt target spf redirects, on arm64
 * tlb_remove_table itself), a THP collapse (tlb_remove_table_sync_one
 * gains a grace period), and on kernels whose PTE locks are allocated
 * (PREEMPT_RT, lockdep) the lock of every freed table.  If a path were
 * missed, its counter would not move.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <sys/wait.h>
#include <time.h>
#include "kselftest_harness.h"
#include "spf_util.h"
#include "spf_fixture.h"
#include "spf_segv.h"

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif

#define PMD_BYTES	(2UL << 20)
#define NTABLES		8

FIXTURE(pgtable) {
};

FIXTURE_SETUP(pgtable)
{
	spf_fixture_load(_metadata);
}

FIXTURE_TEARDOWN(pgtable)
{
	spf_fixture_unload(_metadata);
}

/* NTABLES 2 MiB-aligned regions, one page touched in each: NTABLES PTE tables. */
static char *map_tables(void)
{
	size_t len = (NTABLES + 1) * PMD_BYTES;
	char *raw, *p;
	int i;

	raw = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (raw == MAP_FAILED)
		return NULL;
	p = (char *)(((unsigned long)raw + PMD_BYTES - 1) & ~(PMD_BYTES - 1));
	/* Fails (EINVAL) where THP is not built in, as on PREEMPT_RT. */
	madvise(p, NTABLES * PMD_BYTES, MADV_NOHUGEPAGE);
	for (i = 0; i < NTABLES; i++)
		p[i * PMD_BYTES] = 1;
	return p;
}

/*
 * Are PTE locks allocated on their own (ALLOC_SPLIT_PTLOCKS: spinlock_t
 * outgrows struct page's word on PREEMPT_RT, and with lockdep or
 * spinlock debugging)?  Only then is ptlock_free() an out-of-line
 * function, in /proc/kallsyms.  -1 if kallsyms cannot be read.
 */
static int ptlocks_allocated(void)
{
	char line[512], name[256];
	int found = 0;
	FILE *f;

	f = fopen("/proc/kallsyms", "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%*s %*c %255s", name) == 1 &&
		    !strcmp(name, "ptlock_free")) {
			found = 1;
			break;
		}
	}
	fclose(f);
	return found;
}

TEST_F(pgtable, munmap_defers_every_table)
{
	long before = spf_stat("pgtable_deferred");
	char *p = map_tables();

	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, munmap(p, NTABLES * PMD_BYTES));
	EXPECT_LE(NTABLES, spf_stat("pgtable_deferred") - before);
}

TEST_F(pgtable, exit_defers_every_table)
{
	long before = spf_stat("pgtable_deferred");
	int status;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(map_tables() ? 0 : 1);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(0, WEXITSTATUS(status));
	EXPECT_LE(NTABLES, spf_stat("pgtable_deferred") - before);
}

/*
 * A fault that adds a PTE table (pgtable_rcu/pte_table.c), against a
 * munmap of its region.  spf pauses 3 ms between the table's last check
 * and its publication (inject_table_delay_us) and the munmap comes at
 * a varying point, so it lands in that window again and again.  The
 * same for a huge page mapped at the empty pmd (spf/faults/thp_fault.c).  The
 * hook on free_pgtables() makes it wait for the publication (the table
 * then goes with the region), or the fault sees the count moved and
 * gives up.  Without the hook the table would be published after the
 * region's tables were freed, mapping the fault's page where no VMA
 * is: the region mapped again at the same place would show the write,
 * and the child's exit would report the page table and page left over
 * (a kernel splat, which fails the run).
 */
#define RACE_ROUNDS	150

struct race {
	char *page;		/* in the second chunk: its table is missing */
	unsigned long tag;
	int started;		/* the writer is about to fault */
};

static void *race_writer(void *arg)
{
	struct race *r = arg;

	if (install_segv_handler())
		return NULL;
	if (sigsetjmp(t_jb, 0) == 0) {
		WRITE_ONCE(t_lo, (uintptr_t)r->page);
		WRITE_ONCE(t_hi, (uintptr_t)r->page + page_size());
		WRITE_ONCE(t_armed, 1);
		__atomic_store_n(&r->started, 1, __ATOMIC_RELEASE);
		WRITE_ONCE(*(unsigned long *)r->page, r->tag);
		WRITE_ONCE(t_armed, 0);
	}
	return NULL;
}

/*
 * In a child: the rounds; the exit status counts stale pages seen.
 * HUGE: THP on for the VMA, so the fault maps a huge page instead.
 */
static int race_rounds(bool huge)
{
	struct timespec pause = { 0 };
	unsigned long stale = 0;
	struct race r;
	pthread_t t;
	char *p;
	int i;

	for (i = 0; i < RACE_ROUNDS; i++) {
		p = map_chunks(2);
		if (!p || (huge && madvise(p, 2 * pmd_bytes(), MADV_HUGEPAGE)))
			return 100;
		p[0] = 1;	/* the anon_vma, chunk 0's table: stock */
		r.page = p + pmd_bytes();
		r.tag = 0x5a5a0000UL + i;
		r.started = 0;
		if (pthread_create(&t, NULL, race_writer, &r))
			return 100;
		while (!__atomic_load_n(&r.started, __ATOMIC_ACQUIRE))
			;
		/*
		 * Then a pause, so the munmap lands at a varying point: 0 to
		 * 2.9 ms, 0 to 14.5 ms for a huge page, which is cleared first.
		 */
		pause.tv_nsec = (i % 30) * (huge ? 500000L : 100000L);
		nanosleep(&pause, NULL);
		munmap(p, 2 * pmd_bytes());
		/* Its write is done (or failed) before the range is reused. */
		pthread_join(t, NULL);
		if (mmap(p, 2 * pmd_bytes(), PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != p)
			return 100;
		stale += READ_ONCE(*(unsigned long *)r.page) != 0;
		munmap(p, 2 * pmd_bytes());
	}
	return stale > 99 ? 99 : (int)stale;
}

static void race_munmap(struct __test_metadata *_metadata, bool huge,
			const char *counter)
{
	long added = spf_stat(counter);
	int status;
	pid_t pid;

	ASSERT_EQ(0, spf_write_file(SPF_DEBUGFS "/inject_table_delay_us",
				    "3000"));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(race_rounds(huge));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	spf_write_file(SPF_DEBUGFS "/inject_table_delay_us", "0");
	added = spf_stat(counter) - added;
	TH_LOG("%d rounds, %s %ld", RACE_ROUNDS, counter, added);
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status)) TH_LOG("stale pages seen");
	EXPECT_LT(0, added);
}

TEST_F(pgtable, new_table_never_outlives_munmap)
{
	if (_metadata->skip)
		return;
	if (spf_stat("pte_tables") < 0)
		SKIP(return, "this spf adds no PTE tables");
	race_munmap(_metadata, false, "pte_tables");
}

/* The same for a huge page a write maps at an empty pmd. */
TEST_F(pgtable, new_huge_page_never_outlives_munmap)
{
	char thp[128];

	if (_metadata->skip)
		return;
	if (spf_stat("spec_thp") < 0)
		SKIP(return, "this spf maps no huge pages");
	if (!spf_thp_on(thp, sizeof(thp)))
		SKIP(return, "THP is off: %s", thp);
	race_munmap(_metadata, true, "spec_thp");
}

/*
 * A collapse replaces a PTE table by a huge pmd; the kernel's IPI
 * before it reuses or frees the table gains a grace period.  The data
 * must survive the collapse.
 */
TEST_F(pgtable, collapse_waits_for_a_grace_period)
{
	char *p = map_tables();
	long before;
	size_t i;

	ASSERT_NE(NULL, p);
	for (i = 0; i < PMD_BYTES; i += page_size())
		p[i] = (char)(i / page_size());
	/*
	 * Counted from before MADV_HUGEPAGE: that wakes khugepaged, whose
	 * collapse (the same collapse_huge_page()) may come first, and
	 * MADV_COLLAPSE then finds the pmd huge and succeeds at once.  The
	 * debug kernel's suite once lost that race.
	 */
	before = spf_stat("pgtable_sync");
	if (madvise(p, PMD_BYTES, MADV_HUGEPAGE)) {
		munmap(p, NTABLES * PMD_BYTES);
		SKIP(return, "no THP in this kernel (%s)", strerror(errno));
	}
	if (madvise(p, PMD_BYTES, MADV_COLLAPSE)) {
		munmap(p, NTABLES * PMD_BYTES);
		SKIP(return, "MADV_COLLAPSE failed (%s)", strerror(errno));
	}
	EXPECT_LE(1, spf_stat("pgtable_sync") - before);
	for (i = 0; i < PMD_BYTES; i += page_size())
		ASSERT_EQ((char)(i / page_size()), p[i]);
	munmap(p, NTABLES * PMD_BYTES);
}

/*
 * PREEMPT_RT and lockdep kernels allocate each PTE table's lock: spf
 * defers its free, and the deferred locks are all freed soon after.
 * Elsewhere the locks live in struct page and nothing must be deferred.
 */
TEST_F(pgtable, split_locks_follow_their_tables)
{
	int allocated = ptlocks_allocated();
	long before = spf_stat("ptl_deferred");
	char *p;
	int i;

	if (allocated < 0)
		SKIP(return, "cannot read /proc/kallsyms");
	p = map_tables();
	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, munmap(p, NTABLES * PMD_BYTES));
	if (!allocated) {
		EXPECT_EQ(0, spf_stat("ptl_deferred") - before);
		return;
	}
	EXPECT_LE(NTABLES, spf_stat("ptl_deferred") - before);
	for (i = 0; i < 1000; i++) {
		if (spf_stat("ptl_freed") == spf_stat("ptl_deferred"))
			break;
		usleep(10000);
	}
	EXPECT_EQ(spf_stat("ptl_freed"), spf_stat("ptl_deferred"));
	EXPECT_EQ(0, spf_stat("ptl_leaked"));
}

/*
 * The install fence taken where sleeping is not allowed.  With another
 * probe on mmap_lock_acquire_returned (here the trace event), every
 * write acquisition reaches spf's probe through the tracepoint, with
 * preemption disabled, and the probe waits there for any table install
 * in progress on the mm.  That wait must not be a sleeping lock: on
 * PREEMPT_RT a contended spinlock_t schedules ("BUG: scheduling while
 * atomic").  Threads of one process read fresh 2 MiB regions (spf adds
 * each table, held open by inject_table_delay_us) while others mmap and
 * munmap beside them; the guest's log must stay clean.
 */
#define FENCE_THREADS	4
#define FENCE_SECS	6
#define MMAP_LOCK_EVENT \
	"/sys/kernel/tracing/events/mmap_lock/mmap_lock_acquire_returned/enable"

static atomic_int fence_stop;

static void *fence_thread(void *arg)
{
	bool reader = (uintptr_t)arg % 2;
	size_t off;
	char *p;

	while (!atomic_load(&fence_stop)) {
		p = map_chunks(1);
		if (!p)
			return (void *)1;
		if (reader)
			for (off = 0; off < PMD_BYTES; off += 65536)
				(void)READ_ONCE(p[off]);
		unmap_chunks(p, 1);
	}
	return NULL;
}

TEST_F(pgtable, install_fence_taken_from_an_atomic_probe)
{
	long tables = spf_stat("pte_tables");
	pthread_t t[FENCE_THREADS];
	void *ret;
	int i;

	if (_metadata->skip)
		return;
	if (tables < 0)
		SKIP(return, "this spf adds no PTE tables");
	if (spf_write_file(MMAP_LOCK_EVENT, "1"))
		SKIP(return, "no mmap_lock trace event");
	ASSERT_EQ(0, spf_write_file(SPF_DEBUGFS "/inject_table_delay_us",
				    "1000"));
	atomic_store(&fence_stop, 0);
	for (i = 0; i < FENCE_THREADS; i++)
		ASSERT_EQ(0, pthread_create(&t[i], NULL, fence_thread,
					    (void *)(uintptr_t)i));
	sleep(FENCE_SECS);
	atomic_store(&fence_stop, 1);
	for (i = 0; i < FENCE_THREADS; i++) {
		pthread_join(t[i], &ret);
		EXPECT_EQ(NULL, ret);
	}
	spf_write_file(SPF_DEBUGFS "/inject_table_delay_us", "0");
	spf_write_file(MMAP_LOCK_EVENT, "0");
	tables = spf_stat("pte_tables") - tables;
	TH_LOG("%d s: pte_tables %ld", FENCE_SECS, tables);
	EXPECT_LT(0, tables);
}

TEST_HARNESS_MAIN
