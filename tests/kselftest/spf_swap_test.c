// SPDX-License-Identifier: GPL-2.0
/*
 * Swap-cache faults (spf/faults/swap_fault.c).
 *
 * The guest has no swap device of its own: the fixture loads zram from
 * the modules tools/vm/run packs (lib/modules/spf-vm/opt), writes a
 * swap header on /dev/zram0 and swaps on it; a kernel without zram
 * (the debug kernel) skips every case, saying so.
 *
 * Pages reach the swap cache deterministically: MADV_PAGEOUT writes
 * them out and frees them (zram writes synchronously), leaving swap
 * PTEs; MADV_WILLNEED reads them back into the swap cache without
 * mapping them.  A fault on such a PTE is stock's minor swap fault.
 *
 * Parity: each deterministic case runs twice in one process, spf
 * disabled (the enabled knob: the stock path) and enabled, and compares
 * what a program can see: the data, minor and major faults, VmSwap and
 * RssAnon after, and whether a second pass faults again (a write must
 * leave the PTE writable, as stock does for an exclusive page).
 *
 * The race: a cycler writes a round's tags into every page, pages the
 * region out and reads it back into the swap cache, over and over;
 * readers fault the pages and check every value is a round no older
 * than the one published before the read began; a third thread turns
 * swap off and on again, so that swapoff's unuse of the PTEs races the
 * faults, and spf pauses between taking the page and locking it
 * (debugfs inject_swap_delay_us), where the page can leave the swap
 * cache and its entry be reused.
 *
 * Then compaction (migration) against each fault kind, anonymous and
 * file, and reclaim of tmpfs pages (MADV_PAGEOUT, MADV_COLD) against
 * the four file kinds, with swapoff bringing the pages back in.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <sys/swap.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <linux/falloc.h>
#include "kselftest_harness.h"
#include "spf_util.h"
#include "spf_fixture.h"

#define NP 64			/* pages in a deterministic case */
#include "spf_swap.h"

FIXTURE(swap) {
};

FIXTURE_SETUP(swap)
{
	spf_fixture_load(_metadata);
	if (_metadata->skip)
		return;
	if (swap_on())
		SKIP(return, "%s", swap_why);
	ASSERT_EQ(0, prefault_self());
}

FIXTURE_TEARDOWN(swap)
{
	spf_fixture_unload(_metadata);
}

static uint64_t tag(uint64_t round, uint64_t page)
{
	return (round + 1) << 32 | (page + 1);
}

static long count_pages(const char *p, long n, uint64_t bit)
{
	long i, c = 0;

	for (i = 0; i < n; i++)
		c += !!(pagemap_entry(p + i * page_size()) & bit);
	return c;
}

/*
 * Page the N pages at P out until every one is a swap PTE (a page still
 * in a per-CPU LRU batch is skipped by MADV_PAGEOUT, which drains only
 * its own CPU's: spf_pageout_everywhere() runs it on each CPU).
 */
static int page_out(char *p, long n)
{
	int tries;

	for (tries = 0; tries < 20; tries++) {
		if (spf_pageout_everywhere(p, n * page_size()))
			return -1;
		if (count_pages(p, n, PM_SWAP) == n)
			return 0;
		usleep(10000);
	}
	return -1;
}

/* NP private anonymous pages, page i holding tag(0, i), paged out. */
static char *swapped_region(void)
{
	char *p = map_fresh(NP);
	long i;

	if (!p || no_thp(p, NP * page_size()))
		return NULL;
	for (i = 0; i < NP; i++)
		*(uint64_t *)(p + i * page_size()) = tag(0, i);
	return page_out(p, NP) ? NULL : p;
}

/* What a program sees of a pass over swapped pages. */
struct facts {
	long minflt, majflt;	/* of the first pass */
	long refaults;		/* faults of a second pass */
	long bad;		/* pages with the wrong data */
	long vmswap, rssanon;	/* kB, after: deltas from before */
	long swapped;		/* swap PTEs left afterwards */
	struct spf_counts d;	/* spf counters over the first pass */
};

struct pass_arg {
	char *p;
	bool cached, write;
	struct facts *f;
};

static void *setup_thread(void *arg)
{
	struct pass_arg *pa = arg;

	pa->p = swapped_region();
	if (pa->p && pa->cached &&
	    madvise(pa->p, NP * page_size(), MADV_WILLNEED))
		pa->p = NULL;
	return NULL;
}

/*
 * Read (or WRITE, a new value) every page, then access every page
 * again the same way, counting this thread's faults.
 */
static void *fault_thread(void *arg)
{
	struct pass_arg *pa = arg;
	struct facts *f = pa->f;
	long min0, maj0, min1, maj1, i;
	struct spf_counts a, b;
	uint64_t *w;

	spf_counts_read(&a);
	spf_counts_read(&a);
	thread_faults(&min0, &maj0);
	for (i = 0; i < NP; i++) {
		w = (uint64_t *)(pa->p + i * page_size());
		if (pa->write)
			WRITE_ONCE(*w, tag(1, i));
		else
			f->bad += READ_ONCE(*w) != tag(0, i);
	}
	thread_faults(&min1, &maj1);
	spf_counts_read(&b);
	spf_counts_sub(&b, &a, &f->d);
	f->minflt = min1 - min0;
	f->majflt = maj1 - maj0;
	for (i = 0; i < NP; i++) {
		w = (uint64_t *)(pa->p + i * page_size());
		if (pa->write)
			WRITE_ONCE(*w, tag(2, i));
		else
			f->bad += READ_ONCE(*w) != tag(0, i);
	}
	thread_faults(&min0, &maj0);
	f->refaults = min0 + maj0 - min1 - maj1;
	return NULL;
}

/*
 * One pass over a fresh swapped region, read back into the swap cache
 * if CACHED.  Each step runs in a thread of its own: a thread's RSS
 * changes reach the mm's counters (VmSwap, RssAnon) when it exits, so
 * the counts read between the steps are exact.
 */
