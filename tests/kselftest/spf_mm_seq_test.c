// SPDX-License-Identifier: GPL-2.0
/*
 * The per-mm write sequence count (vma_lookup/mm_seq.c) moves once for
 * every mmap_lock write section of this process and never for read
 * sections or faults.
 *
 * Each case runs twice (vma_lookup/mm_seq_traced.c): with spf's probe
 * alone on mmap_lock_acquire_returned, where spf's redirection of the
 * function that fires it does the counting and formats no memcg path;
 * and with the mmap_lock trace event also attached, where the original
 * runs, formats the path and calls spf's probe.  A count that moved
 * twice, or not at all, in either would fail.
 *
 * The count lives in a hashed slot another mm may share, and khugepaged
 * may write-lock this mm at any time, so a stray bump is possible: each
 * case is tried a few times and passes when one attempt is exact.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sys/wait.h>
#include "kselftest_harness.h"
#include "spf_util.h"
#include "spf_fixture.h"

#define ATTEMPTS 5

#define TRACEFS "/sys/kernel/tracing"
#define EVENT TRACEFS "/events/mmap_lock/mmap_lock_acquire_returned/enable"

FIXTURE(mm_seq) {
};

FIXTURE_VARIANT(mm_seq) {
	bool trace_event;
};

FIXTURE_VARIANT_ADD(mm_seq, probe_alone) {
	.trace_event = false,
};

FIXTURE_VARIANT_ADD(mm_seq, with_trace_event) {
	.trace_event = true,
};

FIXTURE_SETUP(mm_seq)
{
	spf_fixture_load(_metadata);
	if (variant->trace_event) {
		/* An empty buffer: what is read later is this test's. */
		int fd = open(TRACEFS "/trace", O_WRONLY | O_TRUNC | O_CLOEXEC);

		ASSERT_LE(0, fd);
		close(fd);
		ASSERT_EQ(0, spf_write_file(EVENT, "1"));
	}
}

FIXTURE_TEARDOWN(mm_seq)
{
	if (variant->trace_event)
		spf_write_file(EVENT, "0");
	spf_fixture_unload(_metadata);
}

static long paths_skipped(void)
{
	char buf[64];

	if (spf_read_file(SPF_DEBUGFS "/memcg_paths_skipped", buf,
			  sizeof(buf)))
		return -1;
	return strtol(buf, NULL, 10);
}

/* This process's count, and whether its mmap_lock is write-held. */
static long read_mm_seq(int *write_locked)
{
	char buf[128], *wl;

	if (spf_read_file(SPF_DEBUGFS "/mm_seq", buf, sizeof(buf)))
		return -1;
	wl = strstr(buf, "write_locked ");
	if (write_locked && wl)
		*write_locked = atoi(wl + strlen("write_locked "));
	return strncmp(buf, "seq ", 4) ? -1 : strtol(buf + 4, NULL, 10);
}

/* Delta of the count across OP, the first time it is exactly WANT. */
static long delta_of(void (*op)(void), long want)
{
	long before, got = -1;
	int i;

	for (i = 0; i < ATTEMPTS; i++) {
		before = read_mm_seq(NULL);
		op();
		got = read_mm_seq(NULL) - before;
		if (got == want)
			break;
	}
	return got;
}

static char *region;

static void op_nothing(void)
{
}

/* Two write sections (mmap, munmap) around 64 faults. */
static void op_map_fault_unmap(void)
{
	char *p = mmap(NULL, 64 * page_size(), PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p != MAP_FAILED) {
		touch_pages(p, 64, true);
		munmap(p, 64 * page_size());
	}
}

static void op_read_maps(void)
{
	char buf[4096];
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		while (read(fd, buf, sizeof(buf)) > 0)
			;
		close(fd);
	}
}

