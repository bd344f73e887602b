// SPDX-License-Identifier: GPL-2.0
/*
 * The speculative path: faults it can take are taken speculatively (the
 * counters say so, exactly), and every fault, speculated or not, has
 * the same result as with spf unloaded: page contents, signals and
 * their si_code, RSS, the task's fault counts, perf's page-fault
 * events, the memcg's pgfault and anon, pagemap and kpageflags.
 *
 * Parity pattern: each scenario runs in a forked child, once with spf
 * unloaded and once loaded, and records "facts" (name = value) in a
 * shared page; the test compares the two runs fact by fact and then
 * checks the loaded run's counter deltas ("spf.*" facts, which only
 * that run has).  Scenarios measure in a section that takes only the
 * faults it provokes: the child first faults in all it has mapped
 * (prefault_self()), measured touches run in a thread with a
 * prefaulted stack, and the counters' buffers are written before use.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <linux/perf_event.h>
#include <linux/userfaultfd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "kselftest_harness.h"
#include "spf_util.h"
#include "spf_fixture.h"

/* Pages per step of a scenario: enough to cross RSS's 64-event sync. */
#define N 64

/*
 * System knobs a test changes (the multi-gen LRU, fault_around_bytes):
 * the old values go back in the teardown, which runs however the test
 * ends.
 */
#define NR_KNOBS 2

static struct {
	char path[64];
	char was[64];
} knobs[NR_KNOBS];

static int knob_set(const char *path, const char *val)
{
	char *sel;
	int i, ret;

	for (i = 0; i < NR_KNOBS && knobs[i].path[0]; i++)
		;
	if (i == NR_KNOBS)
		return -ENOSPC;
	ret = spf_read_file(path, knobs[i].was, sizeof(knobs[i].was));
	if (ret)
		return ret;
	/* A choice ("always [madvise] never"): the one in brackets. */
	sel = strchr(knobs[i].was, '[');
	if (sel && strchr(sel, ']')) {
		*strchr(sel, ']') = '\0';
		memmove(knobs[i].was, sel + 1, strlen(sel + 1) + 1);
	}
	snprintf(knobs[i].path, sizeof(knobs[i].path), "%s", path);
	return spf_write_file(path, val);
}

static int knobs_restore(void)
{
	int i, ret = 0;

	for (i = NR_KNOBS - 1; i >= 0; i--) {
		if (knobs[i].path[0] && !ret)
			ret = spf_write_file(knobs[i].path, knobs[i].was);
		else if (knobs[i].path[0])
			spf_write_file(knobs[i].path, knobs[i].was);
		knobs[i].path[0] = '\0';
	}
	return ret;
}

FIXTURE(spec) {
};

FIXTURE_SETUP(spec)
{
	spf_fixture_load(_metadata);
}

FIXTURE_TEARDOWN(spec)
{
	EXPECT_EQ(0, knobs_restore());
	spf_fixture_unload(_metadata);
}

/* ---- Facts: what a scenario observed, by name. */

#define MAX_FACTS 112

struct facts {
	int n;
	int failed;
	char why[200];
	struct {
		char name[40];
		long v;
	} f[MAX_FACTS];
};

static void fact(struct facts *r, const char *name, long v)
{
	int i;

	for (i = 0; i < r->n; i++)
		if (!strcmp(r->f[i].name, name))
			break;
	if (i == MAX_FACTS)
		return;
	snprintf(r->f[i].name, sizeof(r->f[i].name), "%s", name);
	r->f[i].v = v;
	if (i == r->n)
		r->n++;
}

static void factf(struct facts *r, long v, const char *fmt, ...)
{
	char name[40];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	fact(r, name, v);
}

static long fact_get(const struct facts *r, const char *name)
{
	int i;

	for (i = 0; i < r->n; i++)
		if (!strcmp(r->f[i].name, name))
			return r->f[i].v;
	return LONG_MIN;
}

/* Marks the run failed; the first reason is kept. */
static void fail(struct facts *r, const char *fmt, ...)
{
	va_list ap;

	if (r->failed++)
		return;
	va_start(ap, fmt);
	vsnprintf(r->why, sizeof(r->why), fmt, ap);
	va_end(ap);
}

/* ---- Measuring a section: per-thread counts, perf, spf's counters. */

struct meter {
	long min, maj, pmin, pmaj;
	uint64_t perf[3];
	struct spf_counts spf;
};

static const uint64_t perf_events[3] = {
	PERF_COUNT_SW_PAGE_FAULTS,
	PERF_COUNT_SW_PAGE_FAULTS_MIN,
	PERF_COUNT_SW_PAGE_FAULTS_MAJ,
};
static const char *const perf_names[3] = { "perf_pf", "perf_min", "perf_maj" };
static __thread int perf_fd[3] = { -1, -1, -1 };

/* perf software counters for the calling thread only. */
static void meter_open(void)
{
	struct perf_event_attr attr;
	int i;

	for (i = 0; i < 3; i++) {
		memset(&attr, 0, sizeof(attr));
		attr.type = PERF_TYPE_SOFTWARE;
		attr.size = sizeof(attr);
		attr.config = perf_events[i];
		perf_fd[i] = syscall(SYS_perf_event_open, &attr, 0, -1, -1,
				     PERF_FLAG_FD_CLOEXEC);
	}
}

static void meter_close(void)
{
	int i;

	for (i = 0; i < 3; i++)
		if (perf_fd[i] >= 0)
			close(perf_fd[i]);
}

static void meter_read(struct meter *m)
{
	int i;

	memset(m, 0, sizeof(*m));
	for (i = 0; i < 3; i++)
		if (perf_fd[i] < 0 ||
		    read(perf_fd[i], &m->perf[i], sizeof(m->perf[i])) !=
		    (ssize_t)sizeof(m->perf[i]))
			m->perf[i] = (uint64_t)-1;
	stat_faults("/proc/thread-self/stat", &m->min, &m->maj);
	stat_faults("/proc/self/stat", &m->pmin, &m->pmaj);
	/* Also without the module: the same writes to the same buffers. */
	spf_counts_read(&m->spf);
}

/* Deltas B - A as facts; spf's counters as "spf.<counter>". */
static void meter_facts(struct facts *r, const struct meter *a,
			const struct meter *b)
{
	struct spf_counts d;
	int i;

	fact(r, "minflt", b->min - a->min);
	fact(r, "majflt", b->maj - a->maj);
	fact(r, "proc_minflt", b->pmin - a->pmin);
	for (i = 0; i < 3; i++)
		fact(r, perf_names[i], a->perf[i] == (uint64_t)-1 ? -1 :
		     (long)(b->perf[i] - a->perf[i]));
	if (a->spf.c[SPF_C_FAULT_HOOK] < 0)
		return;
	spf_counts_sub(&b->spf, &a->spf, &d);
	for (i = 0; i < SPF_NR_CTRS; i++)
		if (d.c[i] || i < SPF_C_FIRST_ABORT)
			factf(r, d.c[i], "spf.%s", spf_ctr_name(i));
	fact(r, "spf.outcomes", spf_counts_outcomes(&d));
}

/* ---- memcg: the scenario's child alone in a fresh memory cgroup. */

#define CG_ROOT "/sys/fs/cgroup"

static bool in_memcg;
static char cg_dir[128];

static int memcg_create(void)
{
	static int seq;
	char ctl[256] = "";

	snprintf(cg_dir, sizeof(cg_dir), CG_ROOT "/spf-spec-%d-%d", getpid(),
		 seq++);
	spf_read_file(CG_ROOT "/cgroup.subtree_control", ctl, sizeof(ctl));
	if (!strstr(ctl, "memory") &&
	    spf_write_file(CG_ROOT "/cgroup.subtree_control", "+memory"))
		return -1;
	return mkdir(cg_dir, 0755) ? -errno : 0;
}

static int memcg_join(void)
{
	char path[192];

	snprintf(path, sizeof(path), "%s/cgroup.procs", cg_dir);
	return spf_write_file(path, "0");
}

/*
 * memory.stat is flushed from per-CPU counters only once enough updates
 * are pending, or by a deferrable 2 s work: charge and free 8 MiB of
 * tmpfs (thousands of updates, no page fault) so that the next read
 * flushes and is exact.
 */
