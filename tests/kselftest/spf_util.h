/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by spf's kselftests: load and unload the module by the
 * path the VM runner exports in SPF_KO, read its debugfs counters, cause
 * an exact number of page faults, and watch the kernel log.
 */
#ifndef _SPF_TEST_UTIL_H
#define _SPF_TEST_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define SPF_DEBUGFS "/sys/kernel/debug/spf"

/*
 * The harness's limit for a race that make soak runs for longer
 * (SPF_RACE_SECS, SPF_TABLE_ROUNDS): its 30 s default cut them short.
 */
#define SPF_SOAK_TIMEOUT 900

/*
 * SPF_TEST_ONLY="fixture.test ..." runs only the tests named (a bare
 * test name matches in any fixture): tools/check/broken-matrix runs the
 * one test that must catch a broken build.  6.1's harness has no filter
 * of its own, so its lists are pruned before it runs.
 */
static inline bool spf_test_wanted(const char *only, const char *fixture,
				   const char *test)
{
	char name[256], word[256];
	const char *p = only;
	int n;

	snprintf(name, sizeof(name), "%s.%s", fixture, test);
	while (sscanf(p, "%255s%n", word, &n) == 1) {
		if (!strcmp(word, name) || !strcmp(word, test))
			return true;
		p += n;
	}
	return false;
}

/*
 * A fixture's variants (FIXTURE_VARIANT) are named "fixture.variant.test"
 * or "fixture.variant"; when a word names one, only the variants named
 * run, and the tests named through them.
 */
static inline bool spf_variant_wanted(const char *only, const char *fixture,
				      const char *variant, const char *test)
{
	char fv[128];

	snprintf(fv, sizeof(fv), "%s.%s", fixture, variant);
	return spf_test_wanted(only, fv, test) ||
	       spf_test_wanted(only, fixture, variant);
}

static inline void spf_variant_filter(const char *only,
				      struct __fixture_metadata *f)
{
	struct __fixture_variant_metadata *v, *next, *kept = NULL,
					  *last = NULL;
	struct __test_metadata *t;
	bool any = false;

	for (v = f->variant; v; v = v->next)
		for (t = f->tests; t; t = t->next)
			any |= spf_variant_wanted(only, f->name, v->name,
						  t->name);
	if (!any)
		return;
	for (v = f->variant; v; v = next) {
		bool want = false;

		next = v->next;
		for (t = f->tests; t; t = t->next)
			want |= spf_variant_wanted(only, f->name, v->name,
						   t->name);
		if (!want)
			continue;
		v->next = NULL;
		if (last)
			last->next = v;
		else
			kept = v;
		kept->prev = v;
		last = v;
	}
	f->variant = kept;
}

static inline bool spf_test_named(const char *only,
				  struct __fixture_metadata *f,
				  struct __test_metadata *t)
{
	struct __fixture_variant_metadata *v;

	if (spf_test_wanted(only, f->name, t->name))
		return true;
	for (v = f->variant; v; v = v->next)
		if (spf_variant_wanted(only, f->name, v->name, t->name))
			return true;
	return false;
}

static inline void spf_test_filter(struct __fixture_metadata *list)
{
	const char *only = getenv("SPF_TEST_ONLY");
	struct __fixture_metadata *f;

	if (!only || !*only)
		return;
	for (f = list; f; f = f->next) {
		struct __test_metadata *t, *next, *kept = NULL, *last = NULL;

		spf_variant_filter(only, f);
		for (t = f->tests; t; t = next) {
			next = t->next;
			if (!spf_test_named(only, f, t))
				continue;
			t->next = NULL;
			t->prev = kept ? kept->prev : t;
			if (last)
				last->next = t;
			else
				kept = t;
			kept->prev = t;
			last = t;
		}
		f->tests = kept;
	}
}

/*
 * SPF_TIMEOUT_SCALE=N multiplies every test's timeout by N (1 to 20).
 * The timeouts are there to turn a hang into a failure, and were set
 * on the stock kernels; the debug kernel (KASAN, lockdep) runs the same
 * work several times slower, so tools/check/run-debug scales them.
 */
static inline void spf_test_scale_timeouts(struct __fixture_metadata *list)
{
	const char *env = getenv("SPF_TIMEOUT_SCALE");
	struct __fixture_metadata *f;
	struct __test_metadata *t;
	long scale = env ? strtol(env, NULL, 10) : 1;

	if (scale <= 1 || scale > 20)
		return;
	for (f = list; f; f = f->next)
		for (t = f->tests; t; t = t->next)
			t->timeout *= scale;
}