static int pass(bool cached, bool write, struct facts *f)
{
	struct pass_arg pa = { .cached = cached, .write = write, .f = f };
	/* One stack for the steps, faulted in before anything is counted. */
	static char *stack;
	long swap0, rss0;
	pthread_t t;

	memset(f, 0, sizeof(*f));
	if (!stack)
		stack = prefaulted_stack(SPF_STACK_LEN);
	if (start_thread_on(&t, stack, setup_thread, &pa) ||
	    pthread_join(t, NULL) || !pa.p)
		return -1;
	swap0 = status_field("VmSwap");
	rss0 = status_field("RssAnon");
	if (start_thread_on(&t, stack, fault_thread, &pa) ||
	    pthread_join(t, NULL))
		return -1;
	f->vmswap = status_field("VmSwap") - swap0;
	f->rssanon = status_field("RssAnon") - rss0;
	f->swapped = count_pages(pa.p, NP, PM_SWAP);
	munmap(pa.p, NP * page_size());
	return 0;
}

/* The same pass with spf disabled (stock), then enabled. */
static void stock_then_spf(struct __test_metadata *_metadata, bool cached,
			   bool write, struct facts *stock, struct facts *spf)
{
	ASSERT_EQ(0, spf_write_file(SPF_PARAMS "/enabled", "0"));
	ASSERT_EQ(0, pass(cached, write, stock));
	ASSERT_EQ(0, spf_write_file(SPF_PARAMS "/enabled", "1"));
	ASSERT_EQ(0, pass(cached, write, spf));
	TH_LOG("stock: min %ld maj %ld refaults %ld swap %+ld kB rss %+ld kB",
	       stock->minflt, stock->majflt, stock->refaults, stock->vmswap,
	       stock->rssanon);
	TH_LOG("spf:   min %ld maj %ld refaults %ld swap %+ld kB rss %+ld kB;%s",
	       spf->minflt, spf->majflt, spf->refaults, spf->vmswap,
	       spf->rssanon, spf_counts_str(&spf->d));
	EXPECT_EQ(0, stock->bad);
	EXPECT_EQ(0, spf->bad);
	EXPECT_EQ(stock->minflt, spf->minflt);
	EXPECT_EQ(stock->majflt, spf->majflt);
	EXPECT_EQ(stock->refaults, spf->refaults);
	EXPECT_EQ(stock->vmswap, spf->vmswap);
	EXPECT_EQ(stock->rssanon, spf->rssanon);
	EXPECT_EQ(0, stock->swapped);
	EXPECT_EQ(0, spf->swapped);
	EXPECT_EQ(0, stock->d.c[SPF_C_SPEC_SWAP]);
}

/* Reads of cached pages: one speculative minor fault each. */
TEST_F(swap, cached_reads_are_speculative_minor_faults)
{
	struct facts stock, spf;

	if (!spec_ready(_metadata))
		return;
	stock_then_spf(_metadata, true, false, &stock, &spf);
	EXPECT_EQ(NP, spf.d.c[SPF_C_SPEC_SWAP]);
	EXPECT_EQ(NP, spf.minflt);
	EXPECT_EQ(0, spf.majflt);
	EXPECT_EQ(0, spf.refaults);
}

/*
 * Writes of cached pages this mm owns alone (exclusive swap PTEs): the
 * PTE is writable at once, as stock makes it: the second pass of
 * writes takes no fault.
 */
TEST_F(swap, cached_exclusive_writes_map_writable)
{
	struct facts stock, spf;

	if (!spec_ready(_metadata))
		return;
	stock_then_spf(_metadata, true, true, &stock, &spf);
	EXPECT_EQ(NP, spf.d.c[SPF_C_SPEC_SWAP]);
	EXPECT_EQ(0, spf.refaults);
	EXPECT_EQ(0, stock.refaults);
}

/* Pages not in the swap cache need I/O: stock's major faults. */
TEST_F(swap, uncached_pages_go_stock)
{
	struct facts stock, spf;

	if (!spec_ready(_metadata))
		return;
	stock_then_spf(_metadata, false, false, &stock, &spf);
	EXPECT_EQ(0, spf.d.c[SPF_C_SPEC_SWAP]);
	EXPECT_EQ(NP, spf.d.c[SPF_C_ABORT_SWAPCACHE]);
	EXPECT_EQ(NP, spf.d.c[SPF_C_STOCK]);
}

/*
 * MADV_WILLNEED until each of the N (at most NP) swap PTEs at P has its
 * page in the swap cache, up to date: mincore() reports a swap PTE's
 * page resident exactly then.  A page that readahead could not bring
 * in, or that left the cache again, would send its fault to stock.
 */
static int cache_swapped(char *p, long n)
{
	unsigned char vec[NP];
	long i, in;
	int tries;

	for (tries = 0; tries < 20; tries++) {
		if (madvise(p, n * page_size(), MADV_WILLNEED) ||
		    mincore(p, n * page_size(), vec))
			return -1;
		for (in = i = 0; i < n; i++)
			in += vec[i] & 1;
		if (in == n)
			return 0;
		usleep(10000);
	}
	return -1;
}

/*
 * The child of shared_entries_after_fork: once told "g", it reads its
 * own copy of the region, which the parent's writes must not have
 * touched, and exits with the number of pages that differ (at most
 * 99; 100 if it was never told).  Told "s" (the parent has failed
 * already), it exits without reading: a write wrongly mapped in place
 * makes the child's read hit do_swap_page()'s BUG_ON(), and the guest
 * would then hang on the PTE lock the dead task holds.
 */
static void fork_child_check(char *p, int go)
{
	long i, bad = 0;
	char c;

	if (read(go, &c, 1) != 1)
		_exit(100);
	if (c != 'g')
		_exit(0);
	for (i = 0; i < NP; i++)
		bad += READ_ONCE(*(uint64_t *)(p + i * page_size())) !=
		       tag(0, i);
	_exit(bad > 99 ? 99 : bad);
}

