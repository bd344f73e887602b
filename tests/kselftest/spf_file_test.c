// SPDX-License-Identifier: GPL-2.0
/*
 * File read faults from the page cache (spf/file_fault.c).
 *
 * The deterministic cases map a tmpfs file (memfd) over a primed chunk,
 * so the PTE table exists, at a fault-around-aligned address, and check
 * that each read fault of a cached page is one speculative fault that
 * maps its whole window (as stock's fault-around does: one fault per
 * window, every page of the file present afterwards, the right data),
 * and that a page not in the cache goes stock.
 *
 * The race: truncation and hole punching take no mmap_lock even against
 * stock, so only the page lock, the mapping and i_size checks keep a
 * fault from mapping a page being removed.  A writer loops: round k
 * truncates the file to 0 and back (or punches a hole over all of it),
 * then writes every page with tag(k, page) and publishes, per page,
 * the round it was last written in.  Readers fault pages in (zapping
 * their PTEs with MADV_DONTNEED now and then), with spf pausing between
 * a page's reference and its lock (debugfs inject_file_delay_us), and
 * check each value:
 *  - a tag of this page from a round no older than the one published
 *    for it before the read began (an older one is a page of a
 *    truncated file still mapped);
 *  - zero, or SIGBUS (beyond EOF), only if a truncation or punch began
 *    after that round (otherwise a written page was lost).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <time.h>
#include <linux/falloc.h>
#include "kselftest_harness.h"
#include "spf_util.h"
#include "spf_fixture.h"

#define NP 64			/* pages in the file */

FIXTURE(file) {
};

FIXTURE_SETUP(file)
{
	spf_fixture_load(_metadata);
	if (!_metadata->skip)
		ASSERT_EQ(0, prefault_self());
}

FIXTURE_TEARDOWN(file)
{
	spf_fixture_unload(_metadata);
}

/* Pages per fault-around window: /sys/kernel/debug/fault_around_bytes. */
static long window_pages(void)
{
	char buf[32] = "";

	if (spf_read_file("/sys/kernel/debug/fault_around_bytes", buf,
			  sizeof(buf)))
		return 65536 / page_size();
	return strtol(buf, NULL, 10) / page_size();
}

static uint64_t tag(uint64_t round, uint64_t page)
{
	return (round + 1) << 32 | (page + 1);
}

/* A memfd of NP pages, page i holding tag(0, i), or holes if !fill. */
static int make_file(bool fill)
{
	uint64_t t;
	int fd, i;

	fd = memfd_create("spf-file", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, NP * page_size()))
		return -1;
	for (i = 0; fill && i < NP; i++) {
		t = tag(0, i);
		if (pwrite(fd, &t, sizeof(t), i * page_size()) != sizeof(t))
			return -1;
	}
	return fd;
}

/*
 * The file mapped read-only over a primed chunk (the PTE table exists)
 * at the chunk's first window boundary after its first page.
 */
static char *map_file(char *chunk, int fd, int flags)
{
	char *at = chunk + window_pages() * page_size();

	return mmap(at, NP * page_size(), PROT_READ, flags | MAP_FIXED, fd,
		    0);
}

/* A file (FILL: tagged), a primed chunk, the file mapped in it. */
static int setup(bool fill, int flags, int *fd, char **chunk, char **q)
{
	*fd = make_file(fill);
	if (*fd < 0)
		return -1;
	*chunk = map_primed_chunks(1);
	if (!*chunk)
		return -1;
	*q = map_file(*chunk, *fd, flags);
	return *q == MAP_FAILED ? -1 : 0;
}

static long present_pages(const char *q)
{
	long n = 0;
	int i;

	for (i = 0; i < NP; i++)
		n += !!(pagemap_entry(q + i * page_size()) & PM_PRESENT);
	return n;
}

