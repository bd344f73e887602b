// SPDX-License-Identifier: GPL-2.0
/*
 * File faults racing mmap_lock write sections: the writers of
 * spf_race_test.c and spf_writer_race_test.c that can meet a file
 * mapping (munmap and remap, MAP_FIXED, mprotect, mremap, mlock,
 * flag-changing madvise, fork, userfaultfd registration, clear_refs
 * soft-dirty), a VMA merge, the faulters' own set_mempolicy() and
 * anon_vma_prepare(), each over a memfd (tmpfs) mapped MAP_SHARED and
 * MAP_PRIVATE (anon_vma: private only, shared VMAs get none).  The anonymous faulter loop of spf_writer_race_test.c
 * checks zeros and its own tags; here every check is against the file,
 * so the loop is this file's own:
 *
 * The region is one PMD-aligned PMD of the memfd; page p of the file
 * holds FTAG(p) in its first and last words.  Page p belongs to
 * faulter p % NF, the only thread that writes it.  A visit picks one
 * of its pages, sometimes MADV_DONTNEEDs it (so that the next touch is
 * a fresh, speculable fault: a file read, or a shared or private file
 * write), reads its first word or stores blind, then stores a new tag.
 * Shared: what the mapping reads must be the faulter's last tag there
 * and equal pread() of the memfd, and after a store pread() must
 * return the tag.  Private: the page must hold the faulter's last tag
 * or FTAG(p) (where the writer may drop the COW copies, or after
 * MADV_DONTNEED), and pread() must still return FTAG(p): a private
 * write never reaches the file.  The last word must be FTAG(p) always.
 * A SIGSEGV is allowed only where the writer may unmap the page, or on
 * a store into a range mprotect() made read-only.
 *
 * Every other round (every fork round) the region is mapped anew at
 * its PMD-aligned address with the faulters paused (munmap and
 * MAP_FIXED also remap it every round, racing them), which frees its
 * PTE table: the next faults add their own.  With the faulters paused, every page is then
 * checked against pread() as above.  The writers' own checks:
 *
 *   munmap      munmap, faults SIGSEGV for a while, map again
 *   map_fixed   the file mapped again over itself: no SIGSEGV allowed
 *   mprotect    after mprotect(PROT_READ) returns, no present page of
 *               the range takes a store
 *   mremap      the region moved to another PMD and back: shared and
 *               private (COW) data move with it
 *   mlock       after mlock() returns every page is present and
 *               PG_mlocked (/proc/kpageflags)
 *   madvise     DONTFORK/DOFORK, SEQUENTIAL/RANDOM/NORMAL,
 *               (NO)HUGEPAGE splits; a child forked after them sees no
 *               DONTFORK page and the parent's data elsewhere
 *   fork        a child forked mid-fault reads valid data; private: it
 *               does not change while the parent goes on writing;
 *               shared: it equals the child's pread()
 *   uffd        after UFFDIO_REGISTER (MINOR) returns, a page that was
 *               absent then is mapped only through a minor event
 *   clear_refs  after "4" > clear_refs, a page written later is
 *               soft-dirty in pagemap (x86 only)
 *   merge       the first or last pages unmapped and mapped back at
 *               their offset: vma_merge() grows the rest in place
 *               (vm_start and vm_pgoff, or vm_end); the region must be
 *               one VMA again (/proc/self/maps); SIGSEGV allowed
 *   mempolicy   no writer: each faulter sets its own policy (default,
 *               preferred, bind, interleave) before each visit; a
 *               private copy made after MADV_DONTNEED must be on a node
 *               the policy allows (the guests have one node, where
 *               this holds trivially)
 *   anon_vma    the region mapped anew every round and both faulters
 *               store first: one runs anon_vma_prepare() in a stock
 *               fault while the other's private write may speculate
 *   exit        no faulters here: a forked child faults the region
 *               with NF threads (the same visits and checks, failing
 *               the child) while its main thread exits under them;
 *               then every page against pread(): shared, the child's
 *               last store or the one it died in
 *   oom_reaper  the same, private only (the reaper skips shared VMAs),
 *               the child in a small memcg, SIGKILLed and reaped by
 *               process_mrelease(); the group holds no anon page and
 *               no page table after the last child
 *
 * inject_table_delay_us, inject_file_delay_us and
 * inject_commit_delay_us are set to 20 us during the race.  Every case
 * checks that spec_file, spec_file_write and pte_tables moved, and
 * prints them.  SPF_WRITER_SECS (default 0.8) sets each case's
 * duration.
 */
#define _GNU_SOURCE
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include "kselftest_harness.h"
#include "spf_util.h"
#include "spf_fixture.h"
#include "spf_segv.h"

#define NF		2
#define MAX_PAGES	512
#define FTAG(p)		(0xf11e000000000000ULL | (uint64_t)(p))
#define MPROT_CHECK	64

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

enum writer {
	W_MUNMAP, W_MAP_FIXED, W_MPROTECT, W_MREMAP, W_MLOCK, W_MADVISE,
	W_FORK, W_UFFD, W_CLEAR_REFS, W_MERGE, W_MEMPOLICY, W_ANON_VMA,
	W_EXIT, W_OOM,
};

static const char *const writer_names[] = {
	"munmap", "map_fixed", "mprotect", "mremap", "mlock", "madvise",
	"fork", "uffd", "clear_refs", "merge", "mempolicy", "anon_vma",
	"exit", "oom_reaper",
};

struct faulter {
	pthread_t thread;
	int id;
	unsigned int rnd;
	uint64_t seq;
	unsigned long visits, segv, dontneed, errors, anew, node_checks;
	unsigned long mask;		/* mempolicy: nodes its policy allows */
	char msg[512];
};

