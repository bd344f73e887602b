// SPDX-License-Identifier: GPL-2.0
/*
 * VMA mempolicy writers racing every speculative fault kind (issue 20
 * item 8, rows 10 and 11 of docs/audit-writers.md): mbind() and
 * set_mempolicy_home_node() replace vma->vm_policy under mmap_lock held
 * for write, free the old policy at once (mpol_put(), not RCU) and
 * split and merge VMAs.  spf never allocates with a VMA policy (an
 * anonymous VMA with one, or a private write to a file without
 * ->get_policy(), goes stock); a VMA without one speculates, and a
 * policy set meanwhile must be seen by the count under the commit
 * lock.  Under KASAN (the debug kernel) an allocation that read a freed
 * policy is a use-after-free report.
 *
 * One variant per fault kind, each on its own region of NCH PMD-aligned
 * chunks (guarded, so that it merges with nothing): anonymous memory
 * (THP off, or MADV_HUGEPAGE for the thp variant), a memfd mapped
 * shared for file reads and shared writes, a ramfs file mapped private
 * for private writes (ramfs has no ->get_policy(): vm_policy is what a
 * copy would be allocated with).  NF faulters own page p % NF each (the
 * thp variant: a chunk each) and make faults of the variant's kind:
 *
 *   anon_first_touch   MADV_DONTNEED, then a store
 *   wp_reuse           a store into pages write-protected by a fork
 *                      whose child has exited
 *   wp_copy            a store into pages a sleeping child still maps
 *   wp_zero            MADV_DONTNEED, a read (zero page), a store
 *   file_read          MADV_DONTNEED of one page (the table stays), a
 *                      read
 *   file_read_new_table the same, with the region mapped anew before
 *                      each round, so that the first reads add tables
 *   shared_file_write  MADV_DONTNEED, a store, pread() must see it
 *   private_file_write MADV_DONTNEED, a store (a copy of the ramfs page),
 *                      pread() must not see it
 *   swap_cache_hit     the region paged out to zram and read back into
 *                      the swap cache (MADV_PAGEOUT, MADV_WILLNEED)
 *                      before each round, then read and stored
 *   thp                MADV_DONTNEED of the faulter's chunk, a store;
 *                      the region mapped anew before each round (a
 *                      split leaves a table that MADV_DONTNEED keeps)
 *   new_table          the region mapped anew before each round, a read
 *                      first, then stores
 *
 * A store writes a tag into the page's first word and its complement
 * into the last; every access checks both against what the owner last
 * stored there (0 where it dropped the page, the file's FTAG where the
 * page is the file's), and shared and private file pages against
 * pread() of the file.
 *
 * A round: a flip phase, where the main thread replaces policies over
 * random sub-ranges (splitting and merging VMAs) with the faulters
 * running and the inject_* pauses at 20 us; the faulters paused, every
 * page checked; then a held phase: the whole region bound to one node
 * (test home_node: with that node as its home), the faulters run for a
 * while and are paused again.  No fault that allocates may have been
 * speculative in the held phase (the counters: any anonymous fault;
 * the ramfs private write), and every page allocated in it must be on
 * the bound node (get_mempolicy(MPOL_F_NODE | MPOL_F_ADDR)).  The
 * guests tools/vm/run boots have one NUMA node, where the node check
 * holds trivially; the count does not depend on it.
 *
 *   mbind      each flip: MPOL_DEFAULT (half the flips), MPOL_BIND,
 *              MPOL_PREFERRED or MPOL_INTERLEAVE over online nodes
 *   home_node  each flip: MPOL_DEFAULT, or MPOL_BIND then
 *              set_mempolicy_home_node() over the same sub-range, or
 *              over a random one (VMAs with no policy are skipped)
 *
 * Each case runs SPF_MPOL_SECS (default 0.5) and then on, up to eight
 * times as long, until a fault of its kind was speculative in a flip
 * phase (and, for the new-table kinds, spf added a table), and fails if
 * none was.  Swap-cache hits need zram (not on the debug kernel), thp
 * needs THP (not on PREEMPT_RT), private_file_write needs ramfs: each
 * skips, saying so.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/mount.h>
#include <sys/swap.h>
#include <sys/wait.h>
#include <time.h>
#include "kselftest_harness.h"
#include "spf_util.h"
#include "spf_fixture.h"
#include "spf_swap.h"

#define NF		2
#define NCH		2
#define MAX_PAGES	(NCH * 512)
#define FLIPS		8
#define FTAG(p)		(0xf11e000000000000ULL | (uint64_t)(p))

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
#ifndef SYS_set_mempolicy_home_node
#define SYS_set_mempolicy_home_node	450	/* every arch since 5.17 */
#endif

