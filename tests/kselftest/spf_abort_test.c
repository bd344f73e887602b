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
	spf_fixture_load_prefaulted(_metadata);
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

/*
 * ---- The cases, one row each of the table at the end.  A row names
 * the function that runs it; most are run_steps(): a chunk mapped, one
 * setup, then steps, each a measured access to a range of pages that
 * must end in exactly one outcome (expect_only()), and checks after.
 */
enum how {
	H_END,
	H_READ,			/* pages FIRST..LAST */
	H_WRITE,		/* the same, storing each page's index */
	H_PROBE_READ,		/* the same, each must raise SIG with CODE */
	H_PROBE_WRITE,
	H_CHUNK_READ,		/* chunks FIRST..LAST, at byte OFF of each */
	H_CHUNK_WRITE,		/* the same, storing 1 */
};

enum stat_check { ST_NONE, ST_DELTA, ST_AFTER };

struct step {
	const char *what;	/* logged first, or NULL */
	enum how how;
	size_t first, last;
	bool off_page;		/* chunk steps: a page in, not byte 0 */
	int sig, code;		/* probes */
	int outcome;		/* every fault of the step ends so */
	bool verify;		/* the range holds what the step left */
	bool inject;		/* arm N injected allocation failures first */
	enum stat_check stat_check;
	const char *stat;	/* a debugfs stat: its delta, or value after */
	long stat_want;
};

enum map_kind { MAP_PRIMED, MAP_FRESH, MAP_HUGE };

struct abort_case {
	const char *name;
	int timeout;
	void (*run)(struct __test_metadata *_metadata,
		    const struct abort_case *c);
	/* run_steps() */
	enum map_kind map;
	size_t chunks;
	void (*setup)(struct __test_metadata *_metadata, char *p);
	struct step steps[6];
	void (*check)(struct __test_metadata *_metadata, char *p);
	/* race_case(): the reason; twin_case(): the speculative counter */
	int want;
	int twin;
	bool thp;
};

