// SPDX-License-Identifier: GPL-2.0
/*
 * Data-integrity torture: several processes, each with threads that
 * write and check patterns across their pages while other threads
 * remap, protect, unmap and fork, and while whole processes exit and
 * are replaced, for a bounded time.  Every lost or corrupted write is
 * counted (the test fails on any), as is every fault spf took
 * speculatively (there must be some when it is loaded).
 *
 * The run.  The test process is a supervisor: it keeps P worker
 * processes alive (SPF_TORTURE_PROCS, default 4), each living 0.5 to
 * 3 s; one in four is SIGKILLed at a random moment, the others end by
 * themselves, and every one that ends is reaped and replaced until the
 * time is up (SPF_TORTURE_SECS, default 20, with spf loaded;
 * SPF_TORTURE_STOCK_SECS, default 4, unloaded;
 * SPF_TORTURE_SELFTEST_SECS, default 3, for the self-test below;
 * SPF_TORTURE_SEED picks the random sequence, printed otherwise).  A
 * worker maps three regions (512, 256 and 128 pages, each PMD aligned,
 * between PROT_NONE guards, THP off), and runs W writers
 * (SPF_TORTURE_WRITERS, default 3) and two mutators.  At its end the
 * worker stops the mutators, parks the writers between two visits,
 * checks every page once more, then either joins the writers and
 * exits, or exits (exit_group) while they fault.
 *
 * Writers.  Page p belongs to writer p % W, the only thread that ever
 * stores to it.  Writing sequence number s to p stores, in ascending
 * order, word i = H(p, w, s) ^ (i * golden) with H = vpn << 28 |
 * w << 24 | (s mod 2^24): the value names the page's address, the
 * writer, the write and the word, so a lost write (stale value), a
 * page mapped at the wrong address, a foreign writer and a zero where
 * data belongs are all told apart.  Sequence number 0 stands for the
 * fresh page (all words 0).  A visit checks every word against the
 * page's last write before writing the next one; half the visits, at
 * random, first store one word of the new write, so that a page zapped
 * meanwhile takes a first-touch *write* fault (spf's spec_write; a
 * check first would map the zero page instead).
 *
 * Mutator A (on the regions; every op is logged as in spf_race_test:
 * op k publishes its page range and what it may do, moves gen to 2k-1,
 * runs, moves gen to 2k):
 *   keep data:  mremap of a whole region away and back (accesses may
 *               get SEGV_MAPERR meanwhile), mprotect PROT_READ of a
 *               sub-range and back (writes may get SEGV_ACCERR), fork
 *               of a child that checks its copy and exits;
 *   zero data:  MADV_DONTNEED of a sub-range, mmap(MAP_FIXED) over a
 *               sub-range, munmap of a sub-range and mmap back (accesses
 *               may get SEGV_MAPERR in between).  Sub-ranges are often
 *               a whole region; the first region is exactly one PMD, so
 *               its PTE table is freed and moved as a whole.
 * Before each op that may split a region, mutator A makes sure the
 * region has an anon_vma (MADV_POPULATE_WRITE of its first page, which
 * changes no data): a VMA split while it has none, then write-faulted
 * on both sides, gets two anon_vmas and never merges back, and mremap
 * of the whole region fails with EFAULT (seen twice in one run on RT
 * before this was added; the same sequence does it on stock unloaded).
 * Mutator B creates short-lived threads (on fresh stacks) that fill,
 * read and check scratch pages of their own, then exit.
 *
 * Why each check is sound.
 * - Contents.  Only the owner stores to p, in program order, so what
 *   p may hold is decided by the owner's writes and by the zeroing
 *   ops.  The writer keeps per page the newest write begun (seq), the
 *   oldest one whose words may remain (lo: seq, or seq - 1 while a
 *   write is interrupted by a SIGSEGV and retried) and the gen read
 *   when the write of lo began (zstart).  Every word must equal the
 *   word of lo or of seq, or be 0 if a zeroing op k on p began after
 *   zstart was read (2k-1 >= zstart) and no later than the check's end
 *   (gen read after the check): an op that had ended before the write
 *   began cannot touch the words written later, and one that began
 *   after the check cannot be seen by it.  Data-keeping ops change no
 *   word.  So any other value is a lost, stale, misplaced or corrupted
 *   write, counted by kind.
 * - SIGSEGV.  Explained only if its address is in the page being
 *   accessed and an op on that page that may raise that code (ACCERR
 *   only on a store) overlapped the attempt: gen read before the
 *   attempt and after the signal.  The writer then waits for the op to
 *   end and repeats the visit; an interrupted write is written again in
 *   full.  Anything else is an error, and a SIGSEGV outside an armed
 *   access kills the worker, which the supervisor counts.
 * - Fork.  The child's copy is taken page by page while the writers
 *   run, so it cannot be checked against the gen log.  Instead: every
 *   word is 0 or a word of this page's address and owner; within a
 *   page at most two consecutive sequence numbers (a write rewrites the
 *   page in ascending order, interrupted only by the snapshot); none
 *   newer than the writer's seq in the parent, checked after the child
 *   exits; nothing changes in the child after fork returned, while the
 *   parent goes on writing; and what the child writes (writer id 15)
 *   never shows in the parent, whose checks would flag it.
 * - Holes.  A region moved away or a sub-range unmapped leaves a hole
 *   that an mmap(NULL) of another thread could fill, and which the
 *   mutator would then map over.  So every such window and every
 *   mmap(NULL) of a worker after start-up (mutator B's stacks, scratch
 *   pages and pthread_create's allocations) hold one mutex; the
 *   writers never map anything.  THP is turned off with
 *   PR_SET_THP_DISABLE rather than MADV_NOHUGEPAGE: a re-mapped
 *   sub-range would lack VM_NOHUGEPAGE, could get an anon_vma of its
 *   own before the madvise, and stay a separate VMA that mremap of the
 *   whole region refuses.
 * - Counters.  With spf loaded, spec_read + spec_write must have moved,
 *   and once every process is reaped fault_hook must equal spec_read +
 *   spec_write + every abort_* (re-read a few times: the guest's shell
 *   may be mid-fault).
 *
 * The checker can fail.  stock.selftest runs a short torture with
 * faults injected and passes only if each kind is reported: mutator A
 * zaps a page with MADV_DONTNEED without logging it ("lost"), writers
 * leave one word out of some writes over an older one ("stale"), and
 * mutator A stores a word naming the next page ("wrong_address"); the
 * run goes on past its time (10 times at most) until each was seen.
 * During development four more breakages were built by hand into one
 * binary, and each was reported in its own class, with spf (3 s) and
 * on stock (4 s; figures for stock): the DONTNEED op logged without
 * its zeroing flag (4004 "lost"), the mremap op logged without MAPERR
 * (7 "unexplained_segv"), a word of the child's writer id stored in
 * the parent after each fork, as a COW leak would (15
 * "wrong_writer"), and a word of the child's copy changed between its
 * two looks (17 "fork_child").
 *
 * Costs: under TCG the default run takes about 35 s (20 + 4 + 3 s of
 * torture plus start and end); make soak runs SPF_TORTURE_SECS=120.
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
#include "spf_segv.h"
#include "spf_fixture.h"

#define MAX_PROCS	16
#define MAX_WRITERS	14
#define CHILD_WID	15	/* the writer id a fork child writes with */
#define NR_REGIONS	3
#define MAX_OPS		(1 << 16)
#define SEQ_MASK	0xffffffULL
#define GOLDEN		0x9e3779b97f4a7c15ULL
#define NR_MSGS		8
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
#define MSG_LEN		768
#define HUNG_SECS	90	/* a worker this late past its end hangs */