static void op_mmap(void)
{
	region = mmap(NULL, 4 * page_size(), PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

static void op_mprotect(void)
{
	mprotect(region, 4 * page_size(), PROT_READ);
}

static void op_munmap(void)
{
	munmap(region, 4 * page_size());
}

static void op_brk(void)
{
	sbrk(64 * page_size());
}

TEST_F(mm_seq, reads_and_faults_do_not_count)
{
	int wl = -1;

	ASSERT_LE(0, read_mm_seq(&wl));
	EXPECT_EQ(0, wl);
	EXPECT_EQ(0, delta_of(op_nothing, 0));
	EXPECT_EQ(0, delta_of(op_read_maps, 0));
	EXPECT_EQ(2, delta_of(op_map_fault_unmap, 2));
}

TEST_F(mm_seq, each_write_section_counts_once)
{
	EXPECT_EQ(1, delta_of(op_mmap, 1));
	ASSERT_NE(MAP_FAILED, region);
	EXPECT_EQ(1, delta_of(op_mprotect, 1));
	EXPECT_EQ(1, delta_of(op_munmap, 1));
	EXPECT_EQ(1, delta_of(op_brk, 1));
}

#define READ_REGION	(32UL << 20)

static int stop_reader;
static long reader_passes;

/* Holds mmap_lock for read, over and over: GUP over populated memory. */
static void *reader(void *p)
{
	while (!__atomic_load_n(&stop_reader, __ATOMIC_RELAXED))
		if (!madvise(p, READ_REGION, MADV_POPULATE_READ))
			__atomic_add_fetch(&reader_passes, 1, __ATOMIC_RELAXED);
	return NULL;
}

/*
 * Readers of mmap_lock are not writers: while another thread holds it
 * for read, the count's writer test must say no (PREEMPT_RT's lock word
 * counts readers too; a test that took them for writers would abort
 * every speculative fault beside a reader).  No write section runs in
 * this process meanwhile (THP collapse is kept off the region).
 */
TEST_F(mm_seq, readers_are_not_writers)
{
	char *p = mmap(NULL, READ_REGION, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	long samples = 0, locked = 0;
	pthread_t t;
	int wl, i;

	ASSERT_NE(MAP_FAILED, p);
	madvise(p, READ_REGION, MADV_NOHUGEPAGE);	/* EINVAL without THP */
	memset(p, 1, READ_REGION);
	stop_reader = 0;
	reader_passes = 0;
	ASSERT_EQ(0, pthread_create(&t, NULL, reader, p));
	for (i = 0; i < 2000 &&
	     __atomic_load_n(&reader_passes, __ATOMIC_RELAXED) < 20; i++) {
		wl = -1;
		if (read_mm_seq(&wl) >= 0 && wl >= 0) {
			samples++;
			locked += wl;
		}
	}
	__atomic_store_n(&stop_reader, 1, __ATOMIC_RELAXED);
	pthread_join(t, NULL);
	TH_LOG("%ld samples beside %ld reader passes", samples, reader_passes);
	EXPECT_LT(0, reader_passes);
	EXPECT_LT(0, samples);
	EXPECT_EQ(0, locked);
	munmap(p, READ_REGION);
}

static void op_fork(void)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	if (pid > 0)
		waitpid(pid, NULL, 0);
}

/*
 * Alone, spf's redirection counts the acquisitions and skips the memcg
 * path; with another probe attached it must leave both to the original,
 * so the trace event shows this process's memcg path as stock would.
 */
TEST_F(mm_seq, memcg_path_only_for_other_probes)
{
	long before = paths_skipped();
	char *trace;
	int fd;

	ASSERT_LE(0, before);
	op_map_fault_unmap();
	if (!variant->trace_event) {
		/* Redirected on x86-64 only (ftrace direct calls). */
		bool armed = hook_armed("__mmap_lock_do_trace_acquire_returned");
		long skipped = paths_skipped() - before;

		/* At least mmap's and munmap's when armed, else none. */
		EXPECT_LE(armed ? 2 : 0, skipped);
		EXPECT_TRUE(armed || skipped == 0);
#ifdef __x86_64__
		EXPECT_TRUE(armed);
#endif
		return;
	}
	EXPECT_EQ(0, paths_skipped() - before);
	trace = malloc(1 << 20);
	ASSERT_NE(NULL, trace);
	fd = open(TRACEFS "/trace", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	memset(trace, 0, 1 << 20);
	ASSERT_LT(0, read(fd, trace, (1 << 20) - 1));
	close(fd);
	/* cgroup2 is mounted in the test guest: the path is at least "/". */
	EXPECT_NE(NULL, strstr(trace, "memcg_path=/"));
	EXPECT_EQ(NULL, strstr(trace, "memcg_path= "));
	free(trace);
}

/* fork write-locks the parent's mm while copying it. */
TEST_F(mm_seq, fork_counts_for_the_parent)
{
	EXPECT_EQ(1, delta_of(op_fork, 1));
}

TEST_HARNESS_MAIN
