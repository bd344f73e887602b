// SPDX-License-Identifier: GPL-2.0
/*
 * Page faults racing the write sections of docs/audit-writers.md that
 * spf_race_test.c does not cover: brk, stack growth, mlock, flag-
 * changing madvise, set_mempolicy, userfaultfd (un)registration,
 * anon_vma_prepare(), clear_refs soft-dirty and the OOM reaper.  One
 * table of writers (a FIXTURE_VARIANT each) shares one faulter loop:
 *
 * Page p of the region belongs to faulter p % NF, the only thread that
 * writes it.  A visit picks one of its pages, sometimes MADV_DONTNEEDs
 * it (so that the next touch is a fresh, speculable fault), reads its
 * first word, which must be the faulter's last tag there, or 0 where
 * the writer may reset pages (or the uffd fill), stores a new tag and
 * reads it back, and checks that the page's other sampled words are 0
 * (or the uffd fill).  A SIGSEGV is allowed only where the writer may
 * unmap the page.  Meanwhile the writer thread runs its write section
 * again and again and, with the faulters paused where it needs a still
 * picture, checks what a commit of a fault that straddled its section
 * would break:
 *
 *   brk         regrown brk memory reads as zeros (a PTE left past a
 *               shrink would show an old tag); a shrink past the
 *               region's PMD boundary leaves a none pmd, so that the
 *               first touches after the regrow add a PTE table or, in
 *               the rounds that switch THP on, map a huge page (mostly
 *               the huge zero page, left to stock: counted, not needed)
 *   stack       pages a MAP_GROWSDOWN VMA grows into read as zeros
 *               while faults run in its upper part
 *   mlock       after mlock() or mlockall() returns, every page of the
 *               range is PG_mlocked (/proc/kpageflags)
 *   madvise     a child forked after DONTFORK/WIPEONFORK (and splits
 *               by HUGEPAGE/NOHUGEPAGE, SEQUENTIAL/RANDOM) sees no
 *               DONTFORK page, zeros in WIPEONFORK pages and the
 *               parent's data elsewhere
 *   mempolicy   each faulter switches its own policy, each naming the
 *               same node (node 1 when there is one); every page it
 *               writes is on that node
 *   uffd        after UFFDIO_REGISTER (MISSING) of a range, a page that
 *               was absent when it returned comes through a uffd event
 *               (the handler fills it, so it is recognisable); after
 *               UNREGISTER a fault resolves to zeros with no event
 *   anon_vma    fresh VMAs first-written by all faulters at once; then
 *               MADV_PAGEOUT must find every page through rmap, and
 *               the data reads back (when the guest has swap); every
 *               other round one VMA of two PMDs (THP on in every
 *               other such round), so that the faulter whose store
 *               did not run anon_vma_prepare() may speculate a huge
 *               page or a new table into the other PMD: both must be
 *               seen
 *   clear_refs  after "4" > clear_refs, a page written later has the
 *               soft-dirty bit in pagemap (x86 only)
 *   oom_reaper  children in a small memcg, SIGKILLed mid-fault and
 *               reaped by process_mrelease() (the OOM reaper's zap):
 *               they die of the kill with no faulter error, and the
 *               group's charge drains
 *   numa        NUMA balancing's scanner, driven hard, makes the
 *               region's PTEs hinting entries while move_pages() sends
 *               pages to the other node; every so often, faulters
 *               parked, every present page holds its owner's last tag
 *               (two nodes: tools/vm/run --numa 2; skipped on one)
 *
 * Between rounds, with the faulters parked, the region is set up for
 * one more fault kind in turn (spf_kinds.h; writer_kinds[] says which
 * a writer's case claims): mapped anew with THP on (a huge page) or
 * off (a new PTE table), shared with a forked holder child (wp copy;
 * the child checks its copy never changes), that child gone (wp reuse),
 * paged out and read back into the swap cache (swap-cache hit).  So the
 * writer's sections race those faults too, and the faulters' tags
 * verify their data as before.  The oom_reaper's children get theirs
 * from the parent before each fork: the chunk mapped anew (THP on or
 * off), or filled with the parent's tags, which must still be there
 * after the child's copies or swap-ins (the parent drops them at once
 * for reuses, and pages them out and back into the swap cache for
 * swap-cache hits).  The stack case maps its MAP_GROWSDOWN VMA anew
 * for THP and new tables (stack_renew()).
 *
 * Every case checks that the module handled some of the faults
 * speculatively and prints the counts, and that a fault of each kind
 * it claims was speculative: it runs on, up to eight times as long,
 * until each was, and fails if one never was.  inject_commit_delay_us,
 * inject_table_delay_us (THP, new tables), inject_swap_delay_us and
 * inject_wp_delay_us (wp zero, copy and reuse), where the module has
 * them, widen the window between walk and commit.
 * SPF_WRITER_SECS (default 2) sets each case's duration.
 */
#define _GNU_SOURCE
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/swap.h>
#include <sys/wait.h>
#include <time.h>
#include "kselftest_harness.h"
#include "spf_util.h"
#include "spf_fixture.h"
#include "spf_segv.h"
#include "spf_swap.h"
#include "spf_kinds.h"

/* The other fault kinds the faulters make, in turn (spf_kinds.h). */
static struct spf_kinds K;

/* The set-up of the kind this round is for keeps the region's pages. */
static bool kinds_keep_pages(void)
{
	return K.cur == SPF_K_WP_COPY || K.cur == SPF_K_WP_REUSE ||
	       K.cur == SPF_K_SWAP;
}

#define NF		2
#define MAX_PAGES	1024
#define UFFD_FILL	0x5546464455464644ULL	/* "DFFUDFFU" */

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT	21
#endif
#ifndef MADV_WIPEONFORK
#define MADV_WIPEONFORK	18
#define MADV_KEEPONFORK	19
#endif
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
#define MPOL_DEFAULT	0
#define MPOL_PREFERRED	1
#define MPOL_BIND	2
#define MPOL_INTERLEAVE	3
#define MPOL_F_NODE	(1 << 0)
#define MPOL_F_ADDR	(1 << 1)

enum writer {
	W_BRK, W_STACK, W_MLOCK, W_MADVISE, W_MEMPOLICY, W_UFFD,
	W_ANON_VMA, W_CLEAR_REFS, W_OOM, W_NUMA,
};

struct faulter {
	pthread_t thread;
	int id;
	unsigned int rnd;
	uint64_t seq;
	unsigned long gen;		/* the region's spf_kinds gen seen */
	unsigned long gen_done;		/* ... and first stored into */
	unsigned long visits, segv, dontneed, checks, errors;
	unsigned long fallbacks;	/* mempolicy: off-node, numa_miss moved */
	char msg[512];
};

static struct {
	enum writer w;
	char *r;			/* the region */
	size_t ps, npages;
	bool may_zero;			/* the writer may reset pages to 0 */
	bool may_segv;			/* ... or unmap them */
	bool uffd_fill;			/* pages may come filled by uffd */
	uint64_t last[MAX_PAGES];	/* per page, its owner's last tag */
	unsigned long epoch_wrote[MAX_PAGES];	/* clear_refs: epoch seen */
	bool usable[MAX_PAGES];
	atomic_ulong epoch;
	atomic_bool stop;
	atomic_int pause, paused;
	unsigned long rounds, checks, mut_errors;
	char mut_msg[512];
	int mut_kind;			/* K.cur at the first error */
	double kinds_next, kinds_every;	/* when the next kind is set up */
	int uffd;
	atomic_bool uffd_stop;
	atomic_ulong uffd_events;
	char *uffd_page;
	pid_t owner;			/* the test process */
	struct faulter f[NF];
} W;




[[gnu::format(printf, 2, 3)]]
static void ferr(struct faulter *f, const char *fmt, ...);

static void ferr(struct faulter *f, const char *fmt, ...)
{
	size_t len = strlen(f->msg);
	va_list ap;

	if (getpid() != W.owner)
		_exit(3);		/* an oom child: the parent reports */
	if (f->errors++ > 3 || len + 2 >= sizeof(f->msg))
		return;
	va_start(ap, fmt);
	vsnprintf(f->msg + len, sizeof(f->msg) - len, fmt, ap);
	va_end(ap);
	len = strlen(f->msg);
	snprintf(f->msg + len, sizeof(f->msg) - len, "; ");
}

[[gnu::format(printf, 1, 2)]]
static void merr(const char *fmt, ...);

static void merr(const char *fmt, ...)
{
	va_list ap;

	if (W.mut_errors++)
		return;
	W.mut_kind = K.cur;
	va_start(ap, fmt);
	vsnprintf(W.mut_msg, sizeof(W.mut_msg), fmt, ap);
	va_end(ap);
}

