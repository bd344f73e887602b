// SPDX-License-Identifier: GPL-2.0
/*
 * Every abort reason of the speculative path, provoked on purpose and
 * seen counted.  Each deterministic case prepares memory so that the
 * reason under test is the only one that applies (the PTE table exists,
 * the VMA has its anon_vma...), then checks that exactly the provoked
 * faults entered the hook and that each ended in that reason: no other
 * outcome counter moves.  The racy reasons (seq_odd, seq_changed, ptl)
 * are provoked in a loop until seen or a deadline passes, and the pages
 * touched meanwhile are checked for lost or wrong contents.
 *
 * The process faults in everything it has mapped first (prefault_self()),
 * so that its own text, data and stack take no fault inside a measured
 * section; the guest runs nothing else meanwhile.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <time.h>
#include <linux/userfaultfd.h>
#include <linux/magic.h>
#include <sys/ioctl.h>
#include <sys/shm.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include "kselftest_harness.h"
#include "spf_util.h"
#include "spf_fixture.h"

#define N 32

FIXTURE(abort) {
};

FIXTURE_SETUP(abort)
{
	spf_fixture_load(_metadata);
	if (!_metadata->skip)
		ASSERT_EQ(0, prefault_self());
}

FIXTURE_TEARDOWN(abort)
{
	spf_fixture_unload(_metadata);
}

/*
 * Counter deltas across STMT.  The first read warms the buffers; the
 * second is the baseline.
 */
#define MEASURE(d, stmt) do {						\
	struct spf_counts _a, _b;					\
	spf_counts_read(&_a);						\
	spf_counts_read(&_a);						\
	stmt;								\
	spf_counts_read(&_b);						\
	spf_counts_sub(&_b, &_a, (d));					\
} while (0)

/* Stay on the current CPU (per-CPU caches); *OLD gets the mask back. */
static int pin_to_this_cpu(cpu_set_t *old)
{
	cpu_set_t one;

	if (sched_getaffinity(0, sizeof(*old), old))
		return -1;
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu(), &one);
	return sched_setaffinity(0, sizeof(one), &one);
}

/* Exactly N hook entries, each ended in OUTCOME and nothing else moved. */
static void expect_only(struct __test_metadata *_metadata,
			const struct spf_counts *d, int outcome, long n)
{
	int i;

	EXPECT_EQ(n, d->c[SPF_C_FAULT_HOOK]) {
		TH_LOG("hook entries; expected %ld %s, deltas:%s", n,
		       spf_ctr_name(outcome), spf_counts_str(d));
	}
	for (i = SPF_C_SPEC_READ; i < SPF_NR_CTRS; i++)
		EXPECT_EQ(i == outcome ? n : 0, d->c[i]) {
			TH_LOG("%s; expected %ld %s, deltas:%s",
			       spf_ctr_name(i), n, spf_ctr_name(outcome),
			       spf_counts_str(d));
		}
}

/* Touch pages FIRST..LAST of P; a write stores the page's index. */
static void touch_range(char *p, size_t first, size_t last, bool write)
{
	size_t i;

	for (i = first; i <= last; i++)
		if (write)
			p[i * page_size()] = (char)i;
		else
			keep(p[i * page_size()]);
}

/* Touch byte OFF of chunks FIRST..LAST of P; a write stores 1. */
static void touch_chunks(char *p, size_t first, size_t last, size_t off,
			 bool write)
{
	size_t pmd = pmd_bytes(), i;

	for (i = first; i <= last; i++)
		if (write)
			p[i * pmd + off] = 1;
		else
			keep(p[i * pmd + off]);
}

/* Write pages FIRST..LAST of P, each with BASE plus its index. */
static void write_range(char *p, size_t first, size_t last, int base)
{
	size_t i;

	for (i = first; i <= last; i++)
		p[i * page_size()] = (char)(base + i);
}

/* Probe pages FIRST..LAST; how many raised SIG with CODE. */
static long probe_range(char *p, size_t first, size_t last, bool write,
			int sig, int code)
{
	struct spf_sig s;
	long hits = 0;
	size_t i;

	for (i = first; i <= last; i++) {
		spf_probe(p + i * page_size(), write, 1, &s);
		hits += s.signo == sig && s.code == code &&
			s.addr == p + i * page_size();
	}
	return hits;
}

static bool range_is(char *p, size_t first, size_t last, bool written)
{
	size_t i;

	for (i = first; i <= last; i++)
		if (!page_is(p + i * page_size(), 0, written ? (char)i : 0))
			return false;
	return true;
}

TEST_F(abort, no_vma_for_an_unmapped_address)
{
	struct spf_counts d;
	long hits = 0;
	char *p;

	if (!spec_ready(_metadata))
		return;
	p = map_primed_chunks(1);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, munmap(p + page_size(), N * page_size()));
	MEASURE(&d, hits = probe_range(p, 1, N, false, SIGSEGV, SEGV_MAPERR));
	EXPECT_EQ(N, hits);
	expect_only(_metadata, &d, SPF_C_ABORT_NO_VMA, N);
}

/* The [stack] VMA's start, from /proc/self/maps. */
static char *stack_start(void)
{
	static char buf[65536];
	char *line, *end;

	memset(buf, 0, sizeof(buf));
	if (spf_read_file("/proc/self/maps", buf, sizeof(buf)))
		return NULL;
	line = strstr(buf, "[stack]");
	if (!line)
		return NULL;
	while (line > buf && line[-1] != '\n')
		line--;
	return (char *)strtoul(line, &end, 16);
}