/*
 * After fork the swap entries are shared, no longer exclusive: a read
 * maps the cached page read-only speculatively, a write goes stock
 * (which decides by refcount and copies); parent and child each keep
 * their own data, which both check.
 */
TEST_F(swap, shared_entries_after_fork)
{
	struct spf_counts a, b, d;
	long i, bad = 0;
	int status, go[2];
	char *p;
	pid_t pid;

	if (!spec_ready(_metadata))
		return;
	p = swapped_region();
	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, pipe(go));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close(go[1]);
		fork_child_check(p, go[0]);
	}
	close(go[0]);
	ASSERT_EQ(0, cache_swapped(p, NP));
	spf_counts_read(&a);
	spf_counts_read(&a);
	for (i = 0; i < NP / 2; i++)
		bad += READ_ONCE(*(uint64_t *)(p + i * page_size())) !=
		       tag(0, i);
	spf_counts_read(&b);
	spf_counts_sub(&b, &a, &d);
	EXPECT_EQ(NP / 2, d.c[SPF_C_SPEC_SWAP]) TH_LOG("reads:%s",
							spf_counts_str(&d));
	spf_counts_read(&a);
	for (i = NP / 2; i < NP; i++)
		WRITE_ONCE(*(uint64_t *)(p + i * page_size()), tag(1, i));
	spf_counts_read(&b);
	spf_counts_sub(&b, &a, &d);
	EXPECT_EQ(0, d.c[SPF_C_SPEC_SWAP]) TH_LOG("writes:%s",
						   spf_counts_str(&d));
	/* Others too: the parent's own stack, shared with the child. */
	EXPECT_LE(NP / 2, d.c[SPF_C_ABORT_PTE]) TH_LOG("writes:%s",
							spf_counts_str(&d));
	for (i = 0; i < NP; i++)
		bad += READ_ONCE(*(uint64_t *)(p + i * page_size())) !=
		       tag(i < NP / 2 ? 0 : 1, i);
	EXPECT_EQ(0, bad);
	ASSERT_EQ(1, write(go[1], _metadata->passed ? "g" : "s", 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status)) TH_LOG("the child did not exit: status %#x",
					      status);
	EXPECT_EQ(0, WEXITSTATUS(status)) TH_LOG("the child's pages changed");
	close(go[1]);
	munmap(p, NP * page_size());
}

/* ---- the race against reuse of the entry and swapoff ---- */

#define RACE_NP 256
#define RACE_READERS 2
#define RACE_SECONDS 5

struct race_state {
	char *p;
	atomic_long published[RACE_NP];	/* last round written */
	atomic_bool stop, hold_swapoff, slow_readers;
	atomic_long rounds, reads, stale, swapoffs, swapoff_fail;
	char detail[160];
};

static struct race_state race;

/*
 * Every other round a child is forked (and exits at once) while the
 * pages are swapped out: the parent's swap PTEs lose their exclusive
 * mark, so its faults map the pages read-only and shared, the case
 * where nothing but the PTE check keeps two faults on one PTE from
 * both mapping the page.
 */
static void *race_cycler(void *arg)
{
	int status;
	long r, i;
	pid_t pid;

	for (r = 1; !atomic_load(&race.stop); r++) {
		for (i = 0; i < RACE_NP; i++) {
			WRITE_ONCE(*(uint64_t *)(race.p + i * page_size()),
				   tag(r, i));
			atomic_store(&race.published[i], r);
		}
		madvise(race.p, RACE_NP * page_size(), MADV_PAGEOUT);
		if (r & 1) {
			pid = fork();
			if (pid == 0)
				_exit(0);
			if (pid > 0)
				waitpid(pid, &status, 0);
		}
		madvise(race.p, RACE_NP * page_size(), MADV_WILLNEED);
		atomic_fetch_add(&race.rounds, 1);
	}
	return NULL;
}

/*
 * The readers sweep the pages in the same order: one catches up with
 * the other while spf holds it in a fault, and then both fault on the
 * same PTE at once.
 */
static void *race_reader(void *arg)
{
	uint64_t v;
	long i, r;

	for (i = 0; !atomic_load(&race.stop); i = (i + 1) % RACE_NP) {
		r = atomic_load(&race.published[i]);
		v = READ_ONCE(*(uint64_t *)(race.p + i * page_size()));
		/* Leave the cycler and swapoff CPU time on two CPUs. */
		if ((atomic_fetch_add(&race.reads, 1) & 255) == 0)
			sched_yield();
		if (atomic_load(&race.slow_readers))
			usleep(1000);
		if ((v & 0xffffffff) != (uint64_t)i + 1 ||
		    (long)(v >> 32) - 1 < r) {
			if (atomic_fetch_add(&race.stale, 1) == 0)
				snprintf(race.detail, sizeof(race.detail),
					 "page %ld: read 0x%llx, round %ld published before",
					 i, (unsigned long long)v, r);
		}
	}
	return NULL;
}

static void *race_swapoff(void *arg)
{
	while (!atomic_load(&race.stop)) {
		usleep(200000);
		if (atomic_load(&race.hold_swapoff))
			continue;
		if (swapoff(SWAP_DEV) || swapon(SWAP_DEV, 0))
			atomic_fetch_add(&race.swapoff_fail, 1);
		else
			atomic_fetch_add(&race.swapoffs, 1);
	}
	return NULL;
}