static char *page_at(size_t p)
{
	return W.r + p * W.ps;
}

/* ---- the shared faulter loop ---- */

/* 0, or the SIGSEGV's code; *OUT the word read (for a store: after it). */
static noinline int armed_rw(uint64_t *w, bool store, uint64_t tag,
			     uint64_t *out)
{
	if (sigsetjmp(t_jb, 0))
		return READ_ONCE(t_code);
	WRITE_ONCE(t_lo, (uintptr_t)w & ~(uintptr_t)(W.ps - 1));
	WRITE_ONCE(t_hi, READ_ONCE(t_lo) + W.ps);
	WRITE_ONCE(t_armed, 1);
	barrier();
	if (store) {
		WRITE_ONCE(*w, tag);
		barrier();
	}
	*out = READ_ONCE(*w);
	barrier();
	WRITE_ONCE(t_armed, 0);
	return 0;
}

static bool other_word_ok(uint64_t v)
{
	return !v || (W.uffd_fill && v == UFFD_FILL);
}

/*
 * For the mempolicy writer: every policy a faulter cycles through sends
 * its pages to mp_node, node 1 where it has memory, else node 0, and
 * the process is bound there before the region is mapped, so every page
 * of the region must be there.  With two nodes a fault that allocates
 * on the faulting CPU's node instead of by the policy (make module
 * BROKEN=ignore_policy) puts its pages on node 0 from faulter 0, kept on
 * a CPU of node 0.  The system default (local) is in the cycle only with
 * one node, where it cannot put a page elsewhere; each switch frees the
 * policy it replaces either way.
 *
 * Preferred and interleave may fall back to node 0 when node 1 has no
 * free block (a huge page, most likely): the allocator counts that in
 * node 0's numa_miss, which an allocation made on the CPU's node never
 * touches.  An off-node page is an error only while that count has not
 * moved since set-up.
 */
#define NODE0	"/sys/devices/system/node/node0/"

static int mp_node;
static long mp_miss0;

/* Node 0's numa_miss; thread-safe (faulters call it), -1 if unread. */
static long node0_miss(void)
{
	char buf[1024], *s;

	if (spf_read_file(NODE0 "numastat", buf, sizeof(buf)))
		return -1;
	s = strstr(buf, "numa_miss ");
	return s ? strtol(s + 10, NULL, 10) : -1;
}

