/* SPDX-License-Identifier: GPL-2.0 */
/*
 * More fault kinds for a write-section race (docs/audit-races.md, group
 * 2).  A race's faulters touch their pages again and again; between the
 * writer's rounds, with the faulters parked, spf_kinds_step() leaves the
 * region so that the faulters' next touches are faults of one more kind,
 * in turn:
 *
 *   THP        the region (one PMD-aligned chunk) mapped anew, THP on:
 *              the first store maps a huge page (inject_table_delay_us)
 *   table      the same with THP off: the first touch adds the PTE
 *              table (inject_table_delay_us)
 *   wp copy    a child forked to hold the pages: a store copies
 *   wp reuse   that child gone: a store makes the page writable again
 *   swap       MADV_PAGEOUT, then MADV_WILLNEED back into the swap
 *              cache: a touch maps it from there (inject_swap_delay_us)
 *
 * The region is mapped anew by unmapping it and growing the page below
 * it (its anchor, written once, so the VMA has its anon_vma) over it
 * again with mremap(): the grown VMA has the anon_vma and the chunk's
 * pmd is empty, so even the first store is speculable.  The caller
 * zeroes what it knew of the data after such a step (spf_kinds_step()
 * bumps ->gen), and its faulters store first into a region mapped anew
 * (a read of an empty pmd would map the huge zero page, stock).
 *
 * The holder child snapshots the first word of each page and, when told
 * to go, checks that none changed: a parent's store that landed in the
 * shared page instead of a copy shows there.
 *
 * A region with no anchor (a race that maps and unmaps it itself) can
 * still have the THP and new-table kinds when its caller sets ->renew,
 * a function that maps the region anew its own way (with an anon_vma
 * and empty pmds, THP on or off).  A caller whose race forks children
 * of its own sets ->own_child: the wp copy and reuse steps then fork no
 * holder, and the caller makes those kinds with its children.  The faulters check the
 * parent's side as usual.  spf_kinds_unseen() names the claimed kinds no
 * fault has been taken of speculatively yet, from the module's
 * counters, so that a case can run on until each was, and fail if one
 * never was.  Include after spf_util.h and spf_swap.h.
 */
#ifndef SPF_KINDS_H
#define SPF_KINDS_H

#include <sys/wait.h>

enum spf_kind {
	SPF_K_THP, SPF_K_TABLE, SPF_K_WP_COPY, SPF_K_WP_REUSE, SPF_K_SWAP,
	SPF_K_NR
};
#define SPF_K(k)	(1u << (k))
#define SPF_K_WP	(SPF_K(SPF_K_WP_COPY) | SPF_K(SPF_K_WP_REUSE))
#define SPF_K_ALL	(SPF_K(SPF_K_NR) - 1)
#define SPF_K_MAX_PAGES	1024

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT	21
#endif

static const char *const spf_kind_names[SPF_K_NR] = {
	"THP", "new table", "wp copy", "wp reuse", "swap-cache hit",
};

/* The counter that moves when a fault of the kind was speculative. */
static const char *const spf_kind_ctrs[SPF_K_NR] = {
	"spec_thp", "pte_tables", "spec_wp_copy", "spec_wp_reuse",
	"spec_swap",
};

struct spf_kinds {
	char *r;		/* the region */
	size_t len;
	char *anchor;		/* the page below it, same VMA; NULL: fixed */
	/* Without an anchor: map the region anew, THP on or off; 0 or -1. */
	int (*renew)(struct spf_kinds *k, bool thp);
	bool own_child;		/* wp copy, reuse: the caller's children */
	size_t swap_piece;	/* out and back in pieces this big; 0: at once */
	unsigned int want;	/* the kinds the case claims */
	unsigned int have;	/* ... that this guest can make */
	int cur;		/* the kind the last step set up, or -1 */
	unsigned long gen;	/* bumped each time the region is new */
	pid_t holder;
	int hold_fd;
	unsigned long steps[SPF_K_NR];
	double secs[SPF_K_NR];	/* spent setting each kind up */
	long seen0[SPF_K_NR];
	char why[384];		/* kinds wanted but not had, and why */
};

/*
 * One PMD-aligned chunk of LEN bytes with its anchor page below it, in
 * one VMA with THP off and the anchor written: 0 or -1.
 */