static void unmap_range(struct __test_metadata *_metadata, char *p)
{
	ASSERT_EQ(0, munmap(p + page_size(), N * page_size()));
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
static void stack_growth(struct __test_metadata *_metadata,
			 const struct abort_case *c)
{
	struct spf_counts d;
	struct spf_sig s;
	char *start, *below;

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
enum mapping { M_SHM, M_WORKDIR, M_MEMFD };

static const struct {
	const char *what;
	enum mapping kind;
	int flags, outcome, outcome_first;
} not_anon_mappings[] = {
	{ "SysV shared memory", M_SHM, 0,
	  SPF_C_ABORT_NOT_ANON, SPF_C_ABORT_NOT_ANON },
	{ "MAP_SHARED file in the working folder", M_WORKDIR, MAP_SHARED,
	  SPF_C_ABORT_NOT_ANON, -1 },
	{ "MAP_SHARED tmpfs holes", M_MEMFD, MAP_SHARED,
	  SPF_C_ABORT_PAGECACHE, SPF_C_ABORT_PAGECACHE },
	/* A new file: the shared writes filled the holes of the last. */
	{ "MAP_PRIVATE tmpfs holes", M_MEMFD, MAP_PRIVATE,
	  SPF_C_ABORT_PAGECACHE, SPF_C_ABORT_NO_ANON_VMA },
};

static void not_anon_mappings_case(struct __test_metadata *_metadata,
				   const struct abort_case *c)
{
	char name[] = "spf-abort-XXXXXX";
	struct statfs sfs;
	size_t i;
	int fd;

	ASSERT_EQ(0, statfs(".", &sfs));
	for (i = 0; i < ARRAY_SIZE(not_anon_mappings); i++) {
		fd = -1;
		if (not_anon_mappings[i].kind == M_WORKDIR) {
			/* A tmpfs working folder is the memfd rows' case. */
			if (sfs.f_type == TMPFS_MAGIC)
				continue;
			fd = mkstemp(name);
		} else if (not_anon_mappings[i].kind == M_MEMFD) {
			fd = memfd_create("spf-abort", MFD_CLOEXEC);
		}
		if (not_anon_mappings[i].kind != M_SHM) {
			ASSERT_LE(0, fd);
			ASSERT_EQ(0, ftruncate(fd, N * page_size()));
		}
		TH_LOG("%s", not_anon_mappings[i].what);
		expect_outcome(_metadata, not_anon_mappings[i].flags, fd,
			       not_anon_mappings[i].outcome,
			       not_anon_mappings[i].outcome_first);
		if (fd >= 0)
			close(fd);
		if (not_anon_mappings[i].kind == M_WORKDIR)
			unlink(name);
	}
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
static void declined_until_a_write_section(struct __test_metadata *_metadata,
					   const struct abort_case *c)
{
	struct spf_counts d;
	cpu_set_t old;
	long declined;
	char *p, *q;

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

static void protect_ranges(struct __test_metadata *_metadata, char *p)
{
	ASSERT_EQ(0, mprotect(p + page_size(), N * page_size(), PROT_READ));
	ASSERT_EQ(0, mprotect(p + (N + 1) * page_size(), 2 * N * page_size(),
			      PROT_NONE));
}

/* Nothing was mapped behind the signals. */
static void nothing_mapped(struct __test_metadata *_metadata, char *p)
{
	EXPECT_FALSE(!!(pagemap_entry(p + page_size()) & PM_PRESENT));
	EXPECT_FALSE(!!(pagemap_entry(p + (N + 1) * page_size()) & PM_PRESENT));
}

/*
 * The first fault in a GiB with no VMA before: no PMD table there, and
 * spf adds PTE tables only, so it goes stock (abort_pgtable), which adds
 * both; the next chunk's first fault adds its PTE table speculatively.
 * The reason spf_reserve() keeps every other case's chunks out of such
 * a GiB: there, the ASLR base decided it, once in about fifty runs.
 */
static void fresh_gib(struct __test_metadata *_metadata,
		      const struct abort_case *c)
{
	size_t pud = pud_bytes(), pmd = pmd_bytes(), i;
	struct spf_counts d;
	char *gib = MAP_FAILED, *want;
	long tables;

	/* A whole GiB no VMA has ever covered: far below the mmap base. */
	for (i = 0; i < 16 && gib == MAP_FAILED; i++) {
		want = (char *)(0x200000000000UL + i * pud);
		gib = mmap(want, pud, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS |
			   MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
		if (gib != MAP_FAILED && gib != want) {
			munmap(gib, pud);	/* an old kernel's hint */
			gib = MAP_FAILED;
		}
	}
	ASSERT_NE(MAP_FAILED, gib);
	ASSERT_EQ(gib, mmap(gib, 2 * pmd, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0));
	ASSERT_EQ(0, no_thp(gib, 2 * pmd));

	MEASURE(&d, touch_chunks(gib, 0, 0, 0, false));
	expect_only(_metadata, &d, SPF_C_ABORT_PGTABLE, 1);
	tables = spf_stat("pte_tables");
	MEASURE(&d, touch_chunks(gib, 1, 1, 0, false));
	expect_only(_metadata, &d, SPF_C_SPEC_READ, 1);
	EXPECT_EQ(1, spf_stat("pte_tables") - tables);
	munmap(gib, pud);
}

/* N chunks with THP on (madvise); NULL and the test skipped if off. */
static char *map_huge_chunks(struct __test_metadata *_metadata, size_t n)
{
	char thp[128];
	char *p;

	if (!spf_thp_on(thp, sizeof(thp)))
		SKIP(return NULL, "THP is off: %s", thp[0] ? thp : "none");
	p = map_chunks(n);
	if (p && madvise(p, n * pmd_bytes(), MADV_HUGEPAGE))
		return NULL;
	return p;
}

/*
 * After the VMA's first write (stock, for its anon_vma): a write in each
 * of chunks 1-3 maps a huge page speculatively, or goes stock when one
 * cannot be allocated at once.
 */
static void thp_writes(struct __test_metadata *_metadata, char *p)
{
	size_t pmd = pmd_bytes(), i;
	struct spf_counts d;
	long huge = 0;

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
}

/* Every page of 1..N is this process's alone (PageAnonExclusive). */
static void range_exclusive(struct __test_metadata *_metadata, char *p)
{
	long excl = 0;
	size_t i;

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
static void wp_copy_after_fork(struct __test_metadata *_metadata,
			       const struct abort_case *row)
{
	uint64_t before[N + 1], after[N + 1];
	struct spf_counts d;
	int ready[2], go[2], status;
	char c = 0, *p;
	long bad, declined;
	pid_t pid;

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
static void wp_reuse_after_exit(struct __test_metadata *_metadata,
				const struct abort_case *c)
{
	uint64_t before[N + 1], after[N + 1];
	struct spf_counts d;
	long excl = 0;
	cpu_set_t old;
	int status;
	size_t i;
	char *p;
	pid_t pid;

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

/* userfaultfd with UFFD_FEATURE_SIGBUS over pages 1..2N: no server needed. */
static void register_uffd(struct __test_metadata *_metadata, char *p)
{
	struct uffdio_api api = { .api = UFFD_API,
				  .features = UFFD_FEATURE_SIGBUS };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	int fd;

	fd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		SKIP(return, "userfaultfd: %s", strerror(errno));
	ASSERT_EQ(0, ioctl(fd, UFFDIO_API, &api));
	reg.range.start = (uintptr_t)(p + page_size());
	reg.range.len = 2 * N * page_size();
	ASSERT_EQ(0, ioctl(fd, UFFDIO_REGISTER, &reg));
	/* Left open: the registration lasts as long as the test. */
}

#define INJECT SPF_DEBUGFS "/inject_alloc_fail"

static void mlock_range(struct __test_metadata *_metadata, char *p)
{
	ASSERT_EQ(0, syscall(SYS_mlock2, p + page_size(), 2 * N * page_size(),
			     MLOCK_ONFAULT));
}

#define MPOL_PREFERRED 1

static void mbind_range(struct __test_metadata *_metadata, char *p)
{
	unsigned long node0 = 1;

	if (syscall(SYS_mbind, p + page_size(), 2 * N * page_size(),
		    MPOL_PREFERRED, &node0, 8 * sizeof(node0), 0))
		SKIP(return, "mbind: %s", strerror(errno));
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

static void race_case(struct __test_metadata *_metadata,
		      const struct abort_case *c)
{
	race_writer(_metadata, c->want);
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

static void twin_case(struct __test_metadata *_metadata,
		      const struct abort_case *c)
{
	char thp[128];

	if (c->thp && !spf_thp_on(thp, sizeof(thp)))
		SKIP(return, "THP is off: %s", thp[0] ? thp : "none");
	twin_race(_metadata, c->twin, c->want);
}

/* Every reason has its counter file and its tracepoint. */
static void reasons_have_counters(struct __test_metadata *_metadata,
				  const struct abort_case *c)
{
	char path[256];
	int i;

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

/* ---- The deterministic cases' runner and the table. */

static char *map_case_chunks(struct __test_metadata *_metadata,
			     const struct abort_case *c)
{
	switch (c->map) {
	case MAP_FRESH:
		return map_chunks(c->chunks);
	case MAP_HUGE:
		return map_huge_chunks(_metadata, c->chunks);
	default:
		return map_primed_chunks(c->chunks);
	}
}

static void run_step(struct __test_metadata *_metadata, char *p,
		     const struct step *s)
{
	size_t n = s->last - s->first + 1, off, i;
	bool write = s->how == H_WRITE || s->how == H_PROBE_WRITE ||
		     s->how == H_CHUNK_WRITE;
	struct spf_counts d;
	long hits = 0, stat = 0;

	if (s->what)
		TH_LOG("%s", s->what);
	if (s->inject) {
		ASSERT_EQ(0, spf_write_file(INJECT, "32"));
		EXPECT_EQ(N, spf_stat("inject_alloc_fail"));
	}
	if (s->stat_check == ST_DELTA)
		stat = spf_stat(s->stat);
	switch (s->how) {
	case H_READ:
	case H_WRITE:
		MEASURE(&d, touch_range(p, s->first, s->last, write));
		break;
	case H_PROBE_READ:
	case H_PROBE_WRITE:
		MEASURE(&d, hits = probe_range(p, s->first, s->last, write,
					       s->sig, s->code));
		EXPECT_EQ((long)n, hits);
		break;
	default:
		off = s->off_page ? page_size() : 0;
		MEASURE(&d, touch_chunks(p, s->first, s->last, off, write));
		break;
	}
	expect_only(_metadata, &d, s->outcome, n);
	if (s->stat_check == ST_DELTA) {
		EXPECT_EQ(s->stat_want, spf_stat(s->stat) - stat)
			TH_LOG("%s", s->stat);
	} else if (s->stat_check == ST_AFTER) {
		EXPECT_EQ(s->stat_want, spf_stat(s->stat)) TH_LOG("%s", s->stat);
	}
	if (!s->verify)
		return;
	if (s->how == H_CHUNK_READ || s->how == H_CHUNK_WRITE) {
		off = s->off_page ? page_size() : 0;
		for (i = s->first; i <= s->last; i++)
			EXPECT_TRUE(page_is(p + i * pmd_bytes() + off, 0,
					    write ? 1 : 0));
	} else {
		EXPECT_TRUE(range_is(p, s->first, s->last, write));
	}
}

static void run_steps(struct __test_metadata *_metadata,
		      const struct abort_case *c)
{
	const struct step *s;
	char *p;

	p = map_case_chunks(_metadata, c);
	if (_metadata->skip)
		return;
	ASSERT_NE(NULL, p);
	if (c->setup) {
		c->setup(_metadata, p);
		if (_metadata->skip)
			return;
	}
	for (s = c->steps; s->how != H_END; s++)
		run_step(_metadata, p, s);
	if (c->check)
		c->check(_metadata, p);
	unmap_chunks(p, c->chunks);
}

#define READ(a, b, o, ...) \
	{ .how = H_READ, .first = (a), .last = (b), .outcome = (o), __VA_ARGS__ }
#define WRITE(a, b, o, ...) \
	{ .how = H_WRITE, .first = (a), .last = (b), .outcome = (o), __VA_ARGS__ }
#define PROBE(h, a, b, s, c, o, ...) \
	{ .how = (h), .first = (a), .last = (b), .sig = (s), .code = (c), \
	  .outcome = (o), __VA_ARGS__ }
#define CHUNKS(h, a, b, o, ...) \
	{ .how = (h), .first = (a), .last = (b), .outcome = (o), __VA_ARGS__ }
#define TABLES(n) .stat_check = ST_DELTA, .stat = "pte_tables", .stat_want = (n)
#define INJECTED(n) .stat_check = ST_AFTER, .stat = "inject_alloc_fail", \
		    .stat_want = (n)

static const struct abort_case cases[] = {
	{
		SPF_TEST_F(abort, no_vma_for_an_unmapped_address),
		.run = run_steps, .chunks = 1, .setup = unmap_range,
		.steps = {
			PROBE(H_PROBE_READ, 1, N, SIGSEGV, SEGV_MAPERR,
			      SPF_C_ABORT_NO_VMA),
		},
	}, {
		/* Below the stack there is no VMA yet: stock grows the stack. */
		SPF_TEST_F(abort, no_vma_for_stack_growth),
		.run = stack_growth,
	}, {
		SPF_TEST_F(abort, not_anon_for_special_and_mkwrite_mappings),
		.run = not_anon_mappings_case,
	}, {
		SPF_TEST_F(abort, not_anon_declined_early_until_a_write_section),
		.run = declined_until_a_write_section,
	}, {
		/*
		 * A fresh VMA: a read fault makes the PTE table (reads need
		 * no anon_vma, so the next reads speculate); the first write
		 * cannot, and once stock gave the VMA its anon_vma, the next
		 * writes speculate.
		 */
		SPF_TEST_F(abort, no_anon_vma_for_the_first_write),
		.run = run_steps, .map = MAP_FRESH, .chunks = 1,
		.steps = {
			READ(0, 0, SPF_C_SPEC_READ, .verify = true),
			READ(1, N, SPF_C_SPEC_READ, .verify = true),
			WRITE(N + 1, N + 1, SPF_C_ABORT_NO_ANON_VMA,
			      .verify = true),
			WRITE(N + 2, 2 * N + 1, SPF_C_SPEC_WRITE,
			      .verify = true),
		},
	}, {
		SPF_TEST_F(abort, access_for_read_only_and_prot_none),
		.run = run_steps, .chunks = 1, .setup = protect_ranges,
		.steps = {
			PROBE(H_PROBE_WRITE, 1, N, SIGSEGV, SEGV_ACCERR,
			      SPF_C_ABORT_ACCESS,
			      .what = "write to PROT_READ"),
			PROBE(H_PROBE_READ, N + 1, 2 * N, SIGSEGV, SEGV_ACCERR,
			      SPF_C_ABORT_ACCESS,
			      .what = "read of PROT_NONE"),
			PROBE(H_PROBE_WRITE, 2 * N + 1, 3 * N, SIGSEGV,
			      SEGV_ACCERR, SPF_C_ABORT_ACCESS,
			      .what = "write to PROT_NONE"),
		},
		.check = nothing_mapped,
	}, {
		/*
		 * The first fault in each 2 MiB region finds no PTE table:
		 * spf adds one (pte_tables), for a read or a write, where
		 * stock would not map a huge page (THP is off in these
		 * chunks).  The VMA's first write still goes stock, for its
		 * anon_vma; then the rest.
		 */
		SPF_TEST_F(abort, pte_table_added_for_the_first_fault_in_each_2m_region),
		.run = run_steps, .map = MAP_FRESH, .chunks = 8,
		.steps = {
			CHUNKS(H_CHUNK_READ, 0, 3, SPF_C_SPEC_READ, TABLES(4)),
			CHUNKS(H_CHUNK_READ, 0, 3, SPF_C_SPEC_READ,
			       .off_page = true),
			CHUNKS(H_CHUNK_WRITE, 4, 4, SPF_C_ABORT_NO_ANON_VMA,
			       .verify = true),
			CHUNKS(H_CHUNK_WRITE, 5, 7, SPF_C_SPEC_WRITE, TABLES(3),
			       .verify = true),
			CHUNKS(H_CHUNK_WRITE, 5, 7, SPF_C_SPEC_WRITE,
			       .off_page = true),
		},
	}, {
		SPF_TEST_F(abort, pgtable_for_the_first_fault_in_a_fresh_gib),
		.run = fresh_gib,
	}, {
		/*
		 * Where stock maps a huge page (THP on for the VMA, the chunk
		 * aligned), a read is left to it (the huge zero page), and
		 * never gets small pages where stock would have mapped a
		 * huge one.
		 */
		SPF_TEST_F(abort, pgtable_for_a_read_where_stock_maps_a_huge_page),
		.run = run_steps, .map = MAP_HUGE, .chunks = 2,
		.steps = {
			CHUNKS(H_CHUNK_READ, 0, 1, SPF_C_ABORT_PGTABLE,
			       TABLES(0)),
		},
	}, {
		/*
		 * A write there maps a huge page speculatively
		 * (spf/faults/thp_fault.c), once the VMA has its anon_vma; a huge
		 * page that cannot be allocated at once goes stock
		 * (abort_alloc), which falls back as it would anyway.
		 */
		SPF_TEST_F(abort, thp_for_a_write_where_stock_maps_a_huge_page),
		.run = run_steps, .map = MAP_HUGE, .chunks = 4,
		.steps = {
			CHUNKS(H_CHUNK_WRITE, 0, 0, SPF_C_ABORT_NO_ANON_VMA),
		},
		.check = thp_writes,
	}, {
		/* A write to the shared zero page: a new zeroed page. */
		SPF_TEST_F(abort, wp_zero_for_a_write_to_the_zero_page),
		.run = run_steps, .chunks = 1,
		.steps = {
			READ(1, N, SPF_C_SPEC_READ),
			WRITE(1, N, SPF_C_SPEC_WP_ZERO, .verify = true),
		},
		.check = range_exclusive,
	}, {
		SPF_TEST_F(abort, wp_copy_for_cow_after_fork),
		.run = wp_copy_after_fork,
	}, {
		SPF_TEST_F(abort, wp_reuse_once_the_child_has_exited),
		.run = wp_reuse_after_exit,
	}, {
		SPF_TEST_F(abort, uffd_for_a_registered_range),
		.run = run_steps, .chunks = 1, .setup = register_uffd,
		.steps = {
			PROBE(H_PROBE_READ, 1, N, SIGBUS, BUS_ADRERR,
			      SPF_C_ABORT_UFFD),
			PROBE(H_PROBE_WRITE, N + 1, 2 * N, SIGBUS, BUS_ADRERR,
			      SPF_C_ABORT_UFFD),
		},
	}, {
		/*
		 * Injected allocation failures abort the next N speculative
		 * writes; stock then allocates, so the pages come out right.
		 * Reads allocate nothing and leave the injection pending;
		 * once used up, writes speculate again.
		 */
		SPF_TEST_F(abort, alloc_for_injected_failures),
		.run = run_steps, .chunks = 1,
		.steps = {
			WRITE(1, N, SPF_C_ABORT_ALLOC, .inject = true,
			      INJECTED(0), .verify = true),
			READ(N + 1, 2 * N, SPF_C_SPEC_READ, .inject = true,
			     INJECTED(N), .verify = true),
			WRITE(2 * N + 1, 3 * N, SPF_C_ABORT_ALLOC,
			      .verify = true),
			WRITE(3 * N + 1, 4 * N, SPF_C_SPEC_WRITE, INJECTED(0),
			      .verify = true),
		},
	}, {
		SPF_TEST_F(abort, other_for_mlocked_range),
		.run = run_steps, .chunks = 1, .setup = mlock_range,
		.steps = {
			WRITE(1, N, SPF_C_ABORT_OTHER, .verify = true),
			READ(N + 1, 2 * N, SPF_C_ABORT_OTHER, .verify = true),
		},
	}, {
		SPF_TEST_F(abort, other_for_mbind_policy),
		.run = run_steps, .chunks = 1, .setup = mbind_range,
		.steps = {
			WRITE(1, N, SPF_C_ABORT_OTHER, .verify = true),
			READ(N + 1, 2 * N, SPF_C_ABORT_OTHER, .verify = true),
		},
	}, {
		SPF_TEST_F_TIMEOUT(abort, seq_odd_while_a_writer_holds_mmap_lock, 60),
		.run = race_case, .want = SPF_C_ABORT_SEQ_ODD,
	}, {
		SPF_TEST_F_TIMEOUT(abort, seq_changed_when_a_write_section_begins, 60),
		.run = race_case,
		.want = SPF_C_ABORT_SEQ_CHANGED,
	}, {
		SPF_TEST_F_TIMEOUT(abort, ptl_when_two_threads_fault_one_page, 90),
		.run = twin_case,
		.twin = TWIN_ANON, .want = SPF_C_SPEC_WRITE,
	}, {
		SPF_TEST_F_TIMEOUT(abort, ptl_when_two_threads_fault_one_huge_page, 90),
		.run = twin_case, .thp = true,
		.twin = TWIN_THP, .want = SPF_C_SPEC_THP,
	}, {
		SPF_TEST_F_TIMEOUT(abort, ptl_when_two_threads_read_one_new_file_table, 90),
		.run = twin_case,
		.twin = TWIN_FILE_READ, .want = SPF_C_SPEC_FILE,
	}, {
		SPF_TEST_F_TIMEOUT(abort, ptl_when_two_threads_write_one_private_file_page, 90),
		.run = twin_case,
		.twin = TWIN_FILE_PRIVATE, .want = SPF_C_SPEC_FILE_WRITE,
	}, {
		/* Every reason has its counter file and its tracepoint. */
		SPF_TEST_F(abort, every_reason_has_a_counter_and_a_tracepoint),
		.run = reasons_have_counters,
	},
};

/* Every case: a spf with a speculative path, then the row's function. */
static void abort_case_run(struct __test_metadata *_metadata,
			   const struct abort_case *c)
{
	if (!spec_ready(_metadata))
		return;
	c->run(_metadata, c);
}

SPF_TABLE_TESTS(abort, cases, abort_case_run)

TEST_HARNESS_MAIN
