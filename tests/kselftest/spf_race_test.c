// SPDX-License-Identifier: GPL-2.0
/*
 * Page faults (first touches, zero-page and write-protect faults,
 * swap-cache hits, huge pages, new PTE tables) racing the calls that
 * change the faulting range: munmap and re-mmap, MAP_FIXED replacement,
 * mremap (move away and back, shrink and grow in place), mprotect,
 * MADV_DONTNEED, fork, and the exit of a process whose threads fault.  Every value a faulting
 * thread reads is checked exactly: no lost write, no stale data, no
 * page at the wrong address, no fresh page with a non-zero byte, no
 * SIGSEGV outside a window where the range was unmapped or read-only.
 * The VM runner fails the run on any kernel splat.
 *
 * The region: REGION bytes, 2 MiB aligned, THP off, between PROT_NONE
 * guards.  Page p belongs to faulter p % NF, the only thread that
 * writes it.  A visit reads the page's first word, or exchanges it with
 * a tag (page address, faulter sequence number), or stores a tag and
 * reads it back (under single-threaded TCG an exchange is a load then a
 * store, so only a plain store makes a first-touch write fault); then
 * it checks that every other word of the page is zero, all of them
 * when the page may be fresh.
 *
 * Generations.  The mutator numbers its operations k = 1, 2, ...,
 * publishes what op k does to which pages (struct op_rec), then moves
 * "gen" to 2k-1 (odd: in progress), does it, and moves gen to 2k.  A
 * faulter reads gen before (g1) and after (g2) each access.  The page's
 * last event (the write that landed, or the read) happened while gen
 * was in [slo, shi]; the new access while it was in [g1, g2].  An op k
 * that sets the page (munmap and re-mmap, MAP_FIXED, shrink, DONTNEED:
 * to 0; a prefilled shmem mapping moved over it: to a known tag) may
 * have acted in between if slo <= 2k-1 <= g2, and surely did if
 * shi < 2k-1 < g1.  So the value seen must be that of the last op that
 * surely acted (or the last value if none did), or that of a later op
 * that may have acted; nothing else.  A SIGSEGV must have the code
 * (MAPERR, or ACCERR on a write) of an op on that page that overlapped
 * the access (2k-1 in [g1, g2]) and an address in that page.
 *
 * mprotect is two ops, PROT_READ then back: between them (gen 2k) every
 * write to the range must fail.  The mutator probes each page of it
 * with a write that changes nothing (an atomic add of 0) as soon as
 * mprotect(PROT_READ) returns, and a faulter's write seen wholly in
 * that phase is an error too: a fault that took its snapshot before
 * the section and committed a writable PTE after it shows there.
 *
 * Speculation only happens where the PTE table exists and, for writes,
 * where the VMA has an anon_vma, so ops that keep both (mprotect,
 * mremap move and grow, fork) are interleaved with a MADV_DONTNEED of
 * a random sub-range: the faulters refault it while the next op runs.  Each
 * module-loaded case asserts that speculative faults happened and that
 * the outcome counters add up; one quick test runs every case with the
 * module unloaded, to show the checks themselves hold on stock.
 *
 * More fault kinds (spf_kinds.h; case_kinds[] says which each case
 * claims).  Every tenth of the case's time, between two ops, the
 * region is set up for one more kind in turn, the faulters running on:
 * mapped anew over itself with its anon_vma and empty pmds (an op that
 * zeroes it; the faulters then store first into each pmd), THP on (a
 * speculative huge page) or off (a new PTE table); shared with a
 * forked holder child that checks its copy never changes (the
 * faulters' stores copy); that child gone (they reuse); a quarter
 * paged out and read back into the swap cache, 64 pages at a time (a
 * touch maps it from there).  munmap and MAP_FIXED make the region
 * anew with THP on while the THP kind is current.  The exit case makes
 * them in its child: the region mapped anew before the fork, its pages
 * shared with the parent (copies), dropped by the parent just after
 * the fork (reuses), or a quarter in the swap cache.  So munmap,
 * MAP_FIXED, mremap, mprotect, fork and exit race wp copies (but fork,
 * which makes its own), wp reuses (mremap, mprotect, exit), swap-cache
 * hits, huge pages and new PTE tables, and the generation checker,
 * the holder and the fork and exit children verify their data as
 * before.  inject_commit_delay_us (first touches),
 * inject_table_delay_us, inject_swap_delay_us and inject_wp_delay_us
 * (SPF_RACE_DELAY_US, default 30 us) widen those windows, and each case
 * runs on, up to four times as long, until a fault of each kind it
 * claims was speculative (the module's counters), and fails if one
 * never was.
 *
 * SPF_RACE_SECS (default 5) and SPF_RACE_STOCK_SECS (default 1) set
 * the duration of each case.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include "kselftest_harness.h"
#include "spf_util.h"
#include "spf_fixture.h"
#include "spf_segv.h"
#include <sys/swap.h>
#include "spf_swap.h"
#include "spf_kinds.h"

#define NF		2		/* faulter threads */
#define REGION		(4UL << 20)	/* two PMD ranges on 4K pages */
#define PMD_SPAN	(2UL << 20)
#define MAX_OPS		(1 << 16)
#define SEQ_BITS	28
#define SEQ_MASK	((1ULL << SEQ_BITS) - 1)
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

enum race_case {
	C_MUNMAP, C_MAP_FIXED, C_MREMAP_MOVE, C_MREMAP_GROW,
	C_MPROTECT, C_DONTNEED, C_FORK, C_EXIT, NR_CASES
};

static const char *const case_names[NR_CASES] = {
	"munmap_remap", "map_fixed", "mremap_move", "mremap_grow",
	"mprotect", "dontneed", "fork", "exit",
};

/*
 * The fault kinds each case's faulters meet besides first touches and
 * zero-page replacements (spf_kinds.h).  munmap and MAP_FIXED replace
 * the region at every op, so a holder's reuses would find nothing left
 * write-protected; fork makes its own copies and reuses at every op;
 * dontneed is not this test's to widen.
 */