TEST_F(swap, race_against_entry_reuse_and_swapoff)
{
	pthread_t cycler, off, readers[RACE_READERS];
	struct spf_counts a, b, d;
	long i;

	if (!spec_ready(_metadata))
		return;
	race.p = map_fresh(RACE_NP);
	ASSERT_NE(NULL, race.p);
	ASSERT_EQ(0, no_thp(race.p, RACE_NP * page_size()));
	for (i = 0; i < RACE_NP; i++)
		*(uint64_t *)(race.p + i * page_size()) = tag(0, i);
	ASSERT_EQ(0, spf_write_file(SPF_DEBUGFS "/inject_swap_delay_us",
				    "200"));
	spf_counts_read(&a);
	ASSERT_EQ(0, start_thread(&cycler, race_cycler, NULL));
	ASSERT_EQ(0, start_thread(&off, race_swapoff, NULL));
	for (i = 0; i < RACE_READERS; i++)
		ASSERT_EQ(0, start_thread(&readers[i], race_reader,
					  (void *)(uintptr_t)(i + 1)));
	/*
	 * On a loaded host the cycler may finish only a few rounds, each
	 * undone by a swapoff before a reader reaches a swap entry, or
	 * read before MADV_WILLNEED brings it into the swap cache (stock
	 * reads it: abort_swapcache): go on (up to three times as long)
	 * until spf has taken the path once, the swapoffs held and the
	 * readers slowed to a read a millisecond for that second part (the
	 * entry reuse and the forks go on).  CI's arm64 guest once ended
	 * 8 rounds without a swap-cache hit when only the swapoffs were held.
	 */
	sleep(RACE_SECONDS);
	spf_counts_read(&b);
	if (b.c[SPF_C_SPEC_SWAP] == a.c[SPF_C_SPEC_SWAP]) {
		atomic_store(&race.hold_swapoff, true);
		atomic_store(&race.slow_readers, true);
	}
	for (i = 0; i < 2 * RACE_SECONDS; i++) {
		spf_counts_read(&b);
		if (b.c[SPF_C_SPEC_SWAP] > a.c[SPF_C_SPEC_SWAP])
			break;
		sleep(1);
	}
	atomic_store(&race.stop, true);
	pthread_join(cycler, NULL);
	pthread_join(off, NULL);
	for (i = 0; i < RACE_READERS; i++)
		pthread_join(readers[i], NULL);
	spf_counts_read(&b);
	spf_counts_sub(&b, &a, &d);
	spf_write_file(SPF_DEBUGFS "/inject_swap_delay_us", "0");
	TH_LOG("%ld rounds, %ld reads, %ld swapoff+swapon (%ld failed%s), %ld stale;%s",
	       atomic_load(&race.rounds), atomic_load(&race.reads),
	       atomic_load(&race.swapoffs), atomic_load(&race.swapoff_fail),
	       atomic_load(&race.hold_swapoff) ?
	       ", then held for a swap-cache hit" : "",
	       atomic_load(&race.stale), spf_counts_str(&d));
	EXPECT_EQ(0, atomic_load(&race.stale)) TH_LOG("%s", race.detail);
	EXPECT_EQ(0, atomic_load(&race.swapoff_fail));
	EXPECT_LT(0, atomic_load(&race.swapoffs));
	/* The race only means something if spf took the path in it. */
	EXPECT_LT(0, d.c[SPF_C_SPEC_SWAP]);
	munmap(race.p, RACE_NP * page_size());
}

/*
 * ---- migration against each kind of fault (compaction) ----
 *
 * The guest has one node, where move_pages() to node 0 migrates
 * nothing (a page already on the target node is left alone), so a
 * thread compacts all memory (/proc/sys/vm/compact_memory) over and
 * over: compaction isolates movable pages, anonymous, page-cache and
 * swap-cache ones alike, and migrates them (try_to_migrate(),
 * migration entries, a refcount freeze, remove_migration_ptes()).
 * Meanwhile this thread runs rounds of one kind of fault over MIG_NP
 * pages, round r's data being tag(r, i), and checks every value, right
 * after its fault and again over the whole region after the round:
 *  - anon: first-touch writes of fresh pages (MADV_DONTNEED between
 *    rounds);
 *  - wp_copy: writes to pages shared with a child forked this round,
 *    which checks afterwards that its own copies kept the round's data
 *    and not the parent's byte;
 *  - wp_reuse: writes to pages whose child has exited (write-protected,
 *    reused);
 *  - file: reads of a shared memfd mapping rewritten with pwrite()
 *    and zapped each round (spf pauses between a page's reference and
 *    its lock, inject_file_delay_us);
 *  - swap: reads of pages paged out and read back into the swap cache
 *    (inject_swap_delay_us);
 *  - file_table: the file reads again, through a mapping alone in its
 *    PMDs and mapped anew each round, so that the first fault of each
 *    PMD adds its PTE table (inject_table_delay_us);
 *  - file_shared, file_private: a byte stored into each page through a
 *    shared or a private map of the memfd (inject_file_delay_us), read
 *    back, and checked with pread() to be in the file (shared) or not
 *    (private: a copy of the round's page-cache page).
 * Each case logs how many of its pages changed frame during a round and
 * the kernel's pgmigrate_success count over the case.  Compaction picks
 * its pages by where they lie, not by whose they are: after the first
 * passes of a boot, what it moved lies where it stays, and new pages
 * are often taken from there too, so the later cases may see few or no
 * pages of theirs move (the log says so); make soak runs them longer.
 * abort_pte counts the faults that found a PTE changed under them, a
 * migration entry among others.  A write-protect copy is kept right
 * twice against migration: its reference on the old page makes the
 * refcount freeze fail, so the migration entry is restored at once, and
 * the commit finds the PTE first seen or gives up; neither alone can be
 * seen failing here.
 */
#define MIG_NP 1024		/* more than the per-CPU free lists hold */
#define MIG_WRITE_OFF 8		/* the byte a write stores, after the tag */

enum mig_kind { MIG_ANON, MIG_WP_COPY, MIG_WP_REUSE, MIG_FILE, MIG_SWAP,
		MIG_FILE_TABLE, MIG_FILE_SHARED, MIG_FILE_PRIVATE };