/* Faulter 0 on the first CPU of node 0, where a local page is wrong. */
static void mp_pin(struct faulter *f)
{
	char buf[64];
	cpu_set_t set;

	if (!mp_node || f->id || spf_read_file(NODE0 "cpulist", buf,
					       sizeof(buf)))
		return;
	CPU_ZERO(&set);
	CPU_SET(atoi(buf), &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		ferr(f, "sched_setaffinity(cpu %d): %s", atoi(buf),
		     strerror(errno));
}

static int mp_bind(int mode)
{
	unsigned long mask = 1UL << mp_node;

	return syscall(SYS_set_mempolicy, mode, mode ? &mask : NULL,
		       mode ? 8 * sizeof(mask) : 0);
}

static int mp_setup(void)
{
	mp_node = !!(spf_node_mask("/sys/devices/system/node/has_memory") & 2);
	mp_miss0 = node0_miss();
	/* The faulters inherit it, until their first switch. */
	return mp_bind(MPOL_BIND);
}

static void switch_policy(struct faulter *f)
{
	static const int modes[] = {
		MPOL_PREFERRED, MPOL_BIND, MPOL_INTERLEAVE, MPOL_DEFAULT,
	};
	int mode = modes[xrand(&f->rnd) % (mp_node ? 3 : 4)];

	if (mp_bind(mode))
		ferr(f, "set_mempolicy(%d): %s", mode, strerror(errno));
}

static void check_node(struct faulter *f, char *page)
{
	int node = -1;
	long miss;

	if (syscall(SYS_get_mempolicy, &node, NULL, 0, page,
		    MPOL_F_NODE | MPOL_F_ADDR)) {
		ferr(f, "get_mempolicy(%p): %s", page, strerror(errno));
		return;
	}
	f->checks++;
	if (node == mp_node)
		return;
	miss = node0_miss();
	if (miss < 0 || miss == mp_miss0)
		ferr(f, "page %p on node %d, outside its policy (node %d)",
		     page, node, mp_node);
	else
		f->fallbacks++;
}

static atomic_ulong *oom_visits;	/* the oom children's, shared */
static bool brk_blind;			/* brk, THP on: every visit stores first */

static void visit(struct faulter *f)
{
	size_t p, span = W.npages / NF;
	uint64_t v, v1, v2, tag, *w;
	unsigned long e;
	bool blind, fresh = false;
	int code;

	p = (xrand(&f->rnd) % span) * NF + f->id;
	if (p >= W.npages || !W.usable[p])
		return;
	w = (uint64_t *)page_at(p);
	if (W.w == W_MEMPOLICY && !(f->visits % 16))
		switch_policy(f);
	/*
	 * The region mapped anew: store first, so that a THP-enabled
	 * chunk gets a huge page rather than the huge zero page (stock).
	 */
	if (f->gen != READ_ONCE(K.gen)) {
		f->gen = READ_ONCE(K.gen);
		fresh = true;
	}
	/*
	 * Not under mlock with huge pages: a page's zap splits its huge
	 * page's pmd, and 6.1's mlock skips PTE-mapped huge pages.
	 */
	if (!fresh && !(W.w == W_MLOCK && K.cur == SPF_K_THP) &&
	    !(xrand(&f->rnd) % 3) && !madvise(w, W.ps, MADV_DONTNEED)) {
		W.last[p] = 0;
		f->dontneed++;
	}
	/* Half the visits store blind: a first-touch write fault. */
	blind = fresh || READ_ONCE(brk_blind) || (xrand(&f->rnd) & 1);
	code = blind ? 0 : armed_rw(w, false, 0, &v);
	if (code) {
		f->segv++;
		if (!W.may_segv)
			ferr(f, "page %zu: SIGSEGV code %d on a read", p, code);
		return;
	}
	if (!blind && v != W.last[p] && !(W.may_zero && !v) &&
	    !(W.uffd_fill && v == UFFD_FILL))
		ferr(f, "page %zu: read %#llx, last stored %#llx", p,
		     (unsigned long long)v, (unsigned long long)W.last[p]);
	tag = ((uint64_t)(p + 1) << 32) | ++f->seq;
	e = atomic_load(&W.epoch);
	code = armed_rw(w, true, tag, &v);
	if (code) {
		f->segv++;
		if (!W.may_segv)
			ferr(f, "page %zu: SIGSEGV code %d on a write", p, code);
		return;
	}
	/* The writer may have zapped it in between (and uffd refilled it). */
	if (v != tag && !(W.may_zero && !v) &&
	    !(W.uffd_fill && v == UFFD_FILL))
		ferr(f, "page %zu: stored %#llx, read back %#llx", p,
		     (unsigned long long)tag, (unsigned long long)v);
	W.last[p] = tag;
	W.epoch_wrote[p] = e;
	if (fresh)
		WRITE_ONCE(f->gen_done, f->gen);
	/* Armed too: the writer may unmap the page right after the store. */
	if (armed_rw(w + 1, false, 0, &v1) ||
	    armed_rw(w + W.ps / 8 - 1, false, 0, &v2))
		f->segv++;
	else if (!other_word_ok(v1) || !other_word_ok(v2))
		ferr(f, "page %zu: stray data %#llx/%#llx after the tag", p,
		     (unsigned long long)v1, (unsigned long long)v2);
	if (W.w == W_MEMPOLICY)
		check_node(f, (char *)w);
	f->visits++;
	if (oom_visits)
		atomic_fetch_add(oom_visits, 1);
}

static void *faulter_main(void *arg)
{
	struct faulter *f = arg;

	if (W.w == W_MEMPOLICY)
		mp_pin(f);
	while (!atomic_load(&W.stop)) {
		if (atomic_load(&W.pause)) {
			atomic_fetch_add(&W.paused, 1);
			/* Asleep: the writer has the vCPUs to itself. */
			while (atomic_load(&W.pause) && !atomic_load(&W.stop))
				usleep(50);
			atomic_fetch_sub(&W.paused, 1);
			continue;
		}
		visit(f);
	}
	return NULL;
}

/* Faulters parked at the top of their loop: the region is still. */
static void pause_faulters(void)
{
	atomic_store(&W.pause, 1);
	while (atomic_load(&W.paused) < NF)
		sched_yield();
}

static void resume_faulters(void)
{
	atomic_store(&W.pause, 0);
	while (atomic_load(&W.paused))
		sched_yield();
}

/* Let the faulters run for up to MS milliseconds, at random. */
static void let_run(unsigned int *rnd, unsigned int ms)
{
	usleep(xrand(rnd) % (ms * 1000 + 1));
}

static bool page_zero(const char *page)
{
	const uint64_t *w = (const uint64_t *)page;
	size_t i;

	for (i = 0; i < W.ps / 8; i++)
		if (READ_ONCE(w[i]))
			return false;
	return true;
}

/* ---- brk: shrink and regrow while the faulters write ---- */

/*
 * The region is the top 4 MiB of the heap, from a PMD boundary: two PMDs.
 * A shrink of half of it or more frees the upper one's table (or huge
 * page), so the regrown range starts at a none pmd: the next touch there
 * adds a PTE table, or, with THP on, maps a huge page.  The heap cannot
 * be mapped anew (spf_kinds.h) nor madvised without keeping brk from
 * growing it in place, so the rounds switch THP globally instead,
 * "never" and "always" in turn (restored at teardown).
 */
#define THP_ENABLED "/sys/kernel/mm/transparent_hugepage/enabled"

static char *brk_orig, *brk_top;
static char brk_thp_was[32];
static long brk_tables, brk_thps;	/* the counters at setup */

static int brk_setup(void)
{
	char *cur = (char *)syscall(SYS_brk, 0);
	uintptr_t pmd = pmd_bytes();
	char thp[128] = "", *b, *e;

	brk_orig = cur;
	W.r = (char *)(((uintptr_t)cur + pmd - 1) & ~(pmd - 1));
	W.npages = 2 * pmd / W.ps < MAX_PAGES ? 2 * pmd / W.ps : MAX_PAGES;
	brk_top = W.r + W.npages * W.ps;
	if ((char *)syscall(SYS_brk, brk_top) != brk_top)
		return -1;
	W.may_zero = W.may_segv = true;
	brk_thp_was[0] = '\0';
	if (!spf_read_file(THP_ENABLED, thp, sizeof(thp)) &&
	    spf_stat("spec_thp") >= 0) {
		b = strchr(thp, '[');
		e = b ? strchr(b, ']') : NULL;
		if (b && e && e - b - 1 < (long)sizeof(brk_thp_was)) {
			memcpy(brk_thp_was, b + 1, e - b - 1);
			brk_thp_was[e - b - 1] = '\0';
		}
	}
	brk_tables = spf_stat("pte_tables");
	brk_thps = spf_stat("spec_thp");
	return 0;
}

/*
 * No speculative new table yet, or, where THP can be switched, no
 * speculative huge page.  A read first into the regrown PMD would map
 * the huge zero page, which spf leaves to stock (and the write after
 * it): the writer checks the regrown pages without touching absent
 * ones, and in huge rounds every visit stores first (brk_blind).
 */
static bool brk_unseen(void)
{
	return spf_stat("pte_tables") == brk_tables ||
	       (brk_thp_was[0] && spf_stat("spec_thp") == brk_thps);
}

static void brk_round(unsigned int *rnd)
{
	size_t k = 1 + xrand(rnd) % (W.npages * 3 / 4), p;
	char *low = brk_top - k * W.ps, *got;
	bool huge = brk_thp_was[0] && (W.rounds & 1);

	got = (char *)syscall(SYS_brk, low);
	if (got != low)
		merr("brk shrink to %p: brk is %p", low, got);
	let_run(rnd, 2);
	pause_faulters();
	if (brk_thp_was[0])
		spf_write_file(THP_ENABLED, huge ? "always" : "never");
	got = (char *)syscall(SYS_brk, brk_top);
	if (got != brk_top) {
		merr("brk regrow to %p: brk is %p", brk_top, got);
		resume_faulters();
		return;
	}
	brk_blind = huge;
	for (p = W.npages - k; p < W.npages; p++) {
		/*
		 * An absent page reads zeros: a present one must hold them.
		 * A read of an absent one would map the (huge) zero page.
		 */
		W.checks++;
		if (!(pagemap_entry(page_at(p)) & PM_PRESENT))
			continue;
		if (!page_zero(page_at(p)))
			merr("brk page %zu regrown with %#llx: a PTE outlived the shrink",
			     p, (unsigned long long)*(uint64_t *)page_at(p));
	}
	resume_faulters();
	/*
	 * Clearing a huge page takes long under TCG: the next shrink would
	 * nearly always land on that first fault.  Every other huge round,
	 * let the faulters' first stores finish (up to 50 ms).
	 */
	let_run(rnd, huge && (W.rounds & 2) && k >= W.npages / 2 ? 50 : 2);
}

static void brk_teardown(void)
{
	syscall(SYS_brk, brk_orig);
	if (brk_thp_was[0])
		spf_write_file(THP_ENABLED, brk_thp_was);
}

/* ---- stack: a MAP_GROWSDOWN VMA grows below the faulters' pages ---- */

#define STACK_GROW 32

/*
 * The stack VMA mapped anew over the region (one PMD-aligned chunk,
 * MAP_GROWSDOWN), THP on or off, and given its anon_vma by growing it
 * one page into the PMD below (expand_downwards() runs
 * anon_vma_prepare()), which is unmapped again: the region's pmd is
 * empty and every first store into it speculable, a huge page or a
 * new PTE table (spf_kinds' ->renew).  0 or -1.
 */
static int stack_renew(struct spf_kinds *k, bool thp)
{
	size_t below = (STACK_GROW + 8) * W.ps, len = W.npages * W.ps;
	char *p;

	if (munmap(W.r - below, below + len))
		return -1;
	p = mmap(W.r, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_GROWSDOWN | MAP_FIXED,
		 -1, 0);
	if (p != W.r)
		return -1;
	if (thp ? madvise(p, len, MADV_HUGEPAGE) : no_thp(p, len))
		return -1;
	WRITE_ONCE(*(uint64_t *)(W.r - W.ps), 1);
	return munmap(W.r - W.ps, W.ps);
}

static int stack_setup(void)
{
	size_t hole = 16UL << 20, pmd = pmd_bytes();
	char *res;

	/*
	 * A PROT_NONE reservation, the VMA near its top and a hole of
	 * STACK_GROW pages (and a few) below it: the reservation is not
	 * accessible, so no guard gap applies, and no other mapping can
	 * land in the hole.  The VMA is one PMD-aligned chunk, so that
	 * it can be mapped anew (THP, new tables).
	 */
	W.npages = pmd / W.ps < MAX_PAGES ? pmd / W.ps : MAX_PAGES;
	res = mmap(NULL, hole, PROT_NONE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (res == MAP_FAILED)
		return -1;
	W.r = (char *)(((uintptr_t)res + hole - pmd) & ~(uintptr_t)(pmd - 1));
	K.renew = stack_renew;
	return stack_renew(&K, false);
}

static void stack_round(unsigned int *rnd)
{
	size_t i, n = 1 + xrand(rnd) % STACK_GROW;
	char *pg;

	/* Each touch below vm_start is a stack growth: a write section. */
	for (i = 1; i <= n; i++) {
		pg = W.r - i * W.ps;
		W.checks++;
		if (!page_zero(pg))
			merr("stack page -%zu grew in with %#llx", i,
			     (unsigned long long)*(uint64_t *)pg);
		WRITE_ONCE(*(uint64_t *)pg, 0xdeadULL << 32 | i);
	}
	let_run(rnd, 1);
	if (munmap(W.r - n * W.ps, n * W.ps))
		merr("munmap of the grown part: %s", strerror(errno));
}

/* ---- mlock, mlockall ---- */

/* Whether the page PME maps is PG_mlocked (a huge page's: its head's). */
static bool pme_mlocked(int kfd, uint64_t pme, uint64_t *fl)
{
	uint64_t pfn = pme & PM_PFN_MASK;

	*fl = 0;
	if (!(pme & PM_PRESENT) || pread(kfd, fl, 8, pfn * 8) != 8)
		return false;
	if (*fl & (1ULL << KPF_THP_BIT)) {
		pfn &= ~(uint64_t)(pmd_bytes() / W.ps - 1);
		if (pread(kfd, fl, 8, pfn * 8) != 8)
			*fl = 0;
	}
	return *fl & (1ULL << KPF_MLOCKED_BIT);
}

static void mlock_round(unsigned int *rnd)
{
	/* mlockall() populates the whole process: one round in four. */
	bool all = (W.rounds & 3) == 3;
	static uint64_t pm[MAX_PAGES];
	int pmfd, kfd;
	size_t p;

	/* Not in a round for present, shared or swapped pages. */
	if (!kinds_keep_pages() && madvise(W.r, W.npages * W.ps, MADV_DONTNEED))
		merr("MADV_DONTNEED: %s", strerror(errno));
	let_run(rnd, 2);
	if (all ? mlockall(MCL_CURRENT) : mlock(W.r, W.npages * W.ps)) {
		merr("%s: %s", all ? "mlockall" : "mlock", strerror(errno));
		return;
	}
	/*
	 * Faults from now on are stock (VM_LOCKED): nothing to pause.
	 * The range's pagemap in one read, then each page's flags.
	 */
	pmfd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	kfd = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC);
	if (pmfd < 0 || kfd < 0 ||
	    pread(pmfd, pm, W.npages * 8, (uintptr_t)W.r / W.ps * 8) !=
	    (ssize_t)(W.npages * 8))
		merr("pagemap or kpageflags: %s", strerror(errno));
	for (p = 0; p < W.npages && !W.mut_errors; p++) {
		uint64_t fl;
		int tries = 0;

		W.checks++;
		/*
		 * NUMA balancing may migrate a locked page after the
		 * pagemap read and free the old one; the new one is
		 * locked when its PTE is restored.  So look again while
		 * the page is moving (no PTE, or another page frame), but
		 * not when the same page is still there unlocked.
		 */
		while (!pme_mlocked(kfd, pm[p], &fl) && tries++ < 5) {
			uint64_t pme;

			if (pread(pmfd, &pme, 8,
				  ((uintptr_t)W.r / W.ps + p) * 8) != 8 ||
			    ((pme & pm[p] & PM_PRESENT) &&
			     !((pme ^ pm[p]) & PM_PFN_MASK)))
				break;
			pm[p] = pme;
			usleep(2000);
		}
		if (!pme_mlocked(kfd, pm[p], &fl))
			merr("page %zu not mlocked after %s returned (pagemap %#llx kpageflags %#llx)",
			     p, all ? "mlockall" : "mlock",
			     (unsigned long long)pm[p],
			     (unsigned long long)fl);
	}
	if (pmfd >= 0)
		close(pmfd);
	if (kfd >= 0)
		close(kfd);
	let_run(rnd, 1);
	if (all ? munlockall() : munlock(W.r, W.npages * W.ps))
		merr("munlock: %s", strerror(errno));
}

/* ---- madvise flags, checked by a forked child ---- */

static bool dontfork[MAX_PAGES], wipe[MAX_PAGES];

static void madvise_round(unsigned int *rnd)
{
	static const int advice[] = {
		MADV_DONTFORK, MADV_DOFORK, MADV_WIPEONFORK, MADV_KEEPONFORK,
		MADV_HUGEPAGE, MADV_NOHUGEPAGE, MADV_SEQUENTIAL, MADV_RANDOM,
		MADV_NORMAL,
	};
	size_t lo = xrand(rnd) % W.npages, hi, p;
	int a = advice[xrand(rnd) % 9], i;
	static uint64_t expect[MAX_PAGES];
	pid_t pid;
	int st;

	hi = lo + 1 + xrand(rnd) % (W.npages - lo);
	/* PREEMPT_RT 6.1 has no THP: (NO)HUGEPAGE is EINVAL there. */
	if (madvise(page_at(lo), (hi - lo) * W.ps, a) &&
	    !(errno == EINVAL && (a == MADV_HUGEPAGE || a == MADV_NOHUGEPAGE)))
		merr("madvise(%d): %s", a, strerror(errno));
	for (p = lo; p < hi; p++) {
		if (a == MADV_DONTFORK || a == MADV_DOFORK)
			dontfork[p] = a == MADV_DONTFORK;
		if (a == MADV_WIPEONFORK || a == MADV_KEEPONFORK)
			wipe[p] = a == MADV_WIPEONFORK;
	}
	let_run(rnd, 1);
	if (W.rounds % 8 != 7)
		return;
	pause_faulters();
	for (p = 0; p < W.npages; p++)
		expect[p] = READ_ONCE(*(uint64_t *)page_at(p));
	pid = fork();
	if (!pid) {
		struct spf_sig sig;

		for (p = 0; p < W.npages; p++) {
			char *pg = page_at(p);

			i = spf_probe(pg, false, 0, &sig);
			if (dontfork[p] ? !i : i)
				_exit(10);	/* DONTFORK page mapped, or not */
			if (dontfork[p])
				continue;
			if (wipe[p] ? !page_zero(pg) :
				      *(uint64_t *)pg != expect[p])
				_exit(11);
		}
		_exit(0);
	}
	W.checks += W.npages;
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) ||
	    WEXITSTATUS(st))
		merr("child after madvise: status %#x (10: DONTFORK wrong, 11: data wrong)",
		     pid < 0 ? -1 : st);
	resume_faulters();
}