enum kind {
	K_ANON, K_WP_REUSE, K_WP_COPY, K_WP_ZERO, K_FILE_READ,
	K_FILE_READ_NT, K_SHARED_WRITE, K_PRIVATE_WRITE, K_SWAP, K_THP,
	K_NEW_TABLE,
};

enum writer { W_MBIND, W_HOME_NODE };

struct faulter {
	pthread_t thread;
	int id;
	unsigned int rnd;
	uint64_t seq;
	unsigned long visits, errors, anew;
	char msg[512];
};

static struct {
	enum kind k;
	enum writer w;
	int fd;
	char *r;
	size_t ps, npages, len, chunk_pages;
	unsigned long nodes;		/* online nodes, a bit each */
	int nr_nodes, held_node;
	uint64_t last[MAX_PAGES];	/* what page p holds, per its owner */
	unsigned long fresh[MAX_PAGES];	/* held epoch it was allocated in */
	atomic_ulong held;		/* nonzero: the held epoch */
	unsigned long epoch;
	atomic_bool stop;
	atomic_int pause, paused;
	unsigned long rounds, flips, checks, node_checks, anew, mut_errors;
	char mut_msg[512];
	pid_t child;
	struct faulter f[NF];
} W;




[[gnu::format(printf, 2, 3)]]
static void ferr(struct faulter *f, const char *fmt, ...);