/* Below the stack there is no VMA yet: stock grows the stack. */
TEST_F(abort, no_vma_for_stack_growth)
{
	struct spf_counts d;
	struct spf_sig s;
	char *start, *below;

	if (!spec_ready(_metadata))
		return;
	start = stack_start();
	ASSERT_NE(NULL, start);
	below = start - page_size();
	MEASURE(&d, spf_probe(below, true, 7, &s));
	EXPECT_EQ(0, s.signo);
	EXPECT_EQ(7, *below);
	EXPECT_EQ(below, stack_start());
	expect_only(_metadata, &d, SPF_C_ABORT_NO_VMA, 1);
}

/*
 * SysV shared memory over pages 1..N of P: its VMA has no
 * ->map_pages, so spf turns every fault in it down (abort_not_anon).
 */
static int attach_shm(char *p)
{
	int id = shmget(IPC_PRIVATE, N * page_size(), IPC_CREAT | 0600);
	void *q;

	if (id < 0)
		return -1;
	q = shmat(id, p + page_size(), SHM_REMAP);
	shmctl(id, IPC_RMID, NULL);	/* gone once detached */
	return q == p + page_size() ? 0 : -1;
}

/*
 * Replace pages 1..N of a primed chunk (whose PTE table stays) with
 * another kind of mapping (FD, or SysV shared memory if FD < 0) and
 * write them all: no fault-around for writes, so one fault per page,
 * each OUTCOME but the first, OUTCOME_FIRST (-1: OUTCOME, and stock may
 * retry some).
 */
static void expect_outcome(struct __test_metadata *_metadata, int flags,
			   int fd, int outcome, int outcome_first)
{
	struct spf_counts d;
	char *p, *q;

	p = map_primed_chunks(1);
	ASSERT_NE(NULL, p);
	if (fd < 0) {
		ASSERT_EQ(0, attach_shm(p));
	} else {
		q = mmap(p + page_size(), N * page_size(),
			 PROT_READ | PROT_WRITE, flags | MAP_FIXED, fd, 0);
		ASSERT_EQ(p + page_size(), q);
	}
	MEASURE(&d, touch_range(p, 1, N, true));
	EXPECT_TRUE(range_is(p, 1, N, true));
	if (outcome_first < 0) {
		/*
		 * A network file: stock may retry, another hook entry,
		 * declined as the first or turned down as a retry.
		 */
		EXPECT_LE(N, d.c[SPF_C_FAULT_HOOK]);
		EXPECT_EQ(d.c[SPF_C_FAULT_HOOK],
			  d.c[outcome] + d.c[SPF_C_ABORT_OTHER])
			TH_LOG("%s", spf_counts_str(&d));
		EXPECT_LE(d.c[SPF_C_ABORT_OTHER], d.c[SPF_C_RETRY])
			TH_LOG("%s", spf_counts_str(&d));
	} else if (outcome_first == outcome) {
		expect_only(_metadata, &d, outcome, N);
	} else {
		EXPECT_EQ(N, d.c[SPF_C_FAULT_HOOK]);
		EXPECT_EQ(1, d.c[outcome_first]) TH_LOG("%s",
							spf_counts_str(&d));
		EXPECT_EQ(N - 1, d.c[outcome]) TH_LOG("%s",
						       spf_counts_str(&d));
	}
	if (fd < 0)
		shmdt(p + page_size());
	unmap_chunks(p, 1);
}

/*
 * What file and shared-memory writes spf leaves to stock: mappings
 * without ->map_pages (SysV shm), shared mappings of a file whose
 * writes go through ->page_mkwrite() (the 9p share the tests run from,
 * or ext4), and writes to tmpfs pages not in the page cache (holes:
 * stock allocates them), after the first private one (no anon_vma).
 */
TEST_F(abort, not_anon_for_special_and_mkwrite_mappings)
{
	char name[] = "spf-abort-XXXXXX";
	struct statfs sfs;
	int fd;

	if (!spec_ready(_metadata))
		return;
	TH_LOG("SysV shared memory");
	expect_outcome(_metadata, 0, -1, SPF_C_ABORT_NOT_ANON,
		       SPF_C_ABORT_NOT_ANON);

	ASSERT_EQ(0, statfs(".", &sfs));
	if (sfs.f_type != TMPFS_MAGIC) {
		fd = mkstemp(name);
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, ftruncate(fd, N * page_size()));
		TH_LOG("MAP_SHARED file in the working folder");
		expect_outcome(_metadata, MAP_SHARED, fd,
			       SPF_C_ABORT_NOT_ANON, -1);
		close(fd);
		unlink(name);
	}

	fd = memfd_create("spf-abort", MFD_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ftruncate(fd, N * page_size()));
	TH_LOG("MAP_SHARED tmpfs holes");
	expect_outcome(_metadata, MAP_SHARED, fd, SPF_C_ABORT_PAGECACHE,
		       SPF_C_ABORT_PAGECACHE);
	close(fd);

	/* A new file: the shared writes filled the holes of that one. */
	fd = memfd_create("spf-abort", MFD_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ftruncate(fd, N * page_size()));
	TH_LOG("MAP_PRIVATE tmpfs holes");
	expect_outcome(_metadata, MAP_PRIVATE, fd, SPF_C_ABORT_PAGECACHE,
		       SPF_C_ABORT_NO_ANON_VMA);
	close(fd);
}

/*
 * spf/decline.c: after one lookup met the special VMA (SysV shared
 * memory), the next faults in it are turned down before the hook
 * redirects them, counted like the
 * first (hook entry, abort_not_anon), plus "declined".  Once a write
 * section has replaced the mapping with an anonymous one, none may be:
 * a cache that ignored the write count would turn the first read down.
 * Pinned to one CPU, since the memory is per CPU.
 */