static const size_t region_pages[NR_REGIONS] = { 512, 256, 128 };

/* What a check or a worker can find wrong. */
enum err {
	E_LOST, E_STALE, E_FUTURE, E_WRONG_ADDR, E_WRONG_WRITER,
	E_SEGV, E_CHILD, E_SCRATCH, E_DIED, E_MUTATOR, NR_ERRS
};

static const char *const err_names[NR_ERRS] = {
	"lost", "stale", "future", "wrong_address", "wrong_writer",
	"unexplained_segv", "fork_child", "scratch", "died", "mutator",
};

enum optype {
	OP_DONTNEED, OP_MAP_FIXED, OP_MUNMAP_REMAP, OP_MREMAP_MOVE,
	OP_MPROTECT, OP_FORK, OP_THREAD, NR_OPTYPES
};

static const char *const op_names[NR_OPTYPES] = {
	"dontneed", "map_fixed", "munmap_remap", "mremap_move",
	"mprotect", "fork", "thread",
};

static const char *name_of(const char *const *names, int n, int i)
{
	return i >= 0 && i < n ? names[i] : "?";
}

/* Everything the processes report, in a MAP_SHARED page. */
struct shared {
	atomic_bool stop;
	atomic_ulong visits, checks, final_checks, words, retries, segv_ok;
	atomic_ulong zero_ok;		/* checks that met a legitimate zero */
	atomic_ulong err[NR_ERRS];
	atomic_ulong ops[NR_OPTYPES];
	atomic_ulong workers, killed, exit_running, exit_joined;
	atomic_ulong children, scratch_pages, injected;
	atomic_int nmsg;
	char msg[NR_MSGS][MSG_LEN];
};

static struct shared *S;

/* ---- one worker process ---- */

#define F_ZERO		1	/* the pages' contents may become 0 */
#define F_MAPERR	2	/* accesses may get SEGV_MAPERR meanwhile */
#define F_ACCERR	4	/* stores may get SEGV_ACCERR meanwhile */

struct op_rec {
	uint16_t flags, type;
	uint32_t lo, hi;	/* global page indexes */
};

struct page_state {
	uint64_t seq;		/* newest write begun */
	uint64_t lo;		/* oldest write some word may hold */
	unsigned long zstart;	/* gen read when the write of lo began */
};

struct region {
	char *raw, *home, *target;
	size_t rawlen, first, n;	/* n pages from global page first */
};

struct writer {
	pthread_t th;
	int wid;
	unsigned int rnd;
};

/* A fork child's verdict, MAP_SHARED. */
struct child_rep {
	int bad;
	char msg[MSG_LEN];
	uint32_t max[];		/* per page: newest seq seen + 1, 0 if none */
};

struct worker {
	unsigned int rnd;
	size_t ps, nw, npages;
	int nwriters;
	bool inject;
	struct region reg[NR_REGIONS];
	struct page_state *st;
	struct op_rec *ops;
	atomic_ulong gen;
	unsigned long nops;
	atomic_bool stop_mut, park, stop_writers;
	atomic_int parked;
	pthread_mutex_t layout;
	pthread_t mut_a, mut_b;
	struct child_rep *rep;
	size_t rep_len;
	uint64_t *hash;
	struct writer wr[MAX_WRITERS];
};

static struct worker Wk;

[[gnu::format(printf, 2, 3)]]
static void fail(int cls, const char *fmt, ...);

/* Count an error of class CLS; keep the first NR_MSGS messages. */
static void fail(int cls, const char *fmt, ...)
{
	va_list ap;
	int i;

	atomic_fetch_add(&S->err[cls], 1);
	i = atomic_fetch_add(&S->nmsg, 1);
	if (i >= NR_MSGS)
		return;
	va_start(ap, fmt);
	vsnprintf(S->msg[i], MSG_LEN, fmt, ap);
	va_end(ap);
}