static inline int spf_kinds_map(struct spf_kinds *k, size_t len)
{
	size_t ps = page_size(), pmd = pmd_bytes();
	char *raw, *r;

	raw = spf_reserve(len + pmd + 2 * ps);	/* LEN: whole PMDs */
	if (!raw)
		return -1;
	r = (char *)(((uintptr_t)raw + ps + pmd - 1) & ~(uintptr_t)(pmd - 1));
	if (mmap(r - ps, ps + len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != r - ps ||
	    no_thp(r - ps, ps + len))
		return -1;
	WRITE_ONCE(*(r - ps), 1);	/* the anon_vma: stock */
	k->r = r;
	k->len = len;
	k->anchor = r - ps;
	return 0;
}

/* Is THP usable for a VMA that asks (madvise or always)? */
static bool spf_kinds_thp_on(void)
{
	char thp[128];

	return spf_thp_on(thp, sizeof(thp));
}

/*
 * The kinds of WANT this guest can make on region R (LEN bytes; mapped
 * by spf_kinds_map() when K->anchor is set), and each kind's counter
 * now.  SWAP_OK: swap_on() succeeded.
 */
static void spf_kinds_init(struct spf_kinds *k, char *r, size_t len,
			   unsigned int want, bool swap_ok)
{
	size_t n = 0;
	int i;

	if (!k->anchor) {
		k->r = r;
		k->len = len;
	}
	k->want = want;
	k->have = want;
	k->cur = -1;
	k->hold_fd = -1;
	k->why[0] = '\0';
	if (!k->anchor && !k->renew)
		k->have &= ~(SPF_K(SPF_K_THP) | SPF_K(SPF_K_TABLE));
	if ((k->have & SPF_K(SPF_K_THP)) &&
	    (spf_stat("spec_thp") < 0 || !spf_kinds_thp_on() ||
	     madvise(k->r, k->len, MADV_HUGEPAGE) ||
	     no_thp(k->r, k->len))) {
		k->have &= ~SPF_K(SPF_K_THP);
		n += snprintf(k->why + n, sizeof(k->why) - n,
			      " no THP (THP off, or none in this kernel or spf);");
	}
	if ((k->have & SPF_K(SPF_K_SWAP)) && !swap_ok) {
		k->have &= ~SPF_K(SPF_K_SWAP);
		snprintf(k->why + n, sizeof(k->why) - n, " %.250s;", swap_why);
	}
	for (i = 0; i < SPF_K_NR; i++)
		k->seen0[i] = spf_stat(spf_kind_ctrs[i]);
}

/* The kinds had that no speculative fault was taken of yet. */
static unsigned int spf_kinds_unseen(const struct spf_kinds *k)
{
	unsigned int m = 0;
	int i;

	for (i = 0; i < SPF_K_NR; i++)
		if ((k->have & SPF_K(i)) &&
		    spf_stat(spf_kind_ctrs[i]) <= k->seen0[i])
			m |= SPF_K(i);
	return m;
}

/* The names of the kinds in MASK, with their counters. */
static const char *spf_kinds_names(unsigned int mask)
{
	static char buf[256];
	size_t n = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < SPF_K_NR; i++)
		if (mask & SPF_K(i))
			n += snprintf(buf + n, sizeof(buf) - n, " %s (%s)",
				      spf_kind_names[i], spf_kind_ctrs[i]);
	return buf;
}

/* "name=count (steps)" for each kind had, and the ones not had. */
static const char *spf_kinds_str(const struct spf_kinds *k)
{
	static char buf[512];
	size_t n = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < SPF_K_NR; i++)
		if (k->have & SPF_K(i))
			n += snprintf(buf + n, sizeof(buf) - n,
				      " %s=%ld (%lu steps, %.2f s)",
				      spf_kind_ctrs[i],
				      spf_stat(spf_kind_ctrs[i]) - k->seen0[i],
				      k->steps[i], k->secs[i]);
	if (k->want != k->have)
		snprintf(buf + n, sizeof(buf) - n, "; not made:%s", k->why);
	return buf;
}

static sigjmp_buf spf_kinds_jb;

static void spf_kinds_segv(int sig)
{
	siglongjmp(spf_kinds_jb, 1);
}

/* *V = the word at A: true, or false when A is not mapped. */
static noinline bool spf_kinds_read(const uint64_t *a, uint64_t *v)
{
	if (sigsetjmp(spf_kinds_jb, 0))
		return false;
	*v = READ_ONCE(*a);
	return true;
}

/*
 * The holder: snapshot the first word of each page (or that it is not
 * mapped: MADV_DONTFORK), wait for the parent to close FD, check again.
 * Exit 0, or 12 when a word changed under it.  One handler for all the
 * reads: a probe's sigaction() calls per page cost milliseconds in TCG.
 */
static void spf_kinds_hold(const struct spf_kinds *k, int fd)
{
	static uint64_t snap[SPF_K_MAX_PAGES];
	static bool gone[SPF_K_MAX_PAGES];
	struct sigaction sa = {
		.sa_handler = spf_kinds_segv,
		.sa_flags = SA_NODEFER,
	};
	size_t ps = page_size(), n = k->len / ps, p;
	char c;

	if (n > SPF_K_MAX_PAGES)
		n = SPF_K_MAX_PAGES;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, NULL);
	for (p = 0; p < n; p++)
		gone[p] = !spf_kinds_read((uint64_t *)(k->r + p * ps),
					  &snap[p]);
	while (read(fd, &c, 1) < 0 && errno == EINTR)
		;
	for (p = 0; p < n; p++)
		if (!gone[p] && READ_ONCE(*(uint64_t *)(k->r + p * ps)) !=
				snap[p])
			_exit(12);
	_exit(0);
}