TEST_F(abort, not_anon_declined_early_until_a_write_section)
{
	struct spf_counts d;
	cpu_set_t old;
	long declined;
	char *p, *q;

	if (!spec_ready(_metadata))
		return;
	ASSERT_EQ(0, pin_to_this_cpu(&old));
	p = map_primed_chunks(1);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, attach_shm(p));

	declined = spf_stat("declined");
	MEASURE(&d, touch_range(p, 1, N, true));
	declined = spf_stat("declined") - declined;
	EXPECT_TRUE(range_is(p, 1, N, true));
	expect_only(_metadata, &d, SPF_C_ABORT_NOT_ANON, N);
	EXPECT_LE(N / 2, declined);	/* a stray write section costs hits */

	ASSERT_EQ(0, shmdt(p + page_size()));
	q = mmap(p + page_size(), N * page_size(), PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	ASSERT_EQ(p + page_size(), q);
	declined = spf_stat("declined");
	MEASURE(&d, touch_range(p, 1, N, false));
	declined = spf_stat("declined") - declined;
	expect_only(_metadata, &d, SPF_C_SPEC_READ, N);
	EXPECT_EQ(0, declined);

	unmap_chunks(p, 1);
	sched_setaffinity(0, sizeof(old), &old);
}

/*
 * A fresh VMA: a read fault makes the PTE table (reads need no
 * anon_vma, so the next reads speculate); the first write cannot, and
 * once stock gave the VMA its anon_vma, the next writes speculate.
 */
TEST_F(abort, no_anon_vma_for_the_first_write)
{
	struct spf_counts d;
	char *p;

	if (!spec_ready(_metadata))
		return;
	p = map_chunks(1);
	ASSERT_NE(NULL, p);
	MEASURE(&d, keep(p[0]));	/* and spf adds the PTE table */
	expect_only(_metadata, &d, SPF_C_SPEC_READ, 1);
	MEASURE(&d, touch_range(p, 1, N, false));
	expect_only(_metadata, &d, SPF_C_SPEC_READ, N);
	MEASURE(&d, touch_range(p, N + 1, N + 1, true));
	expect_only(_metadata, &d, SPF_C_ABORT_NO_ANON_VMA, 1);
	MEASURE(&d, touch_range(p, N + 2, 2 * N + 1, true));
	expect_only(_metadata, &d, SPF_C_SPEC_WRITE, N);
	EXPECT_TRUE(range_is(p, 0, N, false));
	EXPECT_TRUE(range_is(p, N + 1, 2 * N + 1, true));
}

TEST_F(abort, access_for_read_only_and_prot_none)
{
	struct spf_counts d;
	long hits = 0;
	char *p;

	if (!spec_ready(_metadata))
		return;
	p = map_primed_chunks(1);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, mprotect(p + page_size(), N * page_size(), PROT_READ));
	ASSERT_EQ(0, mprotect(p + (N + 1) * page_size(), 2 * N * page_size(),
			      PROT_NONE));

	TH_LOG("write to PROT_READ");
	MEASURE(&d, hits = probe_range(p, 1, N, true, SIGSEGV, SEGV_ACCERR));
	EXPECT_EQ(N, hits);
	expect_only(_metadata, &d, SPF_C_ABORT_ACCESS, N);

	TH_LOG("read of PROT_NONE");
	MEASURE(&d, hits = probe_range(p, N + 1, 2 * N, false, SIGSEGV,
				       SEGV_ACCERR));
	EXPECT_EQ(N, hits);
	expect_only(_metadata, &d, SPF_C_ABORT_ACCESS, N);

	TH_LOG("write to PROT_NONE");
	MEASURE(&d, hits = probe_range(p, 2 * N + 1, 3 * N, true, SIGSEGV,
				       SEGV_ACCERR));
	EXPECT_EQ(N, hits);
	expect_only(_metadata, &d, SPF_C_ABORT_ACCESS, N);

	/* Nothing was mapped behind the signals. */
	EXPECT_FALSE(!!(pagemap_entry(p + page_size()) & PM_PRESENT));
	EXPECT_FALSE(!!(pagemap_entry(p + (N + 1) * page_size()) & PM_PRESENT));
}

/*
 * The first fault in each 2 MiB region finds no PTE table: spf adds one
 * (pte_tables), for a read or a write, where stock would not map a huge
 * page (THP is off in these chunks).  The VMA's first write still goes
 * stock, for its anon_vma.
 */
TEST_F(abort, pte_table_added_for_the_first_fault_in_each_2m_region)
{
	size_t pmd = pmd_bytes(), i;
	struct spf_counts d;
	long tables;
	char *p;

	if (!spec_ready(_metadata))
		return;
	p = map_chunks(8);
	ASSERT_NE(NULL, p);
	tables = spf_stat("pte_tables");
	MEASURE(&d, touch_chunks(p, 0, 3, 0, false));
	expect_only(_metadata, &d, SPF_C_SPEC_READ, 4);
	EXPECT_EQ(4, spf_stat("pte_tables") - tables);
	MEASURE(&d, touch_chunks(p, 0, 3, page_size(), false));
	expect_only(_metadata, &d, SPF_C_SPEC_READ, 4);

	/* Writes: give the VMA its anon_vma in one chunk, then the rest. */
	MEASURE(&d, p[4 * pmd] = 1);
	expect_only(_metadata, &d, SPF_C_ABORT_NO_ANON_VMA, 1);
	tables = spf_stat("pte_tables");
	MEASURE(&d, touch_chunks(p, 5, 7, 0, true));
	expect_only(_metadata, &d, SPF_C_SPEC_WRITE, 3);
	EXPECT_EQ(3, spf_stat("pte_tables") - tables);
	MEASURE(&d, touch_chunks(p, 5, 7, page_size(), true));
	expect_only(_metadata, &d, SPF_C_SPEC_WRITE, 3);
	for (i = 4; i < 8; i++)
		EXPECT_TRUE(page_is(p + i * pmd, 0, 1));
	unmap_chunks(p, 8);
}