#undef TEST_HARNESS_MAIN
#define TEST_HARNESS_MAIN \
	int main(int argc, char **argv) \
	{ \
		spf_test_filter(__fixture_list); \
		spf_test_scale_timeouts(__fixture_list); \
		exit(test_harness_run(argc, argv)); \
	}
#define SPF_PARAMS "/sys/module/spf/parameters"

static inline const char *spf_ko(void)
{
	return getenv("SPF_KO");
}

/*
 * 0, or -errno of finit_module(2).  PARAMS NULL: SPF_LOAD_PARAMS, if set
 * (tools/vm/unload-phases loads with "dyndbg=+p" to see unload's steps).
 */
static inline int spf_load(const char *params)
{
	int fd, ret;

	if (!params)
		params = getenv("SPF_LOAD_PARAMS");
	fd = open(spf_ko(), O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, params ? params : "", 0);
	if (ret)
		ret = -errno;
	close(fd);
	return ret;
}

static inline int spf_unload(void)
{
	return syscall(SYS_delete_module, "spf", O_NONBLOCK) ? -errno : 0;
}

static inline bool spf_loaded(void)
{
	return access("/sys/module/spf", F_OK) == 0;
}

static inline int spf_read_file(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

/*
 * The nodes of a sysfs node list ("0", "0-1", "0,2-3"; e.g.
 * /sys/devices/system/node/online or has_memory) as a mask of nodes 0
 * to 63; 0 if it cannot be read.
 */
static inline unsigned long spf_node_mask(const char *path)
{
	char buf[256], *s = buf;
	unsigned long mask = 0;
	long a, b;

	if (spf_read_file(path, buf, sizeof(buf)))
		return 0;
	while (*s >= '0' && *s <= '9') {
		a = b = strtol(s, &s, 10);
		if (*s == '-')
			b = strtol(s + 1, &s, 10);
		for (; a <= b && a < 64; a++)
			mask |= 1UL << a;
		if (*s != ',')
			break;
		s++;
	}
	return mask;
}

static inline int spf_write_file(const char *path, const char *val)
{
	ssize_t n;
	int fd;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	close(fd);
	return n < 0 ? -errno : 0;
}

/* One counter from /sys/kernel/debug/spf/NAME, or -1. */
static inline long spf_stat(const char *name)
{
	char path[128], buf[64];

	snprintf(path, sizeof(path), SPF_DEBUGFS "/%s", name);
	if (spf_read_file(path, buf, sizeof(buf)))
		return -1;
	return strtol(buf, NULL, 10);
}

/* Faults this process has taken (all threads), as the kernel counts them. */
static inline long self_faults(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt + ru.ru_majflt;
}

/* xorshift32: a cheap per-thread random stream for the race tests. */
static inline unsigned int xrand(unsigned int *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* Seconds on CLOCK_MONOTONIC. */
static inline double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A duration from the environment (seconds, > 0), or DEF. */
static inline double env_secs(const char *name, double def)
{
	const char *s = getenv(name);

	return s && atof(s) > 0 ? atof(s) : def;
}

static inline size_t page_size(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

/*
 * Map NPAGES of fresh anonymous memory with THP off, so that each first
 * touch is exactly one page fault.
 */
/*
 * MADV_NOHUGEPAGE, and success where the kernel has no THP at all
 * (PREEMPT_RT 6.1: EINVAL), since faults are then 4 KiB anyway.
 */
static inline int no_thp(void *p, size_t len)
{
	if (madvise(p, len, MADV_NOHUGEPAGE) && errno != EINVAL)
		return -1;
	return 0;
}

static inline char *map_fresh(size_t npages)
{
	size_t len = npages * page_size();
	char *p;

	p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	madvise(p, len, MADV_NOHUGEPAGE);
	return p;
}

/*
 * Makes the compiler believe V is used and memory may have changed, so
 * no access around it is merged, reordered or elided.
 */
static inline void keep(unsigned long v)
{
	__asm__ __volatile__("" : : "r"(v) : "memory");
}

/* A compiler barrier: no memory access is moved across it. */
static inline void barrier(void)
{
	__asm__ __volatile__("" : : : "memory");
}

/*
 * The kernel's READ_ONCE() and WRITE_ONCE(), as relaxed atomics: one
 * whole access, never elided, merged, torn or repeated, which also a
 * signal handler on the same thread may see.  Unlike the kernel's
 * volatile ones, two of them on different objects may be reordered by
 * the compiler: where their order matters, put a barrier() between.
 */
#define READ_ONCE(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define WRITE_ONCE(x, val) __atomic_store_n(&(x), (val), __ATOMIC_RELAXED)

/* The kernel's noinline, by glibc's name for it (<sys/cdefs.h>). */
#ifndef noinline
#define noinline __attribute_noinline__
#endif

/* Touch every page once, each access a real load or store. */
static inline void touch_pages(char *p, size_t npages, bool write)
{
	size_t i;

	for (i = 0; i < npages; i++) {
		if (write)
			p[i * page_size()] = (char)(i + 1);
		keep(p[i * page_size()]);
	}
}

/*
 * Kernel log watcher: kmsg_mark() opens /dev/kmsg positioned after the
 * newest record; kmsg_seen() then reports whether a record written
 * since contains NEEDLE.  The log itself is never cleared: the VM
 * runner scans all of it for splats afterwards.
 */
static inline int kmsg_mark(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	return fd;
}

static inline bool kmsg_seen(int fd, const char *needle)
{
	char rec[2048];
	bool found = false;
	ssize_t n;

	for (;;) {
		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;	/* overwritten records: keep going */
		if (n <= 0)
			break;
		rec[n] = '\0';
		if (strstr(rec, needle))
			found = true;
	}
	close(fd);
	return found;
}

/* Is SYMBOL probed, per /sys/kernel/debug/kprobes/list? */
static inline bool kprobe_listed(const char *symbol)
{
	char line[512];
	bool found = false;
	FILE *f;

	f = fopen("/sys/kernel/debug/kprobes/list", "re");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		char *s = strstr(line, symbol);

		if (s && s[strlen(symbol)] == '+')
			found = true;
	}
	fclose(f);
	return found;
}

/*
 * Is SYMBOL redirected by some module, by either mechanism spf uses: a
 * kprobe (listed in kprobes/list), an ftrace direct call or an IPMODIFY
 * ftrace_ops (listed in tracing/enabled_functions, with a "direct-->"
 * target on the same line or the next one, or the R and I flags)?
 */
static inline bool hook_armed(const char *symbol)
{
	size_t n = strlen(symbol);
	bool found = false, ours = false;
	char line[512];
	FILE *f;

	if (kprobe_listed(symbol))
		return true;
	f = fopen("/sys/kernel/tracing/enabled_functions", "re");
	if (!f)
		f = fopen("/sys/kernel/debug/tracing/enabled_functions", "re");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		if (line[0] != '\t') {
			ours = !strncmp(line, symbol, n) && line[n] == ' ';
			/* "sym (count) R I" : an IPMODIFY ops redirects it */
			if (ours && strstr(line, ") R I"))
				found = true;
		}
		if (ours && strstr(line, "direct-->"))
			found = true;
	}
	fclose(f);
	return found;
}

/*
 * ---- The speculative path: its outcome counters, regions prepared so
 * that a fault is known in advance to be speculable or to abort for one
 * given reason, and probes that survive a fault's signal.
 */
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>

/* The counters of /sys/kernel/debug/spf/stats that tests compare. */
enum spf_ctr {
	SPF_C_FAULT_HOOK,
	SPF_C_HANDLE_HOOK,
	SPF_C_STOCK,
	SPF_C_RETRY,
	SPF_C_DISABLED,
	SPF_C_SPEC_READ,
	SPF_C_SPEC_WRITE,
	SPF_C_SPEC_WP_REUSE,
	SPF_C_SPEC_WP_COPY,
	SPF_C_SPEC_WP_ZERO,
	SPF_C_SPEC_FILE,
	SPF_C_SPEC_THP,
	SPF_C_SPEC_SWAP,
	SPF_C_SPEC_FILE_WRITE,
	SPF_C_ABORT_SEQ_ODD,
	SPF_C_ABORT_SEQ_CHANGED,
	SPF_C_ABORT_NO_VMA,
	SPF_C_ABORT_NOT_ANON,
	SPF_C_ABORT_NO_ANON_VMA,
	SPF_C_ABORT_ACCESS,
	SPF_C_ABORT_PGTABLE,
	SPF_C_ABORT_PTE,
	SPF_C_ABORT_PTL,
	SPF_C_ABORT_UFFD,
	SPF_C_ABORT_ALLOC,
	SPF_C_ABORT_PAGECACHE,
	SPF_C_ABORT_SWAPCACHE,
	SPF_C_ABORT_OTHER,
	SPF_NR_CTRS
};
#define SPF_C_FIRST_ABORT SPF_C_ABORT_SEQ_ODD

static inline const char *spf_ctr_name(int c)
{
	static const char *const names[SPF_NR_CTRS] = {
		[SPF_C_FAULT_HOOK] = "fault_hook",
		[SPF_C_HANDLE_HOOK] = "handle_hook",
		[SPF_C_STOCK] = "stock",
		[SPF_C_RETRY] = "retry",
		[SPF_C_DISABLED] = "disabled",
		[SPF_C_SPEC_READ] = "spec_read",
		[SPF_C_SPEC_WRITE] = "spec_write",
		[SPF_C_SPEC_WP_REUSE] = "spec_wp_reuse",
		[SPF_C_SPEC_WP_COPY] = "spec_wp_copy",
		[SPF_C_SPEC_WP_ZERO] = "spec_wp_zero",
		[SPF_C_SPEC_FILE] = "spec_file",
		[SPF_C_SPEC_THP] = "spec_thp",
		[SPF_C_SPEC_SWAP] = "spec_swap",
		[SPF_C_SPEC_FILE_WRITE] = "spec_file_write",
		[SPF_C_ABORT_SEQ_ODD] = "abort_seq_odd",
		[SPF_C_ABORT_SEQ_CHANGED] = "abort_seq_changed",
		[SPF_C_ABORT_NO_VMA] = "abort_no_vma",
		[SPF_C_ABORT_NOT_ANON] = "abort_not_anon",
		[SPF_C_ABORT_NO_ANON_VMA] = "abort_no_anon_vma",
		[SPF_C_ABORT_ACCESS] = "abort_access",
		[SPF_C_ABORT_PGTABLE] = "abort_pgtable",
		[SPF_C_ABORT_PTE] = "abort_pte",
		[SPF_C_ABORT_PTL] = "abort_ptl",
		[SPF_C_ABORT_UFFD] = "abort_uffd",
		[SPF_C_ABORT_ALLOC] = "abort_alloc",
		[SPF_C_ABORT_PAGECACHE] = "abort_pagecache",
		[SPF_C_ABORT_SWAPCACHE] = "abort_swapcache",
		[SPF_C_ABORT_OTHER] = "abort_other",
	};

	return c >= 0 && c < SPF_NR_CTRS ? names[c] : "?";
}

struct spf_counts {
	long c[SPF_NR_CTRS];
};

/*
 * All counters from one read of "stats"; -1 for a counter this module
 * lacks.  The buffer and *S are written before the read: a first write
 * to a page (a COW page in a forked test, say) is a fault of its own,
 * and one taken by copy_to_user after the counters were summed would
 * leak into the caller's measurement.
 */
static inline int spf_counts_read(struct spf_counts *s)
{
	static char buf[8192];
	char name[64], *line;
	long val;
	int i;

	memset(buf, 0, sizeof(buf));
	for (i = 0; i < SPF_NR_CTRS; i++)
		s->c[i] = -1;
	if (spf_read_file(SPF_DEBUGFS "/stats", buf, sizeof(buf)))
		return -1;
	for (line = buf; line && *line; line = strchr(line, '\n')) {
		if (*line == '\n')
			line++;
		if (sscanf(line, "%63s %ld", name, &val) != 2)
			continue;
		for (i = 0; i < SPF_NR_CTRS; i++)
			if (!strcmp(name, spf_ctr_name(i)))
				s->c[i] = val;
	}
	return 0;
}

/* D = B - A, counter by counter. */
static inline void spf_counts_sub(const struct spf_counts *b,
				  const struct spf_counts *a,
				  struct spf_counts *d)
{
	int i;

	for (i = 0; i < SPF_NR_CTRS; i++)
		d->c[i] = b->c[i] - a->c[i];
}

/*
 * Of a delta: the speculative completions and aborts, which every hook
 * entry ends in exactly one of.
 */
static inline long spf_counts_spec(const struct spf_counts *d)
{
	long sum = 0;
	int i;

	for (i = SPF_C_SPEC_READ; i < SPF_C_FIRST_ABORT; i++)
		sum += d->c[i];
	return sum;
}

static inline long spf_counts_outcomes(const struct spf_counts *d)
{
	long sum = spf_counts_spec(d);
	int i;

	for (i = SPF_C_FIRST_ABORT; i < SPF_NR_CTRS; i++)
		sum += d->c[i];
	return sum;
}

/* "name=delta" for every counter that moved, for failure messages. */
static inline const char *spf_counts_str(const struct spf_counts *d)
{
	static char buf[1024];
	size_t n = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < SPF_NR_CTRS; i++)
		if (d->c[i] && n < sizeof(buf))
			n += snprintf(buf + n, sizeof(buf) - n, " %s=%ld",
				      spf_ctr_name(i), d->c[i]);
	return buf;
}