static bool mig_file(enum mig_kind k)
{
	return k == MIG_FILE || k == MIG_FILE_TABLE || k == MIG_FILE_SHARED ||
	       k == MIG_FILE_PRIVATE;
}

struct mig_case {
	enum mig_kind kind;
	const char *counter;	/* the spf counter of the kind raced */
	const char *knob;	/* a debugfs pause to set, or NULL */
	const char *knob_us;
};

static struct {
	atomic_bool stop;
	atomic_long compactions;
} mig;


/* Compact, leaving the faulting thread some of the single TCG thread. */
static void *mig_compactor(void *arg)
{
	while (!atomic_load(&mig.stop)) {
		if (!spf_write_file("/proc/sys/vm/compact_memory", "1"))
			atomic_fetch_add(&mig.compactions, 1);
		usleep(1000);
	}
	return NULL;
}

/* The frame at ADDR, from /proc/self/pagemap open at FD; 0 if none. */
static uint64_t mig_pfn(int fd, const void *addr)
{
	uint64_t e = 0;

	if (pread(fd, &e, sizeof(e),
		  (off_t)((uintptr_t)addr / page_size() * sizeof(e))) !=
	    (ssize_t)sizeof(e))
		return 0;
	return e & PM_PRESENT ? e & PM_PFN_MASK : 0;
}

/*
 * Round R's data in the region, as the kind needs it before faulting,
 * in new pages: pages that stay put sit, after the first compaction,
 * where compaction moved them, and are not moved again.
 */
static int mig_prepare(const struct mig_case *c, char *p, int fd, long r,
		       pid_t *child, int *pipe_w)
{
	size_t ps = page_size(), len = MIG_NP * ps;
	int pfd[2], status;
	uint64_t t;
	long i;

	*child = -1;
	switch (c->kind) {
	case MIG_ANON:
		return madvise(p, len, MADV_DONTNEED);
	case MIG_FILE:
	case MIG_FILE_TABLE:
	case MIG_FILE_SHARED:
	case MIG_FILE_PRIVATE:
		if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			      0, len))
			return -1;
		for (i = 0; i < MIG_NP; i++) {
			t = tag(r, i);
			if (pwrite(fd, &t, sizeof(t), i * ps) != sizeof(t))
				return -1;
		}
		/* Mapped anew: the PMDs' tables are freed with the VMA. */
		if (c->kind == MIG_FILE_TABLE)
			return mmap(p, len, PROT_READ, MAP_SHARED | MAP_FIXED,
				    fd, 0) == p ? no_thp(p, len) : -1;
		return madvise(p, len, MADV_DONTNEED);
	default:
		break;
	}
	if (madvise(p, len, MADV_DONTNEED))
		return -1;
	for (i = 0; i < MIG_NP; i++) {
		WRITE_ONCE(*(uint64_t *)(p + i * ps), tag(r, i));
		WRITE_ONCE(p[i * ps + MIG_WRITE_OFF], 0);
	}
	if (c->kind == MIG_SWAP) {
		madvise(p, len, MADV_PAGEOUT);
		return madvise(p, len, MADV_WILLNEED);
	}
	if (c->kind == MIG_WP_COPY && pipe(pfd))
		return -1;
	*child = fork();
	if (*child < 0)
		return -1;
	if (*child == 0) {
		char b;

		if (c->kind == MIG_WP_REUSE)
			_exit(0);
		/* Wait for the parent's round, then check this copy. */
		close(pfd[1]);
		while (read(pfd[0], &b, 1) < 0 && errno == EINTR)
			;
		for (i = 0; i < MIG_NP; i++)
			if (READ_ONCE(*(uint64_t *)(p + i * ps)) != tag(r, i) ||
			    READ_ONCE(p[i * ps + MIG_WRITE_OFF]))
				_exit(1);
		_exit(0);
	}
	if (c->kind == MIG_WP_REUSE) {
		if (waitpid(*child, &status, 0) != *child)
			return -1;
		*child = -1;
		return 0;
	}
	close(pfd[0]);
	*pipe_w = pfd[1];
	return 0;
}

/*
 * The byte a shared or private file write stored into page I: read back
 * through the map, and in the file (shared) or not (private).
 */
static void mig_check_store(const struct mig_case *c, int fd, char *pg,
			    long r, long i, long *bad)
{
	bool shared = c->kind == MIG_FILE_SHARED;
	char f = 0;

	if (pread(fd, &f, 1, i * page_size() + MIG_WRITE_OFF) != 1)
		f = -1;
	if ((READ_ONCE(pg[MIG_WRITE_OFF]) != 1 || f != shared) &&
	    (*bad)++ == 0)
		fprintf(stderr, "# round %ld page %ld: the %s store reads back %d, the file holds %d\n",
			r, i, shared ? "shared" : "private",
			READ_ONCE(pg[MIG_WRITE_OFF]), f);
}