static struct {
	enum writer w;
	bool shared;
	int fd;
	char *r, *tmp;			/* the region; mremap's other PMD */
	size_t ps, npages, len, maplen;
	bool may_reset;			/* private: COW copies may vanish */
	bool may_segv;			/* the writer may unmap the region */
	uint64_t last[MAX_PAGES];	/* per page, what its owner expects */
	uint64_t alt[MAX_PAGES];	/* ... or this, after a store's SIGSEGV */
	unsigned long epoch_wrote[MAX_PAGES];
	bool dontfork[MAX_PAGES];
	atomic_bool uffd_seen[MAX_PAGES];
	atomic_ulong epoch;
	atomic_bool stop;
	atomic_int pause, paused;
	unsigned long rounds, checks, anew, mut_errors;
	char mut_msg[512];
	int uffd;
	atomic_bool uffd_stop;
	atomic_ulong uffd_events;
	pid_t owner;
	unsigned long nodes;		/* online nodes, a bit each */
	unsigned long merges;
	bool child;			/* exit, oom: in the faulting child */
	unsigned long kills, reaped, children_seen;
	char *stacks[NF];		/* the children's, prefaulted here */
	struct faulter f[NF];
} W;

/*
 * Shared with the exit and oom children, whose faulters store into the
 * region: per page the tag of the last store that returned and of the
 * one under way (a child may die in it), and the first error.
 */
static struct child_report {
	uint64_t last[MAX_PAGES], next[MAX_PAGES];
	atomic_ulong errors, visits;
	char msg[512];
} *CR;




[[gnu::format(printf, 2, 3)]]
static void ferr(struct faulter *f, const char *fmt, ...);

static void ferr(struct faulter *f, const char *fmt, ...)
{
	size_t len = strlen(f->msg);
	va_list ap;

	if (W.child) {
		/* The parent reports it: the child may be killed any time. */
		if (!atomic_fetch_add(&CR->errors, 1)) {
			va_start(ap, fmt);
			vsnprintf(CR->msg, sizeof(CR->msg), fmt, ap);
			va_end(ap);
		}
		_exit(3);
	}
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
	va_start(ap, fmt);
	vsnprintf(W.mut_msg, sizeof(W.mut_msg), fmt, ap);
	va_end(ap);
}

static char *page_at(size_t p)
{
	return W.r + p * W.ps;
}

/* The file's first word of page P, from the page cache. */
static uint64_t file_word(size_t p)
{
	uint64_t v = 0;

	if (pread(W.fd, &v, sizeof(v), p * W.ps) != sizeof(v))
		return ~0ULL;
	return v;
}

/* ---- set_mempolicy (row 12): each faulter switches its own ---- */

#ifndef MPOL_DEFAULT
#define MPOL_DEFAULT	0
#define MPOL_PREFERRED	1
#define MPOL_BIND	2
#define MPOL_INTERLEAVE	3
#endif
#ifndef MPOL_F_NODE
#define MPOL_F_NODE	(1 << 0)
#define MPOL_F_ADDR	(1 << 1)
#endif

/* The online nodes, from sysfs ("0", "0-1", "0,2-3"); node 0 if unknown. */
static unsigned long online_nodes(void)
{
	unsigned long m = spf_node_mask("/sys/devices/system/node/online");

	return m ? m : 1;
}

/*
 * The task's own policy: default, preferred, bind or interleave over a
 * random set of online nodes.  F->mask: where its allocations may go
 * (all online nodes but for bind and interleave).
 */
static void switch_policy(struct faulter *f)
{
	static const int modes[] = { MPOL_DEFAULT, MPOL_PREFERRED,
				     MPOL_BIND, MPOL_INTERLEAVE };
	int mode = modes[xrand(&f->rnd) % 4];
	unsigned long m = W.nodes & xrand(&f->rnd);

	if (!m)
		m = W.nodes & -W.nodes;
	if (syscall(SYS_set_mempolicy, mode, mode == MPOL_DEFAULT ? NULL : &m,
		    mode == MPOL_DEFAULT ? 0 : 8 * sizeof(m) + 1)) {
		ferr(f, "set_mempolicy(%d, %#lx): %s", mode, m,
		     strerror(errno));
		return;
	}
	f->mask = mode == MPOL_BIND || mode == MPOL_INTERLEAVE ? m : W.nodes;
}

/* Page P, copied by this faulter's last store, is where its policy allows. */
static void check_node(struct faulter *f, size_t p)
{
	int node = -1;

	f->node_checks++;
	if (syscall(SYS_get_mempolicy, &node, NULL, 0, page_at(p),
		    MPOL_F_NODE | MPOL_F_ADDR) ||
	    node < 0 || node >= 64 || !(f->mask & (1UL << node)))
		ferr(f, "page %zu copied on node %d, its policy allows %#lx",
		     p, node, f->mask);
}

/* ---- the region ---- */