/* N chunks with THP on (madvise); NULL and the test skipped if off. */
static char *map_huge_chunks(struct __test_metadata *_metadata, size_t n)
{
	char thp[128] = "";
	char *p;

	spf_read_file("/sys/kernel/mm/transparent_hugepage/enabled", thp,
		      sizeof(thp));
	if (!strstr(thp, "[always]") && !strstr(thp, "[madvise]"))
		SKIP(return NULL, "THP is off: %s", thp[0] ? thp : "none");
	p = map_chunks(n);
	if (p && madvise(p, n * pmd_bytes(), MADV_HUGEPAGE))
		return NULL;
	return p;
}

/*
 * Where stock maps a huge page (THP on for the VMA, the chunk aligned),
 * a read is left to it (the huge zero page), and never gets small pages
 * where stock would have mapped a huge one.
 */
TEST_F(abort, pgtable_for_a_read_where_stock_maps_a_huge_page)
{
	struct spf_counts d;
	long tables;
	char *p;

	if (!spec_ready(_metadata))
		return;
	p = map_huge_chunks(_metadata, 2);
	if (_metadata->skip)
		return;
	ASSERT_NE(NULL, p);
	tables = spf_stat("pte_tables");
	MEASURE(&d, touch_chunks(p, 0, 1, 0, false));
	expect_only(_metadata, &d, SPF_C_ABORT_PGTABLE, 2);
	EXPECT_EQ(0, spf_stat("pte_tables") - tables);
	unmap_chunks(p, 2);
}

/*
 * A write there maps a huge page speculatively (spf/thp_fault.c), once
 * the VMA has its anon_vma; a huge page that cannot be allocated at
 * once goes stock (abort_alloc), which falls back as it would anyway.
 */
TEST_F(abort, thp_for_a_write_where_stock_maps_a_huge_page)
{
	size_t pmd = pmd_bytes(), i;
	struct spf_counts d;
	long huge = 0;
	char *p;

	if (!spec_ready(_metadata))
		return;
	p = map_huge_chunks(_metadata, 4);
	if (_metadata->skip)
		return;
	ASSERT_NE(NULL, p);
	MEASURE(&d, p[0] = 1);
	expect_only(_metadata, &d, SPF_C_ABORT_NO_ANON_VMA, 1);
	MEASURE(&d, touch_chunks(p, 1, 3, 0, true));
	EXPECT_EQ(3, d.c[SPF_C_FAULT_HOOK]) TH_LOG("%s", spf_counts_str(&d));
	EXPECT_EQ(3, d.c[SPF_C_SPEC_THP] + d.c[SPF_C_ABORT_ALLOC])
		TH_LOG("%s", spf_counts_str(&d));
	EXPECT_LE(1, d.c[SPF_C_SPEC_THP]) TH_LOG("%s", spf_counts_str(&d));
	for (i = 1; i <= 3; i++) {
		huge += !!(kpageflags_of(p + i * pmd) &
			   (1ULL << KPF_THP_BIT));
		EXPECT_TRUE(page_is(p + i * pmd, 0, 1));
		EXPECT_EQ(0, p[i * pmd + pmd - 1]);
	}
	/* A huge page for each speculative fault; stock may map some too. */
	EXPECT_LE(d.c[SPF_C_SPEC_THP], huge);
	unmap_chunks(p, 4);
}

/* A write to the shared zero page: a new zeroed page replaces it. */
TEST_F(abort, wp_zero_for_a_write_to_the_zero_page)
{
	struct spf_counts d;
	size_t i;
	long excl = 0;
	char *p;

	if (!spec_ready(_metadata))
		return;
	p = map_primed_chunks(1);
	ASSERT_NE(NULL, p);
	MEASURE(&d, touch_range(p, 1, N, false));
	expect_only(_metadata, &d, SPF_C_SPEC_READ, N);
	MEASURE(&d, touch_range(p, 1, N, true));
	expect_only(_metadata, &d, SPF_C_SPEC_WP_ZERO, N);
	EXPECT_TRUE(range_is(p, 1, N, true));
	for (i = 1; i <= N; i++)
		excl += !!(pagemap_entry(p + i * page_size()) & PM_EXCLUSIVE);
	EXPECT_EQ(N, excl);
}

/* The page frame number of each of pages 1..N, from pagemap. */
static void range_pfns(char *p, uint64_t *pfn)
{
	size_t i;

	for (i = 1; i <= N; i++)
		pfn[i] = pagemap_entry(p + i * page_size()) & PM_PFN_MASK;
}

static long pfns_kept(const uint64_t *a, const uint64_t *b)
{
	long kept = 0;
	size_t i;

	for (i = 1; i <= N; i++)
		kept += a[i] && a[i] == b[i];
	return kept;
}

/*
 * COW: the parent writes pages a live child still shares; each gets a
 * page of its own (a new frame) with the old contents, then the write,
 * and the child keeps seeing the old contents.  No longer turned down
 * from the error code on x86-64.
 */