static void add(atomic_ulong *c, unsigned long n)
{
	atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

static unsigned long get(atomic_ulong *c)
{
	return atomic_load(c);
}



static unsigned long gen_now(void)
{
	return atomic_load(&Wk.gen);
}

static int region_of(size_t p)
{
	int r = NR_REGIONS - 1;

	while (r > 0 && p < Wk.reg[r].first)
		r--;
	return r;
}

static uint64_t *page_addr(size_t p)
{
	const struct region *rg = &Wk.reg[region_of(p)];

	return (uint64_t *)(rg->home + (p - rg->first) * Wk.ps);
}

static uint64_t vpn_of(size_t p)
{
	return (uintptr_t)page_addr(p) / Wk.ps;
}

/* H of write SEQ of page P by writer WID; 0 (all words 0) for seq 0. */
static uint64_t hval(size_t p, unsigned int wid, uint64_t seq)
{
	if (!seq)
		return 0;
	return vpn_of(p) << 28 | (uint64_t)wid << 24 | (seq & SEQ_MASK);
}

static uint64_t word(uint64_t h, size_t i)
{
	return h ? h ^ (i * GOLDEN) : 0;
}

/* ---- SIGSEGV while an access is armed: spf_segv.h ---- */

static void arm_page(const uint64_t *pg)
{
	WRITE_ONCE(t_lo, (uintptr_t)pg);
	WRITE_ONCE(t_hi, (uintptr_t)pg + Wk.ps);
}

/*
 * The armed accesses return 0, or the SIGSEGV's code; nothing they
 * hold in registers is used after the siglongjmp.
 */
static noinline int armed_store(uint64_t *w, uint64_t v)
{
	if (sigsetjmp(t_jb, 0))
		return READ_ONCE(t_code);
	WRITE_ONCE(t_armed, 1);
	barrier();
	WRITE_ONCE(*w, v);
	barrier();
	WRITE_ONCE(t_armed, 0);
	return 0;
}

/* Write H's words to the page in ascending order, but word SKIP. */
static noinline int armed_write(uint64_t *pg, uint64_t h, size_t skip)
{
	size_t i;

	if (sigsetjmp(t_jb, 0))
		return READ_ONCE(t_code);
	WRITE_ONCE(t_armed, 1);
	barrier();
	for (i = 0; i < Wk.nw; i++)
		if (i != skip)
			WRITE_ONCE(pg[i], word(h, i));
	barrier();
	WRITE_ONCE(t_armed, 0);
	return 0;
}

struct scan {
	size_t nzero, nbad, zero_at, bad_at;
	uint64_t bad_v;
};

/* Every word against the words of HA and HB; zeros counted apart. */
static noinline int armed_check(const uint64_t *pg, uint64_t ha,
				uint64_t hb, struct scan *r)
{
	uint64_t v;
	size_t i;

	if (sigsetjmp(t_jb, 0))
		return READ_ONCE(t_code);
	memset(r, 0, sizeof(*r));
	WRITE_ONCE(t_armed, 1);
	barrier();
	for (i = 0; i < Wk.nw; i++) {
		v = READ_ONCE(pg[i]);
		if (v == word(ha, i) || v == word(hb, i))
			continue;
		if (!v) {
			if (!r->nzero++)
				r->zero_at = i;
		} else if (!r->nbad++) {
			r->bad_at = i;
			r->bad_v = v;
		}
	}
	barrier();
	WRITE_ONCE(t_armed, 0);
	return 0;
}

/* ---- the checks' reasoning over the op log ---- */

/* Did a zeroing op on P begin in gen [from, to]? */
static bool zero_allowed(size_t p, unsigned long from, unsigned long to)
{
	unsigned long k;

	for (k = (from + 2) / 2; k <= (to + 1) / 2; k++) {
		const struct op_rec *o = &Wk.ops[k];

		if ((o->flags & F_ZERO) && p >= o->lo && p < o->hi)
			return true;
	}
	return false;
}

/* Did an op on P overlapping gen [g1, g2] allow this SIGSEGV? */
static bool segv_allowed(size_t p, unsigned long g1, unsigned long g2,
			 int code, bool store)
{
	unsigned long k;

	for (k = (g1 + 2) / 2; k <= (g2 + 1) / 2; k++) {
		const struct op_rec *o = &Wk.ops[k];

		if (p < o->lo || p >= o->hi)
			continue;
		if (code == SEGV_MAPERR && (o->flags & F_MAPERR))
			return true;
		if (code == SEGV_ACCERR && store && (o->flags & F_ACCERR))
			return true;
	}
	return false;
}

/* Which kind of wrong is V, in word I of page P (seqs lo..seq, WID)? */
static int classify(size_t p, unsigned int wid, uint64_t lo, size_t i,
		    uint64_t v)
{
	uint64_t h = v ^ (i * GOLDEN), d;

	if (!v)
		return E_LOST;
	if (h >> 28 != vpn_of(p))
		return E_WRONG_ADDR;
	if (((h >> 24) & 15) != wid)
		return E_WRONG_WRITER;
	d = ((h & SEQ_MASK) - (lo & SEQ_MASK)) & SEQ_MASK;
	return d >= SEQ_MASK / 2 ? E_STALE : E_FUTURE;
}

static const char *where(size_t p)
{
	static __thread char buf[64];
	int r = region_of(p);

	snprintf(buf, sizeof(buf), "region %d page %zu", r,
		 p - Wk.reg[r].first);
	return buf;
}

/*
 * Judge one scan of page P: WHO found it, for writer WID whose state
 * of P is S, the scan ending at gen G2.  True if all is well.
 */
static bool judge(const char *who, size_t p, unsigned int wid,
		  const struct page_state *s, const struct scan *r,
		  unsigned long g2)
{
	int cls;

	if (s->lo)
		add(&S->checks, 1);
	add(&S->words, Wk.nw);
	if (r->nzero && !r->nbad) {
		if (zero_allowed(p, s->zstart, g2)) {
			add(&S->zero_ok, 1);
			return true;
		}
		fail(E_LOST, "%s: %s: %zu words 0 from word %zu, expected write %llu (since gen %lu, now %lu; no zeroing op on it)",
		     who, where(p), r->nzero, r->zero_at,
		     (unsigned long long)s->lo, s->zstart, g2);
		return false;
	}
	if (!r->nbad)
		return true;
	cls = classify(p, wid, s->lo, r->bad_at, r->bad_v);
	fail(cls, "%s: %s: %s: word %zu is %#llx (%#llx: vpn %+lld, writer %u, seq %llu), expected write %llu..%llu of writer %u; %zu such words, %zu zero",
	     who, where(p), err_names[cls], r->bad_at,
	     (unsigned long long)r->bad_v,
	     (unsigned long long)(r->bad_v ^ (r->bad_at * GOLDEN)),
	     (long long)(((r->bad_v ^ (r->bad_at * GOLDEN)) >> 28) -
			 vpn_of(p)),
	     (unsigned int)(((r->bad_v ^ (r->bad_at * GOLDEN)) >> 24) & 15),
	     (unsigned long long)((r->bad_v ^ (r->bad_at * GOLDEN)) &
				  SEQ_MASK),
	     (unsigned long long)s->lo, (unsigned long long)s->seq, wid,
	     r->nbad, r->nzero);
	return false;
}

/* ---- writers ---- */

/* Wait for the op that gen G is in to end. */
static void wait_op_end(void)
{
	while (gen_now() & 1)
		sched_yield();
}

/*
 * One visit of page P: check the last write, write the next one.  A
 * store-first visit begins with one word of the next write.
 */
static void visit(struct writer *w, size_t p, bool store_first)
{
	struct page_state *s = &Wk.st[p];
	uint64_t *pg = page_addr(p);
	size_t skip = Wk.nw, j = xrand(&w->rnd) % Wk.nw;
	unsigned long g1, g2;
	int code, bad_segv = 0;
	struct scan r;
	bool store;
	uint64_t h;

	/* Injected: a word left out of a write over an older one. */
	if (Wk.inject && s->lo && xrand(&w->rnd) % 256 == 0) {
		skip = 1 + xrand(&w->rnd) % (Wk.nw - 1);
		add(&S->injected, 1);
	}
	arm_page(pg);
again:
	g1 = gen_now();
	if (s->seq == s->lo)
		WRITE_ONCE(s->seq, s->seq + 1);	/* a write begins */
	barrier();
	h = hval(p, w->wid, s->seq);
	store = true;
	if (store_first) {
		code = armed_store(&pg[j], word(h, j));
		if (code)
			goto segv;
	}
	store = false;
	code = armed_check(pg, hval(p, w->wid, s->lo), h, &r);
	if (code)
		goto segv;
	g2 = gen_now();
	judge("writer", p, w->wid, s, &r, g2);
	store = true;
	code = armed_write(pg, h, skip);
	if (code)
		goto segv;
	barrier();
	WRITE_ONCE(s->lo, s->seq);
	WRITE_ONCE(s->zstart, g1);
	add(&S->visits, 1);
	return;
segv:
	g2 = gen_now();
	if (segv_allowed(p, g1, g2, code, store)) {
		add(&S->segv_ok, 1);
	} else {
		fail(E_SEGV, "writer %d: %s: SIGSEGV %s on a %s with no op on it (gen %lu..%lu)",
		     w->wid, where(p),
		     code == SEGV_MAPERR ? "MAPERR" : "ACCERR",
		     store ? "store" : "load", g1, g2);
		if (++bad_segv > 3)
			return;
		usleep(1000);
	}
	add(&S->retries, 1);
	wait_op_end();
	goto again;
}

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	size_t nown = (Wk.npages - w->wid + Wk.nwriters - 1) / Wk.nwriters;
	size_t j, start;

	while (!atomic_load(&Wk.stop_writers)) {
		start = xrand(&w->rnd) % nown;
		for (j = 0; j < nown; j++) {
			if (atomic_load(&Wk.park)) {
				atomic_fetch_add(&Wk.parked, 1);
				while (atomic_load(&Wk.park) &&
				       !atomic_load(&Wk.stop_writers))
					usleep(1000);
				atomic_fetch_sub(&Wk.parked, 1);
			}
			if (atomic_load(&Wk.stop_writers))
				break;
			visit(w, w->wid + Wk.nwriters * ((start + j) % nown),
			      xrand(&w->rnd) & 1);
		}
	}
	return NULL;
}