/* A PROT_NONE PMD-aligned slot of W.maplen, guarded on both sides. */
static char *reserve_slot(void)
{
	size_t pmd = pmd_bytes();
	char *raw;

	raw = mmap(NULL, W.maplen + pmd + 2 * W.ps, PROT_NONE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (raw == MAP_FAILED)
		return NULL;
	return (char *)(((uintptr_t)raw + W.ps + pmd - 1) & ~(uintptr_t)(pmd - 1));
}

static int map_file(char *at)
{
	char *p = mmap(at, W.maplen, PROT_READ | PROT_WRITE,
		       (W.shared ? MAP_SHARED : MAP_PRIVATE) | MAP_FIXED,
		       W.fd, 0);

	return p == at ? 0 : -1;
}

/* Faulters paused: the private COW copies go, as do the VMA's flags. */
static void forget_private(void)
{
	size_t p;

	for (p = 0; p < W.npages; p++) {
		W.dontfork[p] = false;
		if (!W.shared)
			W.last[p] = W.alt[p] = FTAG(p);
	}
}

/* Faulters paused: unmap and map again, freeing the PTE table. */
static void map_anew(void)
{
	if (munmap(W.r, W.maplen) || map_file(W.r))
		merr("mapping the region anew: %s", strerror(errno));
	forget_private();
	W.anew++;
}

static int region_setup(enum writer w, bool shared)
{
	uint64_t t;
	size_t p;

	memset(&W, 0, sizeof(W));
	W.w = w;
	W.shared = shared;
	W.owner = getpid();
	W.ps = page_size();
	W.npages = pmd_bytes() / W.ps;
	if (W.npages > MAX_PAGES)
		W.npages = MAX_PAGES;
	W.len = W.npages * W.ps;
	/*
	 * exit, oom private: one more PMD of the file behind the region,
	 * whose first page anchors the anon_vma that the children fork
	 * from, in a PTE table of its own: fork copies that one only.
	 */
	W.maplen = (w == W_EXIT || w == W_OOM) && !shared ? 2 * W.len : W.len;
	W.nodes = online_nodes();
	W.may_segv = w == W_MUNMAP || w == W_MREMAP || w == W_MERGE;
	W.may_reset = !shared &&
		      (w == W_MUNMAP || w == W_MAP_FIXED || w == W_MERGE);
	W.fd = memfd_create("spf-file-writer", MFD_CLOEXEC);
	if (W.fd < 0 || ftruncate(W.fd, W.maplen))
		return -1;
	for (p = 0; p < W.npages; p++) {
		t = FTAG(p);
		W.last[p] = W.alt[p] = t;
		if (pwrite(W.fd, &t, 8, p * W.ps) != 8 ||
		    pwrite(W.fd, &t, 8, (p + 1) * W.ps - 8) != 8)
			return -1;
	}
	W.r = reserve_slot();
	W.tmp = reserve_slot();
	if (!W.r || !W.tmp || map_file(W.r))
		return -1;
	return 0;
}

/* ---- the faulter loop ---- */

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

/* What page P may read now; settles W.last[p] on success. */
static bool value_ok(size_t p, uint64_t v)
{
	if (v == W.last[p] || v == W.alt[p] ||
	    (W.may_reset && v == FTAG(p))) {
		W.last[p] = W.alt[p] = v;
		return true;
	}
	return false;
}

static void check_read(struct faulter *f, size_t p, uint64_t v)
{
	uint64_t fv;

	if (!value_ok(p, v))
		ferr(f, "page %zu: read %#llx, expected %#llx (or %#llx)", p,
		     (unsigned long long)v, (unsigned long long)W.last[p],
		     (unsigned long long)W.alt[p]);
	fv = file_word(p);
	if (W.shared ? fv != v : fv != FTAG(p))
		ferr(f, "page %zu: mapping reads %#llx, pread %#llx", p,
		     (unsigned long long)v, (unsigned long long)fv);
}

static void visit(struct faulter *f)
{
	size_t p, span = W.npages / NF;
	uint64_t v, v1, v2, tag, fv, *w;
	bool dropped = false;
	unsigned long e;
	int code;

	if (W.w == W_MEMPOLICY)
		switch_policy(f);
	p = (xrand(&f->rnd) % span) * NF + f->id;
	w = (uint64_t *)page_at(p);
	if (!(xrand(&f->rnd) % 3) && !madvise(w, W.ps, MADV_DONTNEED)) {
		if (!W.shared)
			W.last[p] = W.alt[p] = FTAG(p);
		/* A read may map it clean again: not written since. */
		W.epoch_wrote[p] = 0;
		f->dontneed++;
		dropped = true;
	}
	/*
	 * Half the visits read first; the others store blind, and a
	 * shared store into the fresh region adds its table.  Private:
	 * the first visit after the region was mapped anew reads, since a
	 * write into a VMA with no anon_vma yet is stock, table and all.
	 * The anon_vma case wants just that race: it stores first.
	 */
	if ((!W.shared && W.w != W_ANON_VMA &&
	     f->anew != READ_ONCE(W.anew)) || (xrand(&f->rnd) & 1)) {
		f->anew = READ_ONCE(W.anew);
		code = armed_rw(w, false, 0, &v);
		if (code) {
			f->segv++;
			if (!W.may_segv)
				ferr(f, "page %zu: SIGSEGV %d on a read", p,
				     code);
			return;
		}
		check_read(f, p, v);
		/* A quarter of the visits only read. */
		if (xrand(&f->rnd) & 1)
			goto tail;
	}
	tag = ((uint64_t)(p + 1) << 32) | ++f->seq;
	e = atomic_load(&W.epoch);
	if (W.child)
		WRITE_ONCE(CR->next[p], tag);
	code = armed_rw(w, true, tag, &v);
	if (code) {
		f->segv++;
		if (!W.may_segv && !(W.w == W_MPROTECT && code == SEGV_ACCERR))
			ferr(f, "page %zu: SIGSEGV %d on a store", p, code);
		/* The store may have landed before the region went. */
		if (W.shared) {
			fv = file_word(p);
			if (fv == tag || fv == W.last[p])
				W.last[p] = W.alt[p] = fv;
			else
				ferr(f, "page %zu: pread %#llx after a SIGSEGV storing %#llx, last %#llx",
				     p, (unsigned long long)fv,
				     (unsigned long long)tag,
				     (unsigned long long)W.last[p]);
		} else {
			W.alt[p] = tag;
		}
		return;
	}
	if (v != tag && !(W.may_reset && v == FTAG(p)))
		ferr(f, "page %zu: stored %#llx, read back %#llx", p,
		     (unsigned long long)tag, (unsigned long long)v);
	W.last[p] = W.alt[p] = v;
	W.epoch_wrote[p] = e;
	if (W.child)
		WRITE_ONCE(CR->last[p], v);
	/* A private store into a dropped page copied it just now. */
	if (W.w == W_MEMPOLICY && !W.shared && dropped)
		check_node(f, p);
	fv = file_word(p);
	if (W.shared ? fv != v : fv != FTAG(p))
		ferr(f, "page %zu: %s store of %#llx, pread %#llx", p,
		     W.shared ? "shared" : "private", (unsigned long long)v,
		     (unsigned long long)fv);
tail:
	if (armed_rw(w + 1, false, 0, &v1) ||
	    armed_rw(w + W.ps / 8 - 1, false, 0, &v2))
		f->segv++;
	else if (v1 || v2 != FTAG(p))
		ferr(f, "page %zu: words 1 and last %#llx/%#llx, not 0/%#llx",
		     p, (unsigned long long)v1, (unsigned long long)v2,
		     (unsigned long long)FTAG(p));
	f->visits++;
	if (W.child)
		atomic_fetch_add(&CR->visits, 1);
}

static void *faulter_main(void *arg)
{
	struct faulter *f = arg;

	while (!atomic_load(&W.stop)) {
		if (atomic_load(&W.pause)) {
			atomic_fetch_add(&W.paused, 1);
			while (atomic_load(&W.pause) && !atomic_load(&W.stop))
				usleep(50);
			atomic_fetch_sub(&W.paused, 1);
			continue;
		}
		visit(f);
	}
	return NULL;
}

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

static void let_run(unsigned int *rnd, unsigned int ms)
{
	usleep(xrand(rnd) % (ms * 1000 + 1));
}

/* Faulters paused: every page against the file. */
static void verify_all(void)
{
	uint64_t v, fv;
	size_t p;

	for (p = 0; p < W.npages; p++) {
		v = READ_ONCE(*(uint64_t *)page_at(p));
		fv = file_word(p);
		W.checks++;
		if (!value_ok(p, v))
			merr("page %zu reads %#llx, its faulter expects %#llx",
			     p, (unsigned long long)v,
			     (unsigned long long)W.last[p]);
		else if (W.shared ? fv != v : fv != FTAG(p))
			merr("page %zu reads %#llx, pread %#llx (%s)", p,
			     (unsigned long long)v, (unsigned long long)fv,
			     W.shared ? "shared" : "private");
	}
}

/* ---- the writers ---- */

static void munmap_round(unsigned int *rnd)
{
	let_run(rnd, 2);
	if (munmap(W.r, W.len))
		merr("munmap: %s", strerror(errno));
	let_run(rnd, 1);
	if (map_file(W.r))
		merr("mmap after munmap: %s", strerror(errno));
	W.anew++;
}

static void map_fixed_round(unsigned int *rnd)
{
	let_run(rnd, 2);
	if (map_file(W.r))
		merr("mmap MAP_FIXED: %s", strerror(errno));
	W.anew++;
}

static void mprotect_round(unsigned int *rnd)
{
	size_t lo = xrand(rnd) % W.npages, hi, p, n = 0;
	uint64_t *w, v;

	hi = lo + 1 + xrand(rnd) % (W.npages - lo);
	let_run(rnd, 1);
	if (mprotect(page_at(lo), (hi - lo) * W.ps, PROT_READ)) {
		merr("mprotect(PROT_READ): %s", strerror(errno));
		return;
	}
	let_run(rnd, 2);
	pause_faulters();
	/* A fault that straddled mprotect() must not have left a writable PTE. */
	for (p = lo; p < hi && n < MPROT_CHECK; p++) {
		w = (uint64_t *)page_at(p);
		if (!(pagemap_entry(w) & PM_PRESENT))
			continue;
		n++;
		W.checks++;
		v = READ_ONCE(*w);
		if (!armed_rw(w, true, v, &v))
			merr("page %zu took a store after mprotect(PROT_READ) returned",
			     p);
	}
	if (mprotect(page_at(lo), (hi - lo) * W.ps, PROT_READ | PROT_WRITE))
		merr("mprotect(PROT_READ|PROT_WRITE): %s", strerror(errno));
	resume_faulters();
}

static void mremap_round(unsigned int *rnd)
{
	char *p;

	let_run(rnd, 2);
	p = mremap(W.r, W.len, W.len, MREMAP_MAYMOVE | MREMAP_FIXED, W.tmp);
	if (p != W.tmp) {
		merr("mremap away: %s", strerror(errno));
		return;
	}
	let_run(rnd, 1);
	p = mremap(W.tmp, W.len, W.len, MREMAP_MAYMOVE | MREMAP_FIXED, W.r);
	if (p != W.r) {
		merr("mremap back: %s", strerror(errno));
		return;
	}
	/* Keep the other slot reserved: nothing else may land there. */
	if (mmap(W.tmp, W.len, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE |
		 MAP_FIXED_NOREPLACE, -1, 0) != W.tmp)
		W.tmp = reserve_slot();
	if (!W.tmp)
		merr("reserving mremap's slot: %s", strerror(errno));
}

static void mlock_round(unsigned int *rnd)
{
	static uint64_t pm[MAX_PAGES];
	int pmfd, kfd;
	size_t p;

	pause_faulters();
	if (madvise(W.r, W.len, MADV_DONTNEED))
		merr("MADV_DONTNEED: %s", strerror(errno));
	forget_private();
	resume_faulters();
	let_run(rnd, 2);
	if (mlock(W.r, W.len)) {
		merr("mlock: %s", strerror(errno));
		return;
	}
	pmfd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	kfd = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC);
	if (pmfd < 0 || kfd < 0 ||
	    pread(pmfd, pm, W.npages * 8, (uintptr_t)W.r / W.ps * 8) !=
	    (ssize_t)(W.npages * 8))
		merr("pagemap or kpageflags: %s", strerror(errno));
	for (p = 0; p < W.npages && !W.mut_errors; p++) {
		uint64_t fl = 0;

		if (pread(kfd, &fl, 8, (pm[p] & PM_PFN_MASK) * 8) != 8)
			fl = 0;
		W.checks++;
		if (!(pm[p] & PM_PRESENT) || !(fl & (1ULL << KPF_MLOCKED_BIT)))
			merr("page %zu not mlocked after mlock returned (pagemap %#llx kpageflags %#llx)",
			     p, (unsigned long long)pm[p],
			     (unsigned long long)fl);
	}
	if (pmfd >= 0)
		close(pmfd);
	if (kfd >= 0)
		close(kfd);
	let_run(rnd, 1);
	if (munlock(W.r, W.len))
		merr("munlock: %s", strerror(errno));
}