static const unsigned int case_kinds[NR_CASES] = {
	[C_MUNMAP] = SPF_K_ALL & ~SPF_K(SPF_K_WP_REUSE),
	[C_MAP_FIXED] = SPF_K_ALL & ~SPF_K(SPF_K_WP_REUSE),
	[C_MREMAP_MOVE] = SPF_K_ALL,
	[C_MREMAP_GROW] = SPF_K_ALL,
	[C_MPROTECT] = SPF_K_ALL,
	[C_DONTNEED] = 0,
	[C_FORK] = SPF_K(SPF_K_THP) | SPF_K(SPF_K_TABLE) | SPF_K(SPF_K_SWAP),
	[C_EXIT] = SPF_K_ALL,
};

/* The other kinds, in turn: the holder, the region's THP mode. */
static struct spf_kinds K;

/*
 * What op k does to pages [lo, hi) of the region.  OP_SET: each page
 * now holds its fill value, 0 or, with fill != 0, mktag(p, fill), a
 * sequence number no faulter reaches.
 */
#define OP_SET		1	/* their contents become the fill value */
#define OP_MAPERR	2	/* accesses may meanwhile fail with SEGV_MAPERR */
#define OP_ACCERR	4	/* writes may meanwhile fail with SEGV_ACCERR */
#define OP_RO		8	/* ... and must fail from its end to the next op */

struct op_rec {
	uint32_t flags, lo, hi;
	uint64_t fill;
};

/* A page's last event: its value and the gen window it happened in. */
struct pstate {
	uint64_t last;
	unsigned long slo, shi;
};

/*
 * Visit kinds.  An exchange checks the old value; under single-threaded
 * TCG it is a load then a store, so it read-faults first (zero page)
 * and its write is a copy-on-write fault.  A plain store is what makes
 * a first-touch write fault; its old value cannot be seen, the next
 * visit checks what it left.
 */
enum { V_READ, V_XCHG, V_STORE };

struct faulter {
	pthread_t thread;
	int id;
	unsigned int rnd;
	uint64_t seq;			/* last tag sequence number used */
	unsigned long kgen;		/* R.kgen when last seen */
	unsigned long kgen_done;	/* ... and stored into each pmd */
	atomic_ulong visits;
	unsigned long segv, errors;
	char msg[512];
};

/* A forked child's verdict, in a MAP_SHARED page. */
struct child_report {
	atomic_int bad;
	char msg[480];
	uint64_t maxseq[NF];
};

struct race {
	int c;
	char *r, *t, *resv;
	size_t ps, npages, resv_len;
	uint64_t base_index;		/* page index of r */
	pid_t owner;			/* the test process */
	atomic_ulong gen;
	atomic_bool stop;
	unsigned long nops, forks, mut_errors;
	atomic_ulong kgen;		/* bumped when the pmds are empty anew */
	bool thp;			/* the region is mapped with THP on */
	bool shared;			/* ... or is the shmem replacement */
	double kinds_next, kinds_every;
	unsigned int rnd;
	char mut_msg[1024];
	struct op_rec *ops;		/* MAX_OPS + 1, indexed by k */
	struct pstate *st;		/* per page */
	struct child_report *rep;
	struct faulter f[NF];
};

static struct race R;

/* ---- SIGSEGV while a visit is armed: spf_segv.h; the visit's store ---- */

static __thread int t_stored;

/* ---- helpers ---- */



static uint64_t mktag(size_t p, uint64_t seq)
{
	return ((R.base_index + p) << SEQ_BITS) | (seq & SEQ_MASK);
}

static unsigned long gen_now(void)
{
	return atomic_load(&R.gen);
}

static unsigned long total_visits(void)
{
	unsigned long n = 0;
	int i;

	for (i = 0; i < NF; i++)
		n += atomic_load_explicit(&R.f[i].visits, memory_order_relaxed);
	return n;
}

/* printf-checked; spelt the C23 way, as userspace has no __printf(). */
[[gnu::format(printf, 2, 3)]]
static void ferr(struct faulter *f, const char *fmt, ...);

static void ferr(struct faulter *f, const char *fmt, ...)
{
	size_t len = strlen(f->msg);
	va_list ap;

	f->errors++;
	if (getpid() != R.owner) {
		/* A forked child: report to the parent and die at once. */
		if (!atomic_exchange(&R.rep->bad, 1)) {
			va_start(ap, fmt);
			vsnprintf(R.rep->msg, sizeof(R.rep->msg), fmt, ap);
			va_end(ap);
		}
		_exit(3);
	}
	if (f->errors > 3 || len + 2 >= sizeof(f->msg))
		return;
	va_start(ap, fmt);
	vsnprintf(f->msg + len, sizeof(f->msg) - len, fmt, ap);
	va_end(ap);
	len = strlen(f->msg);
	snprintf(f->msg + len, sizeof(f->msg) - len, "; ");
}

static void mut_err_msg(const char *msg)
{
	R.mut_errors++;
	if (!R.mut_msg[0])
		snprintf(R.mut_msg, sizeof(R.mut_msg), "op %lu: %s",
			 R.nops + 1, msg);
	atomic_store(&R.stop, true);
}

static void mut_err(const char *what)
{
	R.mut_errors++;
	if (!R.mut_msg[0])
		snprintf(R.mut_msg, sizeof(R.mut_msg), "op %lu: %s: %s",
			 R.nops + 1, what, strerror(errno));
	atomic_store(&R.stop, true);
}

/* ---- the faulter's checks ---- */

static uint64_t fill_value(const struct op_rec *o, size_t p)
{
	return o->fill ? mktag(p, o->fill) : 0;
}

/*
 * Is V a value page P may hold, for an access seen in gen [g1, g2]?
 * *BASE: what it holds unless an op that may have acted did; *MAYBE:
 * whether there is such an op.
 */
static bool explained(size_t p, const struct pstate *s, unsigned long g1,
		      unsigned long g2, uint64_t v, uint64_t *base, bool *maybe)
{
	unsigned long k, k0 = (s->slo + 2) / 2, k1 = (g2 + 1) / 2, sure = 0;
	const struct op_rec *o;
	bool ok;

	/* The last op that surely acted between the last event and now. */
	for (k = k0; k <= k1; k++) {
		o = &R.ops[k];
		if ((o->flags & OP_SET) && p >= o->lo && p < o->hi &&
		    s->shi < 2 * k - 1 && 2 * k - 1 < g1)
			sure = k;
	}
	*base = sure ? fill_value(&R.ops[sure], p) : s->last;
	*maybe = false;
	ok = v == *base;
	/* Later ones may or may not have. */
	for (k = sure ? sure + 1 : k0; k <= k1; k++) {
		o = &R.ops[k];
		if (!(o->flags & OP_SET) || p < o->lo || p >= o->hi)
			continue;
		*maybe = true;
		if (v == fill_value(o, p))
			ok = true;
	}
	return ok;
}