static void ferr(struct faulter *f, const char *fmt, ...)
{
	size_t len = strlen(f->msg);
	va_list ap;

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

static bool is_file(void)
{
	return W.k == K_FILE_READ || W.k == K_FILE_READ_NT ||
	       W.k == K_SHARED_WRITE || W.k == K_PRIVATE_WRITE;
}

static bool is_shared(void)
{
	return is_file() && W.k != K_PRIVATE_WRITE;
}

/* Kinds whose faults must add PTE tables. */
static bool adds_tables(void)
{
	return W.k == K_FILE_READ_NT || W.k == K_NEW_TABLE;
}

/*
 * Kinds whose region is mapped anew before each flip phase: so that
 * tables are added, or (thp) so that a pmd a split left a table under
 * is none again (MADV_DONTNEED keeps the table).
 */
static bool maps_anew(void)
{
	return adds_tables() || W.k == K_THP;
}

static uint64_t *word0(size_t p)
{
	return (uint64_t *)(W.r + p * W.ps);
}

static uint64_t *wlast(size_t p)
{
	return word0(p) + W.ps / 8 - 1;
}

/* What the last word must hold beside first word V. */
static uint64_t last_word_of(size_t p, uint64_t v)
{
	if (is_file())
		return FTAG(p);
	return v ? ~v : 0;
}

static uint64_t file_word(size_t p)
{
	uint64_t v = 0;

	if (pread(W.fd, &v, sizeof(v), p * W.ps) != sizeof(v))
		return ~0ULL;
	return v;
}

/* ---- nodes and policies ---- */

/* The online nodes; node 0 if unknown. */
static void read_nodes(void)
{
	W.nodes = spf_node_mask("/sys/devices/system/node/online");
	if (!W.nodes)
		W.nodes = 1;
	W.nr_nodes = __builtin_popcountl(W.nodes);
}

/* A random online node. */
static int pick_node(unsigned int *rnd)
{
	int n = xrand(rnd) % W.nr_nodes, i;

	for (i = 0; i < 64; i++)
		if ((W.nodes & (1UL << i)) && !n--)
			return i;
	return 0;
}

/* A random non-empty set of online nodes. */
static unsigned long pick_mask(unsigned int *rnd)
{
	unsigned long m = W.nodes & xrand(rnd);

	return m ? m : 1UL << pick_node(rnd);
}

static int do_mbind(size_t lo, size_t hi, int mode, unsigned long mask)
{
	if (syscall(SYS_mbind, W.r + lo * W.ps, (hi - lo) * W.ps, mode,
		    mode == MPOL_DEFAULT ? NULL : &mask,
		    mode == MPOL_DEFAULT ? 0 : 8 * sizeof(mask) + 1, 0))
		return -errno;
	return 0;
}

static int do_home_node(size_t lo, size_t hi, int node)
{
	if (syscall(SYS_set_mempolicy_home_node, W.r + lo * W.ps,
		    (hi - lo) * W.ps, node, 0))
		return -errno;
	return 0;
}

/*
 * A random sub-range [*LO, *HI): a page range, or for thp mostly whole
 * chunks, so that the VMAs a huge page needs come back between splits.
 */
static void pick_range(unsigned int *rnd, size_t *lo, size_t *hi)
{
	size_t cp = W.chunk_pages;

	if (W.k == K_THP && (xrand(rnd) & 3)) {
		*lo = xrand(rnd) % NCH * cp;
		*hi = *lo + (1 + xrand(rnd) % (NCH - *lo / cp)) * cp;
		return;
	}
	*lo = xrand(rnd) % W.npages;
	*hi = *lo + 1 + xrand(rnd) % (W.npages - *lo);
}

static void flip(unsigned int *rnd)
{
	static const int modes[] = { MPOL_BIND, MPOL_PREFERRED,
				     MPOL_INTERLEAVE };
	size_t lo, hi;
	int mode, err, node;

	pick_range(rnd, &lo, &hi);
	W.flips++;
	if (xrand(rnd) & 1) {
		err = do_mbind(lo, hi, MPOL_DEFAULT, 0);
		if (err)
			merr("mbind(MPOL_DEFAULT) [%zu, %zu): %s", lo, hi,
			     strerror(-err));
		return;
	}
	if (W.w == W_MBIND) {
		mode = modes[xrand(rnd) % 3];
		err = do_mbind(lo, hi, mode,
			       mode == MPOL_PREFERRED ?
			       1UL << pick_node(rnd) : pick_mask(rnd));
		if (err)
			merr("mbind(%d) [%zu, %zu): %s", mode, lo, hi,
			     strerror(-err));
		return;
	}
	/* Every policy of this test is MPOL_BIND, so a home node fits. */
	node = pick_node(rnd);
	if (xrand(rnd) & 1) {
		err = do_mbind(lo, hi, MPOL_BIND, 1UL << node);
		if (err) {
			merr("mbind(MPOL_BIND) [%zu, %zu): %s", lo, hi,
			     strerror(-err));
			return;
		}
		err = do_home_node(lo, hi, node);
	} else {
		/* ENOENT: no VMA of the range had a policy to change. */
		pick_range(rnd, &lo, &hi);
		err = do_home_node(lo, hi, node);
		if (err == -ENOENT)
			err = 0;
	}
	if (err)
		merr("set_mempolicy_home_node [%zu, %zu) node %d: %s", lo, hi,
		     node, strerror(-err));
}

/* ---- the region ---- */

static char *reserve_slot(void)
{
	size_t pmd = pmd_bytes();
	char *raw;

	raw = mmap(NULL, W.len + pmd + 2 * W.ps, PROT_NONE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (raw == MAP_FAILED)
		return NULL;
	return (char *)(((uintptr_t)raw + W.ps + pmd - 1) & ~(uintptr_t)(pmd - 1));
}

/* Map the region at W.r (again: the tables and policies go). */
static int map_region(void)
{
	int flags = MAP_FIXED | (is_shared() ? MAP_SHARED : MAP_PRIVATE);
	char *p;

	if (is_file())
		p = mmap(W.r, W.len, PROT_READ | PROT_WRITE, flags, W.fd, 0);
	else
		p = mmap(W.r, W.len, PROT_READ | PROT_WRITE,
			 flags | MAP_ANONYMOUS, -1, 0);
	if (p != W.r)
		return -1;
	if (W.k == K_THP)
		return madvise(p, W.len, MADV_HUGEPAGE);
	if (!is_file())
		return no_thp(p, W.len);
	return 0;
}

/* Faulters paused: what each page holds after a fresh mapping. */
static void reset_last(void)
{
	size_t p;

	for (p = 0; p < W.npages; p++)
		W.last[p] = is_file() ? FTAG(p) : 0;
}

/* A file of the region's size, FTAG(p) first and last in page p. */
static int fill_file(int fd)
{
	uint64_t t;
	size_t p;

	if (ftruncate(fd, W.len))
		return -1;
	for (p = 0; p < W.npages; p++) {
		t = FTAG(p);
		if (pwrite(fd, &t, 8, p * W.ps) != 8 ||
		    pwrite(fd, &t, 8, (p + 1) * W.ps - 8) != 8)
			return -1;
	}
	return 0;
}

/* An unlinked file on a private ramfs mount, detached: fd or -errno. */
static int ramfs_file(void)
{
	char dir[] = "/tmp/spf-mpol-XXXXXX", path[64];
	int fd, err;

	if (!mkdtemp(dir))
		return -errno;
	if (mount("spf", dir, "ramfs", 0, NULL)) {
		err = -errno;
		rmdir(dir);
		return err;
	}
	snprintf(path, sizeof(path), "%s/f", dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	err = fd < 0 ? -errno : 0;
	unlink(path);
	umount2(dir, MNT_DETACH);
	rmdir(dir);
	return err ? err : fd;
}

static int region_setup(enum kind k, enum writer w)
{
	size_t p;

	memset(&W, 0, sizeof(W));
	W.k = k;
	W.w = w;
	W.fd = -1;
	W.ps = page_size();
	W.chunk_pages = pmd_bytes() / W.ps;
	W.npages = NCH * W.chunk_pages;
	if (W.npages > MAX_PAGES)
		return -EINVAL;
	W.len = W.npages * W.ps;
	read_nodes();
	if (k == K_PRIVATE_WRITE)
		W.fd = ramfs_file();
	else if (is_file())
		W.fd = memfd_create("spf-mpol", MFD_CLOEXEC);
	if (is_file() && (W.fd < 0 || fill_file(W.fd)))
		return W.fd < 0 ? W.fd : -EIO;
	W.r = reserve_slot();
	if (!W.r || map_region())
		return -errno;
	reset_last();
	/* The write-protect kinds store into every page before the fork. */
	if (k == K_WP_REUSE || k == K_WP_COPY) {
		for (p = 0; p < W.npages; p++) {
			W.last[p] = ((uint64_t)(p + 1) << 32) | 0xffff;
			*wlast(p) = ~W.last[p];
			*word0(p) = W.last[p];
		}
	}
	return 0;
}

/* ---- the faulters ---- */

static bool check_page(size_t p, uint64_t v, uint64_t l)
{
	return v == W.last[p] && l == last_word_of(p, v);
}

static void check_read(struct faulter *f, size_t p)
{
	uint64_t v = READ_ONCE(*word0(p)), l = READ_ONCE(*wlast(p)), fv;

	if (!check_page(p, v, l))
		ferr(f, "page %zu reads %#llx/%#llx, expected %#llx", p,
		     (unsigned long long)v, (unsigned long long)l,
		     (unsigned long long)W.last[p]);
	if (!is_file())
		return;
	fv = file_word(p);
	if (is_shared() ? fv != v : fv != FTAG(p))
		ferr(f, "page %zu: mapping reads %#llx, pread %#llx", p,
		     (unsigned long long)v, (unsigned long long)fv);
}

static void store_tag(struct faulter *f, size_t p)
{
	uint64_t tag = ((uint64_t)(p + 1) << 32) | (++f->seq & 0xffffffff);
	uint64_t fv;

	if (!is_file())
		WRITE_ONCE(*wlast(p), ~tag);
	barrier();
	WRITE_ONCE(*word0(p), tag);
	barrier();
	W.last[p] = tag;
	check_read(f, p);
	if (is_file() && !is_shared()) {
		fv = file_word(p);
		if (fv != FTAG(p))
			ferr(f, "page %zu: private store reached the file (%#llx)",
			     p, (unsigned long long)fv);
	}
}

static void drop(size_t p, size_t n)
{
	size_t i;

	if (madvise(W.r + p * W.ps, n * W.ps, MADV_DONTNEED))
		return;
	for (i = p; i < p + n; i++)
		W.last[i] = is_file() && !is_shared() ? FTAG(i) :
			    is_file() ? W.last[i] : 0;
}

static void visit_thp(struct faulter *f)
{
	size_t c0 = f->id * W.chunk_pages, q, o;
	unsigned long held = atomic_load(&W.held);

	drop(c0, W.chunk_pages);
	q = c0 + xrand(&f->rnd) % W.chunk_pages;
	store_tag(f, q);
	if (held)
		W.fresh[q] = held;
	o = c0 + xrand(&f->rnd) % W.chunk_pages;
	check_read(f, o);
}

static void visit(struct faulter *f)
{
	size_t span = W.npages / NF, p;
	unsigned long held = atomic_load(&W.held);
	bool dropped = false, rd;

	if (W.k == K_THP) {
		visit_thp(f);
		f->visits++;
		return;
	}
	p = (xrand(&f->rnd) % span) * NF + f->id;
	switch (W.k) {
	case K_ANON:
	case K_WP_ZERO:
		dropped = true;
		break;
	case K_WP_REUSE:
	case K_WP_COPY:
	case K_SWAP:
		break;
	default:
		dropped = xrand(&f->rnd) & 1;
	}
	if (dropped)
		drop(p, 1);
	/*
	 * The first visit after the region was mapped anew reads: a
	 * write into a VMA with no anon_vma yet is stock, table and all.
	 */
	rd = W.k == K_WP_ZERO || W.k == K_SWAP || W.k == K_FILE_READ ||
	     W.k == K_FILE_READ_NT || f->anew != READ_ONCE(W.anew) ||
	     (W.k != K_ANON && (xrand(&f->rnd) & 1));
	f->anew = READ_ONCE(W.anew);
	if (rd)
		check_read(f, p);
	if (W.k != K_FILE_READ && W.k != K_FILE_READ_NT) {
		store_tag(f, p);
		if (held && dropped && (W.k != K_SHARED_WRITE))
			W.fresh[p] = held;
	}
	f->visits++;
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

/* ---- the main thread's round ---- */

/* Faulters paused: every page against its owner's record. */
static void verify_all(void)
{
	uint64_t v, l, fv;
	size_t p;

	for (p = 0; p < W.npages; p++) {
		v = READ_ONCE(*word0(p));
		l = READ_ONCE(*wlast(p));
		W.checks++;
		if (!check_page(p, v, l)) {
			merr("page %zu reads %#llx/%#llx, its faulter expects %#llx",
			     p, (unsigned long long)v, (unsigned long long)l,
			     (unsigned long long)W.last[p]);
			return;
		}
		if (!is_file())
			continue;
		fv = file_word(p);
		if (is_shared() ? fv != v : fv != FTAG(p)) {
			merr("page %zu reads %#llx, pread %#llx", p,
			     (unsigned long long)v, (unsigned long long)fv);
			return;
		}
	}
}

/* The counters no fault may move in a held phase, for this kind. */
static bool held_forbidden(int c)
{
	if (W.k == K_PRIVATE_WRITE)
		return c == SPF_C_SPEC_FILE_WRITE;
	if (is_file())
		return false;	/* reads and shared writes allocate nothing */
	/* Any anonymous fault; a file read elsewhere (text) may happen. */
	return c >= SPF_C_SPEC_READ && c < SPF_C_FIRST_ABORT &&
	       c != SPF_C_SPEC_FILE && c != SPF_C_SPEC_FILE_WRITE;
}

/*
 * After a fork (the wp kinds), the first store to a page of this
 * process's own data is a write-protect fault of its own, outside the
 * region's policy (a copy while the child lives, a reuse of a page
 * the child copied for itself, its stack say): take those now,
 * faulters paused, so that the held phase's counters count the
 * region's faults alone.  The globals, and the stack below this frame
 * as far as the held phase's calls reach; an atomic add of 0 is a
 * store that cannot undo a faulter's update of the same word.
 */
#define STACK_TOUCH	(32 * 1024)

static noinline void touch_own_data(void)
{
	char below[STACK_TOUCH];
	char *p = (char *)&W, *end = p + sizeof(W);
	size_t i;

	for (; p < end; p += W.ps)
		__atomic_fetch_add(p, 0, __ATOMIC_RELAXED);
	__atomic_fetch_add((char *)end - 1, 0, __ATOMIC_RELAXED);
	for (i = 0; i < STACK_TOUCH; i += 256)
		WRITE_ONCE(below[i], 0);
	keep((unsigned long)below);
}

/*
 * Faulters paused: bind the whole region to one node, let the
 * faulters run, pause them again and check that nothing allocating
 * was speculative and that what was allocated is on that node.
 */
static void held_phase(unsigned int *rnd)
{
	struct spf_counts a, b, d;
	long tables;
	size_t p;
	int c, node, err;

	node = pick_node(rnd);
	err = do_mbind(0, W.npages, MPOL_BIND, 1UL << node);
	if (!err && W.w == W_HOME_NODE)
		err = do_home_node(0, W.npages, node);
	if (err) {
		merr("binding the region to node %d: %s", node,
		     strerror(-err));
		return;
	}
	W.held_node = node;
	W.epoch++;
	touch_own_data();
	if (spf_counts_read(&a)) {
		merr("reading the counters: %s", strerror(errno));
		return;
	}
	tables = spf_stat("pte_tables");
	atomic_store(&W.held, W.epoch);
	resume_faulters();
	usleep(1000 + xrand(rnd) % 2000);
	pause_faulters();
	atomic_store(&W.held, 0);
	tables = spf_stat("pte_tables") - tables;
	if (spf_counts_read(&b)) {
		merr("reading the counters: %s", strerror(errno));
		return;
	}
	spf_counts_sub(&b, &a, &d);
	for (c = SPF_C_SPEC_READ; c < SPF_C_FIRST_ABORT; c++)
		if (held_forbidden(c) && d.c[c])
			merr("%s moved by %ld with the whole region under MPOL_BIND; faults:%s",
			     spf_ctr_name(c), d.c[c], spf_counts_str(&d));
	if (!is_file() && tables)
		merr("spf added %ld PTE tables with the whole region under MPOL_BIND",
		     tables);
	for (p = 0; p < W.npages; p++) {
		if (W.fresh[p] != W.epoch)
			continue;
		node = -1;
		W.node_checks++;
		if (syscall(SYS_get_mempolicy, &node, NULL, 0, word0(p),
			    MPOL_F_NODE | MPOL_F_ADDR) || node != W.held_node) {
			merr("page %zu, allocated under MPOL_BIND to node %d, is on node %d",
			     p, W.held_node, node);
			break;
		}
	}
}

/* Faulters paused: get the next flip phase's faults ready. */
static void prepare(void)
{
	int st, i, pfd[2];
	char c = 0;

	if (maps_anew()) {
		if (map_region())
			merr("mapping the region anew: %s", strerror(errno));
		reset_last();
		W.anew++;
	}
	if (W.k == K_WP_REUSE || W.k == K_WP_COPY) {
		if (W.child > 0) {
			kill(W.child, SIGKILL);
			waitpid(W.child, &st, 0);
			W.child = 0;
		}
		if (pipe2(pfd, O_CLOEXEC)) {
			merr("pipe: %s", strerror(errno));
			return;
		}
		W.child = fork();
		if (!W.child) {
			/* Its own faults after fork are done before it says so. */
			if (write(pfd[1], &c, 1) == 1 && W.k == K_WP_COPY)
				pause();
			_exit(0);
		}
		if (W.child < 0 || read(pfd[0], &c, 1) != 1)
			merr("fork: %s", strerror(errno));
		close(pfd[0]);
		close(pfd[1]);
		if (W.k == K_WP_REUSE && W.child > 0) {
			waitpid(W.child, &st, 0);
			W.child = 0;
		}
	}
	if (W.k == K_SWAP) {
		/* A page still in a per-CPU LRU cache is skipped: retry. */
		for (i = 0; i < 3; i++)
			madvise(W.r, W.len, MADV_PAGEOUT);
		madvise(W.r, W.len, MADV_WILLNEED);
	}
}

/* The counter that says a fault of this kind was speculative. */
static int kind_counter(void)
{
	static const int ctr[] = {
		[K_ANON] = SPF_C_SPEC_WRITE,
		[K_WP_REUSE] = SPF_C_SPEC_WP_REUSE,
		[K_WP_COPY] = SPF_C_SPEC_WP_COPY,
		[K_WP_ZERO] = SPF_C_SPEC_WP_ZERO,
		[K_FILE_READ] = SPF_C_SPEC_FILE,
		[K_FILE_READ_NT] = SPF_C_SPEC_FILE,
		[K_SHARED_WRITE] = SPF_C_SPEC_FILE_WRITE,
		[K_PRIVATE_WRITE] = SPF_C_SPEC_FILE_WRITE,
		[K_SWAP] = SPF_C_SPEC_SWAP,
		[K_THP] = SPF_C_SPEC_THP,
		[K_NEW_TABLE] = SPF_C_SPEC_READ,
	};

	return ctr[W.k];
}

/* Flip-phase sums of the kind's counter and of pte_tables. */
static long flip_spec, flip_tables;

static void round_once(unsigned int *rnd)
{
	struct spf_counts a, b;
	long tables;
	int i;

	prepare();
	W.rounds++;
	spf_counts_read(&a);
	tables = spf_stat("pte_tables");
	resume_faulters();
	/* Most of the region speculable at first: its policies dropped. */
	if (do_mbind(0, W.npages, MPOL_DEFAULT, 0))
		merr("mbind(MPOL_DEFAULT) of the region: %s", strerror(errno));
	for (i = 0; i < FLIPS && !W.mut_errors; i++) {
		let_run(rnd, 1);
		flip(rnd);
	}
	let_run(rnd, 1);
	pause_faulters();
	spf_counts_read(&b);
	flip_spec += b.c[kind_counter()] - a.c[kind_counter()];
	flip_tables += spf_stat("pte_tables") - tables;
	verify_all();
	if (!W.mut_errors)
		held_phase(rnd);
}

static bool seen_enough(void)
{
	return flip_spec > 0 && (!adds_tables() || flip_tables > 0);
}

static void knobs(const char *us)
{
	spf_write_file(SPF_DEBUGFS "/inject_commit_delay_us", us);
	spf_write_file(SPF_DEBUGFS "/inject_table_delay_us", us);
	spf_write_file(SPF_DEBUGFS "/inject_file_delay_us", us);
	spf_write_file(SPF_DEBUGFS "/inject_swap_delay_us", us);
}

static const char *const kind_names[] = {
	[K_ANON] = "anon first touch", [K_WP_REUSE] = "wp reuse",
	[K_WP_COPY] = "wp copy", [K_WP_ZERO] = "wp zero page",
	[K_FILE_READ] = "file read, table present",
	[K_FILE_READ_NT] = "file read, new table",
	[K_SHARED_WRITE] = "shared file write",
	[K_PRIVATE_WRITE] = "private file write (ramfs)",
	[K_SWAP] = "swap-cache hit", [K_THP] = "THP",
	[K_NEW_TABLE] = "new PTE table (anon)",
};

/* THP for a MADV_HUGEPAGE region: "always" or "madvise". */
static bool thp_usable(void)
{
	char buf[128] = "";

	if (spf_read_file("/sys/kernel/mm/transparent_hugepage/enabled", buf,
			  sizeof(buf)))
		return false;
	return !strstr(buf, "[never]");
}

/* Can this guest set a VMA policy (CONFIG_NUMA)? */
static bool have_mbind(void)
{
	size_t ps = page_size();
	unsigned long node0 = 1;
	char *q = mmap(NULL, ps, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1,
		       0);
	bool ok = q != MAP_FAILED &&
		  !syscall(SYS_mbind, q, ps, MPOL_PREFERRED, &node0,
			   8 * sizeof(node0), 0);

	if (q != MAP_FAILED)
		munmap(q, ps);
	return ok;
}

static bool have_home_node(void)
{
	return syscall(SYS_set_mempolicy_home_node, 0, 0, 0, 1) &&
	       errno == EINVAL;
}

static void run(struct __test_metadata *_metadata, enum kind k,
		enum writer w)
{
	const char *kname = kind_names[k];
	const char *wname = w == W_MBIND ? "mbind" : "home_node";
	struct spf_counts before, after, d;
	unsigned int rnd = 0x2545f491;
	unsigned long visits = 0;
	double end, secs = env_secs("SPF_MPOL_SECS", 0.5);
	int i, err;

	if (!spec_ready(_metadata))
		return;
	if (!have_mbind())
		SKIP(return, "mbind: %s", strerror(errno));
	if (w == W_HOME_NODE && !have_home_node())
		SKIP(return, "set_mempolicy_home_node(): %s", strerror(errno));
	if (k == K_THP && !thp_usable())
		SKIP(return, "no THP for MADV_HUGEPAGE regions on this kernel");
	if (k == K_SWAP && swap_on())
		SKIP(return, "%s", swap_why);
	err = region_setup(k, w);
	if (k == K_PRIVATE_WRITE && (err == -ENODEV || err == -EPERM))
		SKIP(return, "no ramfs here (%s)", strerror(-err));
	ASSERT_EQ(0, err) {
		TH_LOG("%s: setting up the region: %s", kname, strerror(-err));
	}
	flip_spec = flip_tables = 0;
	knobs("20");
	ASSERT_EQ(0, spf_counts_read(&before));
	atomic_store(&W.pause, 1);
	for (i = 0; i < NF; i++) {
		W.f[i].id = i;
		W.f[i].rnd = 0x9e3779b9u * (i + 1);
		ASSERT_EQ(0, start_thread(&W.f[i].thread, faulter_main,
					  &W.f[i]));
	}
	pause_faulters();
	end = now_s() + secs;
	while (now_s() < end && !W.mut_errors)
		round_once(&rnd);
	/* A slow kernel may need longer to see a fault of the kind. */
	end += 7 * secs;
	while (now_s() < end && !W.mut_errors && !seen_enough())
		round_once(&rnd);
	atomic_store(&W.stop, true);
	for (i = 0; i < NF; i++)
		pthread_join(W.f[i].thread, NULL);
	knobs("0");
	if (W.child > 0) {
		kill(W.child, SIGKILL);
		waitpid(W.child, NULL, 0);
	}
	ASSERT_TRUE(spf_counts_consistent(&after));
	spf_counts_sub(&after, &before, &d);
	for (i = 0; i < NF; i++) {
		visits += W.f[i].visits;
		EXPECT_EQ(0UL, W.f[i].errors) {
			TH_LOG("%s, %s: faulter %d: %s", kname, wname, i,
			       W.f[i].msg);
		}
	}
	EXPECT_EQ(0UL, W.mut_errors) {
		TH_LOG("%s, %s: round %lu: %s", kname, wname, W.rounds,
		       W.mut_msg);
	}
	TH_LOG("%s, %s: %lu rounds, %lu flips, %lu visits, %lu checks, %lu node checks (%d node%s online)",
	       kname, wname, W.rounds, W.flips, visits, W.checks,
	       W.node_checks, W.nr_nodes, W.nr_nodes == 1 ? "" : "s");
	TH_LOG("%s, %s: in flip phases %s %ld, pte_tables %ld; faults:%s",
	       kname, wname, spf_ctr_name(kind_counter()), flip_spec,
	       flip_tables, spf_counts_str(&d));
	EXPECT_LT(0UL, W.rounds);
	EXPECT_LT(0, flip_spec) {
		TH_LOG("%s, %s: no fault of the kind was speculative", kname,
		       wname);
	}
	if (adds_tables())
		EXPECT_LT(0, flip_tables) {
			TH_LOG("%s, %s: spf added no PTE table", kname, wname);
		}
}

FIXTURE(mpol) {
};

FIXTURE_VARIANT(mpol) {
	enum kind k;
};

FIXTURE_VARIANT_ADD(mpol, anon_first_touch) { .k = K_ANON };
FIXTURE_VARIANT_ADD(mpol, wp_reuse) { .k = K_WP_REUSE };
FIXTURE_VARIANT_ADD(mpol, wp_copy) { .k = K_WP_COPY };
FIXTURE_VARIANT_ADD(mpol, wp_zero) { .k = K_WP_ZERO };
FIXTURE_VARIANT_ADD(mpol, file_read) { .k = K_FILE_READ };
FIXTURE_VARIANT_ADD(mpol, file_read_new_table) { .k = K_FILE_READ_NT };
FIXTURE_VARIANT_ADD(mpol, shared_file_write) { .k = K_SHARED_WRITE };
FIXTURE_VARIANT_ADD(mpol, private_file_write) { .k = K_PRIVATE_WRITE };
FIXTURE_VARIANT_ADD(mpol, swap_cache_hit) { .k = K_SWAP };
FIXTURE_VARIANT_ADD(mpol, thp) { .k = K_THP };
FIXTURE_VARIANT_ADD(mpol, new_table) { .k = K_NEW_TABLE };

/*
 * The module is loaded once for all 22 cases, not reloaded for each:
 * they compare counter deltas only, and a reload costs more than a
 * case's race on the slower kernels.
 */
FIXTURE_SETUP(mpol)
{
	if (!spf_ko())
		SKIP(return, "SPF_KO is not set");
	if (!spf_loaded())
		ASSERT_EQ(0, spf_load(NULL));
	ASSERT_EQ(0, prefault_self());
}

FIXTURE_TEARDOWN(mpol)
{
	knobs("0");
}

TEST_F_TIMEOUT(mpol, mbind, SPF_SOAK_TIMEOUT)
{
	run(_metadata, variant->k, W_MBIND);
}

TEST_F_TIMEOUT(mpol, home_node, SPF_SOAK_TIMEOUT)
{
	run(_metadata, variant->k, W_HOME_NODE);
}

TEST_HARNESS_MAIN