static void madvise_round(unsigned int *rnd)
{
	static const int advice[] = {
		MADV_DONTFORK, MADV_DOFORK, MADV_SEQUENTIAL, MADV_RANDOM,
		MADV_NORMAL, MADV_HUGEPAGE, MADV_NOHUGEPAGE,
	};
	static uint64_t expect[MAX_PAGES];
	size_t lo = xrand(rnd) % W.npages, hi, p;
	int a = advice[xrand(rnd) % 7], i, st;
	pid_t pid;

	hi = lo + 1 + xrand(rnd) % (W.npages - lo);
	if (madvise(page_at(lo), (hi - lo) * W.ps, a) &&
	    !(errno == EINVAL && (a == MADV_HUGEPAGE || a == MADV_NOHUGEPAGE)))
		merr("madvise(%d): %s", a, strerror(errno));
	for (p = lo; p < hi; p++)
		if (a == MADV_DONTFORK || a == MADV_DOFORK)
			W.dontfork[p] = a == MADV_DONTFORK;
	let_run(rnd, 1);
	if (W.rounds % 4 != 3)
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
			if (W.dontfork[p] ? !i : i)
				_exit(10);
			if (W.dontfork[p])
				continue;
			if (*(uint64_t *)pg != expect[p])
				_exit(11);
			if (W.shared && file_word(p) != expect[p])
				_exit(12);
		}
		_exit(0);
	}
	W.checks += W.npages;
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) ||
	    WEXITSTATUS(st))
		merr("child after madvise: status %#x (10: DONTFORK wrong, 11: data wrong, 12: not the file's)",
		     pid < 0 ? -1 : st);
	resume_faulters();
}