/* ---- mutator A: the regions ---- */

static void op_begin(int type, uint16_t flags, size_t lo, size_t hi)
{
	Wk.ops[Wk.nops + 1] = (struct op_rec){ flags, type, lo, hi };
	atomic_fetch_add(&Wk.gen, 1);		/* odd: op nops + 1 runs */
}

static void op_end(void)
{
	atomic_fetch_add(&Wk.gen, 1);
	Wk.nops++;
}

static void mut_fail(const char *what)
{
	fail(E_MUTATOR, "mutator, op %lu: %s: %s", Wk.nops + 1, what,
	     strerror(errno));
}

/* A short pause inside or between ops: yields, or a short sleep. */
static void pause_a_bit(unsigned int max_us)
{
	unsigned int n = xrand(&Wk.rnd);

	if (n & 1) {
		for (n = (n >> 1) % 16; n; n--)
			sched_yield();
	} else {
		usleep((n >> 1) % max_us);
	}
}

/* Region R, pages [lo, hi) of it as global indexes: often all of it. */
static int pick_range(size_t *lo, size_t *hi)
{
	int r = xrand(&Wk.rnd) % NR_REGIONS;
	size_t n = Wk.reg[r].n, len;

	if (xrand(&Wk.rnd) % 4 == 0) {
		*lo = 0;
		*hi = n;
	} else {
		*lo = xrand(&Wk.rnd) % n;
		len = 1 + xrand(&Wk.rnd) % (n / 4);
		*hi = *lo + len > n ? n : *lo + len;
	}
	*lo += Wk.reg[r].first;
	*hi += Wk.reg[r].first;
	return r;
}

static char *range_addr(size_t lo)
{
	return (char *)page_addr(lo);
}

/*
 * Before an op that may split region R: make sure it has an anon_vma.
 * Split without one, and faulted on both sides, it would get two and
 * never merge back (mremap of the whole region then fails, EFAULT).
 * A populating write fault changes no data: a present page stays as
 * it is, a missing or zero page becomes a zeroed one.
 */
static void anon_vma_for(int r)
{
	if (madvise(Wk.reg[r].home, Wk.ps, MADV_POPULATE_WRITE))
		mut_fail("madvise(MADV_POPULATE_WRITE)");
}

static void op_dontneed(void)
{
	size_t lo, hi;

	pick_range(&lo, &hi);
	op_begin(OP_DONTNEED, F_ZERO, lo, hi);
	if (madvise(range_addr(lo), (hi - lo) * Wk.ps, MADV_DONTNEED))
		mut_fail("madvise(MADV_DONTNEED)");
	op_end();
	add(&S->ops[OP_DONTNEED], 1);
}

static void op_map_fixed(void)
{
	size_t lo, hi;
	char *a;

	anon_vma_for(pick_range(&lo, &hi));
	a = range_addr(lo);
	op_begin(OP_MAP_FIXED, F_ZERO, lo, hi);
	if (mmap(a, (hi - lo) * Wk.ps, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != a)
		mut_fail("mmap(MAP_FIXED)");
	op_end();
	add(&S->ops[OP_MAP_FIXED], 1);
}

static void op_munmap_remap(void)
{
	size_t lo, hi;
	char *a;

	anon_vma_for(pick_range(&lo, &hi));
	a = range_addr(lo);
	pthread_mutex_lock(&Wk.layout);
	op_begin(OP_MUNMAP_REMAP, F_ZERO | F_MAPERR, lo, hi);
	if (munmap(a, (hi - lo) * Wk.ps))
		mut_fail("munmap");
	pause_a_bit(500);
	if (mmap(a, (hi - lo) * Wk.ps, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
		 -1, 0) != a)
		mut_fail("mmap back (MAP_FIXED_NOREPLACE)");
	op_end();
	pthread_mutex_unlock(&Wk.layout);
	add(&S->ops[OP_MUNMAP_REMAP], 1);
}

/* "start-end perms" of each VMA over [a, a + len), for a message. */
static const char *vmas_over(const char *a, size_t len)
{
	static char buf[MSG_LEN / 2];
	unsigned long lo, hi;
	char line[256], perms[8];
	size_t n = 0;
	FILE *f;

	buf[0] = '\0';
	f = fopen("/proc/self/maps", "re");
	if (!f)
		return "?";
	while (fgets(line, sizeof(line), f) && n < sizeof(buf)) {
		if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) != 3 ||
		    hi <= (uintptr_t)a || lo >= (uintptr_t)a + len)
			continue;
		n += snprintf(buf + n, sizeof(buf) - n, " %lx-%lx %s", lo, hi,
			      perms);
	}
	fclose(f);
	return buf;
}