/* Did an op on page P overlapping gen [g1, g2] allow this SIGSEGV? */
static bool segv_explained(size_t p, unsigned long g1, unsigned long g2,
			   int code, int kind)
{
	unsigned long k;

	for (k = (g1 + 2) / 2; k <= (g2 + 1) / 2; k++) {
		const struct op_rec *o = &R.ops[k];

		if (p < o->lo || p >= o->hi)
			continue;
		if (code == SEGV_MAPERR && (o->flags & OP_MAPERR))
			return true;
		if (code == SEGV_ACCERR && kind != V_READ &&
		    (o->flags & OP_ACCERR))
			return true;
	}
	/* A read-only phase: from op k's start to op k + 1's. */
	k = (g1 + 2) / 2;
	if (k > 1 && code == SEGV_ACCERR && kind != V_READ &&
	    (R.ops[k - 1].flags & OP_RO) && p >= R.ops[k - 1].lo &&
	    p < R.ops[k - 1].hi && g1 <= 2 * k - 1)
		return true;
	return false;
}

/*
 * Did a write to page P that succeeded see gen G1 == G2 before and
 * after, with op G1/2 done having made P read-only, the next not
 * begun?  Then it wrote through a PTE that outlived mprotect(): a
 * fault that committed a writable entry after its write section.
 */
static bool wrote_read_only(size_t p, unsigned long g1, unsigned long g2)
{
	const struct op_rec *o = &R.ops[g1 / 2];

	return g1 == g2 && g1 && !(g1 & 1) && (o->flags & OP_RO) &&
	       p >= o->lo && p < o->hi;
}

static void describe(char *buf, size_t len, uint64_t v)
{
	if (!v)
		snprintf(buf, len, "0");
	else
		snprintf(buf, len, "%#llx (page %+lld, seq %llu)",
			 (unsigned long long)v,
			 (long long)((v >> SEQ_BITS) - R.base_index),
			 (unsigned long long)(v & SEQ_MASK));
}

/*
 * The armed accesses: 0, or the SIGSEGV's code.  Kept apart so that
 * nothing the caller holds in registers lives across the siglongjmp.
 * The barriers keep the accesses to W inside the armed window, in
 * order with t_stored.
 */
static noinline int
armed_access(uint64_t *w, int kind, uint64_t tag, uint64_t *out)
{
	if (sigsetjmp(t_jb, 0))
		return READ_ONCE(t_code);
	WRITE_ONCE(t_stored, 0);
	WRITE_ONCE(t_armed, 1);
	barrier();
	if (kind == V_XCHG) {
		*out = __atomic_exchange_n(w, tag, __ATOMIC_SEQ_CST);
	} else if (kind == V_STORE) {
		WRITE_ONCE(*w, tag);
		barrier();
		WRITE_ONCE(t_stored, 1);
		barrier();
		*out = READ_ONCE(*w);	/* only our own tag can be here now */
	} else {
		*out = READ_ONCE(*w);
	}
	barrier();
	WRITE_ONCE(t_armed, 0);
	return 0;
}

/* Index of the first non-zero word from STRIDE on (NW if none), or SEGV. */
static noinline int
armed_scan(uint64_t *w, size_t nw, size_t stride, size_t *bad)
{
	if (sigsetjmp(t_jb, 0))
		return READ_ONCE(t_code);
	WRITE_ONCE(t_armed, 1);
	barrier();
	for (*bad = stride; *bad < nw; *bad += stride)
		if (READ_ONCE(w[*bad]))
			break;
	barrier();
	WRITE_ONCE(t_armed, 0);
	return 0;
}

/* A write that changes nothing: 0, or the SIGSEGV's code. */
static noinline int armed_probe(uint64_t *w)
{
	if (sigsetjmp(t_jb, 0))
		return READ_ONCE(t_code);
	WRITE_ONCE(t_armed, 1);
	barrier();
	__atomic_fetch_add(w, 0, __ATOMIC_SEQ_CST);
	barrier();
	WRITE_ONCE(t_armed, 0);
	return 0;
}

/*
 * The mutator, with pages [LO, HI) read-only since op G/2: each must
 * refuse a write.  One that takes it kept a writable PTE past
 * mprotect(): a fault that committed after the write section.
 */
static void probe_read_only(size_t lo, size_t hi, unsigned long g)
{
	size_t p;

	for (p = lo; p < hi && gen_now() == g; p++) {
		uint64_t *w = (uint64_t *)(R.r + p * R.ps);

		WRITE_ONCE(t_lo, (uintptr_t)w);
		WRITE_ONCE(t_hi, (uintptr_t)w + R.ps);
		if (!armed_probe(w) && gen_now() == g) {
			R.mut_errors++;
			if (!R.mut_msg[0])
				snprintf(R.mut_msg, sizeof(R.mut_msg),
					 "op %lu: page %zu takes a write after mprotect(PROT_READ) of pages %zu-%zu returned",
					 R.nops, p, lo, hi - 1);
			atomic_store(&R.stop, true);
			return;
		}
	}
}

static void check_segv(struct faulter *f, size_t p, int kind, int code,
		       unsigned long g1)
{
	unsigned long g2 = gen_now();

	f->segv++;
	if (!segv_explained(p, g1, g2, code, kind))
		ferr(f, "page %zu: SIGSEGV %s on %s with no op on it (gen %lu..%lu)",
		     p, code == SEGV_MAPERR ? "MAPERR" : "ACCERR",
		     kind != V_READ ? "write" : "read", g1, g2);
}

static const char *kind_name(int kind)
{
	return kind == V_XCHG ? "exchange" : kind == V_STORE ? "store" : "read";
}