/* A tag a faulter can have stored in page P, or the file's. */
static bool valid_word(size_t p, uint64_t v)
{
	return v == FTAG(p) || (v >> 32) == p + 1;
}

static void fork_round(unsigned int *rnd)
{
	static uint64_t seen[MAX_PAGES];
	pid_t pid;
	size_t p;
	int st, k;

	let_run(rnd, 2);
	pid = fork();
	if (!pid) {
		for (p = 0; p < W.npages; p++) {
			seen[p] = READ_ONCE(*(uint64_t *)page_at(p));
			if (!valid_word(p, seen[p]))
				_exit(10);
		}
		usleep(1000);
		for (p = 0; p < W.npages; p++) {
			uint64_t v = READ_ONCE(*(uint64_t *)page_at(p));

			if (!W.shared) {
				/* The parent's writes must not show here. */
				if (v != seen[p])
					_exit(11);
				continue;
			}
			for (k = 0; k < 4; k++) {
				if (v == file_word(p))
					break;
				v = READ_ONCE(*(uint64_t *)page_at(p));
			}
			if (k == 4)
				_exit(12);
		}
		_exit(0);
	}
	W.checks += W.npages;
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) ||
	    WEXITSTATUS(st))
		merr("forked child: status %#x (10: no tag of the page, 11: private page changed under it, 12: shared page is not the file's)",
		     pid < 0 ? -1 : st);
}

static void *uffd_main(void *arg)
{
	struct pollfd pfd = { .fd = W.uffd, .events = POLLIN };
	struct uffdio_continue c;
	struct uffd_msg msg;
	uint64_t a;

	while (!atomic_load(&W.uffd_stop)) {
		if (poll(&pfd, 1, 10) <= 0)
			continue;
		if (read(W.uffd, &msg, sizeof(msg)) != sizeof(msg))
			continue;
		if (msg.event != UFFD_EVENT_PAGEFAULT)
			continue;
		atomic_fetch_add(&W.uffd_events, 1);
		a = msg.arg.pagefault.address & ~(uint64_t)(W.ps - 1);
		if (a >= (uintptr_t)W.r && a < (uintptr_t)W.r + W.len)
			atomic_store(&W.uffd_seen[(a - (uintptr_t)W.r) / W.ps],
				     true);
		c.range.start = a;
		c.range.len = W.ps;
		c.mode = 0;
		c.mapped = 0;
		if (ioctl(W.uffd, UFFDIO_CONTINUE, &c) && errno != EEXIST)
			merr("UFFDIO_CONTINUE: %s", strerror(errno));
	}
	return NULL;
}

/* 0, 1 if shmem has no minor faults here, -1 on an error. */
static int uffd_setup(void)
{
	struct uffdio_api api = {
		.api = UFFD_API,
		.features = UFFD_FEATURE_MINOR_SHMEM,
	};

	W.uffd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (W.uffd < 0)
		return -1;
	if (ioctl(W.uffd, UFFDIO_API, &api))
		return 1;
	return 0;
}

static void uffd_round(unsigned int *rnd)
{
	static uint64_t pm[MAX_PAGES];
	struct uffdio_register reg = {
		.range = { (uintptr_t)W.r, W.len },
		.mode = UFFDIO_REGISTER_MODE_MINOR,
	};
	struct uffdio_range ur = { (uintptr_t)W.r, W.len };
	size_t p;
	int fd;

	pause_faulters();
	if (madvise(W.r, W.len, MADV_DONTNEED))
		merr("MADV_DONTNEED: %s", strerror(errno));
	forget_private();
	for (p = 0; p < W.npages; p++)
		atomic_store(&W.uffd_seen[p], false);
	resume_faulters();
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
		if ((pm[p] & PM_PRESENT) ||
		    !(pagemap_entry(page_at(p)) & PM_PRESENT))
			continue;
		W.checks++;
		if (!atomic_load(&W.uffd_seen[p]))
			merr("page %zu mapped after UFFDIO_REGISTER returned, but not through a minor event",
			     p);
	}
	if (ioctl(W.uffd, UFFDIO_UNREGISTER, &ur))
		merr("UFFDIO_UNREGISTER: %s", strerror(errno));
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

static void clear_refs_round(unsigned int *rnd)
{
	unsigned long e;
	size_t p;

	if (spf_write_file("/proc/self/clear_refs", "4"))
		merr("clear_refs: %s", strerror(errno));
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

/* VMAs that overlap the region, from /proc/self/maps; -1 on error. */
static int region_vmas(void)
{
	unsigned long lo, hi, r = (uintptr_t)W.r;
	char line[512];
	FILE *f;
	int n = 0;

	f = fopen("/proc/self/maps", "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx-%lx", &lo, &hi) == 2 && lo < r + W.len &&
		    hi > r)
			n++;
	fclose(f);
	return n;
}