static void memcg_force_flush(void)
{
	static char buf[64 * 1024];
	int fd, i;

	fd = open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	for (i = 0; i < 128; i++)
		if (write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
			break;
	close(fd);
}

static long memcg_stat(const char *key)
{
	char path[192];

	memcg_force_flush();
	snprintf(path, sizeof(path), "%s/memory.stat", cg_dir);
	return spf_file_field(path, key);
}

/* False, and the test skipped, without a cgroup2 memory controller. */
static bool memcg_available(struct __test_metadata *_metadata)
{
	char ctl[256] = "";

	if (spf_read_file(CG_ROOT "/cgroup.controllers", ctl, sizeof(ctl)) ||
	    !strstr(ctl, "memory"))
		SKIP(return false, "no cgroup2 memory controller at " CG_ROOT);
	return true;
}

/* ---- Running a scenario with spf unloaded and loaded. */

typedef void scenario_fn(struct facts *r);

static int module_state(bool on)
{
	if (on && !spf_loaded())
		return spf_load(NULL);
	if (!on && spf_loaded())
		return spf_unload();
	return 0;
}

static void run_scenario(struct __test_metadata *_metadata, bool on,
			 scenario_fn *sc, struct facts *out)
{
	struct facts *shared;
	int status;
	pid_t pid;

	ASSERT_EQ(0, module_state(on));
	shared = mmap(NULL, sizeof(*shared), PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, shared);
	memset(shared, 0, sizeof(*shared));
	if (in_memcg)
		ASSERT_EQ(0, memcg_create());
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (in_memcg && memcg_join())
			fail(shared, "cannot join %s", cg_dir);
		else if (prefault_self())
			fail(shared, "prefault_self: %s", strerror(errno));
		else
			sc(shared);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		fail(shared, "scenario child died (status 0x%x)", status);
	if (in_memcg)
		rmdir(cg_dir);
	*out = *shared;
	munmap(shared, sizeof(*shared));
}

/*
 * Runs SC off then on; both runs must pass their own checks and agree
 * on every fact that does not start with "spf.".
 */
static void parity(struct __test_metadata *_metadata, scenario_fn *sc,
		   struct facts *off, struct facts *on)
{
	long v;
	int i;

	run_scenario(_metadata, false, sc, off);
	run_scenario(_metadata, true, sc, on);
	EXPECT_EQ(0, off->failed) TH_LOG("spf unloaded: %s", off->why);
	EXPECT_EQ(0, on->failed) TH_LOG("spf loaded: %s", on->why);
	for (i = 0; i < off->n; i++) {
		v = fact_get(on, off->f[i].name);
		EXPECT_EQ(off->f[i].v, v) {
			TH_LOG("%s: %ld unloaded, %ld loaded", off->f[i].name,
			       off->f[i].v, v);
		}
	}
	for (i = 0; i < on->n; i++)
		if (strncmp(on->f[i].name, "spf.", 4))
			EXPECT_NE(LONG_MIN, fact_get(off, on->f[i].name))
				TH_LOG("%s only seen loaded", on->f[i].name);
}

/* The "spf.<counter>" fact of a loaded run (0 when it did not move). */
static long spf_fact(const struct facts *r, const char *ctr)
{
	char name[48];
	long v;

	snprintf(name, sizeof(name), "spf.%s", ctr);
	v = fact_get(r, name);
	return v == LONG_MIN ? 0 : v;
}

/* Every hook entry ended in exactly one outcome. */
static void expect_accounted(struct __test_metadata *_metadata,
			     const struct facts *on)
{
	EXPECT_EQ(spf_fact(on, "fault_hook"), spf_fact(on, "outcomes"));
}

/*
 * The measured part of a scenario, in a thread, and RssAnon around it.
 * The thread's exit folds its cached RSS counts into the mm
 * (sync_mm_rss() in exit_mm()), so the delta is exact; the main
 * thread's own cache only syncs when it faults, and between the two
 * reads it does not (its thread's stack is faulted in before the first).
 */
static void measure_in_thread(struct facts *r, void *(*fn)(void *))
{
	char *stack = prefaulted_stack(SPF_STACK_LEN);
	long before = status_field("RssAnon");
	long tables_before = status_field("VmPTE");
	pthread_t t;
	int ret;

	ret = start_thread_on(&t, stack, fn, r);
	if (!ret)
		ret = -pthread_join(t, NULL);
	if (ret)
		fail(r, "thread: %s", strerror(-ret));
	fact(r, "rss_anon_kb", status_field("RssAnon") - before);
	fact(r, "vmpte_kb", status_field("VmPTE") - tables_before);
}

/*
 * ---- The cases, one row each of the table at the end.  Most rows are
 * a scenario run by parity(), off then on, and what the two runs must
 * show: facts of the unloaded run (stock's figures, so that "equal" is
 * not "equally wrong") and spf's counter deltas in the loaded run, each
 * "VALUE op FACT", with checks of their own where a case has more.
 * Rows that are no parity run name their own function instead.
 */
enum side { OFF, ON };
enum unit { U_1, U_KB, U_BYTES };	/* pages as kB or as bytes */
enum op { EQ, LE, GE };			/* EXPECT_EQ(value, fact)... */

struct want {
	enum side side;
	const char *fact[3];	/* ON: spf counters, summed (spf_fact()) */
	enum op op;
	long value;
	enum unit unit;
};

struct spec_case {
	const char *name;
	int timeout;
	void (*run)(struct __test_metadata *_metadata,
		    const struct spec_case *c);	/* not a parity row */
	scenario_fn *sc;
	bool memcg;		/* in a fresh memcg: skipped without one */
	void (*prepare)(struct __test_metadata *_metadata);
	void (*skip)(struct __test_metadata *_metadata,
		     const struct facts *off);
	struct want wants[16];
	bool accounted;		/* every hook entry ended in one outcome */
	void (*check)(struct __test_metadata *_metadata,
		      const struct facts *off, const struct facts *on);
};

/* ---- Scenario: first touches, reads and writes, and zero-page COW. */

static char *mix;

/*
 * Two fresh chunks in one VMA.  Steps and the outcome each must have:
 *   chunk 0 page 0 write     stock (no anon_vma, no PTE table)
 *   chunk 1 page 0 read      spec_read, with a PTE table spf adds
 *   chunk 0 pages 1..2N read       spec_read: zero page
 *   chunk 0 pages 2N+1..3N write   spec_write
 *   chunk 0 pages 1..N write       spec_wp_zero: COW of the zero page
 *   chunk 1 pages 1..N write       spec_write
 */
static void mix_touch(void)
{
	char *c0 = mix, *c1 = mix + pmd_bytes();
	size_t ps = page_size(), i;

	c0[0] = 1;
	keep(c1[0]);
	for (i = 1; i <= 2 * N; i++)
		keep(c0[i * ps]);
	for (i = 2 * N + 1; i <= 3 * N; i++)
		c0[i * ps + i] = (char)i;
	for (i = 1; i <= N; i++)
		c0[i * ps + i] = (char)i;
	for (i = 1; i <= N; i++)
		c1[i * ps + i] = (char)i;
}

/* Contents and what backs each page, as facts and checks. */
static void mix_check(struct facts *r)
{
	char *c0 = mix, *c1 = mix + pmd_bytes();
	size_t ps = page_size(), i;
	long zero = 0, anon = 0, excl = 0;
	uint64_t kpf, want;

	want = 1ULL << KPF_ANON_BIT | 1ULL << KPF_SWAPBACKED_BIT |
	       1ULL << KPF_UPTODATE_BIT | 1ULL << KPF_MMAP_BIT;
	if (!page_is(c0, 0, 1) || !page_is(c1, 0, 0))
		fail(r, "page 0 of a chunk has wrong contents");
	for (i = 1; i <= 3 * N; i++) {
		bool written = i <= N || i > 2 * N;

		if (!page_is(c0 + i * ps, i, written ? (char)i : 0))
			fail(r, "chunk 0 page %zu has wrong contents", i);
		kpf = kpageflags_of(c0 + i * ps);
		if (written) {
			anon += (kpf & (want | 1ULL << KPF_ZERO_PAGE_BIT |
					1ULL << KPF_THP_BIT)) == want;
			excl += !!(pagemap_entry(c0 + i * ps) & PM_EXCLUSIVE);
		} else {
			zero += !!(kpf & 1ULL << KPF_ZERO_PAGE_BIT);
		}
	}
	for (i = 1; i <= N; i++) {
		if (!page_is(c1 + i * ps, i, (char)i))
			fail(r, "chunk 1 page %zu has wrong contents", i);
		kpf = kpageflags_of(c1 + i * ps);
		anon += (kpf & (want | 1ULL << KPF_ZERO_PAGE_BIT |
				1ULL << KPF_THP_BIT)) == want;
		excl += !!(pagemap_entry(c1 + i * ps) & PM_EXCLUSIVE);
	}
	if (pagemap_entry(c0 + (3 * N + 1) * ps) & PM_PRESENT)
		fail(r, "an untouched page is mapped");
	zero += !!(kpageflags_of(c1) & 1ULL << KPF_ZERO_PAGE_BIT);
	fact(r, "zero_pages", zero);
	fact(r, "anon_pages", anon);
	fact(r, "exclusive_pages", excl);
}

static void *mix_worker(void *arg)
{
	struct facts *r = arg;
	struct meter a, b;
	long pgf = 0, anon = 0;

	meter_open();
	meter_read(&a);			/* warms the buffers and stack */
	if (in_memcg) {
		pgf = memcg_stat("pgfault");
		anon = memcg_stat("anon");
	}
	meter_read(&a);
	mix_touch();
	meter_read(&b);
	if (in_memcg) {
		fact(r, "memcg_pgfault", memcg_stat("pgfault") - pgf);
		fact(r, "memcg_anon", memcg_stat("anon") - anon);
	}
	meter_close();
	meter_facts(r, &a, &b);
	mix_check(r);
	return NULL;
}

static void sc_mix(struct facts *r)
{
	mix = map_chunks(2);
	if (!mix) {
		fail(r, "map_chunks: %s", strerror(errno));
		return;
	}
	measure_in_thread(r, mix_worker);
}

#define MIX_FAULTS (5 * N + 2)
#define MIX_WRITTEN (3 * N + 1)

/* ---- Scenario: faults that end in a signal. */

enum sig_case {
	SC_UNMAPPED, SC_WRITE_RO, SC_WRITE_RO_ZERO, SC_READ_NONE,
	SC_FILE_IN, SC_FILE_EOF, SC_EXEC_RW, NR_SIG_CASES
};
static const char *const sig_case_name[NR_SIG_CASES] = {
	"unmapped", "write_ro", "write_ro_zero", "read_none",
	"file_in", "file_eof", "exec_rw",
};

/*
 * One probe, measured: its signal as facts, and (loaded) the hook
 * entries, speculative completions and the one abort reason it gave
 * ("spf.<case>.reason" = counter index, -1 for none or several).
 */
static void probe_case(struct facts *r, int c, char *addr,
		       enum spf_probe_how how)
{
	struct spf_counts a, b, d;
	struct spf_sig sig;
	int i, reason = -1;

	spf_counts_read(&a);
	spf_counts_read(&a);
	spf_probe_how(addr, how, 1, &sig);
	spf_counts_read(&b);
	factf(r, sig.signo, "sig.%s", sig_case_name[c]);
	factf(r, sig.code, "code.%s", sig_case_name[c]);
	factf(r, sig.signo ? sig.addr == addr : 1, "addr_ok.%s",
	      sig_case_name[c]);
	if (a.c[SPF_C_FAULT_HOOK] < 0)
		return;
	spf_counts_sub(&b, &a, &d);
	for (i = SPF_C_FIRST_ABORT; i < SPF_NR_CTRS; i++)
		if (d.c[i])
			reason = reason == -1 && d.c[i] == 1 ? i : -2;
	factf(r, d.c[SPF_C_FAULT_HOOK], "spf.%s.hook", sig_case_name[c]);
	factf(r, spf_counts_spec(&d), "spf.%s.spec", sig_case_name[c]);
	factf(r, reason, "spf.%s.reason", sig_case_name[c]);
}

/*
 * A primed chunk with a hole (page 2), a PROT_READ range (pages 4-5,
 * page 5 with the zero page mapped), a PROT_NONE page (8) and a
 * one-page tmpfs file mapped over pages 10-11 (11 is beyond EOF); the
 * PTE table exists, so only the reason under test applies.
 */
static void sc_signals(struct facts *r)
{
	size_t ps = page_size();
	char *p = map_primed_chunks(1);
	int fd;

	if (!p) {
		fail(r, "map_primed_chunks: %s", strerror(errno));
		return;
	}
	keep(p[5 * ps]);
	fd = memfd_create("spf-spec", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, ps) ||
	    pwrite(fd, "spf", 3, 0) != 3 ||
	    munmap(p + 2 * ps, ps) ||
	    mprotect(p + 4 * ps, 2 * ps, PROT_READ) ||
	    mprotect(p + 8 * ps, ps, PROT_NONE) ||
	    mmap(p + 10 * ps, 2 * ps, PROT_READ, MAP_PRIVATE | MAP_FIXED,
		 fd, 0) != p + 10 * ps) {
		fail(r, "setup: %s", strerror(errno));
		return;
	}
	probe_case(r, SC_UNMAPPED, p + 2 * ps, SPF_PROBE_READ);
	probe_case(r, SC_WRITE_RO, p + 4 * ps, SPF_PROBE_WRITE);
	probe_case(r, SC_WRITE_RO_ZERO, p + 5 * ps, SPF_PROBE_WRITE);
	probe_case(r, SC_READ_NONE, p + 8 * ps, SPF_PROBE_READ);
	probe_case(r, SC_FILE_IN, p + 10 * ps, SPF_PROBE_READ);
	probe_case(r, SC_FILE_EOF, p + 11 * ps, SPF_PROBE_READ);
	probe_case(r, SC_EXEC_RW, p + 7 * ps, SPF_PROBE_EXEC);
	fact(r, "ro_page_mapped", !!(pagemap_entry(p + 4 * ps) & PM_PRESENT));
	fact(r, "exec_page_mapped",
	     !!(pagemap_entry(p + 7 * ps) & PM_PRESENT));
	if (memcmp(p + 10 * ps, "spf", 3) || !page_is(p + 4 * ps, 0, 0))
		fail(r, "wrong contents after the probes");
	close(fd);
}