static void visit(struct faulter *f, size_t p, int kind)
{
	uint64_t *w = (uint64_t *)(R.r + p * R.ps);
	struct pstate *s = &R.st[p];
	size_t bad, stride, nw = R.ps / sizeof(uint64_t);
	unsigned long g1, g2;
	uint64_t v, base, tag = 0;
	bool maybe, fresh;
	int code;

	WRITE_ONCE(t_lo, (uintptr_t)w);
	WRITE_ONCE(t_hi, (uintptr_t)w + R.ps);
	if (kind != V_READ)
		tag = mktag(p, ++f->seq);
	g1 = gen_now();
	code = armed_access(w, kind, tag, &v);
	if (code) {
		check_segv(f, p, kind, code, g1);
		/* The read-back failed: the store landed. */
		if (READ_ONCE(t_stored))
			*s = (struct pstate){ tag, g1, gen_now() };
		goto out;
	}
	g2 = gen_now();
	if (kind != V_READ && wrote_read_only(p, g1, g2))
		ferr(f, "page %zu: %s succeeded with the page read-only (gen %lu)",
		     p, kind_name(kind), g1);
	/*
	 * A store's read-back sees the tag, or a fill value if an op set
	 * the page in between.  Whether its page may be fresh decides the
	 * scan.
	 */
	fresh = kind == V_STORE && (!s->last ||
		(explained(p, s, g1, g2, 0, &base, &maybe), maybe || !base));
	if (kind == V_STORE)
		*s = (struct pstate){ tag, g1, g2 };
	if (!explained(p, s, g1, g2, v, &base, &maybe)) {
		char seen[64], want[64];

		describe(seen, sizeof(seen), v);
		describe(want, sizeof(want), base);
		ferr(f, "page %zu: %s saw %s, expected %s%s (last event gen %lu..%lu, now %lu..%lu)",
		     p, kind_name(kind), seen, want,
		     maybe ? " or an op's fill" : "", s->slo, s->shi, g1, g2);
	}
	s->last = kind == V_XCHG ? tag : v;
	s->slo = g1;
	s->shi = g2;
	stride = fresh || !v ? 1 : 8;

	/* Nothing ever writes the other words: a fresh page is all zero. */
	g1 = gen_now();
	code = armed_scan(w, nw, stride, &bad);
	if (code)
		check_segv(f, p, V_READ, code, g1);
	else if (bad < nw)
		ferr(f, "page %zu: word %zu is %#llx, not 0 (word 0 was %#llx)",
		     p, bad, (unsigned long long)READ_ONCE(w[bad]),
		     (unsigned long long)v);
out:
	atomic_fetch_add_explicit(&f->visits, 1, memory_order_relaxed);
}

/*
 * The region's pmds are empty anew (R.kgen moved): store first into a
 * page of each, so that the fault is a huge page or a new table, not a
 * read that maps the huge zero page (stock).
 */
static void store_into_each_pmd(struct faulter *f)
{
	size_t span = pmd_bytes() / R.ps, p0, own;
	unsigned long g = atomic_load(&R.kgen);

	if (g == f->kgen)
		return;
	f->kgen = g;
	if (!span || span > R.npages)
		span = R.npages;
	own = span / NF;
	for (p0 = 0; p0 + span <= R.npages; p0 += span)
		visit(f, p0 + f->id + NF * (xrand(&f->rnd) % own), V_STORE);
	WRITE_ONCE(f->kgen_done, g);
}

static void *faulter_main(void *arg)
{
	struct faulter *f = arg;
	size_t nown = R.npages / NF, j, start;

	while (!atomic_load_explicit(&R.stop, memory_order_relaxed)) {
		start = xrand(&f->rnd) % nown;
		for (j = 0; j < nown; j++) {
			size_t p = f->id + NF * ((start + j) % nown);

			visit(f, p, xrand(&f->rnd) % 3);
			if (!(j & 15)) {
				if (atomic_load_explicit(&R.stop,
						memory_order_relaxed))
					break;
				store_into_each_pmd(f);
			}
		}
	}
	return NULL;
}

/* ---- the mutator ---- */

/* Let the faulters make N more visits (bounded wait). */
static void wait_visits(unsigned long n)
{
	unsigned long v0 = total_visits();
	double deadline = now_s() + 0.2;
	int i = 0;

	while (total_visits() - v0 < n) {
		if (!(++i & 63) && now_s() > deadline)
			break;
		sched_yield();
	}
}

static void op_begin_fill(uint32_t flags, size_t lo, size_t hi,
			  uint64_t fill)
{
	R.ops[R.nops + 1] = (struct op_rec){ flags, lo, hi, fill };
	atomic_fetch_add(&R.gen, 1);		/* odd: op nops+1 runs */
}

static void op_begin(uint32_t flags, size_t lo, size_t hi)
{
	op_begin_fill(flags, lo, hi, 0);
}

static void op_end(void)
{
	atomic_fetch_add(&R.gen, 1);
	R.nops++;
}

/*
 * Replace the region with a shared (shmem) mapping whose pages already
 * hold their fill tag: a speculative anonymous page put where the
 * region is no longer anonymous would read as 0.
 */
static void op_replace_shared(void)
{
	uint64_t fill = SEQ_MASK - (R.nops + 1);
	char *sh;
	size_t p;

	sh = mmap(NULL, REGION, PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		mut_err("mmap(MAP_SHARED)");
		return;
	}
	R.shared = true;
	for (p = 0; p < R.npages; p++)
		*(uint64_t *)(sh + p * R.ps) = mktag(p, fill);
	op_begin_fill(OP_SET, 0, R.npages, fill);
	if (mremap(sh, REGION, REGION, MREMAP_MAYMOVE | MREMAP_FIXED,
		   R.r) != R.r)
		mut_err("mremap of the shared mapping over the region");
	op_end();
}

static void random_range(size_t *lo, size_t *hi)
{
	size_t len;

	if (xrand(&R.rnd) % 4 == 0) {
		*lo = 0;
		*hi = R.npages;
		return;
	}
	*lo = xrand(&R.rnd) % R.npages;
	len = 1 + xrand(&R.rnd) % (R.npages / 2);
	*hi = *lo + len > R.npages ? R.npages : *lo + len;
}