/* Read every page, checking tag(0, i) or zero; *D: the counter deltas. */
static long read_all(const char *q, bool tagged, struct spf_counts *d)
{
	struct spf_counts a, b;
	long bad = 0;
	int i;

	spf_counts_read(&a);
	spf_counts_read(&a);
	for (i = 0; i < NP; i++)
		bad += READ_ONCE(*(uint64_t *)(q + i * page_size())) !=
		       (tagged ? tag(0, i) : 0);
	spf_counts_read(&b);
	spf_counts_sub(&b, &a, d);
	return bad;
}

static void reads_map_windows(struct __test_metadata *_metadata, int flags)
{
	long win = window_pages(), mapped;
	struct spf_counts d;
	char *p, *q;
	int fd;

	ASSERT_EQ(0, setup(true, flags, &fd, &p, &q));
	mapped = spf_stat("file_mapped");
	EXPECT_EQ(0, read_all(q, true, &d));
	mapped = spf_stat("file_mapped") - mapped;
	EXPECT_EQ(NP / win, d.c[SPF_C_FAULT_HOOK]) TH_LOG("%s",
							 spf_counts_str(&d));
	EXPECT_EQ(NP / win, d.c[SPF_C_SPEC_FILE]) TH_LOG("%s",
							spf_counts_str(&d));
	EXPECT_EQ(NP, mapped);
	EXPECT_EQ(NP, present_pages(q));
	unmap_chunks(p, 1);
	close(fd);
}

TEST_F(file, shared_reads_map_whole_windows)
{
	if (!spec_ready(_metadata))
		return;
	reads_map_windows(_metadata, MAP_SHARED);
}

TEST_F(file, private_reads_map_whole_windows)
{
	if (!spec_ready(_metadata))
		return;
	reads_map_windows(_metadata, MAP_PRIVATE);
}

/* Holes are not in the page cache: each read goes stock, which fills. */
TEST_F(file, pagecache_for_pages_not_cached)
{
	struct spf_counts d;
	char *p, *q;
	int fd;

	if (!spec_ready(_metadata))
		return;
	ASSERT_EQ(0, setup(false, MAP_SHARED, &fd, &p, &q));
	EXPECT_EQ(0, read_all(q, false, &d));
	EXPECT_EQ(NP, d.c[SPF_C_FAULT_HOOK]) TH_LOG("%s", spf_counts_str(&d));
	EXPECT_EQ(NP, d.c[SPF_C_ABORT_PAGECACHE]) TH_LOG("%s",
							spf_counts_str(&d));
	EXPECT_EQ(NP, d.c[SPF_C_STOCK]);
	unmap_chunks(p, 1);
	close(fd);
}

/* ---- the race against truncation and hole punching ---- */

#define NR_READERS 2

static struct {
	int fd;
	char *q;
	atomic_ulong cut;		/* rounds whose cut has begun */
	atomic_ulong written[NP];	/* round each page was last written */
	atomic_int stop;
	atomic_ulong rounds, reads, sigbus, errors;
	char msg[160];
} R;

static __thread sigjmp_buf r_jb;
static __thread int r_armed;	/* shared with the handler: *_ONCE only */

static void bus_handler(int sig, siginfo_t *si, void *uc)
{
	if (READ_ONCE(r_armed)) {
		WRITE_ONCE(r_armed, 0);
		siglongjmp(r_jb, 1);
	}
	signal(SIGBUS, SIG_DFL);	/* not ours: die */
}