static void expect_case(struct __test_metadata *_metadata,
			const struct facts *off, const struct facts *on,
			int c, int sig, int code, int reason)
{
	char name[48];

	snprintf(name, sizeof(name), "sig.%s", sig_case_name[c]);
	EXPECT_EQ(sig, fact_get(off, name)) TH_LOG("%s", name);
	snprintf(name, sizeof(name), "code.%s", sig_case_name[c]);
	EXPECT_EQ(code, fact_get(off, name)) TH_LOG("%s", name);
	snprintf(name, sizeof(name), "addr_ok.%s", sig_case_name[c]);
	EXPECT_EQ(1, fact_get(off, name)) TH_LOG("%s", name);
	snprintf(name, sizeof(name), "spf.%s.hook", sig_case_name[c]);
	EXPECT_EQ(1, fact_get(on, name)) TH_LOG("%s", name);
	snprintf(name, sizeof(name), "spf.%s.spec", sig_case_name[c]);
	EXPECT_EQ(reason == SPF_C_SPEC_FILE, fact_get(on, name))
		TH_LOG("%s", name);
	snprintf(name, sizeof(name), "spf.%s.reason", sig_case_name[c]);
	if (reason == SPF_C_SPEC_FILE)
		reason = -1;		/* done, so no abort */
	else if (reason < 0)
		return;			/* not checked */
	EXPECT_EQ(reason, fact_get(on, name)) {
		TH_LOG("%s: expected %s", name, spf_ctr_name(reason));
	}
}

static void signals_check(struct __test_metadata *_metadata,
			  const struct facts *off, const struct facts *on)
{
	long r;

	expect_case(_metadata, off, on, SC_UNMAPPED, SIGSEGV, SEGV_MAPERR,
		    SPF_C_ABORT_NO_VMA);
	expect_case(_metadata, off, on, SC_WRITE_RO, SIGSEGV, SEGV_ACCERR,
		    SPF_C_ABORT_ACCESS);
	/* A present page: x86 sees a protection fault (abort_pte). */
	expect_case(_metadata, off, on, SC_WRITE_RO_ZERO, SIGSEGV,
		    SEGV_ACCERR, -1);
	r = fact_get(on, "spf.write_ro_zero.reason");
	EXPECT_TRUE(r == SPF_C_ABORT_PTE || r == SPF_C_ABORT_ACCESS)
		TH_LOG("write to a read-only zero page: reason %ld", r);
	expect_case(_metadata, off, on, SC_READ_NONE, SIGSEGV, SEGV_ACCERR,
		    SPF_C_ABORT_ACCESS);
	/* A cached file page is mapped speculatively; beyond EOF, stock. */
	expect_case(_metadata, off, on, SC_FILE_IN, 0, 0, SPF_C_SPEC_FILE);
	expect_case(_metadata, off, on, SC_FILE_EOF, SIGBUS, BUS_ADRERR,
		    SPF_C_ABORT_PAGECACHE);
	EXPECT_EQ(0, fact_get(off, "ro_page_mapped"));
	/*
	 * An instruction fetch from a page that may not be executed (what
	 * it maps, and its signal, are compared with stock's by parity()).
	 * arm64's handler asks for VM_EXEC (spf works the flags out from
	 * the ESR in its do_page_fault() hook): refused at once, nothing
	 * mapped; taken for a read, the zero page would be mapped first.
	 * x86-64's access check has no exec case: the fetch maps the zero
	 * page like a read, then faults on NX, a present PTE spf leaves to
	 * stock.
	 */
#ifdef __aarch64__
	expect_case(_metadata, off, on, SC_EXEC_RW, SIGSEGV, SEGV_ACCERR,
		    SPF_C_ABORT_ACCESS);
	EXPECT_EQ(0, fact_get(off, "exec_page_mapped"));
#else
	EXPECT_EQ(SIGSEGV, fact_get(off, "sig.exec_rw"));
	EXPECT_EQ(SEGV_ACCERR, fact_get(off, "code.exec_rw"));
	EXPECT_EQ(1, fact_get(off, "exec_page_mapped"));
#endif
}

/* ---- Scenario: userfaultfd ranges are never speculated. */

static bool uffd_sigbus;
static int uffd_fd = -1;

static int uffd_open(char *start, size_t len, bool sigbus)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = {
		.range = { .start = (uintptr_t)start, .len = len },
		.mode = UFFDIO_REGISTER_MODE_MISSING,
	};
	int fd;

	fd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	api.features = sigbus ? UFFD_FEATURE_SIGBUS : 0;
	if (ioctl(fd, UFFDIO_API, &api) || ioctl(fd, UFFDIO_REGISTER, &reg)) {
		close(fd);
		return -errno;
	}
	return fd;
}

/* Resolves missing faults with a page of 0xa5 but for its index byte. */
static void *uffd_server(void *arg)
{
	static _Alignas(65536) char src[65536];
	struct uffd_msg msg;
	struct uffdio_copy copy;
	struct pollfd pfd = { .fd = uffd_fd, .events = POLLIN };
	long served = 0, want = (long)(uintptr_t)arg;
	size_t ps = page_size();

	while (served < want && poll(&pfd, 1, 5000) == 1) {
		if (read(uffd_fd, &msg, sizeof(msg)) != (ssize_t)sizeof(msg) ||
		    msg.event != UFFD_EVENT_PAGEFAULT)
			continue;
		memset(src, 0xa5, ps);
		src[0] = (char)(msg.arg.pagefault.address / ps);
		copy.dst = msg.arg.pagefault.address & ~(uint64_t)(ps - 1);
		copy.src = (uintptr_t)src;
		copy.len = ps;
		copy.mode = 0;
		if (!ioctl(uffd_fd, UFFDIO_COPY, &copy))
			served++;
	}
	return NULL;
}

static char *uffd_area;

static void *uffd_worker(void *arg)
{
	struct facts *r = arg;
	size_t ps = page_size(), i;
	struct meter a, b;
	struct spf_sig sig;
	char *q = uffd_area + 2 * ps;
	long bad = 0;

	meter_open();
	meter_read(&a);
	meter_read(&a);
	for (i = 0; i < 8; i++) {
		spf_probe(q + i * ps, i & 1, 1, &sig);
		factf(r, sig.signo, "sig.%zu", i);
		factf(r, sig.code, "code.%zu", i);
	}
	meter_read(&b);
	meter_close();
	meter_facts(r, &a, &b);
	for (i = 0; i < 8; i++) {
		uint64_t pm = pagemap_entry(q + i * ps);

		if (uffd_sigbus) {
			bad += !!(pm & PM_PRESENT);
			continue;
		}
		/* Served by the handler: its bytes, not a zero page. */
		if (i & 1)
			bad += q[i * ps] != 1;
		else
			bad += q[i * ps] != (char)((uintptr_t)(q + i * ps) / ps);
		bad += q[i * ps + 1] != (char)0xa5;
	}
	fact(r, "bad_pages", bad);
	return NULL;
}

static void sc_uffd(struct facts *r)
{
	size_t ps = page_size();
	pthread_t server;

	uffd_area = map_primed_chunks(1);
	if (!uffd_area) {
		fail(r, "map_primed_chunks: %s", strerror(errno));
		return;
	}
	uffd_fd = uffd_open(uffd_area + 2 * ps, 8 * ps, uffd_sigbus);
	if (uffd_fd < 0) {
		fact(r, "uffd_errno", -uffd_fd);
		return;
	}
	if (!uffd_sigbus && start_thread(&server, uffd_server, (void *)8L)) {
		fail(r, "start_thread");
		return;
	}
	measure_in_thread(r, uffd_worker);
	if (!uffd_sigbus)
		pthread_join(server, NULL);
}

/* A run whose userfaultfd() failed: skipped. */
static void uffd_skip(struct __test_metadata *_metadata,
		      const struct facts *off)
{
	if (fact_get(off, "uffd_errno") != LONG_MIN)
		SKIP(return, "userfaultfd: %s",
		     strerror((int)fact_get(off, "uffd_errno")));
}

static void uffd_sigbus_prepare(struct __test_metadata *_metadata)
{
	uffd_sigbus = true;
}

static void uffd_served_prepare(struct __test_metadata *_metadata)
{
	uffd_sigbus = false;
}

static void uffd_sigbus_check(struct __test_metadata *_metadata,
			      const struct facts *off, const struct facts *on)
{
	int i;

	for (i = 0; i < 8; i++) {
		char name[16];

		snprintf(name, sizeof(name), "sig.%d", i);
		EXPECT_EQ(SIGBUS, fact_get(off, name));
		snprintf(name, sizeof(name), "code.%d", i);
		EXPECT_EQ(BUS_ADRERR, fact_get(off, name));
	}
}

/* ---- Scenario: mlock2(MLOCK_ONFAULT) ranges are left to stock. */

static char *locked;