TEST_F(abort, wp_copy_for_cow_after_fork)
{
	uint64_t before[N + 1], after[N + 1];
	struct spf_counts d;
	int ready[2], go[2], status;
	char c = 0, *p;
	long bad, declined;
	pid_t pid;

	if (!spec_ready(_metadata))
		return;
	p = map_primed_chunks(1);
	ASSERT_NE(NULL, p);
	MEASURE(&d, touch_range(p, 1, N, true));
	expect_only(_metadata, &d, SPF_C_SPEC_WRITE, N);
	ASSERT_EQ(0, pipe(ready));
	ASSERT_EQ(0, pipe(go));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		/*
		 * Only reads the range, which keeps sharing it (no prefault:
		 * GUP would break COW here and leave the parent's pages to
		 * reuse); then waits.
		 */
		if (write(ready[1], &c, 1) != 1 || read(go[0], &c, 1) != 1)
			_exit(2);
		_exit(range_is(p, 1, N, true) ? 0 : 1);
	}
	ASSERT_EQ(1, read(ready[0], &c, 1));
	/*
	 * fork() write-protected our stack and data too: a first pass of
	 * the measuring code takes its own copy-on-write faults, so that
	 * the measured pass sees only the N of the range.
	 */
	memset(after, 0, sizeof(after));
	range_pfns(p, before);
	declined = spf_stat("declined");
	MEASURE(&d, (void)0);
	MEASURE(&d, write_range(p, 1, N, 100));
	declined = spf_stat("declined") - declined;
	range_pfns(p, after);
	expect_only(_metadata, &d, SPF_C_SPEC_WP_COPY, N);
	EXPECT_EQ(0, declined);
	EXPECT_EQ(0, pfns_kept(before, after)) TH_LOG("pages not copied");
	ASSERT_EQ(1, write(go[1], &c, 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status)) TH_LOG("the child saw our writes");
	bad = 0;
	for (size_t i = 1; i <= N; i++)
		bad += !page_is(p + i * page_size(), 0, (char)(100 + i));
	EXPECT_EQ(0, bad);
}

/*
 * Once the child has exited, the parent's pages are its alone again
 * but not marked so (fork cleared PageAnonExclusive): stock's locked
 * refcount test lets the parent reuse each page in place, the same
 * frame, now exclusive.  Pages still in a per-CPU LRU cache would go
 * stock (abort_pte): pinned to one CPU, later first touches push the
 * range's pages out of that cache before the fork.
 */
TEST_F(abort, wp_reuse_once_the_child_has_exited)
{
	uint64_t before[N + 1], after[N + 1];
	struct spf_counts d;
	long excl = 0;
	cpu_set_t old;
	int status;
	size_t i;
	char *p;
	pid_t pid;

	if (!spec_ready(_metadata))
		return;
	ASSERT_EQ(0, pin_to_this_cpu(&old));
	p = map_primed_chunks(1);
	ASSERT_NE(NULL, p);
	touch_range(p, 1, N, true);
	touch_range(p, N + 1, 2 * N, true);	/* flushes the LRU cache */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(range_is(p, 1, N, true) ? 0 : 1);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status));

	/* Our own stack and data first, as above. */
	memset(after, 0, sizeof(after));
	range_pfns(p, before);
	MEASURE(&d, (void)0);
	MEASURE(&d, write_range(p, 1, N, 100));
	range_pfns(p, after);
	expect_only(_metadata, &d, SPF_C_SPEC_WP_REUSE, N);
	EXPECT_EQ(N, pfns_kept(before, after)) TH_LOG("pages copied");
	for (i = 1; i <= N; i++) {
		excl += !!(pagemap_entry(p + i * page_size()) & PM_EXCLUSIVE);
		EXPECT_TRUE(page_is(p + i * page_size(), 0, (char)(100 + i)));
	}
	EXPECT_EQ(N, excl);
	unmap_chunks(p, 1);
	sched_setaffinity(0, sizeof(old), &old);
}

/* userfaultfd with UFFD_FEATURE_SIGBUS: no server needed. */
TEST_F(abort, uffd_for_a_registered_range)
{
	struct uffdio_api api = { .api = UFFD_API,
				  .features = UFFD_FEATURE_SIGBUS };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	struct spf_counts d;
	long hits = 0;
	char *p;
	int fd;

	if (!spec_ready(_metadata))
		return;
	p = map_primed_chunks(1);
	ASSERT_NE(NULL, p);
	fd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		SKIP(return, "userfaultfd: %s", strerror(errno));
	ASSERT_EQ(0, ioctl(fd, UFFDIO_API, &api));
	reg.range.start = (uintptr_t)(p + page_size());
	reg.range.len = 2 * N * page_size();
	ASSERT_EQ(0, ioctl(fd, UFFDIO_REGISTER, &reg));
	MEASURE(&d, hits = probe_range(p, 1, N, false, SIGBUS, BUS_ADRERR));
	EXPECT_EQ(N, hits);
	expect_only(_metadata, &d, SPF_C_ABORT_UFFD, N);
	MEASURE(&d, hits = probe_range(p, N + 1, 2 * N, true, SIGBUS,
				       BUS_ADRERR));
	EXPECT_EQ(N, hits);
	expect_only(_metadata, &d, SPF_C_ABORT_UFFD, N);
	close(fd);
}

#define INJECT SPF_DEBUGFS "/inject_alloc_fail"

/*
 * Injected allocation failures abort the next N speculative writes;
 * stock then allocates, so the pages come out right.  Reads allocate
 * nothing and leave the injection pending.
 */