static void mig_race(struct __test_metadata *_metadata,
		     const struct mig_case *c)
{
	size_t ps = page_size(), len = MIG_NP * ps;
	long spec, migrated, moved = 0, rounds, bad = 0, child_bad = 0;
	long changed = spf_stat("abort_pte");
	static uint64_t pfn[MIG_NP];
	double secs = 2, t0;
	int fd = -1, pipe_w = -1, status, pm;
	pthread_t compactor;
	const char *e;
	uint64_t v, want;
	pid_t child;
	long i, r;
	char *p;

	if (!spec_ready(_metadata))
		return;
	e = getenv("SPF_RACE_SECS");
	if (e && atof(e) > 0)
		secs = atof(e);
	if (mig_file(c->kind)) {
		fd = memfd_create("spf-migrate", MFD_CLOEXEC);
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, ftruncate(fd, len));
		/* Alone in its PMDs: mapped anew, it has no table. */
		p = map_file_chunks(fd, len, c->kind == MIG_FILE_SHARED ||
				    c->kind == MIG_FILE_PRIVATE ?
				    PROT_READ | PROT_WRITE : PROT_READ,
				    c->kind == MIG_FILE_PRIVATE ? MAP_PRIVATE :
				    MAP_SHARED);
	} else {
		p = map_fresh(MIG_NP);
	}
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, no_thp(p, len));
	pm = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, pm);
	/* The first write of a private mapping gives it its anon_vma. */
	if (!mig_file(c->kind) || c->kind == MIG_FILE_PRIVATE)
		p[0] = 1;
	if (c->knob)
		ASSERT_EQ(0, spf_write_file(c->knob, c->knob_us));
	memset(&mig, 0, sizeof(mig));
	spec = spf_stat(c->counter);
	migrated = spf_vmstat("pgmigrate_success");
	ASSERT_EQ(0, start_thread(&compactor, mig_compactor, NULL));
	t0 = now_s();
	for (r = 1; now_s() - t0 < secs; r++) {
		ASSERT_EQ(0, mig_prepare(c, p, fd, r, &child, &pipe_w));
		for (i = 0; i < MIG_NP; i++) {
			char *pg = p + i * ps;

			want = tag(r, i);
			if (c->kind == MIG_ANON)
				WRITE_ONCE(*(uint64_t *)pg, want);
			else if (c->kind == MIG_WP_COPY ||
				 c->kind == MIG_WP_REUSE ||
				 c->kind == MIG_FILE_SHARED ||
				 c->kind == MIG_FILE_PRIVATE)
				WRITE_ONCE(pg[MIG_WRITE_OFF], 1);
			v = READ_ONCE(*(uint64_t *)pg);
			if (v != want && bad++ == 0)
				TH_LOG("round %ld page %ld: %#llx after its fault, want %#llx",
				       r, i, (unsigned long long)v,
				       (unsigned long long)want);
			pfn[i] = mig_pfn(pm, pg);
		}
		for (i = 0; i < MIG_NP; i++) {
			char *pg = p + i * ps;

			v = READ_ONCE(*(uint64_t *)pg);
			if (v != tag(r, i) && bad++ == 0)
				TH_LOG("round %ld page %ld: %#llx at the round's end",
				       r, i, (unsigned long long)v);
			if (c->kind == MIG_FILE_SHARED ||
			    c->kind == MIG_FILE_PRIVATE)
				mig_check_store(c, fd, pg, r, i, &bad);
			moved += pfn[i] && mig_pfn(pm, pg) != pfn[i];
		}
		if (child > 0) {
			close(pipe_w);
			ASSERT_EQ(child, waitpid(child, &status, 0));
			child_bad += !WIFEXITED(status) || WEXITSTATUS(status);
		}
	}
	rounds = r - 1;
	atomic_store(&mig.stop, true);
	pthread_join(compactor, NULL);
	if (c->knob)
		spf_write_file(c->knob, "0");
	spec = spf_stat(c->counter) - spec;
	migrated = spf_vmstat("pgmigrate_success") - migrated;
	changed = spf_stat("abort_pte") - changed;
	TH_LOG("%.1f s: %ld rounds, %ld compactions, pgmigrate_success %ld, %ld pages moved in a round; %s %ld, abort_pte %ld",
	       now_s() - t0, rounds, atomic_load(&mig.compactions), migrated,
	       moved, c->counter, spec, changed);
	EXPECT_EQ(0, bad);
	EXPECT_EQ(0, child_bad) TH_LOG("a child's copy changed");
	EXPECT_LT(0, atomic_load(&mig.compactions));
	EXPECT_LT(0, spec) TH_LOG("no such fault was speculative");
	munmap(p, len);
	close(pm);
	if (fd >= 0)
		close(fd);
}

TEST_F_TIMEOUT(swap, migration_race_anon_first_touch, SPF_SOAK_TIMEOUT)
{
	static const struct mig_case c = { MIG_ANON, "spec_write", NULL, NULL };

	mig_race(_metadata, &c);
}

TEST_F_TIMEOUT(swap, migration_race_wp_copy, SPF_SOAK_TIMEOUT)
{
	static const struct mig_case c = { MIG_WP_COPY, "spec_wp_copy", NULL, NULL };

	mig_race(_metadata, &c);
}

TEST_F_TIMEOUT(swap, migration_race_wp_reuse, SPF_SOAK_TIMEOUT)
{
	static const struct mig_case c = { MIG_WP_REUSE, "spec_wp_reuse", NULL, NULL };

	mig_race(_metadata, &c);
}

TEST_F_TIMEOUT(swap, migration_race_file_read, SPF_SOAK_TIMEOUT)
{
	static const struct mig_case c = {
		MIG_FILE, "spec_file", SPF_DEBUGFS "/inject_file_delay_us", "20"
	};

	mig_race(_metadata, &c);
}

TEST_F_TIMEOUT(swap, migration_race_file_new_table, SPF_SOAK_TIMEOUT)
{
	static const struct mig_case c = {
		MIG_FILE_TABLE, "pte_tables", SPF_DEBUGFS "/inject_table_delay_us",
		"20"
	};

	mig_race(_metadata, &c);
}

TEST_F_TIMEOUT(swap, migration_race_shared_file_write, SPF_SOAK_TIMEOUT)
{
	static const struct mig_case c = {
		MIG_FILE_SHARED, "spec_file_write",
		SPF_DEBUGFS "/inject_file_delay_us", "20"
	};

	mig_race(_metadata, &c);
}

TEST_F_TIMEOUT(swap, migration_race_private_file_write, SPF_SOAK_TIMEOUT)
{
	static const struct mig_case c = {
		MIG_FILE_PRIVATE, "spec_file_write",
		SPF_DEBUGFS "/inject_file_delay_us", "20"
	};

	mig_race(_metadata, &c);
}