/*
 * Row 3: the first or last pages of the region unmapped and mapped
 * back at their file offset, which vma_merge() folds into the rest of
 * the region in place: its vm_start and vm_pgoff (head) or vm_end
 * (tail) change under the faulters of the other pages.  The region
 * must be one VMA again.
 */
static void merge_round(unsigned int *rnd)
{
	size_t k = 1 + xrand(rnd) % (W.npages / 4);
	size_t at = xrand(rnd) & 1 ? 0 : W.npages - k;
	char *p;
	int n;

	let_run(rnd, 2);
	if (munmap(page_at(at), k * W.ps)) {
		merr("munmap of %zu pages at %zu: %s", k, at, strerror(errno));
		return;
	}
	let_run(rnd, 1);
	p = mmap(page_at(at), k * W.ps, PROT_READ | PROT_WRITE,
		 (W.shared ? MAP_SHARED : MAP_PRIVATE) | MAP_FIXED, W.fd,
		 at * W.ps);
	if (p != page_at(at)) {
		merr("mapping %zu pages back at %zu: %s", k, at,
		     strerror(errno));
		return;
	}
	n = region_vmas();
	W.checks++;
	if (n != 1)
		merr("%d VMAs over the region after mapping %zu pages back at %zu, not 1 merged",
		     n, k, at);
	else
		W.merges++;
}

/*
 * Row 19 (private): the region mapped anew, so that it has no
 * anon_vma, and both faulters store first: one's fault is stock and
 * runs anon_vma_prepare() while the other's may be speculating.
 */
static void anon_vma_round(unsigned int *rnd)
{
	pause_faulters();
	verify_all();
	map_anew();
	resume_faulters();
	let_run(rnd, 2);
}

/*
 * Rows 14 and 15: a child inherits the region and faults it with NF
 * threads, as the test process's faulters do elsewhere (their checks
 * fail the child, which leaves its message in CR), while its main
 * thread exits under them (exit), or until the parent SIGKILLs it and
 * runs the OOM reaper's __oom_reap_task_mm() on its mm through
 * process_mrelease() (oom_reaper: private only, the reaper skips
 * shared VMAs).  The oom children run in a small memcg, which must
 * hold no anon page and no page table once they are all gone.
 */
#define OOM_CG		"/sys/fs/cgroup/spf-file-writer-oom"

/* One field of the oom group's memory.stat, or -1. */
static long cg_stat(const char *field)
{
	return spf_file_field(OOM_CG "/memory.stat", field);
}