TEST_F(abort, alloc_for_injected_failures)
{
	struct spf_counts d;
	char *p;

	if (!spec_ready(_metadata))
		return;
	p = map_primed_chunks(1);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, spf_write_file(INJECT, "32"));
	EXPECT_EQ(N, spf_stat("inject_alloc_fail"));
	MEASURE(&d, touch_range(p, 1, N, true));
	expect_only(_metadata, &d, SPF_C_ABORT_ALLOC, N);
	EXPECT_EQ(0, spf_stat("inject_alloc_fail"));
	EXPECT_TRUE(range_is(p, 1, N, true));

	ASSERT_EQ(0, spf_write_file(INJECT, "32"));
	MEASURE(&d, touch_range(p, N + 1, 2 * N, false));
	expect_only(_metadata, &d, SPF_C_SPEC_READ, N);
	EXPECT_EQ(N, spf_stat("inject_alloc_fail"));
	EXPECT_TRUE(range_is(p, N + 1, 2 * N, false));

	/* Once used up, writes speculate again. */
	MEASURE(&d, touch_range(p, 2 * N + 1, 3 * N, true));
	expect_only(_metadata, &d, SPF_C_ABORT_ALLOC, N);
	MEASURE(&d, touch_range(p, 3 * N + 1, 4 * N, true));
	expect_only(_metadata, &d, SPF_C_SPEC_WRITE, N);
	EXPECT_EQ(0, spf_stat("inject_alloc_fail"));
	EXPECT_TRUE(range_is(p, 2 * N + 1, 4 * N, true));
}

TEST_F(abort, other_for_mlocked_range)
{
	struct spf_counts d;
	char *p;

	if (!spec_ready(_metadata))
		return;
	p = map_primed_chunks(1);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, syscall(SYS_mlock2, p + page_size(), 2 * N * page_size(),
			     MLOCK_ONFAULT));
	MEASURE(&d, touch_range(p, 1, N, true));
	expect_only(_metadata, &d, SPF_C_ABORT_OTHER, N);
	MEASURE(&d, touch_range(p, N + 1, 2 * N, false));
	expect_only(_metadata, &d, SPF_C_ABORT_OTHER, N);
	EXPECT_TRUE(range_is(p, 1, N, true));
	EXPECT_TRUE(range_is(p, N + 1, 2 * N, false));
}

#define MPOL_PREFERRED 1

TEST_F(abort, other_for_mbind_policy)
{
	unsigned long node0 = 1;
	struct spf_counts d;
	char *p;

	if (!spec_ready(_metadata))
		return;
	p = map_primed_chunks(1);
	ASSERT_NE(NULL, p);
	if (syscall(SYS_mbind, p + page_size(), 2 * N * page_size(),
		    MPOL_PREFERRED, &node0, 8 * sizeof(node0), 0))
		SKIP(return, "mbind: %s", strerror(errno));
	MEASURE(&d, touch_range(p, 1, N, true));
	expect_only(_metadata, &d, SPF_C_ABORT_OTHER, N);
	MEASURE(&d, touch_range(p, N + 1, 2 * N, false));
	expect_only(_metadata, &d, SPF_C_ABORT_OTHER, N);
	EXPECT_TRUE(range_is(p, 1, N, true));
}

/* ---- Racy reasons: loop with a deadline until seen. */

#define DEADLINE_S 10


/*
 * Writer: mprotect()s a large populated region back and forth (long
 * mmap_lock write sections), then one page of another region a few
 * times (short sections, which begin often).
 */
struct writer {
	char *big, *small;
	size_t big_len;
	int stop;
	long rounds;
};

static void *writer_fn(void *arg)
{
	struct writer *w = arg;
	int i;

	while (!READ_ONCE(w->stop)) {
		mprotect(w->big, w->big_len, PROT_READ);
		mprotect(w->big, w->big_len, PROT_READ | PROT_WRITE);
		for (i = 0; i < 16; i++)
			mprotect(w->small, page_size(),
				 i & 1 ? PROT_READ | PROT_WRITE : PROT_READ);
		w->rounds++;
	}
	return NULL;
}

/* One chunk's worth of fresh writes, checked; false on bad contents. */
static bool fault_chunk(void)
{
	size_t last = pmd_bytes() / page_size() - 1;
	char *p = map_primed_chunks(1);
	bool ok;

	if (!p)
		return false;
	touch_range(p, 1, last, true);
	ok = range_is(p, 1, last, true);
	unmap_chunks(p, 1);
	return ok;
}

static void race_writer(struct __test_metadata *_metadata, int want)
{
	struct spf_counts a, b, d;
	struct writer w = { 0 };
	long chunks = 0, bad = 0;
	pthread_t t;
	double end;

	w.big = map_chunks(4);
	w.small = map_chunks(1);
	ASSERT_NE(NULL, w.big);
	ASSERT_NE(NULL, w.small);
	w.big_len = 4 * pmd_bytes();
	memset(w.big, 1, w.big_len);
	w.small[0] = 1;

	spf_counts_read(&a);
	ASSERT_EQ(0, start_thread(&t, writer_fn, &w));
	end = now_s() + DEADLINE_S;
	do {
		bad += !fault_chunk();
		chunks++;
		spf_counts_read(&b);
		spf_counts_sub(&b, &a, &d);
	} while (d.c[want] == 0 && now_s() < end);
	WRITE_ONCE(w.stop, 1);
	pthread_join(t, NULL);
	spf_counts_read(&b);
	spf_counts_sub(&b, &a, &d);
	TH_LOG("%ld chunks against %ld writer rounds:%s", chunks, w.rounds,
	       spf_counts_str(&d));
	EXPECT_LT(0, d.c[want]) TH_LOG("no %s in %d s", spf_ctr_name(want),
					DEADLINE_S);
	EXPECT_EQ(0, bad);
	EXPECT_LT(0, spf_counts_spec(&d));
	EXPECT_EQ(d.c[SPF_C_FAULT_HOOK], spf_counts_outcomes(&d));
}

TEST_F_TIMEOUT(abort, seq_odd_while_a_writer_holds_mmap_lock, 60)
{
	if (!spec_ready(_metadata))
		return;
	race_writer(_metadata, SPF_C_ABORT_SEQ_ODD);
}