TEST_F_TIMEOUT(swap, migration_race_swap_cache_hit, SPF_SOAK_TIMEOUT)
{
	static const struct mig_case c = {
		MIG_SWAP, "spec_swap", SPF_DEBUGFS "/inject_swap_delay_us", "200"
	};

	mig_race(_metadata, &c);
}

/*
 * ---- reclaim of file pages against file read faults ----
 *
 * Reclaim takes a page-cache folio out of its file without mmap_lock:
 * under the folio lock it unmaps it, writes a tmpfs page to swap and
 * replaces it in the cache by its swap entry, then frees it unless a
 * reference (a speculative fault's) makes the refcount freeze fail.  A
 * pager writes round k's tags into a shared memfd with pwrite(), maps
 * every page through its own mapping and pages them out (MADV_PAGEOUT
 * takes only pages no other mapping maps) or, every other round,
 * deactivates them (MADV_COLD); readers fault the pages through their
 * own mappings, zapping them now and then so that the pager's are the
 * only mappings, with spf pausing between a page's reference and its
 * lock (inject_file_delay_us), and check every value is a round no
 * older than the one published before the read began.
 *
 * A third thread turns swap off and on again, so that shmem_unuse()
 * brings the swapped tmpfs pages back into the cache under the faults
 * (row 43).  The other file kinds race the same pager (paging out one
 * round in four: a swapped tmpfs page is a stock fault), one case each:
 *  - new table: the reader's map alone in its PMDs is mapped anew
 *    before each read (inject_table_delay_us);
 *  - shared and private write: the page zapped, a word of the reader's
 *    own stored through a shared or a private writable map, read back
 *    and checked with pread() to be in the file (shared) or not
 *    (private), the page's tag no older than the round published.
 */
#define RCL_NP 64
#define RCL_READERS 2
#define RCL_OFF 256		/* a writer's word: RCL_OFF + 8 * reader */

enum rcl_kind { RCL_READ, RCL_TABLE, RCL_SHARED, RCL_PRIVATE };

static struct {
	int fd;
	enum rcl_kind kind;
	char *pager_map, *reader_map[RCL_READERS];
	atomic_long published[RCL_NP];
	atomic_bool stop;
	atomic_long rounds, reads, stale, paged, swapoffs, swapoff_fail;
	char detail[160];
} rcl;

static void rcl_stale(const char *fmt, ...)
{
	va_list ap;

	if (atomic_fetch_add(&rcl.stale, 1))
		return;
	va_start(ap, fmt);
	vsnprintf(rcl.detail, sizeof(rcl.detail), fmt, ap);
	va_end(ap);
}

static void *rcl_swapoff(void *arg)
{
	while (!atomic_load(&rcl.stop)) {
		usleep(150000);
		if (swapoff(SWAP_DEV) || swapon(SWAP_DEV, 0))
			atomic_fetch_add(&rcl.swapoff_fail, 1);
		else
			atomic_fetch_add(&rcl.swapoffs, 1);
	}
	return NULL;
}

static void *rcl_pager(void *arg)
{
	size_t ps = page_size();
	uint64_t t;
	long k, i;

	for (k = 1; !atomic_load(&rcl.stop); k++) {
		for (i = 0; i < RCL_NP; i++) {
			t = tag(k, i);
			if (pwrite(rcl.fd, &t, sizeof(t), i * ps) != sizeof(t))
				return NULL;
			atomic_store(&rcl.published[i], k);
		}
		for (i = 0; i < RCL_NP; i++)
			keep(READ_ONCE(rcl.pager_map[i * ps]));
		/*
		 * A swapped tmpfs page is a stock fault: the kinds that
		 * are not reads leave the pages in for three rounds of four.
		 */
		madvise(rcl.pager_map, RCL_NP * ps,
			k % (rcl.kind == RCL_READ ? 2 : 4) == 1 ?
			MADV_PAGEOUT : MADV_COLD);
		atomic_fetch_add(&rcl.paged, RCL_NP -
				 count_pages(rcl.pager_map, RCL_NP, PM_PRESENT));
		atomic_store(&rcl.rounds, k);
	}
	return NULL;
}

/* A store of reader ID's own word into page I (shared or private). */
static void rcl_store(int id, char *q, long i, uint64_t val)
{
	size_t off = i * page_size() + RCL_OFF + 8 * id;
	bool shared = rcl.kind == RCL_SHARED;
	uint64_t back, f = 0;

	madvise(q + i * page_size(), page_size(), MADV_DONTNEED);
	WRITE_ONCE(*(uint64_t *)(q + off), val);
	back = READ_ONCE(*(uint64_t *)(q + off));
	if (pread(rcl.fd, &f, sizeof(f), off) != sizeof(f))
		rcl_stale("page %ld: pread: %s", i, strerror(errno));
	else if (back != val || f != (shared ? val : 0))
		rcl_stale("page %ld: reader %d's %s store %#llx reads back %#llx, the file holds %#llx",
			  i, id, shared ? "shared" : "private",
			  (unsigned long long)val, (unsigned long long)back,
			  (unsigned long long)f);
}

static void *rcl_reader(void *arg)
{
	unsigned int seed = (unsigned int)(uintptr_t)arg;
	int id = seed - 1;
	char *q = rcl.reader_map[id];
	size_t ps = page_size(), len = RCL_NP * ps;
	uint64_t v, n = 0;
	long i, r;

	while (!atomic_load(&rcl.stop)) {
		i = rand_r(&seed) % RCL_NP;
		if (rcl.kind == RCL_READ && rand_r(&seed) % 8 == 0)
			madvise(q, len, MADV_DONTNEED);
		if (rcl.kind == RCL_TABLE &&
		    mmap(q, len, PROT_READ, MAP_SHARED | MAP_FIXED, rcl.fd,
			 0) != q)
			rcl_stale("reader %d cannot map anew: %s", id,
				  strerror(errno));
		r = atomic_load(&rcl.published[i]);
		if (rcl.kind == RCL_SHARED || rcl.kind == RCL_PRIVATE)
			rcl_store(id, q, i, (uint64_t)(id + 1) << 56 | ++n);
		v = READ_ONCE(*(uint64_t *)(q + i * ps));
		atomic_fetch_add(&rcl.reads, 1);
		if ((v & 0xffffffff) != (uint64_t)i + 1 ||
		    (long)(v >> 32) - 1 < r)
			rcl_stale("page %ld: read %#llx, round %ld published before",
				  i, (unsigned long long)v, r);
	}
	return NULL;
}