static void op_dontneed_range(size_t lo, size_t hi)
{
	op_begin(OP_SET, lo, hi);
	if (madvise(R.r + lo * R.ps, (hi - lo) * R.ps, MADV_DONTNEED))
		mut_err("madvise(MADV_DONTNEED)");
	op_end();
}

static void op_dontneed(void)
{
	size_t lo, hi;

	random_range(&lo, &hi);
	op_dontneed_range(lo, hi);
}

static int map_region(int extra)
{
	char *p = mmap(R.r, REGION, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | extra, -1, 0);

	if (p != R.r) {
		mut_err("mmap of the region");
		return -1;
	}
	R.shared = false;
	if (R.thp ? madvise(R.r, REGION, MADV_HUGEPAGE) :
		    no_thp(R.r, REGION)) {
		mut_err("madvise(MADV_[NO]HUGEPAGE)");
		return -1;
	}
	/* The first store is stock (no anon_vma): the others' pmds next. */
	if (K.cur == SPF_K_THP || K.cur == SPF_K_TABLE)
		atomic_fetch_add(&R.kgen, 1);
	return 0;
}

/*
 * spf_kinds' ->renew, as one op that zeroes the region: mapped anew
 * over itself, given its anon_vma by populating its first page (a huge
 * page where THP can be had, THP on for the moment even for a table),
 * which MADV_DONTNEED then zaps, so its pmd is empty again; then THP as
 * asked.  Every first store into the region can then be speculative: a
 * huge page with THP on, a new PTE table with it off.
 */