/*
 * Every fault hook entry ended in exactly one outcome.  Read when the
 * test's own faulters are quiet; another process of the guest may be
 * mid-fault, so a mismatch is re-read a few times.
 */
static inline bool spf_counts_consistent(struct spf_counts *s)
{
	int tries;

	for (tries = 0; tries < 5; tries++) {
		if (spf_counts_read(s))
			return false;
		if (s->c[SPF_C_FAULT_HOOK] == spf_counts_outcomes(s))
			return true;
		usleep(10000);
	}
	return false;
}

/* Does this module have the speculative path's counters? */
static inline bool spf_has_spec(void)
{
	return spf_stat("spec_read") >= 0 && spf_stat("abort_other") >= 0;
}

/*
 * Fault in everything the process has mapped, breaking COW on private
 * writable pages, then unlock again.  After this, the test's own text,
 * data, heap and stack no longer fault (a forked kselftest otherwise
 * refaults its text and COWs its stack), so a measured section counts
 * only the faults it provokes.
 */
static inline int prefault_self(void)
{
	if (mlockall(MCL_CURRENT))
		return -errno;
	return munlockall() ? -errno : 0;
}

/*
 * MADV_PAGEOUT from every online CPU in turn: a page still in some
 * CPU's LRU batch is not on the LRU, and MADV_PAGEOUT drains only the
 * batch of the CPU it runs on.  With vCPUs that really run at once the
 * task may have faulted the pages on another CPU, whose batch nothing
 * else drains.  Returns MADV_PAGEOUT's status on the CPU the task was
 * on (-1 and errno if that call failed).
 */