static void *mlock_worker(void *arg)
{
	struct facts *r = arg;
	size_t ps = page_size(), i;
	struct meter a, b;
	long mlocked = 0, bad = 0;

	meter_open();
	meter_read(&a);
	meter_read(&a);
	for (i = 1; i <= N; i++)
		if (i <= N / 2)
			locked[i * ps + i] = (char)i;
		else
			keep(locked[i * ps]);
	meter_read(&b);
	meter_close();
	meter_facts(r, &a, &b);
	for (i = 1; i <= N; i++) {
		bad += !page_is(locked + i * ps, i, i <= N / 2 ? (char)i : 0);
		mlocked += !!(kpageflags_of(locked + i * ps) &
			      1ULL << KPF_MLOCKED_BIT);
	}
	fact(r, "bad_pages", bad);
	fact(r, "mlocked_pages", mlocked);
	fact(r, "vm_lck_kb", status_field("VmLck"));
	return NULL;
}

static void sc_mlock(struct facts *r)
{
	locked = map_primed_chunks(1);
	if (!locked) {
		fail(r, "map_primed_chunks: %s", strerror(errno));
		return;
	}
	if (syscall(SYS_mlock2, locked + page_size(), N * page_size(),
		    MLOCK_ONFAULT)) {
		fail(r, "mlock2: %s", strerror(errno));
		return;
	}
	measure_in_thread(r, mlock_worker);
}

/* ---- Scenario: soft-dirty tracking (clear_refs 4, then touch). */

static char *sd;

static void *soft_dirty_worker(void *arg)
{
	struct facts *r = arg;
	size_t ps = page_size(), i;
	struct meter a, b;
	long dirty_w = 0, dirty_r = 0;

	if (spf_write_file("/proc/self/clear_refs", "4")) {
		fail(r, "clear_refs: %s", strerror(errno));
		return NULL;
	}
	meter_open();
	/* Clearing write-protected our own pages too: write them again. */
	meter_read(&a);
	meter_read(&a);
	for (i = 1; i <= N; i++)
		sd[i * ps] = (char)i;
	for (i = N + 1; i <= 2 * N; i++)
		keep(sd[i * ps]);
	sd[0] = 2;		/* present, write-protected by clear_refs */
	meter_read(&b);
	meter_close();
	meter_facts(r, &a, &b);
	for (i = 1; i <= 2 * N; i++) {
		uint64_t pm = pagemap_entry(sd + i * ps);

		if (!(pm & PM_PRESENT))
			fail(r, "page %zu not present", i);
		if (i <= N)
			dirty_w += !!(pm & PM_SOFT_DIRTY);
		else
			dirty_r += !!(pm & PM_SOFT_DIRTY);
	}
	fact(r, "soft_dirty_written", dirty_w);
	fact(r, "soft_dirty_read", dirty_r);
	fact(r, "soft_dirty_page0", !!(pagemap_entry(sd) & PM_SOFT_DIRTY));
	return NULL;
}

static void sc_soft_dirty(struct facts *r)
{
	sd = map_primed_chunks(1);
	if (!sd) {
		fail(r, "map_primed_chunks: %s", strerror(errno));
		return;
	}
	measure_in_thread(r, soft_dirty_worker);
}

static void soft_dirty_skip(struct __test_metadata *_metadata,
			    const struct facts *off)
{
	if (fact_get(off, "soft_dirty_written") == 0 &&
	    fact_get(off, "soft_dirty_page0") == 0)
		SKIP(return, "no soft-dirty tracking on this kernel");
}

/* ---- Scenario: fork after speculative writes; COW both ways. */

static char *cow;

static long cow_mismatches(char base)
{
	size_t ps = page_size(), i;
	long bad = 0;

	for (i = 1; i <= N; i++)
		bad += !page_is(cow + i * ps, i, (char)(base + i));
	return bad;
}

static void *cow_worker(void *arg)
{
	struct facts *r = arg;
	size_t ps = page_size(), i;
	struct meter a, b;
	int status;
	pid_t pid;

	meter_open();
	meter_read(&a);
	meter_read(&a);
	for (i = 1; i <= N; i++)
		cow[i * ps + i] = (char)(1 + i);
	meter_read(&b);
	meter_close();
	meter_facts(r, &a, &b);

	pid = fork();
	if (pid < 0) {
		fail(r, "fork: %s", strerror(errno));
		return NULL;
	}
	if (pid == 0) {
		/* The parent's pages, then a fresh one, then our own copies. */
		long bad = cow_mismatches(1);

		bad += !page_is(cow + (N + 1) * ps, 0, 0);
		for (i = 1; i <= N; i++)
			cow[i * ps + i] = (char)(7 + i);
		bad += cow_mismatches(7);
		_exit(bad > 100 ? 100 : bad);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		fail(r, "COW child died (status 0x%x)", status);
	fact(r, "child_mismatches", WEXITSTATUS(status));
	fact(r, "parent_mismatches_after_child", cow_mismatches(1));
	for (i = 1; i <= N; i++)
		cow[i * ps + i] = (char)(3 + i);
	fact(r, "parent_mismatches_after_write", cow_mismatches(3));
	return NULL;
}

static void sc_cow(struct facts *r)
{
	cow = map_primed_chunks(1);
	if (!cow) {
		fail(r, "map_primed_chunks: %s", strerror(errno));
		return;
	}
	measure_in_thread(r, cow_worker);
}

/*
 * ---- Scenario: faults the kernel takes writing to user memory
 * (copy_to_user() of a read()): arch faults from kernel mode, which
 * arm64's do_page_fault() hook tries only when stock would do nothing
 * else first (spf/hooks/arch_arm64.c).
 */

static char *ua;

static void *uaccess_worker(void *arg)
{
	struct facts *r = arg;
	size_t ps = page_size(), i;
	struct meter a, b;
	char buf[64];
	long bad = 0;
	int fd;

	memset(buf, 0x5a, sizeof(buf));
	fd = memfd_create("spf-uaccess", MFD_CLOEXEC);
	if (fd < 0 || pwrite(fd, buf, sizeof(buf), 0) != sizeof(buf)) {
		fail(r, "memfd: %s", strerror(errno));
		return NULL;
	}
	meter_open();
	meter_read(&a);
	meter_read(&a);
	for (i = 1; i <= N; i++)
		bad += pread(fd, ua + i * ps, sizeof(buf), 0) != sizeof(buf);
	meter_read(&b);
	meter_close();
	meter_facts(r, &a, &b);
	for (i = 1; i <= N; i++)
		bad += !!memcmp(ua + i * ps, buf, sizeof(buf));
	fact(r, "uaccess_bad", bad);
	close(fd);
	return NULL;
}

static void sc_uaccess(struct facts *r)
{
	ua = map_primed_chunks(1);
	if (!ua) {
		fail(r, "map_primed_chunks: %s", strerror(errno));
		return;
	}
	measure_in_thread(r, uaccess_worker);
}

/*
 * x86-64 takes a fault's error code from a per-CPU record; a kernel-mode
 * fault preempted before the hook (PREEMPT_RT) can miss it and go stock
 * as abort_other: rare, never most.
 */
static void uaccess_check(struct __test_metadata *_metadata,
			  const struct facts *off, const struct facts *on)
{
	EXPECT_LE(N - N / 8, spf_fact(on, "spec_write")) {
		TH_LOG("abort_other %ld, abort_access %ld, abort_pte %ld, abort_no_anon_vma %ld",
		       spf_fact(on, "abort_other"),
		       spf_fact(on, "abort_access"),
		       spf_fact(on, "abort_pte"),
		       spf_fact(on, "abort_no_anon_vma"));
	}
}

#ifdef __x86_64__
/* ---- Scenario: protection keys (x86-64). */

static void sc_pkey(struct facts *r)
{
	size_t ps = page_size();
	struct spf_counts a, b, d;
	struct spf_sig sig;
	char *p;
	int pkey, i;

	p = map_primed_chunks(1);
	if (!p) {
		fail(r, "map_primed_chunks: %s", strerror(errno));
		return;
	}
	pkey = pkey_alloc(0, PKEY_DISABLE_ACCESS);
	if (pkey < 0) {
		fact(r, "pkey_errno", errno);
		return;
	}
	if (pkey_mprotect(p + 2 * ps, 4 * ps, PROT_READ | PROT_WRITE, pkey)) {
		fail(r, "pkey_mprotect: %s", strerror(errno));
		return;
	}
	fact(r, "pkey", pkey);
	spf_counts_read(&a);
	spf_counts_read(&a);
	for (i = 0; i < 4; i++) {
		spf_probe(p + (2 + i) * ps, i & 1, 1, &sig);
		factf(r, sig.signo, "sig.%d", i);
		factf(r, sig.code, "code.%d", i);
		factf(r, sig.pkey, "si_pkey.%d", i);
		factf(r, !!(pagemap_entry(p + (2 + i) * ps) & PM_PRESENT),
		      "mapped.%d", i);
	}
	spf_counts_read(&b);
	if (a.c[SPF_C_FAULT_HOOK] >= 0) {
		spf_counts_sub(&b, &a, &d);
		fact(r, "spf.fault_hook", d.c[SPF_C_FAULT_HOOK]);
		fact(r, "spf.spec", spf_counts_spec(&d));
		fact(r, "spf.outcomes", spf_counts_outcomes(&d));
	}
	/* Access enabled again, the pages behave as any other. */
	pkey_set(pkey, 0);
	p[2 * ps + 1] = 9;
	if (!page_is(p + 2 * ps, 1, 9) || !page_is(p + 3 * ps, 0, 0))
		fail(r, "pkey pages have wrong contents once enabled");
}

static void pkey_skip(struct __test_metadata *_metadata,
		      const struct facts *off)
{
	if (fact_get(off, "pkey_errno") != LONG_MIN)
		SKIP(return, "pkey_alloc: %s (no protection keys here)",
		     strerror((int)fact_get(off, "pkey_errno")));
}

static void pkey_check(struct __test_metadata *_metadata,
		       const struct facts *off, const struct facts *on)
{
	int i;

	for (i = 0; i < 4; i++) {
		char name[16];

		snprintf(name, sizeof(name), "sig.%d", i);
		EXPECT_EQ(SIGSEGV, fact_get(off, name));
		snprintf(name, sizeof(name), "code.%d", i);
		EXPECT_EQ(SEGV_PKUERR, fact_get(off, name));
		snprintf(name, sizeof(name), "si_pkey.%d", i);
		EXPECT_EQ(fact_get(off, "pkey"), fact_get(off, name));
		snprintf(name, sizeof(name), "mapped.%d", i);
		EXPECT_EQ(0, fact_get(off, name));
	}
	EXPECT_EQ(4, fact_get(on, "spf.fault_hook"));
	EXPECT_EQ(0, fact_get(on, "spf.spec"));
	EXPECT_EQ(4, fact_get(on, "spf.outcomes"));
}
#endif

/* ---- The enabled knob: off means no speculation at all. */

static void disabled_run(struct __test_metadata *_metadata,
			 const struct spec_case *c)
{
	struct spf_counts a, b, d;
	size_t ps = page_size(), i;
	char *p;

	ASSERT_EQ(0, prefault_self());
	p = map_primed_chunks(1);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, spf_write_file(SPF_PARAMS "/enabled", "0"));
	spf_counts_read(&a);
	spf_counts_read(&a);
	for (i = 1; i <= N; i++)
		p[i * ps] = 1;
	spf_counts_read(&b);
	spf_counts_sub(&b, &a, &d);
	EXPECT_EQ(0, d.c[SPF_C_FAULT_HOOK]) TH_LOG("%s", spf_counts_str(&d));
	EXPECT_EQ(0, spf_counts_outcomes(&d));
	EXPECT_EQ(N, d.c[SPF_C_DISABLED]);

	ASSERT_EQ(0, spf_write_file(SPF_PARAMS "/enabled", "1"));
	spf_counts_read(&a);
	for (i = N + 1; i <= 2 * N; i++)
		p[i * ps] = 1;
	spf_counts_read(&b);
	spf_counts_sub(&b, &a, &d);
	EXPECT_EQ(N, d.c[SPF_C_SPEC_WRITE]) TH_LOG("%s", spf_counts_str(&d));
	EXPECT_EQ(N, d.c[SPF_C_FAULT_HOOK]);
	for (i = 1; i <= 2 * N; i++)
		EXPECT_TRUE(page_is(p + i * ps, 0, 1));
}