static int renew_region(struct spf_kinds *k, bool thp)
{
	int ret = -1;

	op_begin(OP_SET, 0, R.npages);
	if (mmap(R.r, REGION, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != R.r)
		goto out;
	R.shared = false;
	madvise(R.r, REGION, MADV_HUGEPAGE);	/* EINVAL: no THP */
	if (madvise(R.r, R.ps, MADV_POPULATE_WRITE) ||
	    madvise(R.r, REGION, MADV_DONTNEED))
		goto out;
	R.thp = thp;
	ret = thp ? 0 : no_thp(R.r, REGION);
out:
	op_end();
	atomic_fetch_add(&R.kgen, 1);
	return ret;
}

/*
 * Every kinds_every seconds, between two ops: the next kind's set-up
 * (spf_kinds_step()).  The faulters run on: the set-up that zeroes
 * the region is an op of its own (renew_region()); forking or letting
 * go the holder, paging out and reading back leave the data as it was.
 */
static void kinds_round(void)
{
	unsigned long gen = K.gen;
	char err[256];
	int next, kind, i;
	double until;

	if (!K.have || now_s() < R.kinds_next)
		return;
	R.kinds_next = now_s() + R.kinds_every;
	next = spf_kinds_next(&K);
	/* A holder of a shmem replacement would see the parent's stores. */
	if (R.shared && next != SPF_K_THP && next != SPF_K_TABLE) {
		op_begin(OP_SET, 0, R.npages);
		map_region(MAP_FIXED);
		op_end();
	}
	/* munmap and MAP_FIXED leave nothing: let the faulters refill. */
	if ((R.c == C_MUNMAP || R.c == C_MAP_FIXED) &&
	    (next == SPF_K_WP_COPY || next == SPF_K_SWAP))
		wait_visits(R.npages / 2);
	kind = spf_kinds_step(&K, err, sizeof(err));
	if (kind < 0) {
		mut_err_msg(err);
		return;
	}
	if (kind != SPF_K_THP && R.thp) {
		R.thp = false;
		if (no_thp(R.r, REGION))
			mut_err("madvise(MADV_NOHUGEPAGE)");
	}
	/*
	 * A huge page takes long to clear: the next op nearly always
	 * lands on its fault and aborts it.  Every other time let the
	 * first stores finish (up to 50 ms), so that some are speculative.
	 */
	if (K.gen == gen || !(K.steps[K.cur] & 1))
		return;
	until = now_s() + 0.05;
	for (i = 0; i < NF && now_s() < until; i++)
		while (READ_ONCE(R.f[i].kgen_done) != atomic_load(&R.kgen) &&
		       now_s() < until)
			usleep(100);
}

/* Fork case, in the child: the snapshot is consistent and stays put. */
static int fork_child(void)
{
	size_t p, i, nw = R.ps / sizeof(uint64_t);
	uint64_t *snap, v;

	snap = mmap(NULL, R.npages * sizeof(*snap), PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (snap == MAP_FAILED)
		return 2;
	for (p = 0; p < R.npages; p++) {
		const uint64_t *w = (const uint64_t *)(R.r + p * R.ps);

		v = snap[p] = w[0];
		if (v && (v >> SEQ_BITS) != R.base_index + p) {
			snprintf(R.rep->msg, sizeof(R.rep->msg),
				 "child: page %zu holds %#llx, a tag of page %+lld",
				 p, (unsigned long long)v,
				 (long long)((v >> SEQ_BITS) - R.base_index));
			return 1;
		}
		if ((v & SEQ_MASK) > R.rep->maxseq[p % NF])
			R.rep->maxseq[p % NF] = v & SEQ_MASK;
		for (i = 1; i < nw; i++)
			if (w[i]) {
				snprintf(R.rep->msg, sizeof(R.rep->msg),
					 "child: page %zu word %zu is %#llx",
					 p, i, (unsigned long long)w[i]);
				return 1;
			}
	}
	/* The parent goes on writing: none of it may show here. */
	usleep(2000);
	for (p = 0; p < R.npages; p++) {
		v = *(const uint64_t *)(R.r + p * R.ps);
		if (v != snap[p]) {
			snprintf(R.rep->msg, sizeof(R.rep->msg),
				 "child: page %zu changed from %#llx to %#llx after fork",
				 p, (unsigned long long)snap[p],
				 (unsigned long long)v);
			return 1;
		}
	}
	return 0;
}

static void check_child(pid_t pid)
{
	int status, i;

	if (pid < 0) {
		mut_err("fork");
		return;
	}
	if (waitpid(pid, &status, 0) != pid) {
		mut_err("waitpid");
		return;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		for (i = 0; i < NF; i++)
			if (R.rep->maxseq[i] > __atomic_load_n(&R.f[i].seq,
							      __ATOMIC_SEQ_CST)) {
				snprintf(R.rep->msg, sizeof(R.rep->msg),
					 "child saw seq %llu of faulter %d, which is at %llu",
					 (unsigned long long)R.rep->maxseq[i], i,
					 (unsigned long long)R.f[i].seq);
				break;
			}
		if (i == NF)
			return;
	}
	R.mut_errors++;
	if (!R.mut_msg[0])
		snprintf(R.mut_msg, sizeof(R.mut_msg),
			 "child %d (op %lu): %s %d: %s", pid, R.nops,
			 WIFSIGNALED(status) ? "killed by signal" : "status",
			 WIFSIGNALED(status) ? WTERMSIG(status) :
			 WEXITSTATUS(status), R.rep->msg);
	atomic_store(&R.stop, true);
}

static void clear_report(void)
{
	memset(R.rep, 0, sizeof(*R.rep));
}

/* One op of case C, then a random pause. */
static void mutate(void)
{
	unsigned int pause = 16 + xrand(&R.rnd) % (R.npages / 2);
	size_t lo, hi;
	pid_t pid;

	/* Ops that keep pages and tables: give the faulters holes. */
	if (R.c == C_MREMAP_MOVE || R.c == C_MREMAP_GROW ||
	    R.c == C_MPROTECT || R.c == C_FORK) {
		op_dontneed();
		wait_visits(xrand(&R.rnd) % 128);
	}

	switch (R.c) {
	case C_MUNMAP:
		op_begin(OP_SET | OP_MAPERR, 0, R.npages);
		if (munmap(R.r, REGION))
			mut_err("munmap");
		wait_visits(xrand(&R.rnd) % 64);
		map_region(MAP_FIXED_NOREPLACE);
		op_end();
		break;
	case C_MAP_FIXED:
		if (xrand(&R.rnd) % 3 == 0) {
			op_replace_shared();
			break;
		}
		op_begin(OP_SET, 0, R.npages);
		map_region(MAP_FIXED);
		op_end();
		break;
	case C_MREMAP_MOVE:
		op_begin(OP_MAPERR, 0, R.npages);
		if (mremap(R.r, REGION, REGION, MREMAP_MAYMOVE | MREMAP_FIXED,
			   R.t) != R.t)
			mut_err("mremap away");
		wait_visits(xrand(&R.rnd) % 64);
		if (mremap(R.t, REGION, REGION, MREMAP_MAYMOVE | MREMAP_FIXED,
			   R.r) != R.r)
			mut_err("mremap back");
		op_end();
		break;
	case C_MREMAP_GROW:
		op_begin(OP_SET | OP_MAPERR, R.npages / 2, R.npages);
		if (mremap(R.r, REGION, REGION / 2, 0) != R.r)
			mut_err("mremap shrink");
		wait_visits(xrand(&R.rnd) % 64);
		if (mremap(R.r, REGION / 2, REGION, 0) != R.r)
			mut_err("mremap grow in place");
		op_end();
		break;
	case C_MPROTECT:
		random_range(&lo, &hi);
		/* Two ops: between them every write must fail. */
		op_begin(OP_ACCERR | OP_RO, lo, hi);
		if (mprotect(R.r + lo * R.ps, (hi - lo) * R.ps, PROT_READ))
			mut_err("mprotect(PROT_READ)");
		op_end();
		probe_read_only(lo, hi, gen_now());
		wait_visits(1 + xrand(&R.rnd) % 64);
		op_begin(OP_ACCERR, lo, hi);
		if (mprotect(R.r + lo * R.ps, (hi - lo) * R.ps,
			     PROT_READ | PROT_WRITE))
			mut_err("mprotect(PROT_READ|PROT_WRITE)");
		op_end();
		break;
	case C_DONTNEED:
		op_dontneed();
		break;
	case C_FORK:
		clear_report();
		op_begin(0, 0, 0);
		pid = fork();
		if (pid == 0)
			_exit(fork_child());
		op_end();
		R.forks++;
		check_child(pid);
		break;
	}
	kinds_round();
	wait_visits(pause);
}

/*
 * Exit case: the test process alone prepares the region (a DONTNEED
 * hole, then a visit to half the pages), forks a child whose threads
 * fault and check the inherited region while its main thread exits
 * under them, then checks its own copy is exactly as it left it.
 */
static int exit_child(void)
{
	int i;

	for (i = 0; i < NF; i++)
		if (pthread_create(&R.f[i].thread, NULL, faulter_main, &R.f[i]))
			return 2;
	wait_visits(xrand(&R.rnd) % 256);
	if (xrand(&R.rnd) % 2) {
		op_dontneed();
		wait_visits(xrand(&R.rnd) % 256);
	}
	return 0;	/* exit_group() with the faulters running */
}

/*
 * Each round also sets up the next kind (spf_kinds.h, ->own_child): the
 * region mapped anew (the child's first stores: huge pages or new
 * tables), the pages shared with the child (its stores copy), or
 * dropped by the parent just after the fork (its stores reuse), or a
 * quarter paged out and read back (its touches hit the swap cache).
 */
static void exit_round(void)
{
	char err[256];
	size_t p;
	pid_t pid;
	int kind = SPF_K_NR;

	op_dontneed();
	for (p = 0; p < R.npages; p++)
		if (xrand(&R.rnd) % 2)
			visit(&R.f[p % NF], p, xrand(&R.rnd) % 3);
	if (K.have) {
		kind = spf_kinds_step(&K, err, sizeof(err));
		if (kind < 0) {
			mut_err_msg(err);
			return;
		}
	}
	clear_report();
	pid = fork();
	if (pid == 0)
		_exit(exit_child());
	if (kind == SPF_K_WP_REUSE)
		op_dontneed_range(0, R.npages);
	if (R.thp) {
		R.thp = false;
		if (no_thp(R.r, REGION))
			mut_err("madvise(MADV_NOHUGEPAGE)");
	}
	R.forks++;
	check_child(pid);
	for (p = 0; p < R.npages; p++)
		visit(&R.f[p % NF], p, V_READ);
}

/* ---- one case, start to end ---- */

#define NR_COUNTERS 25
#define FIRST_ABORT 10		/* after fault_hook and the nine spec_* */
static const char *const counter_names[NR_COUNTERS] = {
	"fault_hook", "spec_read", "spec_write",
	"spec_wp_reuse", "spec_wp_copy", "spec_wp_zero", "spec_file",
	"spec_thp", "spec_swap", "spec_file_write",
	"abort_seq_odd", "abort_seq_changed", "abort_no_vma",
	"abort_not_anon", "abort_no_anon_vma", "abort_access",
	"abort_pgtable", "abort_pte", "abort_ptl", "abort_uffd",
	"abort_alloc", "abort_pagecache", "abort_swapcache", "abort_other",
	"stock",
};

/*
 * All counters from one read of "stats", so that no fault of ours falls
 * between two of them; the first call warms the pages it uses.
 */
static void read_counters(long *c)
{
	static char buf[4096];
	const char *l;
	size_t n;
	int i, pass;

	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < NR_COUNTERS; i++)
			c[i] = -1;
		if (spf_read_file(SPF_DEBUGFS "/stats", buf, sizeof(buf)))
			return;
	}
	for (l = buf; *l; l += strcspn(l, "\n") + (l[strcspn(l, "\n")] != 0)) {
		for (i = 0; i < NR_COUNTERS; i++) {
			n = strlen(counter_names[i]);
			if (!strncmp(l, counter_names[i], n) && l[n] == ' ')
				c[i] = strtol(l + n + 1, NULL, 10);
		}
	}
}