TEST_F_TIMEOUT(abort, seq_changed_when_a_write_section_begins, 60)
{
	if (!spec_ready(_metadata))
		return;
	race_writer(_metadata, SPF_C_ABORT_SEQ_CHANGED);
}

/*
 * Two threads fault the same fresh pages in the same order (audit row
 * 23, other faults of the mm): the loser of a race for a PTE, or for
 * the PTE table or huge pmd both would add, finds it filled under the
 * lock (abort_ptl).  One kind per case:
 *
 *   anon          each writes its own byte into anonymous pages of a
 *                 chunk whose table exists: first touches
 *   thp           the same into a THP-enabled chunk with an empty pmd:
 *                 both try to map the huge page
 *   file_read     each reads a shared memfd mapping at an empty pmd:
 *                 both try to add the table (fault-around), or one
 *                 finds a page the other's fault-around holds locked
 *   file_private  each writes its own byte into a private memfd
 *                 mapping: private file writes (the first page is
 *                 written alone first, to give the VMA its anon_vma)
 *
 * Every page must end up with both bytes and the rest of its old
 * content (zeros, or the file's), no install replacing another's page,
 * every read must see the file's data, and the file must not change.
 * inject_table_delay_us (where the module has it) widens the thp and
 * file_read windows.
 */
enum twin_kind { TWIN_ANON, TWIN_THP, TWIN_FILE_READ, TWIN_FILE_PRIVATE };

struct twin {
	char *p;		/* the chunk both fault */
	size_t first;		/* its first page they fault */
	enum twin_kind kind;
	pthread_barrier_t start, done;
	int stop;
	long bad_reads;
};

#define TWIN_OFF(k) (64 + 64 * (k))

static struct twin twin;

/* The memfd's byte at offset J of page I. */
static char twin_pattern(size_t i, size_t j)
{
	return (char)(0xa5 ^ i ^ (j >> 6));
}

static void *twin_fn(void *arg)
{
	long k = (long)arg, bad;
	size_t last = pmd_bytes() / page_size() - 1, i;

	for (;;) {
		pthread_barrier_wait(&twin.start);
		if (READ_ONCE(twin.stop))
			return NULL;
		bad = 0;
		for (i = twin.first; i <= last; i++) {
			char *q = READ_ONCE(twin.p) + i * page_size() +
				  TWIN_OFF(k);

			if (twin.kind == TWIN_FILE_READ)
				bad += READ_ONCE(*q) !=
				       twin_pattern(i, TWIN_OFF(k));
			else
				WRITE_ONCE(*q, (char)(k + 1));
		}
		__atomic_add_fetch(&twin.bad_reads, bad, __ATOMIC_RELAXED);
		pthread_barrier_wait(&twin.done);
	}
}

/* Bytes of the chunk that are not what the two threads left. */
static long twin_bad(char *p, size_t first, bool file)
{
	size_t last = pmd_bytes() / page_size() - 1, i, j;
	long bad = 0;
	char want;

	for (i = first; i <= last; i++)
		for (j = 0; j < page_size(); j++) {
			want = file ? twin_pattern(i, j) : 0;
			if (twin.kind != TWIN_FILE_READ)
				want = j == TWIN_OFF(0) ? 1 :
				       j == TWIN_OFF(1) ? 2 : want;
			bad += p[i * page_size() + j] != want;
		}
	return bad;
}

/* A memfd of one chunk holding twin_pattern(). */
static int twin_file(void)
{
	size_t n = pmd_bytes() / page_size(), i, j;
	char *buf = malloc(page_size());
	int fd = memfd_create("spf-twin", MFD_CLOEXEC);

	if (fd < 0 || !buf || ftruncate(fd, pmd_bytes()))
		return -1;
	for (i = 0; i < n; i++) {
		for (j = 0; j < page_size(); j++)
			buf[j] = twin_pattern(i, j);
		if (pwrite(fd, buf, page_size(), i * page_size()) !=
		    (ssize_t)page_size())
			return -1;
	}
	free(buf);
	return fd;
}

/* The file still holds the pattern (private writes never reach it). */
static long twin_file_bad(int fd)
{
	size_t n = pmd_bytes() / page_size(), i, j;
	char *buf = malloc(page_size());
	long bad = 0;

	for (i = 0; i < n && buf; i++) {
		if (pread(fd, buf, page_size(), i * page_size()) !=
		    (ssize_t)page_size())
			return -1;
		for (j = 0; j < page_size(); j++)
			bad += buf[j] != twin_pattern(i, j);
	}
	free(buf);
	return bad;
}

/*
 * A round's chunk: the second of two, the first written (stock: the
 * VMA's anon_vma, the upper table levels), so the second's pmd is
 * empty.  NULL on failure.
 */
static char *twin_map(int fd)
{
	char *q = map_chunks(2), *p;

	if (!q)
		return NULL;
	if (twin.kind == TWIN_THP && madvise(q, 2 * pmd_bytes(), MADV_HUGEPAGE))
		return NULL;
	WRITE_ONCE(q[0], 0x5a);
	p = q + pmd_bytes();
	switch (twin.kind) {
	case TWIN_ANON:
		WRITE_ONCE(p[0], 0);	/* the table: the race is for PTEs */
		break;
	case TWIN_FILE_READ:
		if (mmap(p, pmd_bytes(), PROT_READ, MAP_SHARED | MAP_FIXED,
			 fd, 0) != p)
			return NULL;
		break;
	case TWIN_FILE_PRIVATE:
		if (mmap(p, pmd_bytes(), PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_FIXED, fd, 0) != p)
			return NULL;
		WRITE_ONCE(p[0], 0x11);	/* its own VMA's anon_vma: stock */
		break;
	case TWIN_THP:
		break;
	}
	return p;
}