static void race_error(const char *fmt, ...)
{
	va_list ap;

	if (atomic_fetch_add(&R.errors, 1) == 0) {
		va_start(ap, fmt);
		vsnprintf(R.msg, sizeof(R.msg), fmt, ap);
		va_end(ap);
	}
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *reader(void *arg)
{
	unsigned int seed = (unsigned int)(uintptr_t)arg;
	size_t ps = page_size();
	unsigned long w, cut;
	uint64_t v;
	bool bus;
	int p;

	while (!atomic_load(&R.stop)) {
		p = rand_r(&seed) % NP;
		if (rand_r(&seed) % 16 == 0)
			madvise(R.q, NP * ps, MADV_DONTNEED);
		w = atomic_load(&R.written[p]);
		if (sigsetjmp(r_jb, 1) == 0) {
			WRITE_ONCE(r_armed, 1);
			v = READ_ONCE(*(uint64_t *)(R.q + p * ps));
			WRITE_ONCE(r_armed, 0);
			bus = false;
		} else {
			v = 0;		/* the load faulted: SIGBUS */
			bus = true;
		}
		cut = atomic_load(&R.cut);
		atomic_fetch_add(&R.reads, 1);
		if (bus || v == 0) {
			atomic_fetch_add(&R.sigbus, bus);
			if (cut <= w)
				race_error("page %d: %s with no cut since round %lu",
					   p, bus ? "SIGBUS" : "zero", w);
		} else if ((v & 0xffffffff) != (uint64_t)p + 1 ||
			   (v >> 32) - 1 < w) {
			race_error("page %d: round %lu's data, written in round %lu",
				   p, (unsigned long)(v >> 32) - 1, w);
		}
	}
	return NULL;
}

/* Round k: cut (truncate to 0 and back, or punch), then rewrite all. */
static int writer_round(unsigned long k)
{
	size_t ps = page_size();
	uint64_t t;
	int i;

	atomic_store(&R.cut, k);
	if (k % 2) {
		if (ftruncate(R.fd, 0) || ftruncate(R.fd, NP * ps))
			return -1;
	} else if (fallocate(R.fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			     0, NP * ps)) {
		return -1;
	}
	for (i = 0; i < NP; i++) {
		t = tag(k, i);
		if (pwrite(R.fd, &t, sizeof(t), i * ps) != sizeof(t))
			return -1;
		atomic_store(&R.written[i], k);
	}
	return 0;
}

TEST_F(file, truncate_and_punch_race_read_faults)
{
	struct sigaction sa = { .sa_sigaction = bus_handler,
				.sa_flags = SA_SIGINFO | SA_NODEFER };
	pthread_t t[NR_READERS];
	double secs = 5, t0;
	long spec, mapped;
	unsigned long k;
	const char *e;
	char *p;
	int i;

	if (!spec_ready(_metadata))
		return;
	e = getenv("SPF_RACE_SECS");
	if (e && atof(e) > 0)
		secs = atof(e);
	memset(&R, 0, sizeof(R));
	sigemptyset(&sa.sa_mask);
	ASSERT_EQ(0, sigaction(SIGBUS, &sa, NULL));
	ASSERT_EQ(0, setup(true, MAP_SHARED, &R.fd, &p, &R.q));

	/* Widen the window between a page's reference and its lock. */
	spf_write_file(SPF_DEBUGFS "/inject_file_delay_us", "20");
	spec = spf_stat("spec_file");
	mapped = spf_stat("file_mapped");
	for (i = 0; i < NR_READERS; i++)
		ASSERT_EQ(0, pthread_create(&t[i], NULL, reader,
					    (void *)(uintptr_t)(i + 1)));
	t0 = now_s();
	for (k = 1; now_s() - t0 < secs; k++) {
		ASSERT_EQ(0, writer_round(k));
		atomic_store(&R.rounds, k);
		usleep(1000);
	}
	atomic_store(&R.stop, 1);
	for (i = 0; i < NR_READERS; i++)
		pthread_join(t[i], NULL);
	spf_write_file(SPF_DEBUGFS "/inject_file_delay_us", "0");
	spec = spf_stat("spec_file") - spec;
	mapped = spf_stat("file_mapped") - mapped;
	TH_LOG("%.1f s: %lu rounds, %lu reads, %lu SIGBUS; spec_file %ld, file_mapped %ld",
	       now_s() - t0, atomic_load(&R.rounds), atomic_load(&R.reads),
	       atomic_load(&R.sigbus), spec, mapped);
	EXPECT_EQ(0UL, atomic_load(&R.errors)) TH_LOG("%s", R.msg);
	EXPECT_LT(10UL, atomic_load(&R.rounds));
	EXPECT_LT(0, spec) TH_LOG("no file fault was speculative");
	unmap_chunks(p, 1);
	close(R.fd);
}

TEST_HARNESS_MAIN