/* ---- uffd ---- */

static void *uffd_main(void *arg)
{
	struct uffd_msg msg;
	struct pollfd pfd = { .fd = W.uffd, .events = POLLIN };

	while (!atomic_load(&W.uffd_stop)) {
		struct uffdio_copy cp;

		if (poll(&pfd, 1, 10) <= 0)
			continue;
		if (read(W.uffd, &msg, sizeof(msg)) != sizeof(msg))
			continue;
		if (msg.event != UFFD_EVENT_PAGEFAULT)
			continue;
		atomic_fetch_add(&W.uffd_events, 1);
		cp.dst = msg.arg.pagefault.address & ~(uint64_t)(W.ps - 1);
		cp.src = (uintptr_t)W.uffd_page;
		cp.len = W.ps;
		cp.mode = 0;
		cp.copy = 0;
		if (ioctl(W.uffd, UFFDIO_COPY, &cp) && errno != EEXIST)
			merr("UFFDIO_COPY: %s", strerror(errno));
	}
	return NULL;
}

static int uffd_setup(void)
{
	struct uffdio_api api = { .api = UFFD_API };
	size_t i;

	W.uffd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (W.uffd < 0 || ioctl(W.uffd, UFFDIO_API, &api))
		return -1;
	W.uffd_page = prefaulted_stack(W.ps);
	for (i = 0; i < W.ps / 8; i++)
		((uint64_t *)W.uffd_page)[i] = UFFD_FILL;
	W.uffd_fill = W.may_zero = true;
	return 0;
}

static void uffd_round(unsigned int *rnd)
{
	static uint64_t pm[MAX_PAGES];
	struct uffdio_register reg = {
		.range = { (uintptr_t)W.r, W.npages * W.ps },
		.mode = UFFDIO_REGISTER_MODE_MISSING,
	};
	struct uffdio_range ur = { (uintptr_t)W.r, W.npages * W.ps };
	unsigned long ev;
	size_t p;
	int fd;

	if (!kinds_keep_pages() && madvise(W.r, W.npages * W.ps, MADV_DONTNEED))
		merr("MADV_DONTNEED: %s", strerror(errno));
	let_run(rnd, 1);
	if (ioctl(W.uffd, UFFDIO_REGISTER, &reg)) {
		merr("UFFDIO_REGISTER: %s", strerror(errno));
		return;
	}
	/* What is present now was faulted before: the rest needs events. */
	fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || pread(fd, pm, W.npages * 8,
			    (uintptr_t)W.r / W.ps * 8) != (ssize_t)(W.npages * 8))
		merr("pagemap: %s", strerror(errno));
	if (fd >= 0)
		close(fd);
	let_run(rnd, 2);
	pause_faulters();
	for (p = 0; p < W.npages; p++) {
		uint64_t *w = (uint64_t *)page_at(p);

		/* A swapped page is not missing: it comes back unseen. */
		if ((pm[p] & (PM_PRESENT | PM_SWAP)) ||
		    !(pagemap_entry(w) & PM_PRESENT))
			continue;
		W.checks++;
		if (w[1] != UFFD_FILL)
			merr("page %zu mapped after UFFDIO_REGISTER returned, but not through an event (word 1 %#llx)",
			     p, (unsigned long long)w[1]);
	}
	if (ioctl(W.uffd, UFFDIO_UNREGISTER, &ur))
		merr("UFFDIO_UNREGISTER: %s", strerror(errno));
	/* Unregistered: a fresh fault is an ordinary zero page, no event. */
	p = xrand(rnd) % W.npages;
	madvise(page_at(p), W.ps, MADV_DONTNEED);
	ev = atomic_load(&W.uffd_events);
	W.checks++;
	if (!page_zero(page_at(p)) || atomic_load(&W.uffd_events) != ev)
		merr("page %zu after UFFDIO_UNREGISTER: not a plain zero page",
		     p);
	W.last[p] = 0;
	resume_faulters();
}