/* ---- NUMA hinting faults: the pte is not none, stock handles them. */

#define NUMA_DBG "/sys/kernel/debug/sched/numa_balancing/"

static int idle_stop;

/*
 * A second thread: a single-threaded task's pages on its own node are
 * never made hinting ptes (change_pte_range()), and the guest has one.
 */
static void *idle_fn(void *arg)
{
	while (!READ_ONCE(idle_stop))
		usleep(1000);
	return NULL;
}

/* Spin in user mode until the scanner changed WANT more ptes. */
static long spin_for_pte_updates(long want, double secs)
{
	struct timespec t0, t;
	long base = spf_vmstat("numa_pte_updates"), got = 0;
	unsigned long x = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		for (int i = 0; i < 1000000; i++)
			WRITE_ONCE(x, READ_ONCE(x) + 1);
		got = spf_vmstat("numa_pte_updates") - base;
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while (got < want &&
		 t.tv_sec - t0.tv_sec + (t.tv_nsec - t0.tv_nsec) / 1e9 < secs);
	return got;
}

static void numa_hinting_run(struct __test_metadata *_metadata,
			     const struct spec_case *c)
{
	char old[16] = "", delay[16] = "", pmin[16] = "";
	struct spf_counts a, b, d;
	long updates, hints;
	size_t ps = page_size(), i;
	pthread_t t;
	char *p;

	if (spf_read_file("/proc/sys/kernel/numa_balancing", old, sizeof(old)))
		SKIP(return, "kernel without NUMA balancing");
	if (spf_read_file(NUMA_DBG "scan_delay_ms", delay, sizeof(delay)) ||
	    spf_read_file(NUMA_DBG "scan_period_min_ms", pmin, sizeof(pmin)))
		SKIP(return, "no " NUMA_DBG " knobs");
	p = map_primed_chunks(1);
	ASSERT_NE(NULL, p);
	for (i = 1; i <= N; i++)
		p[i * ps] = (char)i;
	ASSERT_EQ(0, start_thread(&t, idle_fn, NULL));

	/* Scan at once and often; restore the knobs whatever happens. */
	spf_write_file(NUMA_DBG "scan_delay_ms", "0");
	spf_write_file(NUMA_DBG "scan_period_min_ms", "10");
	spf_write_file("/proc/sys/kernel/numa_balancing", "1");
	updates = spin_for_pte_updates(N, 5);
	spf_write_file("/proc/sys/kernel/numa_balancing", old);
	spf_write_file(NUMA_DBG "scan_delay_ms", delay);
	spf_write_file(NUMA_DBG "scan_period_min_ms", pmin);
	WRITE_ONCE(idle_stop, 1);
	pthread_join(t, NULL);

	hints = spf_vmstat("numa_hint_faults");
	spf_counts_read(&a);
	spf_counts_read(&a);
	for (i = 1; i <= N; i++)
		keep(p[i * ps]);
	spf_counts_read(&b);
	hints = spf_vmstat("numa_hint_faults") - hints;
	spf_counts_sub(&b, &a, &d);
	TH_LOG("%ld pte updates, %ld hinting faults:%s", updates, hints,
	       spf_counts_str(&d));
	for (i = 1; i <= N; i++)
		EXPECT_TRUE(page_is(p + i * ps, 0, (char)i));
	if (hints <= 0)
		SKIP(return, "no NUMA hinting faults in 5 s (%ld pte updates)",
		     updates);
	/*
	 * Every fault here was a hinting fault, entered the hook and was
	 * left to stock; vmstat's window encloses the counters' one.
	 */
	EXPECT_LT(0, d.c[SPF_C_ABORT_PTE]);
	EXPECT_EQ(d.c[SPF_C_FAULT_HOOK], d.c[SPF_C_ABORT_PTE]);
	EXPECT_LE(d.c[SPF_C_ABORT_PTE], hints);
	EXPECT_EQ(0, spf_counts_spec(&d));
	EXPECT_EQ(d.c[SPF_C_FAULT_HOOK], spf_counts_outcomes(&d));
}

/* ---- Tracepoints: spf:spf_spec and spf:spf_abort_*, through perf. */

#define TP_BASE 0x500000000000UL

/*
 * Child mode: N reads and N writes in a primed chunk at TP_BASE, and a
 * read that finds no PTE table in the next chunk.
 */