static void rcl_race(struct __test_metadata *_metadata, enum rcl_kind kind)
{
	static const char *const ctr[] = {
		"spec_file", "pte_tables", "spec_file_write", "spec_file_write"
	};
	const char *knob = SPF_DEBUGFS "/inject_file_delay_us";
	size_t ps = page_size(), len = RCL_NP * ps;
	pthread_t pager, off, readers[RCL_READERS];
	double secs = kind == RCL_READ ? 3 : 2, t0;
	long spec, i;
	const char *e;
	uint64_t t;

	if (!spec_ready(_metadata))
		return;
	e = getenv("SPF_RACE_SECS");
	if (e && atof(e) > 0)
		secs = atof(e);
	memset(&rcl, 0, sizeof(rcl));
	rcl.kind = kind;
	if (kind == RCL_TABLE)
		knob = SPF_DEBUGFS "/inject_table_delay_us";
	rcl.fd = memfd_create("spf-reclaim", MFD_CLOEXEC);
	ASSERT_LE(0, rcl.fd);
	ASSERT_EQ(0, ftruncate(rcl.fd, len));
	for (i = 0; i < RCL_NP; i++) {
		t = tag(0, i);
		ASSERT_EQ((ssize_t)sizeof(t), pwrite(rcl.fd, &t, sizeof(t), i * ps));
	}
	rcl.pager_map = mmap(NULL, len, PROT_READ, MAP_SHARED, rcl.fd, 0);
	ASSERT_NE(MAP_FAILED, rcl.pager_map);
	for (i = 0; i < RCL_READERS; i++) {
		if (kind == RCL_READ)
			rcl.reader_map[i] = mmap(NULL, len, PROT_READ,
						 MAP_SHARED, rcl.fd, 0);
		else
			rcl.reader_map[i] = map_file_chunks(rcl.fd, len,
				kind == RCL_TABLE ? PROT_READ :
				PROT_READ | PROT_WRITE,
				kind == RCL_PRIVATE ? MAP_PRIVATE : MAP_SHARED);
		ASSERT_NE(MAP_FAILED, rcl.reader_map[i]);
		ASSERT_NE(NULL, rcl.reader_map[i]);
		ASSERT_EQ(0, no_thp(rcl.reader_map[i], len));
		/* The first write of a private map gives it its anon_vma. */
		if (kind == RCL_PRIVATE)
			rcl.reader_map[i][RCL_OFF] = 0;
	}
	ASSERT_EQ(0, spf_write_file(knob, "20"));
	spec = spf_stat(ctr[kind]);
	t0 = now_s();
	ASSERT_EQ(0, start_thread(&pager, rcl_pager, NULL));
	for (i = 0; i < RCL_READERS; i++)
		ASSERT_EQ(0, start_thread(&readers[i], rcl_reader,
					  (void *)(uintptr_t)(i + 1)));
	ASSERT_EQ(0, start_thread(&off, rcl_swapoff, NULL));
	usleep(secs * 1e6);
	atomic_store(&rcl.stop, true);
	pthread_join(pager, NULL);
	for (i = 0; i < RCL_READERS; i++)
		pthread_join(readers[i], NULL);
	pthread_join(off, NULL);
	spf_write_file(knob, "0");
	spec = spf_stat(ctr[kind]) - spec;
	TH_LOG("%.1f s: %ld rounds, %ld reads, %ld pages reclaimed, %ld swapoffs (%ld failed), %ld stale; %s %ld",
	       now_s() - t0, atomic_load(&rcl.rounds), atomic_load(&rcl.reads),
	       atomic_load(&rcl.paged), atomic_load(&rcl.swapoffs),
	       atomic_load(&rcl.swapoff_fail), atomic_load(&rcl.stale),
	       ctr[kind], spec);
	EXPECT_EQ(0, atomic_load(&rcl.stale)) TH_LOG("%s", rcl.detail);
	EXPECT_LT(10, atomic_load(&rcl.rounds));
	EXPECT_LT(0, atomic_load(&rcl.paged)) TH_LOG("nothing was reclaimed");
	EXPECT_LT(0, spec) TH_LOG("no such fault was speculative");
	EXPECT_LT(0, atomic_load(&rcl.swapoffs));
	EXPECT_EQ(0, atomic_load(&rcl.swapoff_fail));
	munmap(rcl.pager_map, len);
	for (i = 0; i < RCL_READERS; i++)
		munmap(rcl.reader_map[i], len);
	close(rcl.fd);
}

TEST_F_TIMEOUT(swap, reclaim_race_file_read_faults, SPF_SOAK_TIMEOUT)
{
	rcl_race(_metadata, RCL_READ);
}

TEST_F_TIMEOUT(swap, reclaim_race_file_new_table, SPF_SOAK_TIMEOUT)
{
	rcl_race(_metadata, RCL_TABLE);
}

TEST_F_TIMEOUT(swap, reclaim_race_shared_file_write, SPF_SOAK_TIMEOUT)
{
	rcl_race(_metadata, RCL_SHARED);
}

TEST_F_TIMEOUT(swap, reclaim_race_private_file_write, SPF_SOAK_TIMEOUT)
{
	rcl_race(_metadata, RCL_PRIVATE);
}

TEST_HARNESS_MAIN