static inline int spf_pageout_everywhere(void *p, size_t len)
{
	int cpu, n = sysconf(_SC_NPROCESSORS_CONF), ret;
	cpu_set_t old, one;

	ret = madvise(p, len, MADV_PAGEOUT);
	if (ret || sched_getaffinity(0, sizeof(old), &old))
		return ret;
	/* Configured, not online: an offline CPU leaves a gap in the ids. */
	for (cpu = 0; cpu < n && cpu < CPU_SETSIZE; cpu++) {
		CPU_ZERO(&one);
		CPU_SET(cpu, &one);
		if (!sched_setaffinity(0, sizeof(one), &one))
			madvise(p, len, MADV_PAGEOUT);
	}
	sched_setaffinity(0, sizeof(old), &old);
	return 0;
}

/* What one PMD entry maps: 2 MiB with 4 KiB pages. */
static inline size_t pmd_bytes(void)
{
	return page_size() / sizeof(void *) * page_size();
}

#define SPF_THP_ENABLED "/sys/kernel/mm/transparent_hugepage/enabled"
#define SPF_FAULT_AROUND "/sys/kernel/debug/fault_around_bytes"

/*
 * Is THP usable for a VMA that asks (madvise or always)?  BUF (LEN
 * bytes, LEN > 0) gets the knob's text, "" if it cannot be read, for a
 * skip message.
 */