/* The last few ops before the current one, for a message. */
static const char *last_ops(void)
{
	static char buf[MSG_LEN / 2];
	const struct op_rec *o;
	unsigned long k;
	size_t n = 0;

	buf[0] = '\0';
	for (k = Wk.nops > 5 ? Wk.nops - 5 : 1; k <= Wk.nops; k++) {
		o = &Wk.ops[k];
		n += snprintf(buf + n, sizeof(buf) - n, "%s%s %s [%u, %u)",
			      n ? ", " : "", name_of(op_names, NR_OPTYPES,
						      o->type),
			      where(o->lo), o->lo, o->hi);
		if (n >= sizeof(buf))
			break;
	}
	return buf;
}

static void op_mremap_move(void)
{
	int r = xrand(&Wk.rnd) % NR_REGIONS;
	struct region *rg = &Wk.reg[r];
	size_t len = rg->n * Wk.ps;

	pthread_mutex_lock(&Wk.layout);
	op_begin(OP_MREMAP_MOVE, F_MAPERR, rg->first,
		 rg->first + rg->n);
	if (mremap(rg->home, len, len, MREMAP_MAYMOVE | MREMAP_FIXED,
		   rg->target) != rg->target) {
		mut_fail("mremap away");
		fail(E_MUTATOR, "region %d at %p, VMAs:%s; ops before: %s",
		     r, rg->home, vmas_over(rg->home, len), last_ops());
	}
	pause_a_bit(500);
	if (mremap(rg->target, len, len, MREMAP_MAYMOVE | MREMAP_FIXED,
		   rg->home) != rg->home)
		mut_fail("mremap back");
	/* Plug the target again: nothing else may be placed there. */
	if (mmap(rg->target, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS |
		 MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0) != rg->target)
		mut_fail("mmap of the target's placeholder");
	op_end();
	pthread_mutex_unlock(&Wk.layout);
	add(&S->ops[OP_MREMAP_MOVE], 1);
}

static void op_mprotect(void)
{
	size_t lo, hi;
	char *a;

	anon_vma_for(pick_range(&lo, &hi));
	a = range_addr(lo);
	op_begin(OP_MPROTECT, F_ACCERR, lo, hi);
	if (mprotect(a, (hi - lo) * Wk.ps, PROT_READ))
		mut_fail("mprotect(PROT_READ)");
	pause_a_bit(500);
	if (mprotect(a, (hi - lo) * Wk.ps, PROT_READ | PROT_WRITE))
		mut_fail("mprotect(PROT_READ | PROT_WRITE)");
	op_end();
	add(&S->ops[OP_MPROTECT], 1);
}

static uint64_t page_hash(const uint64_t *pg)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < Wk.nw; i++)
		h = (h ^ READ_ONCE(pg[i])) * 0x100000001b3ULL;
	return h;
}

[[gnu::format(printf, 1, 2)]]
static int child_bad(const char *fmt, ...);

static int child_bad(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(Wk.rep->msg, sizeof(Wk.rep->msg), fmt, ap);
	va_end(ap);
	Wk.rep->bad = 1;
	return 1;
}

/* Fork child: check the copy's structure, write to it, see it stay. */
static int fork_child(void)
{
	size_t p, i, nmine = 8;
	size_t mine[8];
	struct timespec ts = { 0, 2000000 };
	uint64_t lo, hi, h, v;
	const uint64_t *pg;
	bool any;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	for (p = 0; p < Wk.npages; p++) {
		pg = page_addr(p);
		any = false;
		lo = hi = 0;
		for (i = 0; i < Wk.nw; i++) {
			v = pg[i];
			if (!v)
				continue;
			h = v ^ (i * GOLDEN);
			if (h >> 28 != vpn_of(p) ||
			    ((h >> 24) & 15) != p % Wk.nwriters)
				return child_bad("child: %s: word %zu is %#llx: not of this page and its writer",
						 where(p), i,
						 (unsigned long long)v);
			h &= SEQ_MASK;
			if (!any || ((h - lo) & SEQ_MASK) > SEQ_MASK / 2)
				lo = h;
			if (!any || ((hi - h) & SEQ_MASK) > SEQ_MASK / 2)
				hi = h;
			any = true;
		}
		if (any && ((hi - lo) & SEQ_MASK) > 1)
			return child_bad("child: %s holds writes %llu to %llu at once",
					 where(p), (unsigned long long)lo,
					 (unsigned long long)hi);
		Wk.rep->max[p] = any ? hi + 1 : 0;
		Wk.hash[p] = page_hash(pg);
	}
	/* Write some pages of our own: the parent must never see them. */
	for (i = 0; i < nmine; i++) {
		mine[i] = xrand(&Wk.rnd) % Wk.npages;
		h = hval(mine[i], CHILD_WID, 1);
		for (p = 0; p < Wk.nw; p++)
			page_addr(mine[i])[p] = word(h, p);
	}
	nanosleep(&ts, NULL);
	for (i = 0; i < nmine; i++) {
		h = hval(mine[i], CHILD_WID, 1);
		for (p = 0; p < Wk.nw; p++)
			if (page_addr(mine[i])[p] != word(h, p))
				return child_bad("child: %s: its own write is gone from word %zu",
						 where(mine[i]), p);
	}
	for (p = 0; p < Wk.npages; p++) {
		for (i = 0; i < nmine; i++)
			if (mine[i] == p)
				break;
		if (i == nmine && page_hash(page_addr(p)) != Wk.hash[p])
			return child_bad("child: %s changed after fork",
					 where(p));
	}
	return 0;
}

static void op_fork(void)
{
	int status;
	uint64_t seq;
	pid_t pid;
	size_t p;

	memset(Wk.rep, 0, Wk.rep_len);
	pid = fork();
	if (pid == 0)
		_exit(fork_child());
	if (pid < 0) {
		mut_fail("fork");
		return;
	}
	add(&S->children, 1);
	add(&S->ops[OP_FORK], 1);
	if (waitpid(pid, &status, 0) != pid) {
		mut_fail("waitpid");
		return;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		fail(E_CHILD, "fork child %d: %s %d: %s", pid,
		     WIFSIGNALED(status) ? "killed by signal" : "status",
		     WIFSIGNALED(status) ? WTERMSIG(status) :
		     WEXITSTATUS(status), Wk.rep->msg);
		return;
	}
	for (p = 0; p < Wk.npages; p++) {
		if (!Wk.rep->max[p])
			continue;
		seq = READ_ONCE(Wk.st[p].seq);
		if ((((seq & SEQ_MASK) - (Wk.rep->max[p] - 1)) & SEQ_MASK) >
		    SEQ_MASK / 2) {
			fail(E_CHILD, "fork child saw write %u of %s, whose writer is at %llu",
			     Wk.rep->max[p] - 1, where(p),
			     (unsigned long long)seq);
			return;
		}
	}
}