/* ---- anon_vma_prepare: fresh VMAs, first written by all faulters ---- */

#define AV_SPAN 17	/* 16 pages and a PROT_NONE guard */

static bool swap_ok;
static char *av_raw;		/* what anon_vma_map() mapped, */
static size_t av_rawlen;	/* ... and its length */
static unsigned long av_rounds;
static long av_tables, av_thps;	/* the counters at setup */
static bool av_thp_ok;

/*
 * Every other round one VMA of NF PMD-aligned PMDs instead, THP on in
 * every other such round: a faulter's first store runs
 * anon_vma_prepare() in a stock fault while the other's, in the other
 * PMD, may speculate a huge page or a new PTE table into the VMA whose
 * anon_vma was just set (a huge page's clearing gives it time).
 */
static int anon_vma_map_big(bool thp)
{
	size_t pmd = pmd_bytes(), len = NF * pmd, p;

	av_rawlen = len + pmd;
	av_raw = mmap(NULL, av_rawlen, PROT_NONE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (av_raw == MAP_FAILED)
		return -1;
	W.r = (char *)(((uintptr_t)av_raw + pmd - 1) & ~(uintptr_t)(pmd - 1));
	W.npages = len / W.ps < MAX_PAGES ? len / W.ps : MAX_PAGES;
	if (mmap(W.r, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != W.r)
		return -1;
	if (thp ? madvise(W.r, len, MADV_HUGEPAGE) : no_thp(W.r, len))
		return -1;
	for (p = 0; p < MAX_PAGES; p++)
		W.usable[p] = true;
	memset(W.last, 0, sizeof(W.last));
	K.gen++;		/* fresh: the faulters store first */
	return 0;
}

static int anon_vma_map(void)
{
	size_t p;

	if (av_raw)
		munmap(av_raw, av_rawlen);
	if (av_rounds++ & 1)
		return anon_vma_map_big(av_thp_ok && (av_rounds & 2));
	W.npages = 16 * AV_SPAN;
	for (p = 0; p < W.npages; p++)
		W.usable[p] = p % AV_SPAN != AV_SPAN - 1;
	av_rawlen = W.npages * W.ps;
	av_raw = W.r = mmap(NULL, W.npages * W.ps, PROT_NONE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (W.r == MAP_FAILED)
		return -1;
	for (p = 0; p < W.npages; p += AV_SPAN)
		if (mprotect(page_at(p), (AV_SPAN - 1) * W.ps,
			     PROT_READ | PROT_WRITE))
			return -1;
	no_thp(W.r, W.npages * W.ps);
	memset(W.last, 0, sizeof(W.last));
	return 0;
}

/* PAGEOUT from every CPU: each drains its own LRU batch first. */
static void pageout_everywhere(void)
{
	spf_pageout_everywhere(W.r, W.npages * W.ps);
}

/* No speculative new table, or (where THP can be had) huge page, yet. */
static bool av_unseen(void)
{
	return spf_stat("pte_tables") == av_tables ||
	       (av_thp_ok && spf_stat("spec_thp") == av_thps);
}

static void anon_vma_round(unsigned int *rnd)
{
	size_t p, left = 0;
	int tries;

	let_run(rnd, 3);
	pause_faulters();
	/* Swapping out and in is slow under TCG: every fourth round. */
	if (swap_ok && !(W.rounds % 4)) {
		for (tries = 0; tries < 3; tries++) {
			pageout_everywhere();
			for (left = 0, p = 0; p < W.npages; p++)
				if (W.usable[p] && W.last[p] &&
				    (pagemap_entry(page_at(p)) & PM_PRESENT))
					left++;
			if (!left)
				break;
		}
		W.checks += W.npages;
		if (left)
			merr("%zu written pages still mapped after MADV_PAGEOUT: rmap did not find them",
			     left);
	}
	for (p = 0; p < W.npages; p++) {
		if (!W.usable[p])
			continue;
		W.checks++;
		if (*(uint64_t *)page_at(p) != W.last[p])
			merr("page %zu reads back %#llx, written %#llx", p,
			     (unsigned long long)*(uint64_t *)page_at(p),
			     (unsigned long long)W.last[p]);
	}
	if (anon_vma_map())
		merr("fresh VMAs: %s", strerror(errno));
	resume_faulters();
}

/* ---- clear_refs soft-dirty ---- */

static void clear_refs_round(unsigned int *rnd)
{
	unsigned long e;
	size_t p;

	if (spf_write_file("/proc/self/clear_refs", "4"))
		merr("clear_refs: %s", strerror(errno));
	/* Written from epoch e on: after clear_refs returned. */
	e = atomic_fetch_add(&W.epoch, 1) + 1;
	let_run(rnd, 3);
	pause_faulters();
	for (p = 0; p < W.npages; p++) {
		if (W.epoch_wrote[p] != e)
			continue;
		W.checks++;
		if (!(pagemap_entry(page_at(p)) & PM_SOFT_DIRTY))
			merr("page %zu written after clear_refs but not soft-dirty (pagemap %#llx)",
			     p, (unsigned long long)pagemap_entry(page_at(p)));
	}
	resume_faulters();
}

static bool soft_dirty_works(void)
{
	char *p = map_fresh(1);
	bool ok;

	if (!p)
		return false;
	p[0] = 1;
	spf_write_file("/proc/self/clear_refs", "4");
	ok = !(pagemap_entry(p) & PM_SOFT_DIRTY);
	p[0] = 2;
	ok = ok && (pagemap_entry(p) & PM_SOFT_DIRTY);
	munmap(p, page_size());
	return ok;
}

/* ---- the OOM reaper: SIGKILL and process_mrelease() mid-fault ---- */

#define OOM_CG		"/sys/fs/cgroup/spf-writer-oom"

static unsigned long oom_reaped;
static char *oom_stacks[NF];		/* theirs, prefaulted here */

/* What the per-CPU charge stocks may hold: 64 pages on each CPU. */
#define STOCK_PAGES	(64 * sysconf(_SC_NPROCESSORS_ONLN))

static long cg_long(const char *file)
{
	char path[128], buf[64];

	snprintf(path, sizeof(path), OOM_CG "/%s", file);
	if (spf_read_file(path, buf, sizeof(buf)))
		return -1;
	return strtol(buf, NULL, 10);
}

static int cg_write(const char *file, const char *val)
{
	char path[128];

	snprintf(path, sizeof(path), OOM_CG "/%s", file);
	return spf_write_file(path, val);
}

/* One field of the oom group's memory.stat, or -1. */
static long cg_stat(const char *field)
{
	return spf_file_field(OOM_CG "/memory.stat", field);
}

/* The non-zero byte counts of memory.stat, for a failure message. */
static const char *cg_stat_nonzero(void)
{
	static char buf[4096], out[512];
	char name[64], *line;
	size_t n = 0;
	long v;

	out[0] = '\0';
	if (spf_read_file(OOM_CG "/memory.stat", buf, sizeof(buf)))
		return "no memory.stat";
	for (line = buf; line && *line; line = strchr(line + 1, '\n'))
		if (sscanf(line, "%63s %ld", name, &v) == 2 && v &&
		    n < sizeof(out) && !strstr(name, "pg") &&
		    !strstr(name, "workingset") && !strstr(name, "thp"))
			n += snprintf(out + n, sizeof(out) - n, " %s=%ld",
				      name, v);
	return out;
}

static int oom_setup(void)
{
	int i;

	spf_write_file("/sys/fs/cgroup/cgroup.subtree_control", "+memory");
	if (mkdir(OOM_CG, 0755) && errno != EEXIST)
		return -1;
	if (cg_write("memory.max", "32M"))
		return -1;
	cg_write("memory.swap.max", "0");
	oom_visits = mmap(NULL, sizeof(*oom_visits), PROT_READ | PROT_WRITE,
			  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (oom_visits == MAP_FAILED)
		return -1;
	/* A child's thread set-up must not mmap: a write section. */
	for (i = 0; i < NF; i++) {
		oom_stacks[i] = prefaulted_stack(SPF_STACK_LEN);
		if (!oom_stacks[i])
			return -1;
	}
	if (spf_kinds_map(&K, pmd_bytes()))
		return -1;
	W.r = K.r;
	W.npages = K.len / W.ps < MAX_PAGES ? K.len / W.ps : MAX_PAGES;
	return 0;
}

/*
 * The next child's kind: the chunk mapped anew (it inherits the anon_vma
 * and an empty pmd: THP or a new table), or filled with the parent's
 * tags first, so that the child's stores copy (wp copy) or, once the
 * parent has dropped its own mappings, reuse (wp reuse).  -1: none.
 */
static int oom_kind(void)
{
	int kind = K.cur, i;
	size_t p;

	for (i = 0; i < SPF_K_NR; i++) {
		kind = (kind + 1) % SPF_K_NR;
		if (K.have & SPF_K(kind))
			break;
	}
	if (i == SPF_K_NR)
		return -1;
	K.cur = kind;
	K.steps[kind]++;
	if (spf_kinds_remap(&K, kind == SPF_K_THP)) {
		merr("mapping the region anew: %s", strerror(errno));
		return -1;
	}
	memset(W.last, 0, sizeof(W.last));
	if (kind == SPF_K_WP_COPY || kind == SPF_K_WP_REUSE ||
	    kind == SPF_K_SWAP)
		for (p = 0; p < W.npages; p++) {
			W.last[p] = (uint64_t)(p + 1) << 32 | 0xf0000000 |
				    K.steps[kind];
			WRITE_ONCE(*(uint64_t *)page_at(p), W.last[p]);
		}
	/* Out and back into the swap cache: the child's touches hit it. */
	if (kind == SPF_K_SWAP) {
		pageout_everywhere();
		if (madvise(W.r, W.npages * W.ps, MADV_WILLNEED))
			merr("MADV_WILLNEED: %s", strerror(errno));
	}
	return kind;
}

/*
 * A child in the small memcg faults with NF threads until it is killed
 * and reaped: process_mrelease() runs the OOM reaper's own
 * __oom_reap_task_mm() (MMF_UNSTABLE, zap under mmap read lock) on the
 * dying mm while its threads may be mid-fault.  An OOM kill proper
 * would do the same but prints a Call Trace, which fails the run.
 */
static void oom_round(unsigned int *rnd)
{
	char ms[16];
	int reaped, st, i;
	pid_t pid;
	long cur = -1, kern = -1;
	unsigned long to;
	int kind = oom_kind();
	size_t p;

	pid = fork();
	if (!pid) {
		snprintf(ms, sizeof(ms), "%d", getpid());
		if (cg_write("cgroup.procs", ms))
			_exit(4);
		for (i = 0; i < NF; i++)
			if (start_thread_on(&W.f[i].thread, oom_stacks[i],
					    faulter_main, &W.f[i]))
				_exit(5);
		for (;;)
			pause();
	}
	if (pid < 0) {
		merr("fork: %s", strerror(errno));
		return;
	}
	/* The child's pages alone now, as far as the parent goes. */
	if (kind == SPF_K_WP_REUSE && madvise(W.r, W.npages * W.ps,
					      MADV_DONTNEED))
		merr("MADV_DONTNEED: %s", strerror(errno));
	/* Up to 64 visits of the child's, or 100 ms: mid-fault. */
	to = atomic_load(oom_visits) + 1 + xrand(rnd) % 64;
	for (i = 0; i < 1000 && atomic_load(oom_visits) < to; i++)
		usleep(100);
	reaped = spf_kill_and_reap(pid);
	if (reaped < 0)
		merr("pidfd kill: %s", strerror(errno));
	else
		oom_reaped += reaped;
	if (waitpid(pid, &st, 0) != pid || !WIFSIGNALED(st) ||
	    WTERMSIG(st) != SIGKILL)
		merr("oom child: status %#x (exit 3: a faulter check failed)",
		     st);
	for (p = 0; (kind == SPF_K_WP_COPY || kind == SPF_K_SWAP) &&
		    p < W.npages; p++) {
		W.checks++;
		if (READ_ONCE(*(uint64_t *)page_at(p)) != W.last[p])
			merr("page %zu of the parent reads %#llx after its child's copies, filled %#llx",
			     p, (unsigned long long)*(uint64_t *)page_at(p),
			     (unsigned long long)W.last[p]);
	}
	/*
	 * Uncharged once it is gone: page tables a grace period later,
	 * the per-CPU stocks when memory.high is written (which reclaims,
	 * where memory.max would OOM-kill, and print a Call Trace).
	 */
	for (i = 0; i < 400; i++) {
		cg_write("memory.high", "0");
		/* A file page a child read first is charged to it. */
		if (i == 20)
			spf_write_file("/proc/sys/vm/drop_caches", "1");
		cur = cg_long("memory.current");
		kern = cg_stat("kernel");
		if (cur >= 0 && !cg_stat("anon") && !cg_stat("file") &&
		    !cg_stat("pagetables") &&
		    cur <= kern + STOCK_PAGES * (long)W.ps)
			break;
		usleep(10000);
	}
	cg_write("memory.high", "max");
	W.checks++;
	/*
	 * Stock 6.1 without spf loaded leaves kernel objects charged to
	 * the group after such deaths (memory.stat "kernel"), and a few
	 * pages in no field at all, growing slowly over the rounds (8 KiB
	 * after 43): per-CPU charge stocks, up to 64 pages a CPU.  Those
	 * are allowed; anon pages, file pages and page tables, what a
	 * fault leaves, must all be gone (the stats flush every 2 s).
	 */
	if (i == 400)
		merr("memory.current %ld four seconds after the child died: %s",
		     cur, cg_stat_nonzero());
}

/* ---- numa: NUMA hinting over the faulters' pages, and migrations ---- */

/*
 * task_numa_work() (kernel/sched/fair.c), run on the way back to user
 * mode of whichever thread of the test's mm a tick picked, makes the
 * region's present PTEs hinting entries (change_prot_numa(): PROT_NONE,
 * under mmap_lock read and the PTL); the next touch of such a page is a
 * hinting fault, stock's do_numa_page(), which restores the PTE (as
 * read-only as it was) or migrates the page to the touching CPU's node.
 * The scanner is driven hard (no start delay, a 10 to 50 ms period,
 * 16 MiB a pass), and each round move_pages() sends up to 64 of the
 * region's pages to one node, the other one next round, so that hinting
 * faults find pages misplaced and move them back.  The scanner skips a
 * copy-on-write page mapped twice (page_count() != 1): in the wp copy
 * rounds it changes the pages already copied, and the holder's fork
 * write-protects the hinting entries it finds, so a parent's store
 * there takes the hinting fault, then the copy.  For reuses the pages
 * are the parent's alone again and scanned like any.  Every eighth
 * round, faulters parked, every present page must hold its owner's
 * last tag: a store that went to a page after its migration had copied
 * it would be lost there.  The knobs are the 6.1 ones (the sysctl and
 * debugfs sched/numa_balancing/), restored at teardown.
 */
#define NUMA_DBG	"/sys/kernel/debug/sched/numa_balancing/"
#define NUMA_BAL	"/proc/sys/kernel/numa_balancing"
#define MPOL_MF_MOVE_ALL (1 << 2)
#define NUMA_BATCH	64

static const char *const numa_knobs[][2] = {
	{ NUMA_DBG "scan_delay_ms", "0" },
	{ NUMA_DBG "scan_period_min_ms", "10" },
	{ NUMA_DBG "scan_period_max_ms", "50" },
	{ NUMA_DBG "scan_size_mb", "16" },
	{ NUMA_BAL, "1" },
};
#define NUMA_NKNOBS	ARRAY_SIZE(numa_knobs)

/* The vmstat counters the case reports; the first three it needs. */
static const char *const numa_vm[] = {
	"numa_pte_updates", "numa_hint_faults", "numa_pages_migrated",
	"pgmigrate_success",
};
#define NUMA_NVM	ARRAY_SIZE(numa_vm)

static char numa_was[NUMA_NKNOBS][32];
static bool numa_saved;
static long numa_vm0[NUMA_NVM];
static unsigned long numa_moved, numa_move_calls;

/* Why this guest cannot run the case, or NULL. */
static const char *numa_unusable(void)
{
	char buf[32];
	size_t i;

	if (spf_read_file(NUMA_BAL, buf, sizeof(buf)))
		return "kernel without NUMA balancing (no " NUMA_BAL ")";
	for (i = 0; i < NUMA_NKNOBS; i++)
		if (spf_read_file(numa_knobs[i][0], buf, sizeof(buf)))
			return "no " NUMA_DBG " knobs";
	if (access("/sys/devices/system/node/node1", F_OK))
		return "one NUMA node (tools/vm/run --numa 2 gives two)";
	for (i = 0; i < 3; i++)
		if (spf_vmstat(numa_vm[i]) < 0)
			return "no numa_* counters in /proc/vmstat";
	return NULL;
}

static int numa_setup(void)
{
	size_t i;

	for (i = 0; i < NUMA_NKNOBS; i++)
		if (spf_read_file(numa_knobs[i][0], numa_was[i],
				  sizeof(numa_was[i])))
			return -1;
	numa_saved = true;
	for (i = 0; i < NUMA_NKNOBS; i++)
		if (spf_write_file(numa_knobs[i][0], numa_knobs[i][1]))
			return -1;
	for (i = 0; i < NUMA_NVM; i++)
		numa_vm0[i] = spf_vmstat(numa_vm[i]);
	numa_moved = numa_move_calls = 0;
	return 0;
}

static void numa_teardown(void)
{
	size_t i;

	if (!numa_saved)
		return;
	for (i = NUMA_NKNOBS; i-- > 0;)
		spf_write_file(numa_knobs[i][0], numa_was[i]);
	numa_saved = false;
}

/*
 * The scanner has not changed a PTE yet, no hinting fault came, or none
 * migrated its page.
 */
static bool numa_unseen(void)
{
	size_t i;

	for (i = 0; i < 3; i++)
		if (spf_vmstat(numa_vm[i]) <= numa_vm0[i])
			return true;
	return false;
}

static const char *numa_str(void)
{
	static char out[256];
	size_t i, n = 0;

	out[0] = '\0';
	for (i = 0; i < NUMA_NVM; i++)
		n += snprintf(out + n, sizeof(out) - n, " %s=%ld", numa_vm[i],
			      spf_vmstat(numa_vm[i]) - numa_vm0[i]);
	snprintf(out + n, sizeof(out) - n,
		 "; move_pages(): %lu pages moved in %lu calls", numa_moved,
		 numa_move_calls);
	return out;
}

static void numa_round(unsigned int *rnd)
{
	void *pages[NUMA_BATCH];
	int nodes[NUMA_BATCH], status[NUMA_BATCH];
	size_t n = 1 + xrand(rnd) % NUMA_BATCH, i, p;
	int to = W.rounds & 1;
	uint64_t v;

	for (i = 0; i < n; i++) {
		pages[i] = page_at(xrand(rnd) % W.npages);
		nodes[i] = to;
		status[i] = -1;
	}
	/* Per-page failures (absent, busy) are the race's, not errors. */
	if (syscall(SYS_move_pages, 0, n, pages, nodes, status,
		    MPOL_MF_MOVE_ALL) < 0 && errno != EBUSY && errno != ENOENT)
		merr("move_pages(%zu pages to node %d): %s", n, to,
		     strerror(errno));
	numa_move_calls++;
	for (i = 0; i < n; i++)
		numa_moved += status[i] == to;
	let_run(rnd, 5);
	if (W.rounds % 8 != 7)
		return;
	pause_faulters();
	for (p = 0; p < W.npages; p++) {
		if (!(pagemap_entry(page_at(p)) & PM_PRESENT))
			continue;
		W.checks++;
		v = READ_ONCE(*(uint64_t *)page_at(p));
		if (v != W.last[p])
			merr("page %zu reads %#llx, its owner stored %#llx last",
			     p, (unsigned long long)v,
			     (unsigned long long)W.last[p]);
	}
	resume_faulters();
}

/* ---- the other fault kinds, set up between rounds ---- */

/*
 * The kinds each writer's faulters make besides first touches and zero
 * page replacements (docs/audit-races.md, group 2).  brk cannot map
 * its region anew, so no THP or new table there (it makes its own new
 * tables, brk_round()); the stack maps its VMA anew (stack_renew()).
 * mlock leaves PTE-mapped huge pages unlocked in 6.1
 * (mlock_pte_range()), which its check would take for a miss: with THP
 * its faulters zap no single page (which would split the pmd), and the
 * check reads a huge page's head's flags.  set_mempolicy frees nothing a
 * reuse or a swap-in reads.  anon_vma maps its VMAs anew itself.  The
 * oom_reaper's faulters are its children's, which get their kind from
 * the parent before each fork (oom_kind()); their thread stacks are
 * prefaulted here, since a child's own mmap() of them, a write section,
 * overlapped its first stores: no huge page of a child's was
 * speculative in 14 tries on the debug kernel before.
 */
static const unsigned int writer_kinds[] = {
	[W_BRK] = SPF_K_WP | SPF_K(SPF_K_SWAP),
	[W_STACK] = SPF_K_ALL,
	[W_MLOCK] = SPF_K_ALL,
	[W_MADVISE] = SPF_K_ALL,
	[W_MEMPOLICY] = SPF_K(SPF_K_THP) | SPF_K(SPF_K_TABLE) |
			SPF_K(SPF_K_WP_COPY),
	[W_UFFD] = SPF_K_ALL,
	[W_ANON_VMA] = 0,
	[W_CLEAR_REFS] = SPF_K_ALL,
	[W_OOM] = SPF_K_ALL,
	[W_NUMA] = SPF_K_WP,
};

/*
 * With the faulters parked: the next kind's set-up, every kinds_every
 * seconds (parking them and a holder's exit take milliseconds in TCG,
 * enough to cost the writers most of their rounds if done every round).
 */
static void kinds_round(unsigned int *rnd)
{
	unsigned long gen = K.gen;
	char err[256];

	/* The oom_reaper's children make theirs: oom_kind(). */
	if (!K.have || W.w == W_OOM || now_s() < W.kinds_next)
		return;
	W.kinds_next = now_s() + W.kinds_every;
	pause_faulters();
	if (spf_kinds_step(&K, err, sizeof(err)) < 0)
		merr("%s", err);
	if (K.gen != gen) {
		/* Mapped anew: all zeros, no madvise flags. */
		memset(W.last, 0, sizeof(W.last));
		memset(dontfork, 0, sizeof(dontfork));
		memset(wipe, 0, sizeof(wipe));
	}
	resume_faulters();
	/*
	 * A huge page takes long to clear: the writer's next section lands
	 * on that first fault nearly always, and aborts it.  Every other
	 * time let the first stores finish first (up to 50 ms), so that
	 * some are speculative.
	 */
	if (K.gen != gen && (K.steps[K.cur] & 1)) {
		double until = now_s() + 0.05;
		int i;

		for (i = 0; i < NF && now_s() < until; i++)
			while (READ_ONCE(W.f[i].gen_done) != K.gen &&
			       now_s() < until)
				usleep(100);
	} else if (K.gen != gen) {
		let_run(rnd, 3);
	}
}

/* ---- the driver ---- */

FIXTURE(writer) {
};

FIXTURE_VARIANT(writer) {
	enum writer w;
};

FIXTURE_VARIANT_ADD(writer, brk) { .w = W_BRK };
FIXTURE_VARIANT_ADD(writer, stack) { .w = W_STACK };
FIXTURE_VARIANT_ADD(writer, mlock) { .w = W_MLOCK };
FIXTURE_VARIANT_ADD(writer, madvise) { .w = W_MADVISE };
FIXTURE_VARIANT_ADD(writer, mempolicy) { .w = W_MEMPOLICY };
FIXTURE_VARIANT_ADD(writer, uffd) { .w = W_UFFD };
FIXTURE_VARIANT_ADD(writer, anon_vma) { .w = W_ANON_VMA };
FIXTURE_VARIANT_ADD(writer, clear_refs) { .w = W_CLEAR_REFS };
FIXTURE_VARIANT_ADD(writer, oom_reaper) { .w = W_OOM };
FIXTURE_VARIANT_ADD(writer, numa) { .w = W_NUMA };

FIXTURE_SETUP(writer)
{
	spf_fixture_load_prefaulted(_metadata);
}

FIXTURE_TEARDOWN(writer)
{
	/* An assertion may have cut the case short: THP as it was. */
	if (variant->w == W_BRK && brk_thp_was[0])
		spf_write_file(THP_ENABLED, brk_thp_was);
	numa_teardown();
	spf_write_file(SPF_DEBUGFS "/inject_commit_delay_us", "0");
	spf_kinds_knobs("0");
	spf_fixture_unload(_metadata);
}

static int region_map(enum writer w)
{
	size_t p;

	memset(&W, 0, sizeof(W));
	memset(&K, 0, sizeof(K));
	W.w = w;
	W.owner = getpid();
	W.ps = page_size();
	W.npages = 512;
	for (p = 0; p < MAX_PAGES; p++)
		W.usable[p] = true;
	switch (w) {
	case W_BRK:
		return brk_setup();
	case W_STACK:
		return stack_setup();
	case W_ANON_VMA:
		swap_ok = !swap_on();
		av_thp_ok = spf_stat("spec_thp") >= 0 && spf_kinds_thp_on();
		av_tables = spf_stat("pte_tables");
		av_thps = spf_stat("spec_thp");
		return anon_vma_map();
	case W_OOM:
		return oom_setup();
	case W_MEMPOLICY:
		if (mp_setup())
			return -1;
		break;
	default:
		break;
	}
	/* One chunk, and the page below it to map it anew from. */
	if (spf_kinds_map(&K, pmd_bytes()))
		return -1;
	W.r = K.r;
	W.npages = K.len / W.ps < MAX_PAGES ? K.len / W.ps : MAX_PAGES;
	W.may_zero = w == W_MLOCK;
	if (w == W_UFFD)
		return uffd_setup();
	if (w == W_NUMA)
		return numa_setup();
	return 0;
}

/* The region, and the other kinds it can have. */
static int region_setup(enum writer w)
{
	int ret;

	ret = region_map(w);
	if (!ret)
		spf_kinds_init(&K, W.r, W.npages * W.ps, writer_kinds[w],
			       (writer_kinds[w] & SPF_K(SPF_K_SWAP)) &&
			       !swap_on());
	return ret;
}

static void round_once(unsigned int *rnd)
{
	switch (W.w) {
	case W_BRK:
		brk_round(rnd);
		break;
	case W_STACK:
		stack_round(rnd);
		break;
	case W_MLOCK:
		mlock_round(rnd);
		break;
	case W_MADVISE:
		madvise_round(rnd);
		break;
	case W_MEMPOLICY:
		let_run(rnd, 5);	/* the faulters are the writers */
		break;
	case W_UFFD:
		uffd_round(rnd);
		break;
	case W_ANON_VMA:
		anon_vma_round(rnd);
		break;
	case W_CLEAR_REFS:
		clear_refs_round(rnd);
		break;
	case W_OOM:
		oom_round(rnd);
		break;
	case W_NUMA:
		numa_round(rnd);
		break;
	}
	W.rounds++;
}

static const char *const writer_names[] = {
	"brk", "stack", "mlock", "madvise", "mempolicy", "uffd", "anon_vma",
	"clear_refs", "oom_reaper", "numa",
};

TEST_F_TIMEOUT(writer, race, 120)
{
	const char *name = writer_names[variant->w];
	struct spf_counts before, after, d;
	unsigned long visits = 0, segv = 0, dn = 0, errs;
	pthread_t uffd_thread;
	unsigned int rnd = 0x2545f491, unseen;
	double t0, end, secs = env_secs("SPF_WRITER_SECS", 2);
	char err[256];
	int i;

	if (!spec_ready(_metadata))
		return;
	if (variant->w == W_CLEAR_REFS && !soft_dirty_works())
		SKIP(return, "no soft-dirty tracking on this kernel");
	if (variant->w == W_NUMA && numa_unusable())
		SKIP(return, "%s", numa_unusable());
	ASSERT_EQ(0, region_setup(variant->w)) {
		TH_LOG("%s: setting up the region: %s", name, strerror(errno));
	}
	ASSERT_EQ(0, install_segv_handler());
	if (W.w == W_UFFD)
		ASSERT_EQ(0, start_thread(&uffd_thread, uffd_main, NULL));
	spf_write_file(SPF_DEBUGFS "/inject_commit_delay_us", "30");
	spf_kinds_knobs("30");
	ASSERT_EQ(0, spf_counts_read(&before));
	for (i = 0; i < NF; i++) {
		W.f[i].id = i;
		W.f[i].rnd = 0x9e3779b9u * (i + 1);
		/* The oom writer's faulters are its children's. */
		if (W.w != W_OOM)
			ASSERT_EQ(0, start_thread(&W.f[i].thread, faulter_main,
						  &W.f[i]));
	}
	t0 = now_s();
	end = t0 + secs;
	/* Each kind three times or so in the case's time. */
	W.kinds_every = secs / 16;
	while (now_s() < end && !W.mut_errors) {
		kinds_round(&rnd);
		round_once(&rnd);
	}
	/*
	 * A slow kernel (the debug one) may not have taken a fault of each
	 * kind speculatively yet: go on, up to eight times as long.
	 */
	end += 7 * secs;
	while (now_s() < end && !W.mut_errors &&
	       (spf_kinds_unseen(&K) || (W.w == W_BRK && brk_unseen()) ||
		(W.w == W_ANON_VMA && av_unseen()) ||
		(W.w == W_NUMA && numa_unseen()))) {
		kinds_round(&rnd);
		round_once(&rnd);
	}
	atomic_store(&W.stop, true);
	t0 = now_s() - t0;
	for (i = 0; i < NF && W.w != W_OOM; i++)
		pthread_join(W.f[i].thread, NULL);
	if (spf_kinds_release(&K, err, sizeof(err)))
		merr("%s", err);
	spf_write_file(SPF_DEBUGFS "/inject_commit_delay_us", "0");
	spf_kinds_knobs("0");
	if (W.w == W_UFFD) {
		atomic_store(&W.uffd_stop, true);
		pthread_join(uffd_thread, NULL);
	}
	ASSERT_TRUE(spf_counts_consistent(&after));
	spf_counts_sub(&after, &before, &d);
	for (i = 0; i < NF; i++) {
		visits += W.f[i].visits;
		segv += W.f[i].segv;
		dn += W.f[i].dontneed;
		W.checks += W.f[i].checks;
		EXPECT_EQ(0UL, W.f[i].errors) {
			TH_LOG("%s: faulter %d: %s", name, i, W.f[i].msg);
		}
	}
	EXPECT_EQ(0UL, W.mut_errors) {
		TH_LOG("%s: round %lu (%s): %s", name, W.rounds,
		       W.mut_kind >= 0 && W.mut_kind < SPF_K_NR && K.want ?
		       spf_kind_names[W.mut_kind] : "-", W.mut_msg);
	}
	TH_LOG("%s: %lu rounds in %.1f s, %lu checks, %lu visits, %lu DONTNEEDs, %lu SIGSEGVs%s",
	       name, W.rounds, t0, W.checks, visits, dn, segv,
	       W.w == W_ANON_VMA && !swap_ok ? swap_why : "");
	if (W.w == W_UFFD)
		TH_LOG("uffd: %lu events", atomic_load(&W.uffd_events));
	if (W.w == W_MEMPOLICY) {
		unsigned long fb = 0;

		for (i = 0; i < NF; i++)
			fb += W.f[i].fallbacks;
		TH_LOG("mempolicy: pages checked on node %d; %lu off it after a fallback (numa_miss %ld -> %ld)",
		       mp_node, fb, mp_miss0, node0_miss());
	}
	if (W.w == W_OOM)
		TH_LOG("oom_reaper: %lu children killed, %lu reaped by process_mrelease()",
		       W.rounds, oom_reaped);
	TH_LOG("%s: speculative %ld, faults:%s", name, spf_counts_spec(&d),
	       spf_counts_str(&d));
	if (K.want)
		TH_LOG("%s: kinds:%s", name, spf_kinds_str(&K));
	/*
	 * Each kind the case claims was raced, not only set up; a case
	 * cut short by an error has said enough.
	 */
	for (errs = W.mut_errors, i = 0; i < NF; i++)
		errs += W.f[i].errors;
	unseen = errs ? 0 : spf_kinds_unseen(&K);
	EXPECT_EQ(0U, unseen) {
		TH_LOG("%s: no speculative fault of:%s", name,
		       spf_kinds_names(unseen));
	}
	if (W.w == W_BRK) {
		TH_LOG("brk: %ld new tables, %ld huge pages speculatively%s",
		       spf_stat("pte_tables") - brk_tables,
		       spf_stat("spec_thp") - brk_thps,
		       brk_thp_was[0] ? "" : " (THP cannot be switched here)");
		EXPECT_FALSE(!errs && brk_unseen()) {
			TH_LOG("brk: no speculative new table or huge page in the regrown heap");
		}
	}
	if (W.w == W_NUMA) {
		TH_LOG("numa: vmstat:%s", numa_str());
		EXPECT_FALSE(!errs && numa_unseen()) {
			TH_LOG("numa: no PTE made a hinting entry, no hinting fault or no page migrated by one, in the case's time");
		}
	}
	if (W.w == W_ANON_VMA) {
		TH_LOG("anon_vma: %ld new tables, %ld huge pages speculatively%s",
		       spf_stat("pte_tables") - av_tables,
		       spf_stat("spec_thp") - av_thps,
		       av_thp_ok ? "" : " (no THP here)");
		EXPECT_FALSE(!errs && av_unseen()) {
			TH_LOG("anon_vma: no speculative new table or huge page in a VMA just given its anon_vma");
		}
	}
	EXPECT_LT(0UL, W.rounds);
	EXPECT_LT(0UL, W.checks);
	EXPECT_LT(0, spf_counts_spec(&d)) {
		TH_LOG("%s: no fault was handled speculatively", name);
	}
	if (W.w == W_BRK)
		brk_teardown();
}

TEST_HARNESS_MAIN