/*
 * The two met: one found the other's PTE, table or huge pmd under the
 * lock.  Two readers meet earlier, too: fault-around locks each cache
 * page in turn, and a fault whose own page the other holds locked goes
 * stock (abort_pagecache) before it reaches the table.
 */
static long twin_met(const struct spf_counts *d)
{
	return d->c[SPF_C_ABORT_PTL] +
	       (twin.kind == TWIN_FILE_READ ? d->c[SPF_C_ABORT_PAGECACHE] : 0);
}

/*
 * Usually seen within a few rounds; on a loaded host under PREEMPT_RT
 * 13 rounds in 10 s once lost every race before the lock (abort_pte),
 * so this one gets longer: it stops as soon as the race is seen.
 */
#define PTL_DEADLINE_S 45

static void twin_race(struct __test_metadata *_metadata, enum twin_kind kind,
		      int spec_ctr)
{
	bool file = kind == TWIN_FILE_READ || kind == TWIN_FILE_PRIVATE;
	struct spf_counts a, b, d;
	long rounds = 0, bad = 0;
	int fd = -1;
	pthread_t t[2];
	double end;
	char *p;
	long k;

	memset(&twin, 0, sizeof(twin));
	twin.kind = kind;
	twin.first = kind == TWIN_ANON || kind == TWIN_FILE_PRIVATE;
	if (file) {
		fd = twin_file();
		ASSERT_LE(0, fd);
	}
	pthread_barrier_init(&twin.start, NULL, 3);
	pthread_barrier_init(&twin.done, NULL, 3);
	for (k = 0; k < 2; k++)
		ASSERT_EQ(0, start_thread(&t[k], twin_fn, (void *)k));
	/*
	 * Where both add the table or the huge pmd, hold the window
	 * between the count's check and the publication open: the loser
	 * then nearly always meets the winner's pmd under the lock.
	 */
	if (kind == TWIN_THP || kind == TWIN_FILE_READ)
		spf_write_file(SPF_DEBUGFS "/inject_table_delay_us", "500");
	spf_counts_read(&a);
	end = now_s() + PTL_DEADLINE_S;
	do {
		p = twin_map(fd);
		ASSERT_NE(NULL, p);
		WRITE_ONCE(twin.p, p);
		pthread_barrier_wait(&twin.start);
		pthread_barrier_wait(&twin.done);
		bad += twin_bad(p, twin.first, file);
		unmap_chunks(p - pmd_bytes(), 2);
		rounds++;
		spf_counts_read(&b);
		spf_counts_sub(&b, &a, &d);
	} while ((twin_met(&d) == 0 || d.c[spec_ctr] == 0) && now_s() < end);
	spf_write_file(SPF_DEBUGFS "/inject_table_delay_us", "0");
	WRITE_ONCE(twin.stop, 1);
	pthread_barrier_wait(&twin.start);
	for (k = 0; k < 2; k++)
		pthread_join(t[k], NULL);
	TH_LOG("%ld rounds:%s", rounds, spf_counts_str(&d));
	EXPECT_LT(0, twin_met(&d));
	EXPECT_LT(0, d.c[spec_ctr]);
	EXPECT_EQ(0, bad);
	EXPECT_EQ(0, twin.bad_reads);
	if (file) {
		EXPECT_EQ(0, twin_file_bad(fd));
		close(fd);
	}
	EXPECT_EQ(d.c[SPF_C_FAULT_HOOK], spf_counts_outcomes(&d));
}

TEST_F_TIMEOUT(abort, ptl_when_two_threads_fault_one_page, 90)
{
	if (!spec_ready(_metadata))
		return;
	twin_race(_metadata, TWIN_ANON, SPF_C_SPEC_WRITE);
}

TEST_F_TIMEOUT(abort, ptl_when_two_threads_fault_one_huge_page, 90)
{
	char thp[128] = "";

	if (!spec_ready(_metadata))
		return;
	spf_read_file("/sys/kernel/mm/transparent_hugepage/enabled", thp,
		      sizeof(thp));
	if (!strstr(thp, "[always]") && !strstr(thp, "[madvise]"))
		SKIP(return, "THP is off: %s", thp[0] ? thp : "none");
	twin_race(_metadata, TWIN_THP, SPF_C_SPEC_THP);
}

TEST_F_TIMEOUT(abort, ptl_when_two_threads_read_one_new_file_table, 90)
{
	if (!spec_ready(_metadata))
		return;
	twin_race(_metadata, TWIN_FILE_READ, SPF_C_SPEC_FILE);
}

TEST_F_TIMEOUT(abort, ptl_when_two_threads_write_one_private_file_page, 90)
{
	if (!spec_ready(_metadata))
		return;
	twin_race(_metadata, TWIN_FILE_PRIVATE, SPF_C_SPEC_FILE_WRITE);
}

/* Every reason has its counter file and its tracepoint. */
TEST_F(abort, every_reason_has_a_counter_and_a_tracepoint)
{
	char path[256];
	int i;

	if (!spec_ready(_metadata))
		return;
	for (i = SPF_C_FIRST_ABORT; i < SPF_NR_CTRS; i++) {
		snprintf(path, sizeof(path), SPF_DEBUGFS "/%s",
			 spf_ctr_name(i));
		EXPECT_EQ(0, access(path, R_OK)) TH_LOG("%s", path);
		snprintf(path, sizeof(path),
			 "/sys/kernel/tracing/events/spf/spf_%s/format",
			 spf_ctr_name(i));
		EXPECT_EQ(0, access(path, R_OK)) TH_LOG("%s", path);
	}
	EXPECT_EQ(0, access("/sys/kernel/tracing/events/spf/spf_spec/format",
			    R_OK));
}

TEST_HARNESS_MAIN