/* Let the holder go and check it: 0, or -1 with ERR filled. */
static int spf_kinds_release(struct spf_kinds *k, char *err, size_t n)
{
	int st = 0;

	if (!k->holder)
		return 0;
	close(k->hold_fd);
	k->hold_fd = -1;
	if (waitpid(k->holder, &st, 0) != k->holder || !WIFEXITED(st) ||
	    WEXITSTATUS(st)) {
		snprintf(err, n, "holder child: status %#x (exit 12: a store of the parent's reached the child's page)",
			 st);
		k->holder = 0;
		return -1;
	}
	k->holder = 0;
	return 0;
}

/* Unmap the chunk and grow the anchor over it again: an empty pmd. */
static int spf_kinds_remap(struct spf_kinds *k, bool thp)
{
	size_t ps = page_size();

	if (munmap(k->r, k->len) ||
	    mremap(k->anchor, ps, ps + k->len, 0) != k->anchor)
		return -1;
	if (thp && madvise(k->r, k->len, MADV_HUGEPAGE))
		return -1;
	k->gen++;
	return 0;
}

/* Set the region up for kind NEXT: NEXT, or -1 with ERR filled. */
static int spf_kinds_setup(struct spf_kinds *k, int next, char *err, size_t n)
{
	switch (next) {
	case SPF_K_THP:
	case SPF_K_TABLE:
		if (k->renew ? k->renew(k, next == SPF_K_THP) :
			       spf_kinds_remap(k, next == SPF_K_THP)) {
			snprintf(err, n, "mapping the region anew: %s",
				 strerror(errno));
			return -1;
		}
		if (k->renew)
			k->gen++;
		break;
	case SPF_K_WP_COPY: {
		int fds[2];

		if (k->own_child)
			break;
		if (pipe2(fds, O_CLOEXEC)) {
			snprintf(err, n, "pipe: %s", strerror(errno));
			return -1;
		}
		k->holder = fork();
		if (!k->holder) {
			close(fds[1]);
			spf_kinds_hold(k, fds[0]);
		}
		close(fds[0]);
		k->hold_fd = fds[1];
		if (k->holder < 0) {
			k->holder = 0;
			close(fds[1]);
			snprintf(err, n, "fork: %s", strerror(errno));
			return -1;
		}
		break;
	}
	case SPF_K_WP_REUSE:
		break;		/* the holder went above */
	case SPF_K_SWAP: {
		/* A quarter at a time: compressing it all is slow in TCG. */
		size_t part = k->len / 4, off = k->steps[next] % 4 * part;
		size_t piece = k->swap_piece ? k->swap_piece : part, p;

		/*
		 * Faulters that run on meanwhile would swap most of a big
		 * part in themselves, not from the swap cache: pieces.
		 */
		for (p = off; p < off + part; p += piece) {
			spf_pageout_everywhere(k->r + p, piece);
			if (madvise(k->r + p, piece, MADV_WILLNEED)) {
				snprintf(err, n, "MADV_WILLNEED: %s",
					 strerror(errno));
				return -1;
			}
		}
		break;
	}
	}
	return next;
}

/* The kind the next spf_kinds_step() sets up, or SPF_K_NR for none. */
static int spf_kinds_next(const struct spf_kinds *k)
{
	int i, next = k->cur;

	for (i = 0; i < SPF_K_NR; i++) {
		next = (next + 1) % SPF_K_NR;
		if (k->have & SPF_K(next))
			break;
	}
	if (i == SPF_K_NR)
		return SPF_K_NR;
	/* A reuse needs the copy's holder first: run on with it. */
	if (next == SPF_K_WP_REUSE && k->cur != SPF_K_WP_COPY &&
	    (k->have & SPF_K(SPF_K_WP_COPY)))
		next = SPF_K_WP_COPY;
	return next;
}

/*
 * With the faulters parked: end the last kind's set-up and make the next
 * kind had.  Returns that kind, -1 with ERR filled on a failure, or
 * SPF_K_NR when no kind is had.
 */
static int spf_kinds_step(struct spf_kinds *k, char *err, size_t n)
{
	struct timespec t0, t1;
	int ret, next;

	if (spf_kinds_release(k, err, n))
		return -1;
	next = spf_kinds_next(k);
	if (next == SPF_K_NR)
		return SPF_K_NR;
	k->cur = next;
	k->steps[next]++;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ret = spf_kinds_setup(k, next, err, n);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	k->secs[next] += t1.tv_sec - t0.tv_sec +
			 (t1.tv_nsec - t0.tv_nsec) / 1e9;
	return ret;
}

/* The pauses of the new-table, THP, swap-cache and wp windows: VAL us. */
static void spf_kinds_knobs(const char *val)
{
	spf_write_file(SPF_DEBUGFS "/inject_table_delay_us", val);
	spf_write_file(SPF_DEBUGFS "/inject_swap_delay_us", val);
	spf_write_file(SPF_DEBUGFS "/inject_wp_delay_us", val);
}
#endif