static inline bool spf_thp_on(char *buf, size_t len)
{
	buf[0] = '\0';
	if (spf_read_file(SPF_THP_ENABLED, buf, len))
		return false;
	return strstr(buf, "[always]") || strstr(buf, "[madvise]");
}

/* Pages per fault-around window (64 KiB when debugfs does not say). */
static inline long spf_fault_around_pages(void)
{
	char buf[32] = "";

	if (spf_read_file(SPF_FAULT_AROUND, buf, sizeof(buf)))
		return 65536 / page_size();
	return strtol(buf, NULL, 10) / page_size();
}

/* What one PUD entry maps: 1 GiB with 4 KiB pages. */
static inline size_t pud_bytes(void)
{
	return pmd_bytes() / sizeof(void *) * page_size();
}

/*
 * A PROT_NONE reservation of LEN bytes (well under a PUD's) that lies in
 * one PUD entry's range, with that range's PMD table in place.  spf adds
 * PTE tables only, so a chunk that is the first mapping of its GiB (the
 * ASLR base puts one across the line in about one run in fifty) would
 * see its first fault go stock for the PMD table, where the caller
 * expects a table added.  The table comes from a read of the last page,
 * made readable for it: the zero page, no anon_vma, so that made
 * PROT_NONE again the page merges back, and a caller that leaks its
 * guards (a thread mapping chunks in a loop) leaks no more VMAs than
 * before.  Callers keep their chunks' PMDs clear of the last page.
 * NULL on failure.
 */