/* Injected faults, for the self-test: each must be reported. */
static void inject(void)
{
	size_t p = xrand(&Wk.rnd) % Wk.npages;
	uint64_t *pg = page_addr(p);

	if (xrand(&Wk.rnd) & 1) {
		/* A zap nobody logged: a lost write. */
		madvise(pg, Wk.ps, MADV_DONTNEED);
	} else {
		/* A word naming the next page: a misplaced write. */
		WRITE_ONCE(pg[3], word(hval(p, p % Wk.nwriters, 1) +
				       (1ULL << 28), 3));
	}
	add(&S->injected, 1);
}

static void *mutator_a(void *arg)
{
	unsigned int roll;

	while (!atomic_load(&Wk.stop_mut) && Wk.nops < MAX_OPS - 4) {
		roll = xrand(&Wk.rnd) % 16;
		if (roll < 6)
			op_dontneed();
		else if (roll < 8)
			op_map_fixed();
		else if (roll < 10)
			op_munmap_remap();
		else if (roll < 12)
			op_mremap_move();
		else if (roll < 15)
			op_mprotect();
		else
			op_fork();
		if (Wk.inject && xrand(&Wk.rnd) % 4 == 0)
			inject();
		pause_a_bit(2000);
	}
	return NULL;
}

/* ---- mutator B: short-lived threads that fault ---- */

struct shorty {
	pthread_t th;
	char *stack, *scratch;
	size_t npages;
	unsigned long bad;
};

static void *shorty_main(void *arg)
{
	struct shorty *t = arg;
	uint64_t *pg, h;
	size_t p, i;

	/* Fill half the pages (write faults), read the rest (zero page). */
	for (p = 0; p < t->npages; p++) {
		pg = (uint64_t *)(t->scratch + p * Wk.ps);
		h = (uintptr_t)pg / Wk.ps << 28 | 1;
		for (i = 0; i < Wk.nw; i++) {
			if (p & 1)
				t->bad += READ_ONCE(pg[i]) != 0;
			else
				WRITE_ONCE(pg[i], word(h, i));
		}
	}
	for (p = 0; p < t->npages; p += 2) {
		pg = (uint64_t *)(t->scratch + p * Wk.ps);
		h = (uintptr_t)pg / Wk.ps << 28 | 1;
		for (i = 0; i < Wk.nw; i++)
			t->bad += READ_ONCE(pg[i]) != word(h, i);
	}
	return NULL;
}