struct result {
	double secs;
	unsigned long nops, forks, visits, segv;
	long delta[NR_COUNTERS];
	bool counters;
	unsigned int unseen;		/* claimed kinds never speculative */
	char kinds[512];
};

static int region_setup(int c, bool kinds)
{
	size_t i;
	char *a;
	bool thp;

	memset(&R, 0, sizeof(R));
	memset(&K, 0, sizeof(K));
	R.c = c;
	R.ps = page_size();
	R.npages = REGION / R.ps;
	R.owner = getpid();
	R.rnd = 0x9e3779b9u ^ (unsigned int)c;
	R.resv_len = 6 * REGION;
	/* [pad | guard | region | guard | mremap target | guard] */
	R.resv = mmap(NULL, R.resv_len, PROT_NONE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (R.resv == MAP_FAILED)
		return -1;
	a = (char *)(((uintptr_t)R.resv + PMD_SPAN - 1) & ~(PMD_SPAN - 1));
	R.r = a + REGION;
	R.t = a + 3 * REGION;
	R.base_index = (uintptr_t)R.r / R.ps;
	if (map_region(MAP_FIXED))
		return -1;
	R.ops = calloc(MAX_OPS + 2, sizeof(*R.ops));
	R.st = calloc(R.npages, sizeof(*R.st));
	R.rep = mmap(NULL, sizeof(*R.rep), PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (!R.ops || !R.st || R.rep == MAP_FAILED)
		return -1;
	for (i = 0; i < NF; i++) {
		R.f[i].id = i;
		R.f[i].rnd = 0x2545f491u * (i + 1) + c;
	}
	/* THP off for the process unless a kind needs it. */
	thp = kinds && (case_kinds[c] & SPF_K(SPF_K_THP));
	if (prctl(PR_SET_THP_DISABLE, !thp, 0, 0, 0))
		return -1;
	if (kinds) {
		K.renew = renew_region;
		K.own_child = c == C_EXIT;
		/* The faulters run on: out and back in 64 pages at a time. */
		K.swap_piece = c == C_EXIT ? 0 : 64 * R.ps;
		spf_kinds_init(&K, R.r, REGION, case_kinds[c],
			       (case_kinds[c] & SPF_K(SPF_K_SWAP)) &&
			       !swap_on());
	}
	return install_segv_handler();
}

static void region_teardown(void)
{
	munmap(R.resv, R.resv_len);
	munmap(R.rep, sizeof(*R.rep));
	free(R.ops);
	free(R.st);
}

/* One more round of case C. */
static void round_once(int c)
{
	if (c == C_EXIT)
		exit_round();
	else
		mutate();
}

static bool go_on(double end)
{
	return now_s() < end && !atomic_load(&R.stop) && R.nops < MAX_OPS - 8;
}

/*
 * KINDS: the case's other kinds too; and with CLAIM, it runs on, up to
 * four times as long, until a fault of each was speculative.
 */
static void run_case(struct __test_metadata *_metadata, int c, double secs,
		     bool kinds, bool claim, struct result *res)
{
	long before[NR_COUNTERS], after[NR_COUNTERS];
	char err[256];
	double t0, end;
	int i;

	memset(res, 0, sizeof(*res));
	ASSERT_EQ(0, region_setup(c, kinds));
	read_counters(before);
	t0 = now_s();
	end = t0 + secs;
	/* Each kind twice or so in the case's time. */
	R.kinds_every = secs / 10;
	R.kinds_next = t0 + R.kinds_every;

	for (i = 0; c != C_EXIT && i < NF; i++)
		ASSERT_EQ(0, pthread_create(&R.f[i].thread, NULL,
					    faulter_main, &R.f[i]));
	while (go_on(end))
		round_once(c);
	end += 3 * secs;
	while (claim && go_on(end) && spf_kinds_unseen(&K))
		round_once(c);
	atomic_store(&R.stop, true);
	for (i = 0; c != C_EXIT && i < NF; i++)
		pthread_join(R.f[i].thread, NULL);
	if (spf_kinds_release(&K, err, sizeof(err)))
		mut_err_msg(err);
	res->secs = now_s() - t0;
	read_counters(after);

	res->counters = true;
	for (i = 0; i < NR_COUNTERS; i++)
		if (before[i] < 0 || after[i] < 0)
			res->counters = false;
	for (i = 0; i < NR_COUNTERS; i++)
		res->delta[i] = after[i] - before[i];
	res->nops = R.nops;
	res->forks = R.forks;
	res->visits = total_visits();
	res->unseen = claim && !R.mut_errors ? spf_kinds_unseen(&K) : 0;
	snprintf(res->kinds, sizeof(res->kinds), "%s", spf_kinds_str(&K));
	for (i = 0; i < NF; i++) {
		res->segv += R.f[i].segv;
		EXPECT_EQ(0UL, R.f[i].errors) {
			TH_LOG("%s: faulter %d: %lu errors: %s", case_names[c],
			       i, R.f[i].errors, R.f[i].msg);
		}
	}
	EXPECT_EQ(0UL, R.mut_errors) {
		TH_LOG("%s: %s", case_names[c], R.mut_msg);
	}
	region_teardown();
}

static void report(struct __test_metadata *_metadata, int c,
		   const struct result *res)
{
	char aborts[512] = "";
	size_t len = 0;
	int i;

	if (res->counters)
		for (i = FIRST_ABORT; i < NR_COUNTERS - 1; i++)
			if (res->delta[i])
				len += snprintf(aborts + len, sizeof(aborts) - len,
						" %s=%ld", counter_names[i] + 6,
						res->delta[i]);
	if (!len)
		strcpy(aborts, " none");
	TH_LOG("%s: %.1f s, %lu ops, %lu forks, %lu visits, %lu SIGSEGVs",
	       case_names[c], res->secs, res->nops, res->forks, res->visits,
	       res->segv);
	if (res->counters)
		TH_LOG("%s: faults %ld: spec_read %ld spec_write %ld spec_wp reuse/copy/zero %ld/%ld/%ld stock %ld; aborts:%s",
		       case_names[c], res->delta[0], res->delta[1],
		       res->delta[2], res->delta[3], res->delta[4],
		       res->delta[5], res->delta[NR_COUNTERS - 1], aborts);
}


/* With spf loaded: the checks hold and the speculative path ran. */
static void race_loaded(struct __test_metadata *_metadata, int c)
{
	struct result res;
	long outcomes = 0, tables;
	char us[16];
	int i;

	if (!spf_loaded())
		return;		/* the fixture skipped */
	/*
	 * Widen the windows between walk and commit: a first touch's, a
	 * new PTE table's or huge page's count check and its publication,
	 * which free_pgtables() must not enter; a swap-cache folio's
	 * reference and its lock; a write-protect fault's walk and its PTE
	 * lock.
	 */
	snprintf(us, sizeof(us), "%.0f", env_secs("SPF_RACE_DELAY_US", 30));
	spf_write_file(SPF_DEBUGFS "/inject_commit_delay_us", us);
	spf_kinds_knobs(us);
	tables = spf_stat("pte_tables");
	run_case(_metadata, c, env_secs("SPF_RACE_SECS", 5), true, true,
		 &res);
	tables = spf_stat("pte_tables") - tables;
	spf_write_file(SPF_DEBUGFS "/inject_commit_delay_us", "0");
	spf_kinds_knobs("0");
	report(_metadata, c, &res);
	TH_LOG("%s: %ld PTE tables added by speculative faults",
	       case_names[c], tables);
	if (case_kinds[c])
		TH_LOG("%s: kinds:%s", case_names[c], res.kinds);
	EXPECT_EQ(0U, res.unseen) {
		TH_LOG("%s: no speculative fault of:%s", case_names[c],
		       spf_kinds_names(res.unseen));
	}
	/* munmap frees the region's tables: refaults need new ones. */
	if (c == C_MUNMAP)
		EXPECT_LT(0, tables);
	/* An exit op forks a threaded child: few fit on a debug kernel. */
	EXPECT_LE(c == C_EXIT ? 5UL : 10UL, res.nops);
	ASSERT_TRUE(res.counters) {
		TH_LOG("the module lacks one of the spec_* counters");
	}
	for (i = 1; i < FIRST_ABORT; i++)
		outcomes += res.delta[i];
	EXPECT_LT(0, outcomes) {
		TH_LOG("%s: no fault was handled speculatively", case_names[c]);
	}
	/* Writes after a fork are write-protect faults: spf took some. */
	if (c == C_FORK || c == C_EXIT)
		EXPECT_LT(0, res.delta[3] + res.delta[4]) {
			TH_LOG("%s: no copy-on-write or reuse was speculative",
			       case_names[c]);
		}
	for (i = FIRST_ABORT; i < NR_COUNTERS - 1; i++)
		outcomes += res.delta[i];
	EXPECT_EQ(res.delta[0], outcomes) {
		TH_LOG("fault_hook moved by %ld, spec + aborts by %ld",
		       res.delta[0], outcomes);
	}
}

FIXTURE(race) {
};

FIXTURE_SETUP(race)
{
	spf_fixture_load(_metadata);
}

FIXTURE_TEARDOWN(race)
{
	spf_write_file(SPF_DEBUGFS "/inject_commit_delay_us", "0");
	spf_kinds_knobs("0");
	spf_fixture_unload(_metadata);
}

TEST_F_TIMEOUT(race, munmap_remap, 120)
{
	race_loaded(_metadata, C_MUNMAP);
}

TEST_F_TIMEOUT(race, map_fixed, 120)
{
	race_loaded(_metadata, C_MAP_FIXED);
}

TEST_F_TIMEOUT(race, mremap_move, 120)
{
	race_loaded(_metadata, C_MREMAP_MOVE);
}

TEST_F_TIMEOUT(race, mremap_grow, 120)
{
	race_loaded(_metadata, C_MREMAP_GROW);
}

TEST_F_TIMEOUT(race, mprotect, 120)
{
	race_loaded(_metadata, C_MPROTECT);
}

TEST_F_TIMEOUT(race, dontneed, 120)
{
	race_loaded(_metadata, C_DONTNEED);
}

TEST_F_TIMEOUT(race, fork, 120)
{
	race_loaded(_metadata, C_FORK);
}

TEST_F_TIMEOUT(race, exit, 120)
{
	race_loaded(_metadata, C_EXIT);
}

#include "spf_fixture_stock.h"

/* Every case, briefly, with spf unloaded: the checks hold on stock. */
TEST_F_TIMEOUT(stock, sanity, 180)
{
	struct result res;
	int c;

	for (c = 0; c < NR_CASES; c++) {
		run_case(_metadata, c, env_secs("SPF_RACE_STOCK_SECS", 1),
			 true, false, &res);
		report(_metadata, c, &res);
		EXPECT_LT(0UL, res.nops);
	}
}

TEST_HARNESS_MAIN