static int child_setup(void)
{
	int i;

	CR = mmap(NULL, sizeof(*CR), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (CR == MAP_FAILED)
		return -1;
	/* Thread set-up in the child must not mmap: a write section. */
	for (i = 0; i < NF; i++) {
		W.stacks[i] = prefaulted_stack(SPF_STACK_LEN);
		if (!W.stacks[i])
			return -1;
	}
	if (W.w != W_OOM)
		return 0;
	spf_write_file("/sys/fs/cgroup/cgroup.subtree_control", "+memory");
	if (mkdir(OOM_CG, 0755) && errno != EEXIST)
		return -1;
	if (spf_write_file(OOM_CG "/memory.max", "32M"))
		return -1;
	spf_write_file(OOM_CG "/memory.swap.max", "0");
	return 0;
}

/* Until the child's faulters made N more visits, or MS went by. */
static void wait_child_visits(unsigned long n, unsigned int ms)
{
	unsigned long to = atomic_load(&CR->visits) + n;
	double end = now_s() + ms / 1000.0;

	while (atomic_load(&CR->visits) < to && now_s() < end)
		usleep(100);
}

static int child_main(unsigned int seed)
{
	char pid[16];
	int i;

	W.child = true;
	if (W.w == W_OOM) {
		snprintf(pid, sizeof(pid), "%d", getpid());
		if (spf_write_file(OOM_CG "/cgroup.procs", pid))
			return 4;
	}
	for (i = 0; i < NF; i++) {
		W.f[i].rnd ^= seed * (i + 1);
		if (start_thread_on(&W.f[i].thread, W.stacks[i],
				    faulter_main, &W.f[i]))
			return 5;
	}
	if (W.w == W_OOM)
		for (;;)
			pause();
	wait_child_visits(1 + seed % 64, 100);
	return 0;	/* exit_group() with the faulters running */
}

static void child_round(unsigned int *rnd)
{
	unsigned long visits;
	int reaped, st;
	pid_t pid;
	size_t p;

	/* Every other child adds its own tables, mostly. */
	if (W.rounds & 1)
		map_anew();
	/*
	 * Private: an anon_vma for the child's to fork from, without a
	 * table in the region (a page copied behind it, then dropped).
	 */
	if (!W.shared) {
		WRITE_ONCE(*(uint64_t *)(W.r + W.len), 1);
		if (madvise(W.r + W.len, W.ps, MADV_DONTNEED))
			merr("MADV_DONTNEED: %s", strerror(errno));
	}
	for (p = 0; p < W.npages; p++)
		CR->last[p] = CR->next[p] = W.last[p];
	visits = atomic_load(&CR->visits);
	pid = fork();
	if (!pid)
		_exit(child_main(xrand(rnd)));
	if (pid < 0) {
		merr("fork: %s", strerror(errno));
		return;
	}
	if (W.w == W_OOM) {
		wait_child_visits(1 + xrand(rnd) % 64, 100);
		reaped = spf_kill_and_reap(pid);
		if (reaped < 0)
			merr("pidfd kill: %s", strerror(errno));
		else
			W.reaped += reaped;
	}
	if (waitpid(pid, &st, 0) != pid) {
		merr("waitpid: %s", strerror(errno));
		return;
	}
	if (W.w == W_OOM ? !WIFSIGNALED(st) || WTERMSIG(st) != SIGKILL :
			   !WIFEXITED(st) || WEXITSTATUS(st)) {
		merr("%s child: status %#x (exit 3: %s)", writer_names[W.w],
		     st, CR->errors ? CR->msg : "no message");
		return;
	}
	W.kills++;
	if (atomic_load(&CR->visits) != visits)
		W.children_seen++;
	/* Shared: the file holds the child's last store, or the one it died in. */
	if (W.shared)
		for (p = 0; p < W.npages; p++) {
			W.last[p] = CR->last[p];
			W.alt[p] = CR->next[p];
		}
	verify_all();
}

/* After the last oom child: nothing of theirs may stay charged. */
static void oom_check_drained(void)
{
	long anon = -1, pt = -1;
	int i;

	for (i = 0; i < 300; i++) {
		anon = cg_stat("anon");
		pt = cg_stat("pagetables");
		if (!anon && !pt)
			break;
		usleep(10000);
	}
	W.checks++;
	if (anon || pt)
		merr("the oom group still holds anon %ld, pagetables %ld three seconds after its last child died",
		     anon, pt);
	rmdir(OOM_CG);
}

static void round_once(unsigned int *rnd)
{
	switch (W.w) {
	case W_MUNMAP:
		munmap_round(rnd);
		break;
	case W_MAP_FIXED:
		map_fixed_round(rnd);
		break;
	case W_MPROTECT:
		mprotect_round(rnd);
		break;
	case W_MREMAP:
		mremap_round(rnd);
		break;
	case W_MLOCK:
		mlock_round(rnd);
		break;
	case W_MADVISE:
		madvise_round(rnd);
		break;
	case W_FORK:
		fork_round(rnd);
		break;
	case W_UFFD:
		uffd_round(rnd);
		break;
	case W_CLEAR_REFS:
		clear_refs_round(rnd);
		break;
	case W_MERGE:
		merge_round(rnd);
		break;
	case W_MEMPOLICY:
		let_run(rnd, 3);	/* the faulters switch policies */
		break;
	case W_ANON_VMA:
		anon_vma_round(rnd);
		break;
	case W_EXIT:
	case W_OOM:
		child_round(rnd);
		W.rounds++;
		return;
	}
	/* fork rounds are few and slow: map anew after each. */
	if (((W.rounds & 1) || W.w == W_FORK) && W.w != W_ANON_VMA) {
		pause_faulters();
		verify_all();
		map_anew();
		resume_faulters();
	}
	W.rounds++;
}

/* ---- the driver ---- */

static void knobs(const char *us)
{
	spf_write_file(SPF_DEBUGFS "/inject_table_delay_us", us);
	spf_write_file(SPF_DEBUGFS "/inject_file_delay_us", us);
	spf_write_file(SPF_DEBUGFS "/inject_commit_delay_us", us);
}

FIXTURE(file_writer) {
};

FIXTURE_VARIANT(file_writer) {
	enum writer w;
	bool shared;
};

FIXTURE_VARIANT_ADD(file_writer, munmap_shared) { .w = W_MUNMAP, .shared = true };
FIXTURE_VARIANT_ADD(file_writer, munmap_private) { .w = W_MUNMAP };
FIXTURE_VARIANT_ADD(file_writer, map_fixed_shared) { .w = W_MAP_FIXED, .shared = true };
FIXTURE_VARIANT_ADD(file_writer, map_fixed_private) { .w = W_MAP_FIXED };
FIXTURE_VARIANT_ADD(file_writer, mprotect_shared) { .w = W_MPROTECT, .shared = true };
FIXTURE_VARIANT_ADD(file_writer, mprotect_private) { .w = W_MPROTECT };
FIXTURE_VARIANT_ADD(file_writer, mremap_shared) { .w = W_MREMAP, .shared = true };
FIXTURE_VARIANT_ADD(file_writer, mremap_private) { .w = W_MREMAP };
FIXTURE_VARIANT_ADD(file_writer, mlock_shared) { .w = W_MLOCK, .shared = true };
FIXTURE_VARIANT_ADD(file_writer, mlock_private) { .w = W_MLOCK };
FIXTURE_VARIANT_ADD(file_writer, madvise_shared) { .w = W_MADVISE, .shared = true };
FIXTURE_VARIANT_ADD(file_writer, madvise_private) { .w = W_MADVISE };
FIXTURE_VARIANT_ADD(file_writer, fork_shared) { .w = W_FORK, .shared = true };
FIXTURE_VARIANT_ADD(file_writer, fork_private) { .w = W_FORK };
FIXTURE_VARIANT_ADD(file_writer, uffd_shared) { .w = W_UFFD, .shared = true };
FIXTURE_VARIANT_ADD(file_writer, uffd_private) { .w = W_UFFD };
FIXTURE_VARIANT_ADD(file_writer, clear_refs_shared) { .w = W_CLEAR_REFS, .shared = true };
FIXTURE_VARIANT_ADD(file_writer, clear_refs_private) { .w = W_CLEAR_REFS };
FIXTURE_VARIANT_ADD(file_writer, merge_shared) { .w = W_MERGE, .shared = true };
FIXTURE_VARIANT_ADD(file_writer, merge_private) { .w = W_MERGE };
FIXTURE_VARIANT_ADD(file_writer, mempolicy_shared) { .w = W_MEMPOLICY, .shared = true };
FIXTURE_VARIANT_ADD(file_writer, mempolicy_private) { .w = W_MEMPOLICY };
FIXTURE_VARIANT_ADD(file_writer, anon_vma_private) { .w = W_ANON_VMA };
FIXTURE_VARIANT_ADD(file_writer, exit_shared) { .w = W_EXIT, .shared = true };
FIXTURE_VARIANT_ADD(file_writer, exit_private) { .w = W_EXIT };
FIXTURE_VARIANT_ADD(file_writer, oom_reaper_private) { .w = W_OOM };

FIXTURE_SETUP(file_writer)
{
	spf_fixture_load_prefaulted(_metadata);
}

FIXTURE_TEARDOWN(file_writer)
{
	knobs("0");
	spf_fixture_unload(_metadata);
}

TEST_F_TIMEOUT(file_writer, race, 120)
{
	const char *name = writer_names[variant->w];
	const char *kind = variant->shared ? "shared" : "private";
	struct spf_counts before, after, d;
	unsigned long visits = 0, segv = 0, dn = 0, nc = 0;
	long tables, spec_file0, spec_file_write0;
	pthread_t uffd_thread;
	unsigned int rnd = 0x2545f491;
	double end;
	int i, ret;

	if (!spec_ready(_metadata))
		return;
	if (variant->w == W_CLEAR_REFS && !soft_dirty_works())
		SKIP(return, "no soft-dirty tracking on this kernel");
	ASSERT_EQ(0, region_setup(variant->w, variant->shared)) {
		TH_LOG("%s %s: setting up the region: %s", name, kind,
		       strerror(errno));
	}
	if (W.w == W_UFFD) {
		ret = uffd_setup();
		ASSERT_LE(0, ret) {
			TH_LOG("userfaultfd: %s", strerror(errno));
		}
		if (ret)
			SKIP(return, "no UFFD_FEATURE_MINOR_SHMEM: %s",
			     strerror(errno));
	}
	ASSERT_EQ(0, install_segv_handler());
	if (W.w == W_UFFD)
		ASSERT_EQ(0, start_thread(&uffd_thread, uffd_main, NULL));
	knobs("20");
	ASSERT_EQ(0, spf_counts_read(&before));
	tables = spf_stat("pte_tables");
	spec_file0 = spf_stat("spec_file");
	spec_file_write0 = spf_stat("spec_file_write");
	if (W.w == W_EXIT || W.w == W_OOM)
		ASSERT_EQ(0, child_setup()) {
			TH_LOG("%s: setting up the children: %s", name,
			       strerror(errno));
		}
	for (i = 0; i < NF; i++) {
		W.f[i].id = i;
		W.f[i].rnd = 0x9e3779b9u * (i + 1);
		/* exit, oom: the children's faulters, not the test's. */
		if (W.w == W_EXIT || W.w == W_OOM)
			continue;
		ASSERT_EQ(0, start_thread(&W.f[i].thread, faulter_main,
					  &W.f[i]));
	}
	end = now_s() + env_secs("SPF_WRITER_SECS", 0.8);
	while (now_s() < end && !W.mut_errors)
		round_once(&rnd);
	/*
	 * A slow kernel (the debug one) may get through a round or two in
	 * that time without a speculative table or file write: go on, up to
	 * eight times as long, until each kind the case is about was seen.
	 */
	end += 7 * env_secs("SPF_WRITER_SECS", 0.8);
	while (now_s() < end && !W.mut_errors &&
	       (spf_stat("pte_tables") == tables ||
		spf_stat("spec_file") == spec_file0 ||
		spf_stat("spec_file_write") == spec_file_write0))
		round_once(&rnd);
	atomic_store(&W.stop, true);
	for (i = 0; i < NF && W.w != W_EXIT && W.w != W_OOM; i++)
		pthread_join(W.f[i].thread, NULL);
	if (W.w == W_OOM && !W.mut_errors)
		oom_check_drained();
	knobs("0");
	tables = spf_stat("pte_tables") - tables;
	if (W.w == W_UFFD) {
		atomic_store(&W.uffd_stop, true);
		pthread_join(uffd_thread, NULL);
	}
	if (!W.mut_errors)
		verify_all();
	ASSERT_TRUE(spf_counts_consistent(&after));
	spf_counts_sub(&after, &before, &d);
	for (i = 0; i < NF; i++) {
		visits += W.f[i].visits;
		segv += W.f[i].segv;
		dn += W.f[i].dontneed;
		nc += W.f[i].node_checks;
		EXPECT_EQ(0UL, W.f[i].errors) {
			TH_LOG("%s %s: faulter %d: %s", name, kind, i,
			       W.f[i].msg);
		}
	}
	EXPECT_EQ(0UL, W.mut_errors) {
		TH_LOG("%s %s: round %lu: %s", name, kind, W.rounds,
		       W.mut_msg);
	}
	TH_LOG("%s %s: %lu rounds, %lu mapped anew, %lu checks, %lu visits, %lu DONTNEEDs, %lu SIGSEGVs",
	       name, kind, W.rounds, W.anew, W.checks, visits, dn, segv);
	if (W.w == W_UFFD)
		TH_LOG("uffd: %lu minor events", atomic_load(&W.uffd_events));
	if (W.w == W_MERGE)
		TH_LOG("merge: %lu merged back", W.merges);
	if (W.w == W_EXIT || W.w == W_OOM) {
		visits = CR->visits;
		TH_LOG("%s %s: %lu children ended, %lu of them faulted, %lu reaped by process_mrelease(), %lu child visits",
		       name, kind, W.kills, W.children_seen, W.reaped, visits);
	}
	if (W.w == W_MEMPOLICY)
		TH_LOG("mempolicy: %lu private copies' nodes checked, online nodes %#lx",
		       nc, W.nodes);
	TH_LOG("%s %s: spec_file %ld, spec_file_write %ld, pte_tables %ld; faults:%s",
	       name, kind, d.c[SPF_C_SPEC_FILE], d.c[SPF_C_SPEC_FILE_WRITE],
	       tables, spf_counts_str(&d));
	EXPECT_LT(0UL, W.rounds);
	EXPECT_LT(0UL, W.checks);
	EXPECT_LT(0, d.c[SPF_C_SPEC_FILE]) {
		TH_LOG("%s %s: no file read was speculative", name, kind);
	}
	EXPECT_LT(0, d.c[SPF_C_SPEC_FILE_WRITE]) {
		TH_LOG("%s %s: no file write was speculative", name, kind);
	}
	EXPECT_LT(0, tables) {
		TH_LOG("%s %s: no speculative fault added a PTE table", name,
		       kind);
	}
}

TEST_HARNESS_MAIN