static int shorty_start(struct shorty *t)
{
	pthread_attr_t attr;
	int ret = -1;

	t->npages = 8 + xrand(&Wk.rnd) % 57;
	t->bad = 0;
	pthread_mutex_lock(&Wk.layout);
	t->stack = mmap(NULL, SPF_STACK_LEN, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	t->scratch = mmap(NULL, t->npages * Wk.ps, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (t->stack != MAP_FAILED && t->scratch != MAP_FAILED) {
		pthread_attr_init(&attr);
		pthread_attr_setstack(&attr, t->stack, SPF_STACK_LEN);
		ret = pthread_create(&t->th, &attr, shorty_main, t);
		pthread_attr_destroy(&attr);
	}
	pthread_mutex_unlock(&Wk.layout);
	if (ret)
		fail(E_MUTATOR, "short-lived thread: cannot start it");
	return ret;
}

static void shorty_end(struct shorty *t)
{
	pthread_join(t->th, NULL);
	if (t->bad)
		fail(E_SCRATCH, "short-lived thread: %lu wrong words in its %zu scratch pages",
		     t->bad, t->npages);
	add(&S->scratch_pages, t->npages);
	add(&S->ops[OP_THREAD], 1);
	munmap(t->stack, SPF_STACK_LEN);
	munmap(t->scratch, t->npages * Wk.ps);
}

static void *mutator_b(void *arg)
{
	struct shorty t[3];
	unsigned int rnd = Wk.rnd ^ 0x5bd1e995u;
	int i, n;

	while (!atomic_load(&Wk.stop_mut)) {
		n = 1 + xrand(&rnd) % 3;
		for (i = 0; i < n; i++)
			if (shorty_start(&t[i]))
				break;
		n = i;
		for (i = 0; i < n; i++)
			shorty_end(&t[i]);
		usleep(xrand(&rnd) % 5000);
	}
	return NULL;
}

/* ---- the worker's life ---- */

static int map_regions(void)
{
	size_t ps = Wk.ps, pmd = pmd_bytes(), first = 0, len;
	struct region *rg;
	uintptr_t a;
	int r;

	for (r = 0; r < NR_REGIONS; r++) {
		rg = &Wk.reg[r];
		rg->n = region_pages[r];
		rg->first = first;
		first += rg->n;
		len = rg->n * ps;
		/* guard | region | guard | target | guard, PMD aligned */
		rg->rawlen = 2 * len + 3 * pmd;
		rg->raw = mmap(NULL, rg->rawlen, PROT_NONE, MAP_PRIVATE |
			       MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (rg->raw == MAP_FAILED)
			return -1;
		a = ((uintptr_t)rg->raw + ps + pmd - 1) & ~(uintptr_t)(pmd - 1);
		rg->home = (char *)a;
		a = (a + len + ps + pmd - 1) & ~(uintptr_t)(pmd - 1);
		rg->target = (char *)a;
		if (mmap(rg->home, len, PROT_READ | PROT_WRITE, MAP_PRIVATE |
			 MAP_ANONYMOUS | MAP_FIXED, -1, 0) != rg->home)
			return -1;
	}
	Wk.npages = first;
	return 0;
}

static int worker_setup(unsigned int seed, int nwriters, bool inj)
{
	int i;

	memset(&Wk, 0, sizeof(Wk));
	Wk.rnd = seed | 1;
	Wk.ps = page_size();
	Wk.nw = Wk.ps / sizeof(uint64_t);
	Wk.nwriters = nwriters;
	Wk.inject = inj;
	pthread_mutex_init(&Wk.layout, NULL);
	if (prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0) || install_segv_handler() ||
	    map_regions())
		return -1;
	Wk.st = mmap(NULL, Wk.npages * sizeof(*Wk.st), PROT_READ |
		     PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	Wk.ops = mmap(NULL, (MAX_OPS + 2) * sizeof(*Wk.ops), PROT_READ |
		      PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	Wk.hash = mmap(NULL, Wk.npages * sizeof(*Wk.hash), PROT_READ |
		       PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	Wk.rep_len = sizeof(*Wk.rep) + Wk.npages * sizeof(Wk.rep->max[0]);
	Wk.rep = mmap(NULL, Wk.rep_len, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (Wk.st == MAP_FAILED || Wk.ops == MAP_FAILED ||
	    Wk.hash == MAP_FAILED || Wk.rep == MAP_FAILED)
		return -1;
	for (i = 0; i < nwriters; i++) {
		Wk.wr[i].wid = i;
		Wk.wr[i].rnd = seed * 2654435761u + i + 1;
	}
	return 0;
}

/* With the writers parked and no op running: every page once more. */
static void final_check(void)
{
	unsigned long g = gen_now();
	struct page_state *s;
	struct scan r;
	size_t p;

	for (p = 0; p < Wk.npages; p++) {
		s = &Wk.st[p];
		arm_page(page_addr(p));
		if (armed_check(page_addr(p), hval(p, p % Wk.nwriters, s->lo),
				hval(p, p % Wk.nwriters, s->seq), &r)) {
			fail(E_SEGV, "final check: %s: SIGSEGV with no op running",
			     where(p));
			continue;
		}
		if (s->lo)
			add(&S->final_checks, 1);
		judge("final check", p, p % Wk.nwriters, s, &r, g);
	}
}

static void worker_run(unsigned int seed, int nwriters, bool inj, double end)
{
	int i;

	if (worker_setup(seed, nwriters, inj)) {
		fail(E_MUTATOR, "setting up a worker: %s", strerror(errno));
		_exit(2);
	}
	for (i = 0; i < nwriters; i++)
		if (pthread_create(&Wk.wr[i].th, NULL, writer_main, &Wk.wr[i]))
			_exit(2);
	if (pthread_create(&Wk.mut_a, NULL, mutator_a, NULL) ||
	    pthread_create(&Wk.mut_b, NULL, mutator_b, NULL))
		_exit(2);
	while (now_s() < end && !atomic_load(&S->stop))
		usleep(10000);
	atomic_store(&Wk.stop_mut, true);
	pthread_join(Wk.mut_a, NULL);
	pthread_join(Wk.mut_b, NULL);
	atomic_store(&Wk.park, true);
	while (atomic_load(&Wk.parked) < nwriters)
		usleep(1000);
	final_check();
	if (Wk.rnd & 1) {
		/* exit_group() while the writers fault again */
		add(&S->exit_running, 1);
		atomic_store(&Wk.park, false);
		usleep(xrand(&Wk.rnd) % 20000);
		_exit(0);
	}
	atomic_store(&Wk.stop_writers, true);
	for (i = 0; i < nwriters; i++)
		pthread_join(Wk.wr[i].th, NULL);
	add(&S->exit_joined, 1);
	_exit(0);
}

/* ---- the supervisor ---- */

struct slot {
	pid_t pid;
	double end, kill_at;
	bool killed, hung;
};

struct result {
	double secs;
	struct spf_counts before, after, delta;
	bool counters, consistent;
};

static int env_int(const char *name, int def, int lo, int hi)
{
	const char *s = getenv(name);
	int v = s ? atoi(s) : def;

	return v >= lo && v <= hi ? v : def;
}

static double env_secs_max(const char *name, double def)
{
	const char *s = getenv(name);

	return s && atof(s) > 0 && atof(s) <= 3600 ? atof(s) : def;
}

static void reaped(struct slot *sl, int nslots, pid_t pid, int status)
{
	int i;

	for (i = 0; i < nslots; i++)
		if (sl[i].pid == pid)
			break;
	if (i == nslots)
		return;		/* an orphaned fork child */
	if (sl[i].hung)
		fail(E_DIED, "worker %d hung: still there %d s after its end",
		     pid, HUNG_SECS);
	else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL &&
		 sl[i].killed)
		add(&S->killed, 1);
	else if (!WIFEXITED(status) || WEXITSTATUS(status))
		fail(E_DIED, "worker %d %s %d", pid,
		     WIFSIGNALED(status) ? "died of signal" : "exited with",
		     WIFSIGNALED(status) ? WTERMSIG(status) :
		     WEXITSTATUS(status));
	sl[i].pid = 0;
}

static void reap(struct slot *sl, int nslots)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		reaped(sl, nslots, pid, status);
}

/* SIGKILL what is due to die, and what hangs. */
static void kill_due(struct slot *sl, int nslots)
{
	double t = now_s();
	int i;

	for (i = 0; i < nslots; i++) {
		if (!sl[i].pid || sl[i].killed)
			continue;
		if ((sl[i].kill_at && t >= sl[i].kill_at) ||
		    t > sl[i].end + HUNG_SECS) {
			sl[i].hung = !sl[i].kill_at || t < sl[i].kill_at;
			sl[i].killed = true;
			kill(sl[i].pid, SIGKILL);
		}
	}
}

static bool any_alive(const struct slot *sl, int nslots)
{
	int i;

	for (i = 0; i < nslots; i++)
		if (sl[i].pid)
			return true;
	return false;
}

/* Has each kind of injected fault been reported? */
static bool injected_seen(void)
{
	return get(&S->err[E_LOST]) && get(&S->err[E_STALE]) &&
		get(&S->err[E_WRONG_ADDR]);
}

static void run(struct __test_metadata *_metadata, double secs, bool inj,
		struct result *res)
{
	int nslots = env_int("SPF_TORTURE_PROCS", 4, 1, MAX_PROCS);
	int nwriters = env_int("SPF_TORTURE_WRITERS", 3, 1, MAX_WRITERS);
	unsigned int rnd = (unsigned int)env_int("SPF_TORTURE_SEED",
						 (int)(time(NULL) & 0xffffff),
						 1, 1 << 30);
	struct slot sl[MAX_PROCS] = { };
	double t0, deadline, life;
	unsigned int seed;
	pid_t pid;
	int i;

	memset(res, 0, sizeof(*res));
	S = mmap(NULL, sizeof(*S), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, S);
	ASSERT_EQ(0, prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0));
	TH_LOG("%g s, %d processes at a time, %d writers each, seed %u%s",
	       secs, nslots, nwriters, rnd, inj ? ", faults injected" : "");
	res->counters = spf_loaded() && !spf_counts_read(&res->before) &&
		res->before.c[SPF_C_SPEC_READ] >= 0;
	fflush(stdout);
	fflush(stderr);
	t0 = now_s();
	deadline = t0 + secs;
	for (;;) {
		/* Injecting: go on (10 x at most) until each kind was seen. */
		if (now_s() >= deadline) {
			if (!inj || injected_seen() || now_s() >= t0 + 10 * secs)
				break;
			deadline = now_s() + 1;
		}
		for (i = 0; i < nslots; i++) {
			if (sl[i].pid)
				continue;
			seed = xrand(&rnd);
			life = 0.5 + (xrand(&rnd) % 2500) / 1000.0;
			sl[i].end = now_s() + life;
			if (sl[i].end > deadline)
				sl[i].end = deadline;
			sl[i].kill_at = 0;
			sl[i].killed = sl[i].hung = false;
			if (xrand(&rnd) % 4 == 0)
				sl[i].kill_at = now_s() + life *
					(0.1 + (xrand(&rnd) % 800) / 1000.0);
			pid = fork();
			ASSERT_LE(0, pid);
			if (pid == 0)
				worker_run(seed, nwriters, inj, sl[i].end);
			sl[i].pid = pid;
			add(&S->workers, 1);
		}
		usleep(5000);
		reap(sl, nslots);
		kill_due(sl, nslots);
	}
	atomic_store(&S->stop, true);
	while (any_alive(sl, nslots)) {
		usleep(10000);
		reap(sl, nslots);
		kill_due(sl, nslots);
	}
	/* Orphaned fork children came to us (subreaper): wait for them. */
	while (waitpid(-1, NULL, 0) > 0)
		;
	res->secs = now_s() - t0;
	if (res->counters) {
		res->consistent = spf_counts_consistent(&res->after);
		spf_counts_sub(&res->after, &res->before, &res->delta);
	}
}

static void report(struct __test_metadata *_metadata, const char *name,
		   const struct result *res)
{
	char line[512];
	size_t n = 0;
	int i;

	TH_LOG("%s: %.1f s; processes: %lu workers (%lu SIGKILLed, %lu exited with writers faulting, %lu after joining them), %lu fork children; %lu short-lived threads",
	       name, res->secs, get(&S->workers), get(&S->killed), get(&S->exit_running),
	       get(&S->exit_joined), get(&S->children), get(&S->ops[OP_THREAD]));
	TH_LOG("%s: %lu visits, %lu writes checked (%lu at a worker's end), %lu words, %lu legitimately zeroed, %lu SIGSEGVs explained, %lu retries, %lu injected",
	       name, get(&S->visits), get(&S->checks), get(&S->final_checks), get(&S->words),
	       get(&S->zero_ok), get(&S->segv_ok), get(&S->retries), get(&S->injected));
	for (i = 0; i < NR_OPTYPES; i++)
		n += snprintf(line + n, sizeof(line) - n, " %s %lu",
			      op_names[i], get(&S->ops[i]));
	TH_LOG("%s: ops:%s", name, line);
	for (i = n = 0; i < NR_ERRS; i++)
		n += snprintf(line + n, sizeof(line) - n, " %s %lu",
			      err_names[i], get(&S->err[i]));
	TH_LOG("%s: errors:%s", name, line);
	for (i = 0; i < NR_MSGS && i < S->nmsg; i++)
		TH_LOG("%s: %s", name, S->msg[i]);
	if (res->counters)
		TH_LOG("%s: spf: fault_hook %ld, spec_read %ld, spec_write %ld;%s",
		       name, res->delta.c[SPF_C_FAULT_HOOK],
		       res->delta.c[SPF_C_SPEC_READ],
		       res->delta.c[SPF_C_SPEC_WRITE],
		       spf_counts_str(&res->delta));
}

/* The torture did what it says, and found nothing wrong. */
static void expect_clean(struct __test_metadata *_metadata,
			 const struct result *res)
{
	int i;

	for (i = 0; i < NR_ERRS; i++) {
		EXPECT_EQ(0UL, get(&S->err[i])) {
			TH_LOG("%lu %s errors", get(&S->err[i]),
			       name_of(err_names, NR_ERRS, i));
		}
	}
	EXPECT_LT(0UL, get(&S->checks));
	EXPECT_LT(0UL, get(&S->final_checks));
	EXPECT_LT(0UL, get(&S->segv_ok));
	EXPECT_LT(0UL, get(&S->zero_ok));
	if (res->secs >= 10) {
		EXPECT_LT((unsigned long)env_int("SPF_TORTURE_PROCS", 4, 1,
						 MAX_PROCS), get(&S->workers));
		for (i = 0; i < NR_OPTYPES; i++) {
			EXPECT_LT(0UL, get(&S->ops[i])) {
				TH_LOG("no %s op ran",
				       name_of(op_names, NR_OPTYPES, i));
			}
		}
	}
}

FIXTURE(torture) {
};

FIXTURE_SETUP(torture)
{
	spf_fixture_load(_metadata);
}

FIXTURE_TEARDOWN(torture)
{
	spf_fixture_unload(_metadata);
}

/* The timeout allows SPF_TORTURE_SECS up to about 20 minutes. */
TEST_F_TIMEOUT(torture, loaded, 1500)
{
	struct result res;

	if (!spec_ready(_metadata))
		return;
	run(_metadata, env_secs_max("SPF_TORTURE_SECS", 20), false, &res);
	report(_metadata, "loaded", &res);
	expect_clean(_metadata, &res);
	ASSERT_TRUE(res.counters);
	EXPECT_LT(0, spf_counts_spec(&res.delta)) {
		TH_LOG("no fault was handled speculatively");
	}
	EXPECT_TRUE(res.consistent) {
		TH_LOG("fault_hook %ld != spec + aborts %ld:%s",
		       res.after.c[SPF_C_FAULT_HOOK],
		       spf_counts_outcomes(&res.after),
		       spf_counts_str(&res.after));
	}
}

#include "spf_fixture_stock.h"

/* The same with spf unloaded: the checker holds on the stock kernel. */
TEST_F_TIMEOUT(stock, unloaded, 1500)
{
	struct result res;

	run(_metadata, env_secs_max("SPF_TORTURE_STOCK_SECS", 4), false, &res);
	report(_metadata, "stock", &res);
	expect_clean(_metadata, &res);
}

/* Injected losses and misplaced words: each kind must be reported. */
TEST_F_TIMEOUT(stock, selftest, 300)
{
	struct result res;

	run(_metadata, env_secs_max("SPF_TORTURE_SELFTEST_SECS", 3), true, &res);
	report(_metadata, "selftest", &res);
	EXPECT_LT(0UL, get(&S->injected));
	EXPECT_LT(0UL, get(&S->err[E_LOST]));
	EXPECT_LT(0UL, get(&S->err[E_STALE]));
	EXPECT_LT(0UL, get(&S->err[E_WRONG_ADDR]));
	EXPECT_EQ(0UL, get(&S->err[E_DIED]));
	EXPECT_EQ(0UL, get(&S->err[E_MUTATOR]));
}

TEST_HARNESS_MAIN