static int tp_toucher(void)
{
	size_t ps = page_size(), i;
	char *raw, *p = (char *)TP_BASE;

	raw = mmap((void *)(TP_BASE - ps), 2 * pmd_bytes() + 2 * ps, PROT_NONE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (raw == MAP_FAILED ||
	    mmap(p, 2 * pmd_bytes(), PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != p ||
	    no_thp(p, 2 * pmd_bytes()))
		return 1;
	p[0] = 1;
	keep(p[pmd_bytes()]);
	for (i = 1; i <= N; i++)
		keep(p[i * ps]);
	for (i = N + 1; i <= 2 * N; i++)
		p[i * ps] = 1;
	return 0;
}

/* The values of perf stat's CSV lines, in order, and their event names. */
static int perf_lines(const char *csv, long *val, char (*name)[64], int max)
{
	const char *p = csv;
	int n = 0;

	while (*p && n < max) {
		/* sscanf would skip an empty line and read the next. */
		if (*p >= '0' && *p <= '9' &&
		    (sscanf(p, "%ld,%*[^,],%63[^,],", &val[n], name[n]) == 2 ||
		     sscanf(p, "%ld,,%63[^,],", &val[n], name[n]) == 2))
			n++;
		p = strchr(p, '\n');
		if (!p)
			break;
		p++;
	}
	return n;
}

static void tracepoints_run(struct __test_metadata *_metadata,
			    const struct spec_case *c)
{
	char out[] = "/tmp/spf-spec-perf-XXXXXX";
	char csv[16384], exe[4096], rd[160], wr[160];
	char name[64][64];
	long val[64], fault = -1, spec_all = -1, aborts = 0, noanon = -1;
	int fd, status, n, i, spec_seen = 0;
	long spec_rd = -1, spec_wr = -1, spec_wp = 0;
	ssize_t len;
	pid_t pid;

	if (system("perf --version >/dev/null 2>&1"))
		SKIP(return, "perf is not installed in this guest");
	EXPECT_EQ(0, access("/sys/kernel/tracing/events/spf/spf_spec/format",
			    R_OK));
	EXPECT_EQ(0, access("/sys/kernel/tracing/events/spf/spf_abort_other",
			    F_OK));
	len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	ASSERT_LT(0, len);
	exe[len] = '\0';
	fd = mkstemp(out);
	ASSERT_LE(0, fd);
	close(fd);
	snprintf(rd, sizeof(rd),
		 "write == 0 && address >= 0x%lx && address < 0x%lx",
		 TP_BASE, TP_BASE + pmd_bytes());
	snprintf(wr, sizeof(wr),
		 "write == 1 && address >= 0x%lx && address < 0x%lx",
		 TP_BASE, TP_BASE + pmd_bytes());

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		execlp("perf", "perf", "stat", "-x", ",", "-o", out,
		       "-e", "spf:spf_spec", "--filter", rd,
		       "-e", "spf:spf_spec", "--filter", wr,
		       "-e", "spf:spf_fault", "-e", "spf:spf_spec",
		       "-e", "spf:spf_spec_wp", "-e", "spf:spf_spec_file",
		       "-e", "spf:spf_spec_thp", "-e", "spf:spf_spec_swap",
		       "-e", "spf:spf_spec_file_write",
		       "-e", "spf:spf_abort_*",
		       exe, "--tp-toucher", NULL);
		_exit(127);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(0, WEXITSTATUS(status));
	ASSERT_EQ(0, spf_read_file(out, csv, sizeof(csv)));
	unlink(out);

	n = perf_lines(csv, val, name, 64);
	for (i = 0; i < n; i++) {
		if (!strcmp(name[i], "spf:spf_spec")) {
			if (spec_seen == 0)
				spec_rd = val[i];
			else if (spec_seen == 1)
				spec_wr = val[i];
			else
				spec_all = val[i];
			spec_seen++;
		} else if (!strcmp(name[i], "spf:spf_spec_wp") ||
			   !strcmp(name[i], "spf:spf_spec_file") ||
			   !strcmp(name[i], "spf:spf_spec_thp") ||
			   !strcmp(name[i], "spf:spf_spec_swap") ||
			   !strcmp(name[i], "spf:spf_spec_file_write")) {
			spec_wp += val[i] < 0 ? 0 : val[i];
		} else if (!strcmp(name[i], "spf:spf_fault")) {
			fault = val[i];
		} else if (!strncmp(name[i], "spf:spf_abort_", 14)) {
			aborts += val[i];
			if (!strcmp(name[i], "spf:spf_abort_no_anon_vma"))
				noanon = val[i];
		}
	}
	TH_LOG("perf: fault=%ld spec=%ld (region: %ld read, %ld write) spec_wp+file+thp=%ld aborts=%ld",
	       fault, spec_all, spec_rd, spec_wr, spec_wp, aborts);
	EXPECT_EQ(3, spec_seen) TH_LOG("perf output:\n%s", csv);
	EXPECT_EQ(N, spec_rd);
	EXPECT_EQ(N, spec_wr);
	EXPECT_LE(2 * N, spec_all);
	EXPECT_LE(1, noanon);	/* the toucher's first write */
	EXPECT_EQ(fault, spec_all + spec_wp + aborts);
}

/* ---- The multi-gen LRU: a fault's new pages go to the youngest generation. */

#define LRU_GEN_ON "/sys/kernel/mm/lru_gen/enabled"
#define LRU_GEN_DBG "/sys/kernel/debug/lru_gen"
#define LRU_ANON 256		/* first touches */
#define LRU_FILE 64		/* private writes to a cached tmpfs file */

/* The scenario's memcg in /sys/kernel/debug/lru_gen, all nodes summed. */
struct lru_gens {
	long youngest;		/* anon pages in each node's max_seq */
	long older;		/* anon pages in its other generations */
	long max_seq;		/* the nodes' max_seq summed: moves if aged */
};

static void lru_gens_node_end(struct lru_gens *g, long *last, long seq)
{
	if (*last < 0)
		return;
	g->youngest += *last;
	g->max_seq += seq;
	*last = -1;
}

/*
 * Its lines, read-only: "memcg ID PATH", then per node " node NID" and
 * one " SEQ AGE_MS ANON FILE" line per generation, oldest first.
 */
static int lru_gens_read(struct lru_gens *g)
{
	static char buf[256 * 1024];
	const char *mine = cg_dir + strlen(CG_ROOT);
	char path[192], *line, *next;
	long seq = 0, last = -1, s, age, anon;
	bool in = false, found = false;
	ssize_t n, len = 0;
	int fd;

	memset(g, 0, sizeof(*g));
	memset(buf, 0, sizeof(buf));
	fd = open(LRU_GEN_DBG, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while ((n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += n;
	close(fd);
	if (n < 0)
		return -EIO;
	for (line = buf; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (!strncmp(line, "memcg", 5)) {
			if (in)
				lru_gens_node_end(g, &last, seq);
			in = sscanf(line, "memcg %*u %191s", path) == 1 &&
			     !strcmp(path, mine);
			found |= in;
		} else if (!in) {
			continue;
		} else if (strstr(line, "node")) {
			lru_gens_node_end(g, &last, seq);
		} else if (sscanf(line, " %ld %ld %ld", &s, &age, &anon) == 3) {
			if (last >= 0)
				g->older += last;
			last = anon;
			seq = s;
		}
	}
	if (in)
		lru_gens_node_end(g, &last, seq);
	return found ? 0 : -ENOENT;
}

/*
 * lru_add_drain() on this CPU, where the pages wait in a batch before
 * they reach their generation: mlock_fixup() drains before and after
 * its walk, and MLOCK_ONFAULT on a page never touched adds none.
 */
static int lru_drain_here(char *spare)
{
	if (syscall(SYS_mlock2, spare, page_size(), 1 /* MLOCK_ONFAULT */))
		return -errno;
	return munlock(spare, page_size()) ? -errno : 0;
}

/*
 * Writes N pages from P on, each a first write, with the batches drained
 * before and after: where the new pages went, as WHAT_youngest and
 * WHAT_older; the loaded run's CTR as spf.WHAT.
 */
static void lru_step(struct facts *r, const char *what, char *p, size_t n,
		     char *spare, int ctr)
{
	struct lru_gens a, b;
	struct spf_counts ca, cb, d;
	size_t i;
	int ret;

	spf_counts_read(&ca);
	ret = lru_drain_here(spare) ?: lru_gens_read(&a);
	spf_counts_read(&ca);
	for (i = 0; i < n && !ret; i++)
		WRITE_ONCE(p[i * page_size() + 1], 1);
	spf_counts_read(&cb);
	ret = ret ?: lru_drain_here(spare) ?: lru_gens_read(&b);
	if (ret) {
		fail(r, "%s: drain or %s: %s", what, LRU_GEN_DBG,
		     strerror(-ret));
		return;
	}
	if (a.max_seq != b.max_seq)
		fail(r, "%s: the memcg's LRU aged meanwhile", what);
	factf(r, b.youngest - a.youngest, "%s_youngest", what);
	factf(r, b.older - a.older, "%s_older", what);
	spf_counts_sub(&cb, &ca, &d);
	if (ca.c[SPF_C_FAULT_HOOK] >= 0)
		factf(r, d.c[ctr], "spf.%s", what);
}

/*
 * In a fresh memcg (a fresh lruvec: no generation has aged), on one
 * CPU: LRU_ANON first touches of a primed chunk, then LRU_FILE private
 * writes to a cached tmpfs file mapped over another (its first page
 * written before, by stock, which gives the VMA its anon_vma).
 */
static void sc_lru_gen(struct facts *r)
{
	size_t ps = page_size(), i;
	char *anon = map_primed_chunks(2), *file, *spare;
	cpu_set_t cpu;
	int fd;

	CPU_ZERO(&cpu);
	CPU_SET(sched_getcpu(), &cpu);
	spare = mmap(NULL, ps, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	fd = memfd_create("spf-lru", MFD_CLOEXEC);
	if (!anon || spare == MAP_FAILED || fd < 0 ||
	    ftruncate(fd, (LRU_FILE + 1) * ps) ||
	    sched_setaffinity(0, sizeof(cpu), &cpu)) {
		fail(r, "setup: %s", strerror(errno));
		return;
	}
	for (i = 0; i <= LRU_FILE; i++)
		if (pwrite(fd, "spf", 3, i * ps) != 3)
			fail(r, "pwrite: %s", strerror(errno));
	file = mmap(anon + pmd_bytes() + 16 * ps, (LRU_FILE + 1) * ps,
		    PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, fd, 0);
	if (file == MAP_FAILED) {
		fail(r, "mmap: %s", strerror(errno));
		return;
	}
	WRITE_ONCE(file[1], 1);
	lru_step(r, "anon", anon + ps, LRU_ANON, spare, SPF_C_SPEC_WRITE);
	lru_step(r, "file", file + ps, LRU_FILE, spare,
		 SPF_C_SPEC_FILE_WRITE);
	close(fd);
}

static void lru_gen_prepare(struct __test_metadata *_metadata)
{
	if (access(LRU_GEN_ON, W_OK))
		SKIP(return, "no multi-gen LRU here (%s)", LRU_GEN_ON);
	if (access(LRU_GEN_DBG, R_OK))
		SKIP(return, "no %s (debugfs)", LRU_GEN_DBG);
	if (!memcg_available(_metadata))
		return;
	ASSERT_EQ(0, knob_set(LRU_GEN_ON, "y"));
}

static void lru_gen_check(struct __test_metadata *_metadata,
			  const struct facts *off, const struct facts *on)
{
	TH_LOG("youngest generation: %ld/%ld anon, %ld/%ld file (unloaded/loaded)",
	       fact_get(off, "anon_youngest"), fact_get(on, "anon_youngest"),
	       fact_get(off, "file_youngest"), fact_get(on, "file_youngest"));
}

/* ---- The task's RSS cache: folded every 64 faults, whatever they are. */

#define RSS_CHUNKS 7
#define RSS_SYNC_FAULTS 66	/* memory.c: a fold when 65 have passed */
#define PTRS_MAX 8192		/* PTEs in a PTE table, any page size */

/* A tmpfs file of NPAGES cached pages. */
static int cached_file(size_t npages)
{
	int fd = memfd_create("spf-spec", MFD_CLOEXEC);
	size_t i;

	if (fd < 0 || ftruncate(fd, npages * page_size()))
		return -1;
	for (i = 0; i < npages; i++)
		if (pwrite(fd, "spf", 3, i * page_size()) != 3)
			return -1;
	return fd;
}

static char *rss_map[RSS_CHUNKS];
static long rss_pages;		/* in each mapping */

/*
 * Pages present in the mappings, read with one pread() per mapping:
 * an open() per page took most of the test's time on the debug kernel
 * and pushed it past the harness's timeout.
 */
static long rss_present(void)
{
	static uint64_t e[PTRS_MAX];
	long n = 0, i;
	int c, fd;

	if (rss_pages > PTRS_MAX)
		return -1;
	fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	for (c = 0; c < RSS_CHUNKS; c++) {
		off_t at = (uintptr_t)rss_map[c] / page_size() * sizeof(e[0]);
		size_t len = rss_pages * sizeof(e[0]);

		if (pread(fd, e, len, at) != (ssize_t)len) {
			n = -1;
			break;
		}
		for (i = 0; i < rss_pages; i++)
			n += !!(e[i] & PM_PRESENT);
	}
	close(fd);
	return n;
}

/*
 * Only read faults in file mappings, one per window, then RssShmem as
 * this thread sees it before it exits (the exit folds what is left).
 */
static void *rss_worker(void *arg)
{
	struct facts *r = arg;
	long win = spf_fault_around_pages(), i, before, folded, mapped, lag;
	struct spf_counts a, b, d;
	int c;

	before = status_field("RssShmem");
	spf_counts_read(&a);
	spf_counts_read(&a);
	for (c = 0; c < RSS_CHUNKS; c++)
		for (i = 0; i < rss_pages; i += win)
			keep(READ_ONCE(rss_map[c][i * page_size()]));
	spf_counts_read(&b);
	folded = status_field("RssShmem") - before;
	spf_counts_sub(&b, &a, &d);
	if (a.c[SPF_C_FAULT_HOOK] >= 0)
		fact(r, "spf.spec_file", d.c[SPF_C_SPEC_FILE]);
	mapped = rss_present() * (long)page_size() / 1024;
	lag = mapped - folded;
	fact(r, "mapped_kb", mapped);
	/* Stock lags by at most RSS_SYNC_FAULTS windows, spf one fewer. */
	fact(r, "rss_lag_ok", lag >= 0 &&
	     lag <= RSS_SYNC_FAULTS * win * (long)page_size() / 1024);
	ksft_print_msg("%s: RssShmem %ld of %ld kB mapped (%ld faults)\n",
		       a.c[SPF_C_FAULT_HOOK] >= 0 ? "loaded" : "unloaded",
		       folded, mapped, RSS_CHUNKS * rss_pages / win);
	if (lag < 0 || lag > RSS_SYNC_FAULTS * win * (long)page_size() / 1024)
		fail(r, "RssShmem grew by %ld kB for %ld kB mapped by %ld faults",
		     folded, mapped, RSS_CHUNKS * rss_pages / win);
	return NULL;
}

/*
 * A cached tmpfs file mapped shared over primed chunks (their PTE tables
 * exist), window-aligned, so that every fault is a whole window.
 */
static void sc_rss(struct facts *r)
{
	long win = spf_fault_around_pages(), before;
	char *chunks = map_primed_chunks(RSS_CHUNKS);
	char *stack = prefaulted_stack(SPF_STACK_LEN);
	size_t ps = page_size();
	pthread_t t;
	int c, fd, ret;

	rss_pages = pmd_bytes() / ps - 2 * win;
	fd = cached_file(rss_pages);
	if (!chunks || fd < 0) {
		fail(r, "setup: %s", strerror(errno));
		return;
	}
	for (c = 0; c < RSS_CHUNKS; c++) {
		rss_map[c] = mmap(chunks + c * pmd_bytes() + win * ps,
				  rss_pages * ps, PROT_READ,
				  MAP_SHARED | MAP_FIXED, fd, 0);
		if (rss_map[c] == MAP_FAILED) {
			fail(r, "mmap: %s", strerror(errno));
			return;
		}
	}
	/* The main thread faults no more: its own cached counts stay. */
	before = status_field("RssShmem");
	ret = start_thread_on(&t, stack, rss_worker, r);
	if (!ret)
		ret = -pthread_join(t, NULL);
	if (ret)
		fail(r, "thread: %s", strerror(-ret));
	fact(r, "rss_shmem_kb_after_exit", status_field("RssShmem") - before);
	close(fd);
}

static void rss_prepare(struct __test_metadata *_metadata)
{
	if (spf_fault_around_pages() < 2)
		SKIP(return, "fault_around_bytes is one page: no fault-around");
}

static void rss_check(struct __test_metadata *_metadata,
		      const struct facts *off, const struct facts *on)
{
	long win = spf_fault_around_pages(), ptrs = pmd_bytes() / page_size();
	long faults = RSS_CHUNKS * (ptrs / win - 2);

	/* Enough faults for a missing fold to show: three folds' worth. */
	EXPECT_LT(2 * RSS_SYNC_FAULTS, faults);
	EXPECT_EQ(faults * win * (long)page_size() / 1024,
		  fact_get(off, "mapped_kb"));
	EXPECT_EQ(fact_get(off, "mapped_kb"),
		  fact_get(off, "rss_shmem_kb_after_exit"));
	EXPECT_EQ(faults, spf_fact(on, "spec_file"));
}

/* ---- fault_around_bytes: the window size stock uses, whatever it is. */

#define FA_PAGES 4		/* the window set: 16 KiB with 4 KiB pages */
#define FA_FILE 64
#define FA_READ 21		/* a page in the file's sixth window */

static void sc_fault_around(struct facts *r)
{
	char *chunk = map_primed_chunks(1), *q;
	int fd = cached_file(FA_FILE), first = -1, last = -1, n = 0, i;
	struct spf_counts a, b, d;

	if (!chunk || fd < 0) {
		fail(r, "setup: %s", strerror(errno));
		return;
	}
	/* 64 KiB in: aligned for any window up to that. */
	q = mmap(chunk + 65536, FA_FILE * page_size(), PROT_READ,
		 MAP_SHARED | MAP_FIXED, fd, 0);
	if (q == MAP_FAILED) {
		fail(r, "mmap: %s", strerror(errno));
		return;
	}
	spf_counts_read(&a);
	spf_counts_read(&a);
	keep(READ_ONCE(q[FA_READ * page_size()]));
	spf_counts_read(&b);
	spf_counts_sub(&b, &a, &d);
	for (i = 0; i < FA_FILE; i++) {
		if (!(pagemap_entry(q + i * page_size()) & PM_PRESENT))
			continue;
		n++;
		last = i;
		if (first < 0)
			first = i;
	}
	fact(r, "present_pages", n);
	fact(r, "first_present", first);
	fact(r, "last_present", last);
	if (a.c[SPF_C_FAULT_HOOK] >= 0)
		fact(r, "spf.spec_file", d.c[SPF_C_SPEC_FILE]);
	close(fd);
}

static void fault_around_prepare(struct __test_metadata *_metadata)
{
	char val[32];

	if (access(SPF_FAULT_AROUND, W_OK))
		SKIP(return, "no %s (debugfs)", SPF_FAULT_AROUND);
	snprintf(val, sizeof(val), "%ld", FA_PAGES * (long)page_size());
	ASSERT_EQ(0, knob_set(SPF_FAULT_AROUND, val));
	ASSERT_EQ(FA_PAGES, spf_fault_around_pages());
}

static void fault_around_check(struct __test_metadata *_metadata,
			       const struct facts *off, const struct facts *on)
{
	TH_LOG("window of %d pages: %ld/%ld pages mapped (unloaded/loaded)",
	       FA_PAGES, fact_get(off, "present_pages"),
	       fact_get(on, "present_pages"));
}

/* ---- Reclaim at a memcg limit: once per fault, stock's, never spf's. */

#define THP_DEFRAG "/sys/kernel/mm/transparent_hugepage/defrag"
#define RECLAIM_CHUNKS 8

/* KEY's count in the scenario's memcg FILE ("memory.events"). */
static long memcg_file_key(const char *file, const char *key)
{
	static char buf[1024];
	size_t klen = strlen(key);
	char path[192], *s;

	memset(buf, 0, sizeof(buf));
	snprintf(path, sizeof(path), "%s/%s", cg_dir, file);
	if (spf_read_file(path, buf, sizeof(buf)))
		return -1;
	for (s = buf; s; s = strchr(s, '\n')) {
		if (*s == '\n')
			s++;
		if (!strncmp(s, key, klen) && s[klen] == ' ')
			return strtol(s + klen + 1, NULL, 10);
	}
	return -1;
}

static long memcg_current(void)
{
	char path[192], buf[32] = "";

	snprintf(path, sizeof(path), "%s/memory.current", cg_dir);
	if (spf_read_file(path, buf, sizeof(buf)))
		return -1;
	return strtol(buf, NULL, 10);
}

static int memcg_set(const char *file, long v)
{
	char path[192], val[32];

	snprintf(path, sizeof(path), "%s/%s", cg_dir, file);
	snprintf(val, sizeof(val), "%ld", v);
	return spf_write_file(path, val);
}

/*
 * First writes to chunks where stock maps a huge page, in a memcg 1 MiB
 * above its usage, no swap: the huge page's charge can never fit.
 * Stock's charge (the THP gfp, direct reclaim without __GFP_NORETRY)
 * reclaims MAX_RECLAIM_RETRIES times, raising memory.events max each
 * time, fails (no OOM for a huge page), counts thp_fault_fallback_charge
 * and maps a small page.  spf's attempt must add none of that: its
 * charge may not reclaim, so it fails at once and raises no event
 * (try_charge_memcg() raises max only when it may block).
 */
static void sc_reclaim(struct facts *r)
{
	size_t pmd = pmd_bytes(), i;
	long max0, fb0, cur, huge = 0;
	struct meter a, b;
	char *p = map_chunks(RECLAIM_CHUNKS + 1);

	if (!p || madvise(p, (RECLAIM_CHUNKS + 1) * pmd, MADV_HUGEPAGE))
		return fail(r, "map: %s", strerror(errno));
	/* The VMA's anon_vma, before the limit. */
	WRITE_ONCE(p[0], 1);
	meter_open();
	memcg_set("memory.swap.max", 0);	/* absent without swap */
	cur = memcg_current();
	if (cur < 0 ||
	    memcg_set("memory.max", (cur + (1 << 20)) & ~(page_size() - 1)))
		return fail(r, "memory.max: %s", strerror(errno));
	max0 = memcg_file_key("memory.events", "max");
	fb0 = spf_vmstat("thp_fault_fallback_charge");
	meter_read(&a);
	for (i = 1; i <= RECLAIM_CHUNKS; i++)
		WRITE_ONCE(p[i * pmd], 1);
	meter_read(&b);
	meter_facts(r, &a, &b);
	meter_close();
	fact(r, "memcg_max", memcg_file_key("memory.events", "max") - max0);
	fact(r, "memcg_oom", memcg_file_key("memory.events", "oom"));
	fact(r, "thp_fallback_charge",
	     spf_vmstat("thp_fault_fallback_charge") - fb0);
	for (i = 1; i <= RECLAIM_CHUNKS; i++) {
		huge += !!(kpageflags_of(p + i * pmd) & (1ULL << KPF_THP_BIT));
		if (!page_is(p + i * pmd, 0, 1))
			fail(r, "chunk %zu: wrong contents", i);
	}
	fact(r, "huge", huge);
}

static void reclaim_run(struct __test_metadata *_metadata,
			const struct spec_case *c)
{
	struct facts off, on;
	char thp[128];
	long stock, loaded;

	if (!memcg_available(_metadata))
		return;
	if (!spf_thp_on(thp, sizeof(thp)))
		SKIP(return, "THP is off: %s", thp[0] ? thp : "none");
	/* Direct reclaim for a madvised VMA, whatever the default. */
	ASSERT_EQ(0, knob_set(THP_DEFRAG, "madvise"));
	in_memcg = true;
	run_scenario(_metadata, false, sc_reclaim, &off);
	run_scenario(_metadata, true, sc_reclaim, &on);
	in_memcg = false;
	ASSERT_EQ(0, off.failed) TH_LOG("spf unloaded: %s", off.why);
	ASSERT_EQ(0, on.failed) TH_LOG("spf loaded: %s", on.why);

	stock = fact_get(&off, "memcg_max");
	loaded = fact_get(&on, "memcg_max");
	TH_LOG("memory.events max over %d faults: %ld unloaded, %ld loaded",
	       RECLAIM_CHUNKS, stock, loaded);
	/* Stock reclaimed for every fault, then fell back to small pages. */
	ASSERT_LE(RECLAIM_CHUNKS, stock);
	EXPECT_EQ(RECLAIM_CHUNKS, fact_get(&off, "thp_fallback_charge"));
	EXPECT_EQ(0, fact_get(&off, "huge"));
	/* The same again loaded; a second reclaim would double max. */
	EXPECT_LE(loaded, stock + stock / 4 + 2);
	EXPECT_EQ(RECLAIM_CHUNKS, fact_get(&on, "thp_fallback_charge"));
	EXPECT_EQ(0, fact_get(&on, "huge"));
	EXPECT_EQ(fact_get(&off, "memcg_oom"), fact_get(&on, "memcg_oom"));
	EXPECT_EQ(fact_get(&off, "minflt"), fact_get(&on, "minflt"));
	/* Each fault tried a huge page and gave up at once. */
	EXPECT_EQ(RECLAIM_CHUNKS, spf_fact(&on, "abort_alloc"))
		TH_LOG("%s", on.why);
	expect_accounted(_metadata, &on);
}

/* ---- The parity rows' runner and the table. */

static long want_value(const struct want *w)
{
	switch (w->unit) {
	case U_KB:
		return w->value * (long)page_size() / 1024;
	case U_BYTES:
		return w->value * (long)page_size();
	default:
		return w->value;
	}
}

/*
 * The fact W names: in the unloaded run by fact_get() (LONG_MIN, and so
 * a failure, when the run did not record it), in the loaded run spf's
 * counters summed by spf_fact() (0 when one did not move).
 */
static long want_fact(const struct want *w, const struct facts *off,
		      const struct facts *on)
{
	long v = 0;
	int i;

	if (w->side == OFF)
		return fact_get(off, w->fact[0]);
	for (i = 0; i < 3 && w->fact[i]; i++)
		v += spf_fact(on, w->fact[i]);
	return v;
}

static void expect_want(struct __test_metadata *_metadata,
			const struct want *w, const struct facts *off,
			const struct facts *on)
{
	long want = want_value(w), got = want_fact(w, off, on);
	const char *run = w->side == OFF ? "unloaded" : "loaded";

	switch (w->op) {
	case EQ:
		EXPECT_EQ(want, got) TH_LOG("%s %s", run, w->fact[0]);
		break;
	case LE:
		EXPECT_LE(want, got) TH_LOG("%s %s", run, w->fact[0]);
		break;
	case GE:
		EXPECT_GE(want, got) TH_LOG("%s %s", run, w->fact[0]);
		break;
	}
}

static void spec_case_run(struct __test_metadata *_metadata,
			  const struct spec_case *c)
{
	struct facts off, on;
	const struct want *w;

	if (!spec_ready(_metadata))
		return;
	if (c->run)
		return c->run(_metadata, c);
	if (c->prepare) {
		c->prepare(_metadata);
		if (_metadata->skip)
			return;
	}
	if (c->memcg && !memcg_available(_metadata))
		return;
	in_memcg = c->memcg;
	parity(_metadata, c->sc, &off, &on);
	in_memcg = false;
	if (c->skip) {
		c->skip(_metadata, &off);
		if (_metadata->skip)
			return;
	}
	for (w = c->wants; w->fact[0]; w++)
		expect_want(_metadata, w, &off, &on);
	if (c->accounted)
		expect_accounted(_metadata, &on);
	if (c->check)
		c->check(_metadata, &off, &on);
}

#define STOCK(f, v, ...) { OFF, { f }, EQ, (v), __VA_ARGS__ }
#define SPF(f, v) { ON, { f }, EQ, (v) }
#define SPF_SUM(v, ...) { ON, { __VA_ARGS__ }, EQ, (v) }
#define SPF_SPEC_ALL(v) SPF_SUM(v, "spec_read", "spec_write", "spec_wp_zero")

static const struct spec_case cases[] = {
	{
		SPF_TEST_F(spec, first_touches_speculate_with_stock_results),
		.sc = sc_mix,
		.wants = {
			STOCK("minflt", MIX_FAULTS),
			STOCK("proc_minflt", MIX_FAULTS),
			STOCK("majflt", 0),
			STOCK("zero_pages", N + 1),
			STOCK("anon_pages", MIX_WRITTEN - 1),
			STOCK("exclusive_pages", MIX_WRITTEN - 1),
			STOCK("rss_anon_kb", MIX_WRITTEN, U_KB),
			/* And loaded, speculative where it could be. */
			SPF("fault_hook", MIX_FAULTS),
			SPF("spec_read", 2 * N + 1),
			SPF("spec_write", 2 * N),
			SPF("spec_wp_zero", N),
			SPF("abort_pte", 0),
			SPF("abort_no_anon_vma", 1),
			SPF("abort_pgtable", 0),
			SPF("stock", 1),
		},
		.accounted = true,
	}, {
		/* page-faults is counted at arch entry, minor-faults by the path. */
		SPF_TEST_F(spec, perf_page_fault_events_match_stock),
		.sc = sc_mix,
		.wants = {
			STOCK("perf_pf", MIX_FAULTS),
			STOCK("perf_min", MIX_FAULTS),
			STOCK("perf_maj", 0),
			SPF_SPEC_ALL(5 * N + 1),
		},
	}, {
		SPF_TEST_F(spec, memcg_pgfault_and_anon_match_stock),
		.sc = sc_mix, .memcg = true,
		.wants = {
			STOCK("memcg_pgfault", MIX_FAULTS),
			STOCK("memcg_anon", MIX_WRITTEN, U_BYTES),
			SPF_SPEC_ALL(5 * N + 1),
		},
	}, {
		SPF_TEST_F(spec, signals_match_stock),
		.sc = sc_signals,
		.check = signals_check,
	}, {
		/* Failed faults: perf counts them at arch entry, the task not. */
		SPF_TEST_F(spec, uffd_sigbus_range_not_speculated),
		.sc = sc_uffd, .prepare = uffd_sigbus_prepare,
		.skip = uffd_skip,
		.wants = {
			STOCK("bad_pages", 0),
			SPF_SUM(0, "spec_read", "spec_write"),
			STOCK("minflt", 0),
			STOCK("perf_pf", 8),
			SPF("fault_hook", 8),
			SPF("abort_uffd", 8),
		},
		.accounted = true,
		.check = uffd_sigbus_check,
	}, {
		/* A served fault is retried, and a retried fault is major. */
		SPF_TEST_F(spec, uffd_served_range_not_speculated),
		.sc = sc_uffd, .prepare = uffd_served_prepare,
		.skip = uffd_skip,
		.wants = {
			STOCK("bad_pages", 0),
			SPF_SUM(0, "spec_read", "spec_write"),
			STOCK("sig.0", 0),
			STOCK("majflt", 8),
			STOCK("rss_anon_kb", 8, U_KB),
			{ ON, { "abort_uffd" }, LE, 8 },
			{ ON, { "abort_uffd" }, GE, 16 },
		},
		.accounted = true,
	}, {
		SPF_TEST_F(spec, mlocked_range_not_speculated),
		.sc = sc_mlock,
		.wants = {
			STOCK("minflt", N),
			STOCK("bad_pages", 0),
			STOCK("mlocked_pages", N / 2),
			STOCK("vm_lck_kb", N, U_KB),
			SPF("fault_hook", N),
			SPF("abort_other", N),
			SPF_SUM(0, "spec_read", "spec_write"),
		},
	}, {
		SPF_TEST_F(spec, soft_dirty_matches_stock),
		.sc = sc_soft_dirty, .skip = soft_dirty_skip,
		.wants = {
			STOCK("soft_dirty_written", N),
			STOCK("soft_dirty_page0", 1),
			STOCK("minflt", 2 * N + 1),
			SPF("spec_write", N),
			SPF("spec_read", N),
		},
		.accounted = true,
	}, {
		SPF_TEST_F(spec, fork_sees_speculative_writes),
		.sc = sc_cow,
		.wants = {
			STOCK("child_mismatches", 0),
			STOCK("parent_mismatches_after_child", 0),
			STOCK("parent_mismatches_after_write", 0),
			STOCK("minflt", N),
			SPF("spec_write", N),
			SPF("fault_hook", N),
		},
	}, {
		SPF_TEST_F(spec, kernel_writes_to_user_memory_speculate),
		.sc = sc_uaccess,
		.wants = {
			STOCK("uaccess_bad", 0),
			STOCK("minflt", N),
			SPF("fault_hook", N),
			SPF_SUM(N, "spec_write", "abort_other"),
		},
		.check = uaccess_check,
	},
#ifdef __x86_64__
	{
		SPF_TEST_F(spec, pkey_denied_access_is_pkuerr),
		.sc = sc_pkey, .skip = pkey_skip,
		.check = pkey_check,
	},
#endif
	{
		SPF_TEST_F(spec, disabled_means_not_speculated),
		.run = disabled_run,
	}, {
		SPF_TEST_F_TIMEOUT(spec, numa_hinting_faults_left_to_stock, 60),
		.run = numa_hinting_run,
	}, {
		SPF_TEST_F(spec, tracepoints_count_spec_and_aborts),
		.run = tracepoints_run,
	}, {
		/* Stock: a page added during a fault is in the youngest generation. */
		SPF_TEST_F(spec, lru_gen_puts_fault_pages_in_youngest_as_stock),
		.sc = sc_lru_gen, .memcg = true, .prepare = lru_gen_prepare,
		.wants = {
			STOCK("anon_youngest", LRU_ANON),
			STOCK("anon_older", 0),
			STOCK("file_youngest", LRU_FILE),
			STOCK("file_older", 0),
			SPF("anon", LRU_ANON),
			SPF("file", LRU_FILE),
		},
		.check = lru_gen_check,
	}, {
		SPF_TEST_F(spec, file_read_faults_fold_rss_as_stock),
		.sc = sc_rss, .prepare = rss_prepare,
		.check = rss_check,
	}, {
		/* Stock: the aligned window around the page read, no more. */
		SPF_TEST_F(spec, fault_around_bytes_sets_the_window_as_stock),
		.sc = sc_fault_around, .prepare = fault_around_prepare,
		.wants = {
			STOCK("present_pages", FA_PAGES),
			STOCK("first_present", FA_READ / FA_PAGES * FA_PAGES),
			STOCK("last_present",
			      FA_READ / FA_PAGES * FA_PAGES + FA_PAGES - 1),
			SPF("spec_file", 1),
		},
		.check = fault_around_check,
	}, {
		SPF_TEST_F(spec, memcg_limit_reclaims_once_per_fault_as_stock),
		.run = reclaim_run,
	},
};

SPF_TABLE_TESTS(spec, cases, spec_case_run)

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "--tp-toucher"))
		return tp_toucher();
	spf_test_filter(__fixture_list);
	spf_test_scale_timeouts(__fixture_list);
	return test_harness_run(argc, argv);
}