static inline char *spf_reserve(size_t len)
{
	size_t ps = page_size(), pud = pud_bytes();
	uintptr_t lo, line;
	char *raw;

	/*
	 * Twice the length, then the part on one side of the GiB line, if
	 * the span crosses one: trying again instead would leave a hole
	 * across every line it met, where the next reservation goes first.
	 */
	raw = mmap(NULL, 2 * len, PROT_NONE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (raw == MAP_FAILED)
		return NULL;
	line = ((uintptr_t)raw / pud + 1) * pud;
	lo = line - (uintptr_t)raw >= len ? (uintptr_t)raw : line;
	if (lo > (uintptr_t)raw)
		munmap(raw, lo - (uintptr_t)raw);
	munmap((char *)lo + len, (uintptr_t)raw + 2 * len - lo - len);
	raw = (char *)lo;
	if (mprotect(raw + len - ps, ps, PROT_READ))
		goto fail;
	keep(raw[len - ps]);
	if (mprotect(raw + len - ps, ps, PROT_NONE))
		goto fail;
	return raw;
fail:
	munmap(raw, len);
	return NULL;
}

/*
 * NCHUNKS PMD-aligned chunks of anonymous private memory in one fresh
 * VMA, THP off.  PROT_NONE guards on both sides keep it from merging
 * with a neighbour, so it starts with no anon_vma, and being aligned it
 * shares no page table with another mapping: the first fault in each
 * chunk finds no PTE table, and (spf_reserve()) a PMD table to hang
 * one from.  The reservation's primed last page lies above the chunks'
 * PMDs.
 */
static inline char *map_chunks(size_t nchunks)
{
	size_t ps = page_size(), pmd = pmd_bytes(), len = nchunks * pmd;
	char *raw, *p;

	raw = spf_reserve(len + pmd + 2 * ps);
	if (!raw)
		return NULL;
	p = (char *)(((uintptr_t)raw + ps + pmd - 1) & ~(uintptr_t)(pmd - 1));
	if (mmap(p, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != p)
		return NULL;
	if (no_thp(p, len))
		return NULL;
	return p;
}

/*
 * LEN bytes of file FD from offset 0, PMD-aligned and alone in its PMDs:
 * PROT_NONE guards beyond them, and the rest of its last PMD left
 * unmapped, so that mapping it anew (MAP_FIXED) frees its PTE tables
 * and the next fault in each PMD adds one.  NULL on failure.
 */
static inline char *map_file_chunks(int fd, size_t len, int prot,
				    int flags)
{
	size_t pmd = pmd_bytes(), span = (len + pmd - 1) & ~(pmd - 1);
	char *raw, *p;

	/* The reservation's primed last page is at or above p + span. */
	raw = spf_reserve(span + 2 * pmd);
	if (!raw)
		return NULL;
	p = (char *)(((uintptr_t)raw + pmd) & ~(uintptr_t)(pmd - 1));
	if (mmap(p, len, prot, flags | MAP_FIXED, fd, 0) != p)
		return NULL;
	if (span > len && munmap(p + len, span - len))
		return NULL;
	return p;
}

static inline void unmap_chunks(char *p, size_t nchunks)
{
	munmap(p, nchunks * pmd_bytes());
}

/*
 * Chunks where every page but the first is speculable: the first
 * page's write fault (stock) gave each chunk its PTE table and the VMA
 * its anon_vma.  Page 0 of each chunk holds 0x5a.
 */
static inline char *map_primed_chunks(size_t nchunks)
{
	char *p = map_chunks(nchunks);
	size_t i;

	if (!p)
		return NULL;
	for (i = 0; i < nchunks; i++)
		WRITE_ONCE(p[i * pmd_bytes()], 0x5a);
	return p;
}

/* Is the page at P all zeros but for byte OFF, which holds VAL? */
static inline bool page_is(const char *p, size_t off, char val)
{
	size_t i;

	for (i = 0; i < page_size(); i++)
		if (p[i] != (i == off ? val : 0))
			return false;
	return true;
}

/* The /proc/self/pagemap entry of ADDR's page, 0 on error. */
#define PM_PFN_MASK	((1ULL << 55) - 1)
#define PM_SOFT_DIRTY	(1ULL << 55)
#define PM_EXCLUSIVE	(1ULL << 56)
#define PM_SWAP		(1ULL << 62)
#define PM_PRESENT	(1ULL << 63)

static inline uint64_t pagemap_entry(const void *addr)
{
	uint64_t e = 0;
	int fd;

	fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (pread(fd, &e, sizeof(e),
		  (off_t)((uintptr_t)addr / page_size() * sizeof(e))) !=
	    (ssize_t)sizeof(e))
		e = 0;
	close(fd);
	return e;
}

/* /proc/kpageflags of the page mapped at ADDR, 0 if none or on error. */
#define KPF_UPTODATE_BIT	3
#define KPF_LRU_BIT		5
#define KPF_MMAP_BIT		11
#define KPF_ANON_BIT		12
#define KPF_SWAPBACKED_BIT	14
#define KPF_COMPOUND_HEAD_BIT	15
#define KPF_UNEVICTABLE_BIT	18
#define KPF_THP_BIT		22
#define KPF_ZERO_PAGE_BIT	24
#define KPF_MLOCKED_BIT		33

static inline uint64_t kpageflags_of(const void *addr)
{
	uint64_t e = pagemap_entry(addr), flags = 0;
	int fd;

	if (!(e & PM_PRESENT) || !(e & PM_PFN_MASK))
		return 0;
	fd = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (pread(fd, &flags, sizeof(flags),
		  (off_t)((e & PM_PFN_MASK) * sizeof(flags))) !=
	    (ssize_t)sizeof(flags))
		flags = 0;
	close(fd);
	return flags;
}

/*
 * The signal an access raised.  spf_probe() reads or writes one byte
 * with SIGSEGV and SIGBUS caught: the handler records the siginfo and
 * jumps back, so a test carries on after an expected signal.
 */
struct spf_sig {
	int signo;
	int code;
	void *addr;
	int pkey;
};

static inline sigjmp_buf *spf_probe_env(void)
{
	static sigjmp_buf env;

	return &env;
}

static inline struct spf_sig *spf_probe_seen(void)
{
	static struct spf_sig seen;

	return &seen;
}

static inline void spf_probe_handler(int sig, siginfo_t *si, void *uc)
{
	struct spf_sig *s = spf_probe_seen();

	s->signo = sig;
	s->code = si->si_code;
	s->addr = si->si_addr;
#ifdef si_pkey
	s->pkey = sig == SIGSEGV ? (int)si->si_pkey : 0;
#endif
	siglongjmp(*spf_probe_env(), 1);
}

enum spf_probe_how { SPF_PROBE_READ, SPF_PROBE_WRITE, SPF_PROBE_EXEC };

/*
 * Returns the signal (0 for none); *OUT gets its siginfo.  An exec probe
 * calls ADDR as a function: meant for pages that may not be executed.
 */
static inline int spf_probe_how(char *addr, enum spf_probe_how how,
				char val, struct spf_sig *out)
{
	struct sigaction sa, old_segv, old_bus;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = spf_probe_handler;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigaction(SIGSEGV, &sa, &old_segv);
	sigaction(SIGBUS, &sa, &old_bus);
	memset(spf_probe_seen(), 0, sizeof(struct spf_sig));
	if (!sigsetjmp(*spf_probe_env(), 1)) {
		if (how == SPF_PROBE_WRITE)
			WRITE_ONCE(*addr, val);
		else if (how == SPF_PROBE_EXEC)
			((void (*)(void))(uintptr_t)addr)();
		else
			keep(READ_ONCE(*addr));
	}
	sigaction(SIGSEGV, &old_segv, NULL);
	sigaction(SIGBUS, &old_bus, NULL);
	*out = *spf_probe_seen();
	return out->signo;
}

static inline int spf_probe(char *addr, bool write, char val,
			    struct spf_sig *out)
{
	return spf_probe_how(addr, write ? SPF_PROBE_WRITE : SPF_PROBE_READ,
			     val, out);
}

/*
 * A thread stack already faulted in (never freed: tests are
 * short-lived processes), so that a thread on it takes no fault of its
 * own while something is measured.
 */
static inline char *prefaulted_stack(size_t len)
{
	char *stack;

	stack = mmap(NULL, len, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (stack == MAP_FAILED)
		return NULL;
	madvise(stack, len, MADV_NOHUGEPAGE);
	memset(stack, 0, len);
	return stack;
}

#define SPF_STACK_LEN (256 * 1024)

/* Start FN(ARG) on STACK (from prefaulted_stack(SPF_STACK_LEN)). */
static inline int start_thread_on(pthread_t *t, char *stack,
				  void *(*fn)(void *), void *arg)
{
	pthread_attr_t attr;
	int ret;

	if (!stack)
		return -ENOMEM;
	pthread_attr_init(&attr);
	pthread_attr_setstack(&attr, stack, SPF_STACK_LEN);
	ret = pthread_create(t, &attr, fn, arg);
	pthread_attr_destroy(&attr);
	return -ret;
}

static inline int start_thread(pthread_t *t, void *(*fn)(void *), void *arg)
{
	return start_thread_on(t, prefaulted_stack(SPF_STACK_LEN), fn, arg);
}

/*
 * Load the modules tools/vm/run packed in DIR (not loaded at boot:
 * ext4, kvm), dependencies first as DIR/order lists them; one already
 * loaded is fine.  The guest has no modprobe.
 */
static inline int spf_load_pack(const char *dir)
{
	char name[128], path[256];
	FILE *f;
	int fd;

	snprintf(path, sizeof(path), "%s/order", dir);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fscanf(f, "%127s", name) == 1) {
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (syscall(SYS_finit_module, fd, "", 0) && errno != EEXIST) {
			close(fd);
			fclose(f);
			return -1;
		}
		close(fd);
	}
	fclose(f);
	return 0;
}

/* Wait up to a second for devtmpfs to show PATH; then open it. */
static inline int spf_open_dev(const char *path, int flags)
{
	int i, fd = -1;

	for (i = 0; i < 50; i++) {
		fd = open(path, flags | O_CLOEXEC);
		if (fd >= 0 || errno != ENOENT)
			break;
		usleep(20000);
	}
	return fd;
}

/*
 * The number after KEY in a file of "key value" or "Key: value" lines
 * (/proc/vmstat, /proc/meminfo, a cgroup's memory.stat), or -1.
 */
static inline long spf_file_field(const char *path, const char *key)
{
	static char buf[16384];
	size_t n = strlen(key);
	char *s;

	memset(buf, 0, sizeof(buf));
	if (spf_read_file(path, buf, sizeof(buf) - 1))
		return -1;
	for (s = buf; s && *s; s = strchr(s, '\n'), s = s ? s + 1 : s)
		if (!strncmp(s, key, n) && (s[n] == ' ' || s[n] == ':'))
			return strtol(s + n + 1 + (s[n] == ':'), NULL, 10);
	return -1;
}

static inline long spf_vmstat(const char *key)
{
	return spf_file_field("/proc/vmstat", key);
}

#ifndef SYS_pidfd_open
#define SYS_pidfd_open		434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal	424
#endif
#ifndef SYS_process_mrelease
#define SYS_process_mrelease	448
#endif

/*
 * SIGKILL PID, then run the OOM reaper's __oom_reap_task_mm() on its mm
 * through process_mrelease(), as the races with the reaper do: 1 if it
 * reaped, 0 if not (the mm was already gone), -1 if the kill failed.
 */
static inline int spf_kill_and_reap(pid_t pid)
{
	int pidfd = syscall(SYS_pidfd_open, pid, 0), reaped, err;

	if (pidfd < 0)
		return -1;
	if (syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0)) {
		err = errno;
		close(pidfd);
		errno = err;
		return -1;
	}
	reaped = !syscall(SYS_process_mrelease, pidfd, 0);
	close(pidfd);
	return reaped;
}

/* A "Key:   value kB" field of /proc/self/status, or -1. */
static inline long status_field(const char *key)
{
	static char buf[4096];
	char *s;

	memset(buf, 0, sizeof(buf));
	if (spf_read_file("/proc/self/status", buf, sizeof(buf)))
		return -1;
	s = strstr(buf, key);
	if (!s || s[strlen(key)] != ':')
		return -1;
	return strtol(s + strlen(key) + 1, NULL, 10);
}

/* The calling thread's minor and major faults so far. */
static inline void thread_faults(long *min, long *maj)
{
	struct rusage ru;

	getrusage(RUSAGE_THREAD, &ru);
	*min = ru.ru_minflt;
	*maj = ru.ru_majflt;
}

/*
 * minflt and majflt from a /proc/.../stat file (/proc/self/stat for
 * the process, /proc/thread-self/stat for the calling thread).
 */
static inline int stat_faults(const char *path, long *min, long *maj)
{
	static char buf[1024];
	char *s;

	memset(buf, 0, sizeof(buf));
	if (spf_read_file(path, buf, sizeof(buf)))
		return -1;
	s = strrchr(buf, ')');
	/* ") state ppid pgrp session tty tpgid flags minflt cminflt majflt" */
	if (!s || sscanf(s + 1, " %*c %*d %*d %*d %*d %*d %*u %ld %*u %ld",
			 min, maj) != 2)
		return -1;
	return 0;
}

#endif
