// SPDX-License-Identifier: GPL-2.0
/*
 * Writers that change what a speculative fault relies on without
 * mmap_lock for write (docs/audit-writers.md rows 24, 25, 26, 27, 35,
 * 36, 37, 38, 40, 41, 42, 45, 46), raced against faults: one variant
 * per writer and memory (anonymous or file), one faulter/verify loop,
 * each fault kind the writer can meet made in turn.
 *
 * Anonymous kinds: two faulter threads each own a PMD of one region
 * (its first NPT pages; a THP split uses all of it).  Round r writes
 * round r's tag into two words of every page, twice, reading each back,
 * and checks every page at the round's end.  Before the writes, the
 * round makes its pages fault as one kind, in turn: first touch (zap
 * with MADV_DONTNEED), wp reuse (a child forked and gone: the pages are
 * read-only and the faulter's alone), wp zero page (zap, read every
 * page as zero, then write), wp copy (a child holds the pages until the
 * writes are done and checks its copy kept round r - 1), new PTE table
 * (the PMD mapped anew, THP off), swap-cache hit (MADV_PAGEOUT then
 * MADV_WILLNEED, and round r - 1 read back; needs zram) and THP (the PMD
 * mapped anew with MADV_HUGEPAGE).  A PMD mapped anew merges into the
 * page-sized anchor VMA that follows it and so has an anon_vma (a VMA's
 * first write is stock).  The kinds that keep the pages check round
 * r - 1 first.  A writer that may discard a page (MADV_FREE, a partial
 * MADV_DONTNEED of a THP) leaves a word 0; any other value is a lost or
 * misplaced write.  inject_commit_delay_us, inject_table_delay_us and
 * inject_swap_delay_us hold the first-touch, table and swap-cache
 * windows open (20 us).  Row 46 races THP in a round of its own after
 * the others, at memory.high rather than memory.max (memcg_thp_round()).
 *
 * File kinds: a pager publishes round k's tags into a file (or keeps
 * round 0 in a file on a disk-backed file system; on ext4, rows 35 and
 * 36, a hole punched over the whole file and refilled, or an O_DIRECT
 * write of round k, which invalidates the cache); readers fault pages
 * while spf pauses between a page's reference and its lock
 * (inject_file_delay_us) and before it publishes a table
 * (inject_table_delay_us: 200 us in the new-table phase), and check every word is the page's and no
 * older than the round published before the fault.  The race runs in
 * phases of one kind each: reads into a present table (zapped now and
 * then), reads through a mapping mapped anew at its PMD before each
 * visit (a new table), shared writes (tmpfs only: a disk file's are
 * stock) and private writes of a word of the reader's own, read back
 * through the mapping and checked with pread(): the shared one must be
 * in the file, the private one must not.  A read, new-table or
 * shared-write visit first reads the last visit's page again through
 * the PTE that visit's fault set: a PTE left mapping a page the writer
 * took out of the file shows an older round.  Readers are idle between phases, so
 * that the counters read there say which kinds were speculated.
 *
 * The anonymous rows' writers race the file kinds too, in variants of
 * their own (*_file), with the same readers and pauses on a memfd (row
 * 46: the disk file it streams, so no shared writes): row 24 zaps a
 * reader's read and private maps with MADV_DONTNEED (MADV_FREE refuses
 * a file VMA; a private store zapped before it is read back reads the
 * file's 0); row 25 collapses the file into a huge folio and splits it
 * again, punching 64 KiB at a time out of it and refilling it, with
 * a 4 KiB zap of the writer's PMD mapping before each; row 40
 * soft-offlines page-cache pages (migrates them); row 41 has ksmd
 * merge the readers' private copies (their private maps MADV_MERGEABLE,
 * and both readers store the same word, so that their copies of a page
 * are alike: pages_sharing is the evidence); row 42 has another
 * process read each reader's maps and write its shared map through
 * process_vm_readv/writev (GUP), a write checked with pread(); rows 45
 * and 46 run the readers in the child the memcg rows move or limit.
 * Rows 37 and 38 race shared writes, which only tmpfs speculates, on a
 * memfd: row 37's invalidation finds its folios dirty and only locks
 * and skips them; row 38 punches 64 KiB and writes it again
 * (tmpfs has no readahead), each fill a new folio in the cache.  Rows
 * 24, 25, 37, 38, 40, 42 and 45 publish new rounds every few steps.
 *
 * Every case also checks that its writer did something (an event
 * counter of the kernel's) and that spf speculated each kind raced
 * during the race; a case runs on, up to eight times SPF_RACE_SECS
 * (default 2), until each was seen.  The counts are printed.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/swap.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <linux/falloc.h>
#include "kselftest_harness.h"
#include "spf_util.h"
#include "spf_fixture.h"
#include "spf_swap.h"
#include "spf_ext4.h"

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif
#ifndef MADV_SOFT_OFFLINE
#define MADV_SOFT_OFFLINE 101
#endif
#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif

#define NFAULTERS 2
#define NPT 128			/* pages a faulter owns (THP: one PMD) */
#define FILE_NP 512		/* pages of the raced file: 2 MiB */
#define LIMIT_FILE_NP 6144	/* 24 MiB streamed under an 8 MiB limit */
#define NREADERS 2
#define SOFT_OFFLINE_MAX 256	/* frames lost for good: 1 MiB */
#define KSM_FILL 0x4b534d4b534d4b53ULL
#define CG "/sys/fs/cgroup"
#define THP_ENABLED "/sys/kernel/mm/transparent_hugepage/enabled"
#define KSM_SYS "/sys/kernel/mm/ksm/"
#define FILE_DELAY SPF_DEBUGFS "/inject_file_delay_us"
#define SW_OFF 256		/* a shared writer's word: 256 + 8 * reader */
#define PW_OFF 512		/* a private writer's word */
#define RW_OFF 128		/* the remote's word, shared mapping */

enum lr_writer {
	W_MADV_FREE, W_THP_SPLIT, W_ANON_COLLAPSE, W_COLLAPSE, W_EXT4_PUNCH,
	W_EXT4_ODIRECT, W_DROP, W_FILL, W_SOFT_OFFLINE, W_KSM, W_REMOTE,
	W_MEMCG_MOVE, W_MEMCG_LIMIT,
};

/*
 * The anonymous kinds, in the order rounds take them: each kind that
 * keeps the pages follows one that wrote them.
 */
enum lr_kind { K_FIRST, K_REUSE, K_ZERO, K_COPY, K_TABLE, K_SWAP, K_THP,
	       NKINDS };

/* The file kinds, one phase each. */
enum lr_fkind { F_READ, F_TABLE, F_SHARED, F_PRIVATE, NFKINDS };

static const char *const kind_name[NKINDS] = {
	"first touch", "wp reuse", "wp zero page", "wp copy",
	"new PTE table", "swap-cache hit", "THP",
};

static const char *const fkind_name[NFKINDS] = {
	"file read", "file read, new table", "shared file write",
	"private file write",
};

/* Shared with the child processes of the remote and memcg kinds. */
struct lr_state {
	enum lr_writer w;
	bool may_zero, file_kind;
	bool fmode;			/* an anonymous row's writer on a file */
	size_t per, file_np;
	char *anon, *rmap[NREADERS], *smap[NREADERS], *pmap[NREADERS], *wmap;
	int fd, dfd;			/* dfd: the file opened O_DIRECT */
	char *dbuf;			/* what an O_DIRECT write writes */
	unsigned int kinds, fkinds;	/* the kinds raced, bit per kind */
	atomic_int fphase;		/* the file kind now, -1: readers idle */
	atomic_int idle;		/* readers idle */
	atomic_bool stop;
	atomic_long zap_seq[NFAULTERS];
	atomic_long published[LIMIT_FILE_NP];
	atomic_long rounds, checked, zeros, bad, ops, reads;
	atomic_long punch_seq;		/* odd while a punched file refills */
	atomic_long fzap_seq;		/* odd while the readers' maps are zapped */
	atomic_long fails[3];		/* the writer's EAGAIN, EINVAL, other */
	atomic_long seen[NKINDS];	/* speculated during the race, per kind */
	atomic_long fseen[NFKINDS];
	bool thp_round;			/* row 46: THP in a round of its own */
	atomic_bool thp_running;	/* ... under way: the parent reclaims */
	long thp_reclaims;		/* its memory.reclaim writes */
	long thp_high, thp_high_events, thp_rounds;	/* what it did */
	double thp_secs;
	char detail[256];
};

static struct lr_state *S;
static char lr_file[64];
static char thp_saved[64], ksm_saved[3][32];


static double race_secs(void)
{
	const char *e = getenv("SPF_RACE_SECS");

	return e && atof(e) > 0 ? atof(e) : 2;
}

static uint64_t tag(uint64_t round, uint64_t page)
{
	return (round + 1) << 32 | (page + 1);
}

static uint64_t rtag(uint64_t page)
{
	return 0x5200000000000000ULL | page;
}

static void lr_bad(const char *fmt, ...)
{
	va_list ap;

	if (atomic_fetch_add(&S->bad, 1))
		return;
	va_start(ap, fmt);
	vsnprintf(S->detail, sizeof(S->detail), fmt, ap);
	va_end(ap);
}

/* A file holding one number (sysfs, cgroup), or -1. */
static long file_num(const char *path)
{
	char buf[64];

	if (spf_read_file(path, buf, sizeof(buf)))
		return -1;
	return strtol(buf, NULL, 10);
}

/* ---- the anonymous faulter ---- */

static void check_word(uint64_t *w, uint64_t want, long r, long idx,
		       const char *what)
{
	uint64_t v = READ_ONCE(*w);

	atomic_fetch_add(&S->checked, 1);
	if (v == want)
		return;
	if (S->may_zero && !v) {
		atomic_fetch_add(&S->zeros, 1);
		return;
	}
	lr_bad("round %ld page %ld %s: %#llx, want %#llx", r, idx, what,
	       (unsigned long long)v, (unsigned long long)want);
}

static void check_page(char *pg, long r, long idx)
{
	size_t ps = page_size();
	uint64_t v;

	check_word((uint64_t *)pg, tag(r, idx), r, idx, "word 0");
	check_word((uint64_t *)(pg + ps - 8), ~tag(r, idx), r, idx,
		   "last word");
	if (S->w == W_REMOTE) {
		v = READ_ONCE(*(uint64_t *)(pg + 64));
		if (v && v != rtag(idx))
			lr_bad("page %ld: %#llx where the remote writes",
			       idx, (unsigned long long)v);
	}
}

/* Faulter T's PMD, and the page of index IDX (T * per + i). */
static char *chunk(long t)
{
	return S->anon + 2 * t * pmd_bytes();
}

static char *apage(long idx)
{
	return chunk(idx / S->per) + (idx % S->per) * page_size();
}

/*
 * Map faulter T's PMD anew, so that its next fault finds a none pmd
 * (a table or a THP to add).  The fresh VMA merges with the anchor page
 * after it and so shares its anon_vma; the madvise() splits it off again.
 */
static int remap_chunk(long t, bool huge)
{
	size_t pmd = pmd_bytes();
	char *base = chunk(t);

	if (mmap(base, pmd, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != base)
		return -1;
	if (S->w == W_KSM && madvise(base, pmd, MADV_MERGEABLE))
		return -1;
	if (huge)
		return madvise(base, pmd, MADV_HUGEPAGE);
	/* MADV_COLLAPSE refuses a VM_NOHUGEPAGE VMA: leave it plain. */
	return S->w == W_ANON_COLLAPSE ? 0 : no_thp(base, pmd);
}

/* The next kind after K that this case races. */
static enum lr_kind next_kind(enum lr_kind k)
{
	do
		k = (k + 1) % NKINDS;
	while (!(S->kinds & 1u << k));
	return k;
}

static void zap_or_remap(long t, enum lr_kind k)
{
	bool huge = k == K_THP || (k == K_FIRST && S->w == W_THP_SPLIT);

	atomic_fetch_add(&S->zap_seq[t], 1);
	if (huge || k == K_TABLE) {
		if (remap_chunk(t, huge))
			lr_bad("cannot map chunk %ld anew (%s)", t,
			       strerror(errno));
	} else {
		madvise(chunk(t), S->per * page_size(), MADV_DONTNEED);
	}
	atomic_fetch_add(&S->zap_seq[t], 1);
}

/* The pages a child holds for a wp copy round: round R - 1's. */
static void copy_child(long t, long r, int rfd)
{
	size_t ps = page_size();
	uint64_t v, want;
	char c, *pg;
	long i, bad = 0;

	if (read(rfd, &c, 1) != 1)
		_exit(3);
	for (i = 0; i < (long)S->per; i++) {
		pg = chunk(t) + i * ps;
		want = tag(r - 1, t * S->per + i);
		v = READ_ONCE(*(uint64_t *)pg);
		bad += v != want && !(S->may_zero && !v);
		v = READ_ONCE(*(uint64_t *)(pg + ps - 8));
		bad += v != ~want && !(S->may_zero && !v);
	}
	_exit(bad ? 1 : 0);
}

/* Round R - 1's tags in the pages the round keeps. */
static void check_carried(long t, long r)
{
	long i;

	for (i = 0; i < (long)S->per; i++)
		check_page(chunk(t) + i * page_size(), r - 1, t * S->per + i);
}

static void *anon_faulter(void *arg)
{
	long t = (long)arg, r, i, idx;
	size_t ps = page_size(), len = S->per * ps;
	char *base = chunk(t), *pg;
	enum lr_kind k = next_kind(NKINDS - 1);	/* the first one raced */
	int pass, pfd[2], status;
	pid_t child = -1;

	for (r = 1; !atomic_load(&S->stop); r++, k = next_kind(k)) {
		switch (k) {
		case K_REUSE:
		case K_COPY:
			check_carried(t, r);
			if (pipe(pfd)) {
				lr_bad("pipe: %s", strerror(errno));
				break;
			}
			child = fork();
			if (!child) {
				if (k == K_COPY)
					copy_child(t, r, pfd[0]);
				_exit(0);
			}
			if (child < 0)
				lr_bad("fork: %s", strerror(errno));
			close(pfd[0]);
			/* Reuse: the child is gone, its references too. */
			if (k == K_REUSE) {
				close(pfd[1]);
				if (child > 0)
					waitpid(child, &status, 0);
				child = -1;
			}
			break;
		case K_SWAP:
			madvise(base, len, MADV_PAGEOUT);
			madvise(base, len, MADV_WILLNEED);
			check_carried(t, r);
			break;
		default:
			zap_or_remap(t, k);
			break;
		}
		if (k == K_ZERO) {
			for (i = 0; i < (long)S->per; i++) {
				pg = base + i * ps;
				check_word((uint64_t *)pg, 0, r,
					   t * S->per + i, "zero page");
				check_word((uint64_t *)(pg + ps - 8), 0, r,
					   t * S->per + i, "zero page end");
			}
		}
		if (S->w == W_KSM && k != K_REUSE && k != K_COPY &&
		    k != K_SWAP) {
			/* Identical pages for ksmd, then each diverges. */
			for (i = 0; i < (long)S->per; i++) {
				pg = base + i * ps;
				WRITE_ONCE(*(uint64_t *)pg, KSM_FILL);
				WRITE_ONCE(*(uint64_t *)(pg + ps - 8), KSM_FILL);
			}
			usleep(30000);
			for (i = 0; i < (long)S->per; i++) {
				pg = base + i * ps;
				check_word((uint64_t *)pg, KSM_FILL, r,
					   t * S->per + i, "KSM fill");
			}
		}
		for (pass = 0; pass < 2; pass++) {
			for (i = 0; i < (long)S->per; i++) {
				idx = t * S->per + i;
				pg = base + i * ps;
				WRITE_ONCE(*(uint64_t *)pg, tag(r, idx));
				WRITE_ONCE(*(uint64_t *)(pg + ps - 8),
					   ~tag(r, idx));
				check_page(pg, r, idx);
			}
		}
		for (i = 0; i < (long)S->per; i++)
			check_page(base + i * ps, r, t * S->per + i);
		if (child > 0) {
			/* The copy's holder checks it kept round r - 1. */
			if (write(pfd[1], "x", 1) != 1 ||
			    waitpid(child, &status, 0) != child ||
			    !WIFEXITED(status) || WEXITSTATUS(status))
				lr_bad("round %ld: the child's copy of chunk %ld changed (status %#x)",
				       r, t, status);
			close(pfd[1]);
			child = -1;
		}
		atomic_fetch_add(&S->rounds, 1);
	}
	return NULL;
}

/* ---- the file reader ---- */

/* The punch sequence the calling reader saw before its read. */
static __thread long punch_seen;

static void lr_bad_unless_punched(long i, long r, const char *what)
{
	long now = atomic_load(&S->punch_seq);

	if ((S->w == W_COLLAPSE || S->w == W_EXT4_PUNCH ||
	     (S->fmode && (S->w == W_THP_SPLIT || S->w == W_FILL))) &&
	    ((punch_seen & 1) || now != punch_seen))
		return;
	lr_bad("file page %ld %s: a hole, round %ld published before", i,
	       what, r);
}

static void check_file_word(uint64_t v, long i, long r, const char *what)
{
	if ((v & 0xffffffff) == (uint64_t)i + 1 && (long)(v >> 32) - 1 >= r)
		return;
	if (v == (uint64_t)~0ULL || !v) {
		/* Read in a punched hole (row 27's refill), or so it seems. */
		atomic_fetch_add(&S->zeros, 1);
		lr_bad_unless_punched(i, r, what);
		return;
	}
	lr_bad("file page %ld %s: %#llx, round %ld published before", i,
	       what, (unsigned long long)v, r);
}

/* Words 0 and last of file page I through Q, no older than round R. */
static void check_file_page(char *q, long i, long r)
{
	size_t ps = page_size();

	check_file_word(READ_ONCE(*(uint64_t *)(q + i * ps)), i, r, "word 0");
	check_file_word(~READ_ONCE(*(uint64_t *)(q + i * ps + ps - 8)), i, r,
			"last word");
}

/* A word of the reader's own at OFF of page I, as pread() finds it. */
static uint64_t file_word(long i, size_t off)
{
	uint64_t v = 0;

	if (pread(S->fd, &v, 8, i * page_size() + off) != 8)
		lr_bad("pread of file page %ld: %s", i, strerror(errno));
	return v;
}

/* Map reader ID's read mapping anew: its next fault adds the table. */
static void remap_reader(int id)
{
	size_t len = S->file_np * page_size();

	if (mmap(S->rmap[id], len, PROT_READ, MAP_SHARED | MAP_FIXED, S->fd,
		 0) != S->rmap[id] ||
	    no_thp(S->rmap[id], len))
		lr_bad("reader %d cannot map the file anew: %s", id,
		       strerror(errno));
}

/*
 * A store of the reader's own word into page I, through the shared or
 * the private mapping: the page is zapped first, so that the store is a
 * write fault.  The store must read back; pread() must find it in the
 * file (shared), or find it not there (private, whose word nothing else
 * writes).  The file's own words must be as a read finds them.
 */
static void write_visit(int id, long i, long r, bool shared, uint64_t val)
{
	size_t ps = page_size(), off = (shared ? SW_OFF : PW_OFF) + 8 * id;
	char *q = shared ? S->smap[id] : S->pmap[id];
	uint64_t back, f;
	long z;

	/* KSM: both readers' copies alike, for ksmd to merge. */
	if (S->w == W_KSM && !shared) {
		off = PW_OFF;
		val = KSM_FILL;
	}

	madvise(q + i * ps, ps, MADV_DONTNEED);
	z = atomic_load(&S->fzap_seq);
	WRITE_ONCE(*(uint64_t *)(q + i * ps + off), val);
	check_file_page(q, i, r);
	back = READ_ONCE(*(uint64_t *)(q + i * ps + off));
	f = file_word(i, off);
	/* A store lost to a hole: only a punch since then explains it. */
	if (back != val && shared && !back)
		lr_bad_unless_punched(i, r, "shared store read back");
	else if (back != val && !back &&
		 ((z & 1) || atomic_load(&S->fzap_seq) != z))
		atomic_fetch_add(&S->zeros, 1);	/* zapped: the file's 0 */
	else if (back != val)
		lr_bad("file page %ld: reader %d's %s store read back %#llx, not %#llx",
		       i, id, shared ? "shared" : "private",
		       (unsigned long long)back, (unsigned long long)val);
	if (shared && f != val && !f)
		lr_bad_unless_punched(i, r, "shared store in the file");
	else if (shared && f != val)
		lr_bad("file page %ld: the file holds %#llx where reader %d stored %#llx",
		       i, (unsigned long long)f, id, (unsigned long long)val);
	else if (!shared && f)
		lr_bad("file page %ld: reader %d's private store reached the file (%#llx)",
		       i, id, (unsigned long long)f);
}

static void *file_reader(void *arg)
{
	unsigned int seed = (unsigned int)(uintptr_t)arg;
	int id = seed - 1, ph;
	char *q = S->rmap[id];
	size_t ps = page_size();
	uint64_t n = 0;
	bool idle = false;
	long i, j, r, prev = -1;

	while (!atomic_load(&S->stop)) {
		/*
		 * Idle while the phase is -1: the main thread reads the
		 * counters then.  Not idle before the phase is read again,
		 * so that no visit of an old phase runs once it saw all idle.
		 */
		ph = atomic_load(&S->fphase);
		if (ph < 0) {
			if (!idle)
				atomic_fetch_add(&S->idle, 1);
			idle = true;
			usleep(100);
			continue;
		}
		if (idle) {
			atomic_fetch_sub(&S->idle, 1);
			idle = false;
			prev = -1;
			continue;
		}
		i = rand_r(&seed) % S->file_np;
		punch_seen = atomic_load(&S->punch_seq);
		switch (ph) {
		case F_READ:
			/*
			 * The last visit's page again, before a zap: a page
			 * its fault mapped after the writer took it out of
			 * the file shows an older round than the file's.
			 */
			if (prev >= 0)
				check_file_page(q, prev,
						atomic_load(&S->published[prev]));
			if (rand_r(&seed) % 4 == 0)
				madvise(q, S->file_np * ps, MADV_DONTNEED);
			r = atomic_load(&S->published[i]);
			check_file_page(q, i, r);
			prev = i;
			break;
		case F_TABLE:
			/*
			 * The last visit's pages first, through the table its
			 * fault added: a PTE the writer could not find (a
			 * table published late) still maps an older page.
			 * Fault-around mapped the 16 pages about it.  A punch
			 * under way refills the file first (punch_seq odd),
			 * so that an old page shows an older round.
			 */
			for (j = 0; j < 200 && (atomic_load(&S->punch_seq) & 1);
			     j++)
				usleep(100);
			punch_seen = atomic_load(&S->punch_seq);
			for (j = prev & ~15L; prev >= 0 && j <= (prev | 15) &&
			     j < (long)S->file_np; j++)
				check_file_page(q, j, atomic_load(&S->published[j]));
			remap_reader(id);
			punch_seen = atomic_load(&S->punch_seq);
			r = atomic_load(&S->published[i]);
			check_file_page(q, i, r);
			prev = i;
			break;
		default:
			/*
			 * A shared mapping shows the file as it is now, so the
			 * last visit's page, through the PTE its write fault
			 * set, has no older round than the one published: a
			 * page the writer took out of the file would.
			 */
			if (ph == F_SHARED && prev >= 0)
				check_file_page(S->smap[id], prev,
						atomic_load(&S->published[prev]));
			r = atomic_load(&S->published[i]);
			write_visit(id, i, r, ph == F_SHARED,
				    (uint64_t)(id + 1) << 56 | ++n);
			prev = i;
			break;
		}
		atomic_fetch_add(&S->reads, 1);
		/*
		 * A reference a fault holds makes the collapse's refcount
		 * freeze fail: leave it gaps to succeed in.
		 */
		if (S->w == W_COLLAPSE || (S->fmode && S->w == W_THP_SPLIT))
			usleep(50);
	}
	if (idle)
		atomic_fetch_sub(&S->idle, 1);
	return NULL;
}

/* Round K's tags into every page of the file. */
static int publish(long k)
{
	size_t ps = page_size();
	uint64_t t;
	long i;

	for (i = 0; i < (long)S->file_np; i++) {
		t = tag(k, i);
		if (pwrite(S->fd, &t, 8, i * ps) != 8)
			return -1;
		t = ~t;
		if (pwrite(S->fd, &t, 8, i * ps + ps - 8) != 8)
			return -1;
		atomic_store(&S->published[i], k);
	}
	return 0;
}

static long resident(char *p, size_t np)
{
	static unsigned char vec[LIMIT_FILE_NP];
	long n = 0;
	size_t i;

	if (mincore(p, np * page_size(), vec))
		return 0;
	for (i = 0; i < np; i++)
		n += vec[i] & 1;
	return n;
}

/* ---- the writers ---- */

/*
 * The whole file (FLEN bytes) punched out and refilled with round K's
 * tags, punch_seq odd around both, so that readers wait for the refill.
 */
static int punch_all(size_t flen, long k)
{
	int ret;

	atomic_fetch_add(&S->punch_seq, 1);
	ret = fallocate(S->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			0, flen) || publish(k) ? -1 : 0;
	atomic_fetch_add(&S->punch_seq, 1);
	return ret;
}

/*
 * Punch the PUNCH_SPAN pages from N (a fault-around window) out of the
 * file and fill them with round K's tags, a round newer than the pages
 * had, so that a PTE left on a punched page shows an older one
 * (punch_seq odd around both).
 */
#define PUNCH_SPAN 16
static int punch_page(long n, long k)
{
	size_t ps = page_size();
	uint64_t t;
	long i;
	int ret;

	n &= ~(long)(PUNCH_SPAN - 1);
	atomic_fetch_add(&S->punch_seq, 1);
	ret = fallocate(S->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			n * ps, PUNCH_SPAN * ps);
	for (i = n; !ret && i < n + PUNCH_SPAN; i++) {
		t = tag(k, i);
		if (pwrite(S->fd, &t, 8, i * ps) != 8)
			ret = -1;
		t = ~t;
		if (!ret && pwrite(S->fd, &t, 8, i * ps + ps - 8) != 8)
			ret = -1;
		if (!ret)
			atomic_store(&S->published[i], k);
	}
	atomic_fetch_add(&S->punch_seq, 1);
	return ret;
}

/*
 * Round K of an anonymous row's writer against the file kinds (the
 * readers' file, tmpfs but for row 46).  Each publishes new rounds now
 * and then, so that a PTE left on a page the writer took out of the
 * file shows an older round.
 */
/* KSM's writer: ksmd merges; the most pages shared is the evidence. */
static void ksm_watch(void)
{
	long n = file_num(KSM_SYS "pages_sharing");

	if (n > atomic_load(&S->ops))
		atomic_store(&S->ops, n);
	usleep(5000);
}

static void file_mode_op(long k, unsigned int *seed)
{
	size_t ps = page_size(), flen = S->file_np * ps;
	long n, j, split;

	switch (S->w) {
	case W_KSM:
		/* Row 41: ksmd merges the readers' private copies. */
		ksm_watch();
		break;
	case W_MADV_FREE:
		/*
		 * Row 24 on a file: MADV_FREE is for anonymous VMAs only,
		 * so MADV_DONTNEED over a reader's read and private maps.
		 */
		j = k % NREADERS;
		atomic_fetch_add(&S->fzap_seq, 1);
		if (!madvise(S->rmap[j], flen, MADV_DONTNEED))
			atomic_fetch_add(&S->ops, 1);
		if (!madvise(S->pmap[j], flen, MADV_DONTNEED))
			atomic_fetch_add(&S->ops, 1);
		atomic_fetch_add(&S->fzap_seq, 1);
		usleep(300);
		break;
	case W_THP_SPLIT:
		/*
		 * Row 25 on tmpfs: the file in small folios (punched and
		 * refilled), collapsed into a huge one, then split by a
		 * punch of one page (split_huge_page() of a page-cache
		 * folio, which unmaps it from every reader's PTEs) and a
		 * 4 KiB zap of the writer's PMD mapping.
		 */
		if (punch_all(flen, 32 * k)) {
			lr_bad("punch or refill: %s", strerror(errno));
			atomic_store(&S->stop, true);
		}
		for (n = 0; n < (long)S->file_np; n++)
			keep(READ_ONCE(S->wmap[n * ps]));
		for (n = 0; n < 3; n++)
			if (!madvise(S->wmap, flen, MADV_COLLAPSE))
				break;
		if (publish(32 * k + 1))
			lr_bad("publish: %s", strerror(errno));
		split = spf_vmstat("thp_split_page");
		for (j = 0; j < 8; j++) {
			n = rand_r(seed) % S->file_np;
			madvise(S->wmap + n * ps, ps, MADV_DONTNEED);
			if (punch_page(n, 32 * k + 2 + j))
				lr_bad("punch of page %ld: %s", n,
				       strerror(errno));
			usleep(200);
		}
		/* The race runs on until a split was seen. */
		atomic_fetch_add(&S->ops, spf_vmstat("thp_split_page") - split);
		return;
	case W_SOFT_OFFLINE:
		/* Row 40: a page-cache page migrated to a new frame. */
		if (atomic_load(&S->ops) < SOFT_OFFLINE_MAX) {
			n = rand_r(seed) % S->file_np;
			if (!madvise(S->wmap + n * ps, ps, MADV_SOFT_OFFLINE))
				atomic_fetch_add(&S->ops, 1);
		}
		usleep(1000);
		break;
	case W_DROP:
		/*
		 * Row 37 on tmpfs: its folios are dirty, so invalidation
		 * only locks and skips them, under the shared writes.
		 */
		if (k % 8 == 0)
			spf_write_file("/proc/sys/vm/drop_caches", "1");
		else
			posix_fadvise(S->fd, 0, flen, POSIX_FADV_DONTNEED);
		atomic_fetch_add(&S->ops, 1);
		usleep(1000);
		break;
	case W_FILL:
		/*
		 * Row 38 on tmpfs: 64 KiB punched out and written again, a
		 * new folio added to the cache each time (readahead is for
		 * files with ->read_folio).
		 */
		if (k % 4 == 0 && publish(16 * k))
			lr_bad("publish: %s", strerror(errno));
		for (j = 0; j < 4; j++) {
			n = rand_r(seed) % S->file_np;
			if (punch_page(n, 16 * k + 1 + j))
				lr_bad("punch of page %ld: %s", n,
				       strerror(errno));
			else
				atomic_fetch_add(&S->ops, PUNCH_SPAN);
			usleep(200);
		}
		return;
	default:
		/* Rows 42, 45, 46: the writer is elsewhere. */
		usleep(2000);
		break;
	}
	if (S->w != W_MEMCG_LIMIT && k % 4 == 0 && publish(k))
		lr_bad("publish: %s", strerror(errno));
}

static void *writer(void *arg)
{
	unsigned int seed = 7;
	size_t ps = page_size(), alen = 2 * NFAULTERS * pmd_bytes();
	size_t flen = S->file_np * ps;
	long k, n;

	for (k = 1; !atomic_load(&S->stop); k++) {
		if (S->fmode && S->w != W_MEMCG_LIMIT) {
			file_mode_op(k, &seed);
			continue;
		}
		switch (S->w) {
		case W_MADV_FREE:
			madvise(S->anon, alen, MADV_FREE);
			usleep(500);
			if (!madvise(S->anon, alen, MADV_PAGEOUT))
				atomic_fetch_add(&S->ops, 1);
			break;
		case W_THP_SPLIT:
			n = rand_r(&seed) % (NFAULTERS * S->per);
			if (!madvise(apage(n), ps, MADV_DONTNEED))
				atomic_fetch_add(&S->ops, 1);
			usleep(200);
			break;
		case W_SOFT_OFFLINE:
			if (atomic_load(&S->ops) >= SOFT_OFFLINE_MAX) {
				usleep(10000);
				break;
			}
			n = rand_r(&seed) % (NFAULTERS * S->per);
			if (!madvise(apage(n), ps, MADV_SOFT_OFFLINE))
				atomic_fetch_add(&S->ops, 1);
			usleep(2000);
			break;
		case W_ANON_COLLAPSE:
			/* Row 26: khugepaged's collapse, run synchronously. */
			for (n = 0; n < NFAULTERS; n++) {
				if (!madvise(chunk(n), pmd_bytes(),
					     MADV_COLLAPSE))
					atomic_fetch_add(&S->ops, 1);
				else
					atomic_fetch_add(&S->fails[errno == EAGAIN ? 0 :
							 errno == EINVAL ? 1 : 2], 1);
			}
			usleep(1000);
			break;
		case W_KSM:
			ksm_watch();
			break;
		case W_COLLAPSE:
			/* Small folios again, round k in them, then one. */
			if (punch_all(flen, 2 * k))
				return NULL;
			for (n = 0; n < (long)S->file_np; n++)
				keep(READ_ONCE(S->wmap[n * ps]));
			for (n = 0; n < 10; n++) {
				if (!madvise(S->wmap, flen, MADV_COLLAPSE)) {
					atomic_fetch_add(&S->ops, 1);
					break;
				}
				atomic_fetch_add(&S->fails[errno == EAGAIN ? 0 :
						 errno == EINVAL ? 1 : 2], 1);
			}
			/*
			 * Into the huge folio: a reader still mapping an old
			 * small folio the collapse replaced sees 2k.
			 */
			if (publish(2 * k + 1))
				return NULL;
			break;
		case W_EXT4_PUNCH:
			/* Row 35: ext4_punch_hole(), then round k refilled. */
			if (punch_all(flen, k)) {
				lr_bad("punch or refill: %s", strerror(errno));
				return NULL;
			}
			atomic_fetch_add(&S->ops, 1);
			usleep(500);
			break;
		case W_EXT4_ODIRECT:
			/*
			 * Row 36: an O_DIRECT write of round k over the whole
			 * file, which invalidates its cached pages after.
			 */
			for (n = 0; n < (long)S->file_np; n++) {
				*(uint64_t *)(S->dbuf + n * ps) = tag(k, n);
				*(uint64_t *)(S->dbuf + n * ps + ps - 8) =
					~tag(k, n);
			}
			if (pwrite(S->dfd, S->dbuf, flen, 0) != (ssize_t)flen) {
				lr_bad("O_DIRECT write: %s", strerror(errno));
				return NULL;
			}
			for (n = 0; n < (long)S->file_np; n++)
				atomic_store(&S->published[n], k);
			atomic_fetch_add(&S->ops, 1);
			usleep(500);
			break;
		case W_DROP:
			if (k % 8 == 0)
				spf_write_file("/proc/sys/vm/drop_caches", "1");
			else
				posix_fadvise(S->fd, 0, flen,
					      POSIX_FADV_DONTNEED);
			atomic_fetch_add(&S->ops, S->file_np -
					 resident(S->wmap, S->file_np));
			usleep(1000);
			break;
		case W_FILL:
			posix_fadvise(S->fd, 0, flen, POSIX_FADV_DONTNEED);
			if (k % 3 == 0)
				readahead(S->fd, 0, flen);
			else if (k % 3 == 1)
				posix_fadvise(S->fd, 0, flen,
					      POSIX_FADV_WILLNEED);
			else
				madvise(S->wmap, flen, MADV_WILLNEED);
			atomic_fetch_add(&S->ops, resident(S->wmap,
							   S->file_np));
			usleep(1000);
			break;
		case W_MEMCG_LIMIT:
			/* Stream the big file: page cache to reclaim. */
			for (n = 0; n < (long)S->file_np &&
			     !atomic_load(&S->stop); n++) {
				check_file_word(READ_ONCE(*(uint64_t *)(S->wmap + n * ps)),
						n, 0, "streamed");
				atomic_fetch_add(&S->reads, 1);
			}
			madvise(S->wmap, flen, MADV_DONTNEED);
			break;
		default:
			return NULL;
		}
	}
	return NULL;
}

/* Row 42: another process writes and reads the region through GUP. */
static void remote_child(pid_t parent)
{
	unsigned int seed = 11;
	long i, h, s1, s2;
	uint64_t val, back, w0;
	struct iovec l, rm;

	while (!atomic_load(&S->stop)) {
		i = rand_r(&seed) % (NFAULTERS * S->per);
		h = i / S->per;
		s1 = atomic_load(&S->zap_seq[h]);
		if (s1 & 1)
			continue;
		val = rtag(i);
		l.iov_base = &val;
		l.iov_len = 8;
		rm.iov_base = apage(i) + 64;
		rm.iov_len = 8;
		if (process_vm_writev(parent, &l, 1, &rm, 1, 0) != 8)
			continue;
		back = 0;
		l.iov_base = &back;
		if (process_vm_readv(parent, &l, 1, &rm, 1, 0) != 8)
			continue;
		l.iov_base = &w0;
		rm.iov_base = apage(i);
		if (process_vm_readv(parent, &l, 1, &rm, 1, 0) != 8)
			continue;
		s2 = atomic_load(&S->zap_seq[h]);
		atomic_fetch_add(&S->ops, 1);
		if (s1 == s2 && back != val)
			lr_bad("page %ld: the remote write read back %#llx, no zap between",
			       i, (unsigned long long)back);
		if (w0 && (w0 & 0xffffffff) != (uint64_t)i + 1)
			lr_bad("page %ld: remote read %#llx as word 0", i,
			       (unsigned long long)w0);
	}
	_exit(0);
}

/*
 * Row 42 on a file: another process reads each reader's read, shared
 * and private mapping and writes the shared one through GUP, while the
 * readers fault them.  A read must show the page's tag (no older than
 * the round published before it, but through the private map, whose
 * page may be a copy), a write must reach the file.
 */
static void remote_file_child(pid_t parent)
{
	unsigned int seed = 13;
	size_t ps = page_size();
	struct iovec l, rm;
	uint64_t v, val;
	long i, r, j, n = 0;
	char *m;

	while (!atomic_load(&S->stop)) {
		i = rand_r(&seed) % S->file_np;
		j = rand_r(&seed) % NREADERS;
		r = atomic_load(&S->published[i]);
		switch (rand_r(&seed) % 3) {
		case 0:
			m = S->rmap[j];
			break;
		case 1:
			m = S->pmap[j];
			r = -1;
			break;
		default:
			m = S->smap[j];
			break;
		}
		l.iov_base = &v;
		l.iov_len = 8;
		rm.iov_base = m + i * ps;
		rm.iov_len = 8;
		/* A read mapping mapped anew is gone for an instant. */
		if (process_vm_readv(parent, &l, 1, &rm, 1, 0) != 8)
			continue;
		if ((v & 0xffffffff) != (uint64_t)i + 1 ||
		    (r >= 0 && (long)(v >> 32) - 1 < r))
			lr_bad("file page %ld: remote read %#llx through map %p, round %ld published before",
			       i, (unsigned long long)v, m, r);
		val = 0x5300000000000000ULL | ++n;
		l.iov_base = &val;
		rm.iov_base = S->smap[j] + i * ps + RW_OFF;
		if (process_vm_writev(parent, &l, 1, &rm, 1, 0) != 8)
			continue;
		if (pread(S->fd, &v, 8, i * ps + RW_OFF) != 8 || v != val)
			lr_bad("file page %ld: the remote's shared write %#llx, the file holds %#llx",
			       i, (unsigned long long)val,
			       (unsigned long long)v);
		atomic_fetch_add(&S->ops, 1);
	}
	_exit(0);
}

/* ---- set-up per kind ---- */

static bool memcg_ok(char *why, size_t n)
{
	char buf[256] = "";

	if (spf_read_file(CG "/cgroup.controllers", buf, sizeof(buf)) ||
	    !strstr(buf, "memory")) {
		snprintf(why, n, "no cgroup v2 memory controller at " CG);
		return false;
	}
	spf_write_file(CG "/cgroup.subtree_control", "+memory");
	return true;
}

static int cg_make(const char *name, const char *max)
{
	char path[128];

	snprintf(path, sizeof(path), CG "/%s", name);
	rmdir(path);
	if (mkdir(path, 0755))
		return -1;
	snprintf(path, sizeof(path), CG "/%s/memory.max", name);
	return max ? spf_write_file(path, max) : 0;
}

static long cg_field(const char *name, const char *file, const char *key)
{
	char path[128];

	snprintf(path, sizeof(path), CG "/%s/%s", name, file);
	return spf_file_field(path, key);
}

static int cg_enter(const char *name, pid_t pid)
{
	char path[128], v[32];

	snprintf(path, sizeof(path), CG "/%s/cgroup.procs", name);
	snprintf(v, sizeof(v), "%d", pid);
	return spf_write_file(path, v);
}

/* A file on a file system whose clean pages drop_caches can evict. */
static int disk_file(size_t np, char *why, size_t n)
{
	size_t ps = page_size();
	struct statfs sf;
	char *buf;
	size_t i;
	int fd;

	if (statfs(".", &sf) || sf.f_type == 0x01021994 /* tmpfs */ ||
	    sf.f_type == 0x858458f6 /* ramfs */) {
		snprintf(why, n, "the working directory is on tmpfs or ramfs, no evictable page cache");
		return -1;
	}
	snprintf(lr_file, sizeof(lr_file), "spf-lockless-XXXXXX");
	fd = mkstemp(lr_file);
	if (fd < 0) {
		snprintf(why, n, "cannot create a file here (%s)",
			 strerror(errno));
		lr_file[0] = '\0';
		return -1;
	}
	buf = calloc(np, ps);
	if (!buf)
		return -1;
	for (i = 0; i < np; i++) {
		*(uint64_t *)(buf + i * ps) = tag(0, i);
		*(uint64_t *)(buf + i * ps + ps - 8) = ~tag(0, i);
	}
	if (pwrite(fd, buf, np * ps, 0) != (ssize_t)(np * ps)) {
		free(buf);
		return -1;
	}
	free(buf);
	fsync(fd);
	return fd;
}

/* MADV_HUGEPAGE works: THP built in and not "never" (set to madvise). */
static bool thp_ok(char *why, size_t n)
{
	if (spf_read_file(THP_ENABLED, thp_saved, sizeof(thp_saved))) {
		snprintf(why, n, "this kernel has no THP (%s)", THP_ENABLED);
		return false;
	}
	if (strstr(thp_saved, "[never]") &&
	    spf_write_file(THP_ENABLED, "madvise")) {
		snprintf(why, n, "THP is never and cannot be set to madvise");
		return false;
	}
	return true;
}

static void thp_restore(void)
{
	static const char *const modes[] = { "always", "madvise", "never" };
	char br[16];
	int i;

	for (i = 0; i < 3; i++) {
		snprintf(br, sizeof(br), "[%s]", modes[i]);
		if (strstr(thp_saved, br))
			spf_write_file(THP_ENABLED, modes[i]);
	}
	thp_saved[0] = '\0';
}

static const char *const ksm_knobs[3] = {
	KSM_SYS "run", KSM_SYS "pages_to_scan", KSM_SYS "sleep_millisecs"
};

static bool ksm_on(char *why, size_t n)
{
	static const char *const vals[3] = { "1", "4096", "0" };
	int i;

	for (i = 0; i < 3; i++)
		if (spf_read_file(ksm_knobs[i], ksm_saved[i],
				  sizeof(ksm_saved[i]))) {
			snprintf(why, n, "this kernel has no KSM (%s)",
				 ksm_knobs[i]);
			return false;
		}
	for (i = 1; i >= 0; i--)
		spf_write_file(ksm_knobs[i + 1], vals[i + 1]);
	return !spf_write_file(ksm_knobs[0], vals[0]);
}

static void ksm_restore(void)
{
	int i;

	for (i = 0; i < 3; i++)
		if (ksm_saved[i][0])
			spf_write_file(ksm_knobs[i], ksm_saved[i]);
	memset(ksm_saved, 0, sizeof(ksm_saved));
}

FIXTURE(lockless) {
};

FIXTURE_VARIANT(lockless) {
	enum lr_writer w;
	int row;
	const char *counter;	/* the spf counter of the fault kind raced */
	const char *evidence;	/* what the writer's ops count */
	bool may_zero;
	unsigned int fkinds;	/* an anonymous row's writer: file kinds */
};

#define FK(k) (1u << (k))
#define FK_ALL (FK(F_READ) | FK(F_TABLE) | FK(F_SHARED) | FK(F_PRIVATE))

FIXTURE_VARIANT_ADD(lockless, madv_free) {
	.w = W_MADV_FREE, .row = 24, .counter = "spec_write",
	.evidence = "MADV_PAGEOUT calls", .may_zero = true,
};

FIXTURE_VARIANT_ADD(lockless, thp_split) {
	.w = W_THP_SPLIT, .row = 25, .counter = "spec_write",
	.evidence = "4 KiB MADV_DONTNEEDs", .may_zero = true,
};

FIXTURE_VARIANT_ADD(lockless, collapse_anon) {
	.w = W_ANON_COLLAPSE, .row = 26, .counter = "spec_write",
	.evidence = "MADV_COLLAPSEs done",
};

FIXTURE_VARIANT_ADD(lockless, collapse_file) {
	.w = W_COLLAPSE, .row = 27, .counter = "spec_file",
	.evidence = "MADV_COLLAPSEs done",
};

FIXTURE_VARIANT_ADD(lockless, ext4_punch) {
	.w = W_EXT4_PUNCH, .row = 35, .counter = "spec_file",
	.evidence = "holes punched",
};

FIXTURE_VARIANT_ADD(lockless, ext4_odirect) {
	.w = W_EXT4_ODIRECT, .row = 36, .counter = "spec_file",
	.evidence = "O_DIRECT writes",
};

FIXTURE_VARIANT_ADD(lockless, drop_caches) {
	.w = W_DROP, .row = 37, .counter = "spec_file",
	.evidence = "pages seen evicted",
};

FIXTURE_VARIANT_ADD(lockless, pagecache_fill) {
	.w = W_FILL, .row = 38, .counter = "spec_file",
	.evidence = "pages seen filled",
};

FIXTURE_VARIANT_ADD(lockless, soft_offline) {
	.w = W_SOFT_OFFLINE, .row = 40, .counter = "spec_write",
	.evidence = "pages soft-offlined",
};

FIXTURE_VARIANT_ADD(lockless, ksm) {
	.w = W_KSM, .row = 41, .counter = "spec_write",
	.evidence = "most pages_sharing",
};

FIXTURE_VARIANT_ADD(lockless, remote_vm) {
	.w = W_REMOTE, .row = 42, .counter = "spec_write",
	.evidence = "remote write+read pairs",
};

FIXTURE_VARIANT_ADD(lockless, memcg_move) {
	.w = W_MEMCG_MOVE, .row = 45, .counter = "spec_write",
	.evidence = "cgroup moves",
};

FIXTURE_VARIANT_ADD(lockless, memcg_limit) {
	.w = W_MEMCG_LIMIT, .row = 46, .counter = "spec_write",
	.evidence = "memory.events max",
};

/* The same writers against the file kinds: tmpfs, but row 46. */
FIXTURE_VARIANT_ADD(lockless, madv_dontneed_file) {
	.w = W_MADV_FREE, .row = 24, .counter = "spec_file",
	.evidence = "MADV_DONTNEEDs of the readers' maps",
	.fkinds = FK(F_TABLE) | FK(F_PRIVATE),
};

FIXTURE_VARIANT_ADD(lockless, thp_split_file) {
	.w = W_THP_SPLIT, .row = 25, .counter = "spec_file",
	.evidence = "thp_split_page", .fkinds = FK_ALL,
};

FIXTURE_VARIANT_ADD(lockless, soft_offline_file) {
	.w = W_SOFT_OFFLINE, .row = 40, .counter = "spec_file",
	.evidence = "page-cache pages soft-offlined", .fkinds = FK_ALL,
};

FIXTURE_VARIANT_ADD(lockless, remote_vm_file) {
	.w = W_REMOTE, .row = 42, .counter = "spec_file",
	.evidence = "remote read+write pairs", .fkinds = FK_ALL,
};

FIXTURE_VARIANT_ADD(lockless, memcg_move_file) {
	.w = W_MEMCG_MOVE, .row = 45, .counter = "spec_file",
	.evidence = "cgroup moves", .fkinds = FK_ALL,
};

FIXTURE_VARIANT_ADD(lockless, drop_caches_shmem) {
	.w = W_DROP, .row = 37, .counter = "spec_file_write",
	.evidence = "invalidations", .fkinds = FK(F_SHARED),
};

FIXTURE_VARIANT_ADD(lockless, pagecache_fill_shmem) {
	.w = W_FILL, .row = 38, .counter = "spec_file_write",
	.evidence = "pages punched and filled", .fkinds = FK(F_SHARED),
};

/*
 * Row 41 over a private file mapping: the readers' private maps are
 * MADV_MERGEABLE, and each reader's private write stores the same word
 * (KSM_FILL at PW_OFF), so that two readers' COW copies of a page are
 * identical and ksmd merges them while the next private writes fault.
 */
FIXTURE_VARIANT_ADD(lockless, ksm_file) {
	.w = W_KSM, .row = 41, .counter = "spec_file_write",
	.evidence = "most pages_sharing", .fkinds = FK(F_PRIVATE),
};

FIXTURE_VARIANT_ADD(lockless, memcg_limit_file) {
	.w = W_MEMCG_LIMIT, .row = 46, .counter = "spec_file",
	.evidence = "memory.events max",
	.fkinds = FK(F_TABLE) | FK(F_PRIVATE),
};

FIXTURE_SETUP(lockless)
{
	spf_fixture_load(_metadata);
	if (_metadata->skip)
		return;
	S = mmap(NULL, sizeof(*S), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, S);
	S->fd = -1;
	S->dfd = -1;
	ASSERT_EQ(0, prefault_self());
}

static const char *const knobs[] = {
	FILE_DELAY, SPF_DEBUGFS "/inject_table_delay_us",
	SPF_DEBUGFS "/inject_commit_delay_us",
	SPF_DEBUGFS "/inject_swap_delay_us",
};

FIXTURE_TEARDOWN(lockless)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(knobs); i++)
		spf_write_file(knobs[i], "0");
	if (thp_saved[0])
		thp_restore();
	if (ksm_saved[0][0])
		ksm_restore();
	if (variant->w == W_EXT4_PUNCH || variant->w == W_EXT4_ODIRECT) {
		/* The file's mappings and descriptors pin the mount. */
		size_t len = S->file_np * page_size();

		if (S->wmap)
			munmap(S->wmap, len);
		for (i = 0; i < NREADERS; i++) {
			if (S->rmap[i])
				munmap(S->rmap[i], len);
			if (S->pmap[i])
				munmap(S->pmap[i], len);
		}
		if (S->dfd >= 0)
			close(S->dfd);
		if (S->fd >= 0)
			close(S->fd);
		spf_ext4_umount();
	}
	if (lr_file[0])
		unlink(lr_file);
	lr_file[0] = '\0';
	rmdir(CG "/spf-lr-a");
	rmdir(CG "/spf-lr-b");
	spf_fixture_unload(_metadata);
}

/*
 * Map the region the anonymous faulters own: faulter t's PMD at PMD 2t,
 * an anchor page (written, so with an anon_vma) at the start of PMD
 * 2t + 1, the rest PROT_NONE.  The anchor shares no table with the
 * chunk, and a chunk mapped anew merges into it (remap_chunk()).
 */
static int map_anon(enum lr_writer w)
{
	size_t ps = page_size(), pmd = pmd_bytes(), span;
	char *raw, *anchor;
	long t;

	S->per = w == W_THP_SPLIT ? pmd / ps : NPT;
	span = 2 * NFAULTERS * pmd;
	raw = mmap(NULL, span + pmd, PROT_NONE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (raw == MAP_FAILED)
		return -1;
	S->anon = (char *)(((uintptr_t)raw + pmd - 1) & ~(uintptr_t)(pmd - 1));
	for (t = 0; t < NFAULTERS; t++) {
		anchor = chunk(t) + pmd;
		if (mmap(anchor, ps, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) !=
		    anchor)
			return -1;
		WRITE_ONCE(*anchor, 1);
		if (remap_chunk(t, w == W_THP_SPLIT))
			return -1;
	}
	return 0;
}

/* LEN of the file at a PMD-aligned slot of its own, or NULL. */
static char *map_slot(size_t len, int prot, int flags)
{
	return map_file_chunks(S->fd, len, prot, flags);
}

/*
 * Map the raced file: the writer's mapping PMD-aligned (MADV_COLLAPSE),
 * each reader's read mapping alone in its PMDs (mapped anew, it frees
 * its table), a shared writable mapping (tmpfs) and a private one whose
 * first write (stock) gave it its anon_vma.
 */
static int map_file(void)
{
	size_t len = S->file_np * page_size();
	int i;

	S->wmap = map_slot(len, PROT_READ, MAP_SHARED);
	if (!S->wmap)
		return -1;
	for (i = 0; i < NREADERS; i++) {
		S->rmap[i] = map_slot(len, PROT_READ, MAP_SHARED);
		S->pmap[i] = map_slot(len, PROT_READ | PROT_WRITE,
				      MAP_PRIVATE);
		if (!S->rmap[i] || !S->pmap[i])
			return -1;
		madvise(S->rmap[i], len, MADV_NOHUGEPAGE);
		madvise(S->pmap[i], len, MADV_NOHUGEPAGE);
		if (S->w == W_KSM && madvise(S->pmap[i], len, MADV_MERGEABLE))
			return -1;
		WRITE_ONCE(*(uint64_t *)(S->pmap[i] + PW_OFF + 8 * i), 0);
		if (!(S->fkinds & 1u << F_SHARED))
			continue;
		S->smap[i] = map_slot(len, PROT_READ | PROT_WRITE,
				      MAP_SHARED);
		if (!S->smap[i])
			return -1;
		madvise(S->smap[i], len, MADV_NOHUGEPAGE);
	}
	return 0;
}

static const char *const kind_counter[NKINDS] = {
	"spec_write", "spec_wp_reuse", "spec_wp_zero", "spec_wp_copy",
	"pte_tables", "spec_swap", "spec_thp",
};

static const char *const fkind_counter[NFKINDS] = {
	"spec_file", "pte_tables", "spec_file_write", "spec_file_write",
};

static void kind_counts(long *c)
{
	int k;

	for (k = 0; k < NKINDS; k++)
		c[k] = spf_stat(kind_counter[k]);
}

static bool all_seen(unsigned int mask, const atomic_long *seen, int n)
{
	int k;

	for (k = 0; k < n; k++)
		if ((mask & 1u << k) && atomic_load(&seen[k]) <= 0)
			return false;
	return true;
}

/*
 * The anonymous race: SECS, then on, up to eight times as long (a slow
 * kernel gets through a round or two), until each kind was speculated.
 */
static void race_rounds(double secs)
{
	long c0[NKINDS], c[NKINDS];
	double t0 = now_s();
	int k;

	kind_counts(c0);
	usleep(secs * 1e6);
	for (;;) {
		kind_counts(c);
		for (k = 0; k < NKINDS; k++)
			if (S->kinds & 1u << k)
				atomic_store(&S->seen[k], c[k] - c0[k]);
		if (all_seen(S->kinds, S->seen, NKINDS) ||
		    now_s() - t0 > 8 * secs)
			break;
		usleep(50000);
	}
}

static void readers_idle(void)
{
	atomic_store(&S->fphase, -1);
	while (atomic_load(&S->idle) < NREADERS)
		usleep(100);
}

/*
 * The file race, in phases of 100 ms, one kind each: the counters read
 * while the readers are idle say which kinds a phase's faults were.
 * SECS, then on as race_rounds() does.
 */
static void race_phases(double secs)
{
	double t0 = now_s();
	long a, b;
	int ph = F_READ;

	for (;;) {
		if (now_s() - t0 > 8 * secs ||
		    (now_s() - t0 > secs &&
		     all_seen(S->fkinds, S->fseen, NFKINDS) &&
		     (!S->fmode || S->w != W_THP_SPLIT ||
		      atomic_load(&S->ops) > 0)))
			break;
		readers_idle();
		/*
		 * A new table's window held open longer in its own phase,
		 * where a visit is a remap and a fault: a writer comes by.
		 */
		spf_write_file(SPF_DEBUGFS "/inject_table_delay_us",
			       ph == F_TABLE ? "200" : "20");
		a = spf_stat(fkind_counter[ph]);
		atomic_store(&S->fphase, ph);
		usleep(100000);
		readers_idle();
		b = spf_stat(fkind_counter[ph]);
		atomic_fetch_add(&S->fseen[ph], b - a);
		do
			ph = (ph + 1) % NFKINDS;
		while (!(S->fkinds & 1u << ph));
	}
}

/*
 * The faulters (and readers) plus the writer thread in this process;
 * the memcg kinds run it in a child.
 */
static void run_threads(double secs, bool readers)
{
	pthread_t f[NFAULTERS], rd[NREADERS], wr;
	bool has_writer = S->fmode ||
			  (S->w != W_REMOTE && S->w != W_MEMCG_MOVE);
	long i;

	if (readers) {
		for (i = 0; i < NREADERS; i++)
			start_thread(&rd[i], file_reader, (void *)(i + 1));
	} else {
		for (i = 0; i < NFAULTERS; i++)
			start_thread(&f[i], anon_faulter, (void *)i);
	}
	if (has_writer)
		start_thread(&wr, writer, NULL);
	if (readers)
		race_phases(secs);
	else
		race_rounds(secs);
	atomic_store(&S->stop, true);
	for (i = 0; i < (readers ? NREADERS : NFAULTERS); i++)
		pthread_join(readers ? rd[i] : f[i], NULL);
	if (has_writer)
		pthread_join(wr, NULL);
}

/*
 * Row 46's THP round.  At memory.max the group seldom has 2 MiB to
 * charge without reclaim, which spf does not do, so a speculative huge
 * page was almost never charged there.  This round lifts memory.max
 * and sets memory.high 2 MiB above the group's usage instead: a charge
 * over memory.high succeeds, and the charging task then reclaims the
 * group on its way back to user space (mem_cgroup_handle_over_high()).
 * The streamer's page-cache charges and every huge page's keep the
 * group at memory.high, and the parent reclaims it from outside
 * (memory.reclaim, 128 KiB every 10 ms), so reclaim of the group runs
 * while a faulter's huge page is charged and mapped.  memory.swap.max
 * is 0 for the round: reclaim takes page cache, and does not split
 * and swap the faulters' huge pages out under their stores (that
 * thrashed: a round or two a second).  THP rounds only: each
 * faulter's chunk mapped anew with MADV_HUGEPAGE and written first (a
 * read would map the huge zero page, stock), its pages checked at
 * every round's end.  A quarter of SPF_RACE_SECS, longer until a huge
 * page was speculated (race_rounds()).
 */
static void memcg_thp_round(void)
{
	unsigned int kinds = S->kinds;
	char path[128], v[32];
	long r0 = atomic_load(&S->rounds), ev;
	double t0 = now_s();

	snprintf(path, sizeof(path), CG "/spf-lr-a/memory.current");
	S->thp_high = file_num(path) + (2 << 20);
	snprintf(v, sizeof(v), "%ld", S->thp_high);
	snprintf(path, sizeof(path), CG "/spf-lr-a/memory.high");
	/* File pages alone to reclaim: no huge page split to swap. */
	spf_write_file(CG "/spf-lr-a/memory.swap.max", "0");
	if (S->thp_high <= 2 << 20 || spf_write_file(path, v) ||
	    spf_write_file(CG "/spf-lr-a/memory.max", "max")) {
		lr_bad("cannot set memory.high to %s: %s", v, strerror(errno));
		return;
	}
	ev = cg_field("spf-lr-a", "memory.events", "high");
	S->kinds = 1u << K_THP;
	atomic_store(&S->stop, false);
	atomic_store(&S->thp_running, true);
	run_threads(race_secs() / 4, false);
	atomic_store(&S->thp_running, false);
	S->kinds = kinds;
	S->thp_high_events = cg_field("spf-lr-a", "memory.events", "high") - ev;
	S->thp_rounds = atomic_load(&S->rounds) - r0;
	S->thp_secs = now_s() - t0;
}

/* Rows 45, 46: the faulting process runs in a child of its own. */
static void memcg_child(void)
{
	if (cg_enter("spf-lr-a", 0))
		_exit(2);
	/*
	 * A region of its own: a VMA inherited over fork() has a second
	 * anon_vma, and a chunk mapped anew would not merge into it.
	 */
	if (map_anon(S->w))
		_exit(3);
	run_threads(race_secs(), S->fmode);
	if (S->thp_round)
		memcg_thp_round();
	_exit(0);
}

TEST_F_TIMEOUT(lockless, races_faults, SPF_SOAK_TIMEOUT)
{
	struct spf_counts c0, c1, d;
	long spec, ev0 = 0, ev1 = 0, moves = 0, max_events = -1;
	double secs = race_secs(), t0;
	char why[160] = "";
	bool file_kind = variant->w == W_COLLAPSE || variant->w == W_DROP ||
			 variant->w == W_FILL || variant->w == W_EXT4_PUNCH ||
			 variant->w == W_EXT4_ODIRECT || variant->fkinds;
	pid_t child = -1;
	int status;
	long i;

	if (!spec_ready(_metadata))
		return;
	S->w = variant->w;
	S->may_zero = variant->may_zero;
	S->file_np = variant->w == W_MEMCG_LIMIT ? LIMIT_FILE_NP : FILE_NP;
	S->fmode = variant->fkinds;
	atomic_store(&S->fphase, -1);
	if (variant->fkinds) {
		S->fkinds = variant->fkinds;
	} else if (file_kind) {
		S->fkinds = 1u << F_READ | 1u << F_TABLE | 1u << F_PRIVATE;
		/* A disk file's shared writes are stock (->page_mkwrite()). */
		if (variant->w == W_COLLAPSE)
			S->fkinds |= 1u << F_SHARED;
	} else {
		S->kinds = (1u << NKINDS) - 1;
		if (swap_on()) {
			TH_LOG("no swap-cache hits: %s", swap_why);
			S->kinds &= ~(1u << K_SWAP);
		}
		if (variant->w != W_THP_SPLIT &&
		    variant->w != W_ANON_COLLAPSE && !thp_ok(why, sizeof(why))) {
			TH_LOG("no THP faults: %s", why);
			S->kinds &= ~(1u << K_THP);
		}
		/*
		 * At its limit the group seldom has 2 MiB to charge without
		 * reclaim, which spf does not do: a speculative THP fault
		 * came once in 8 s, or not at all in 16.  THP gets a round
		 * of its own, at memory.high (memcg_thp_round()).
		 */
		if (variant->w == W_MEMCG_LIMIT && (S->kinds & 1u << K_THP)) {
			S->kinds &= ~(1u << K_THP);
			S->thp_round = true;
		}
	}

	switch (variant->w) {
	case W_ANON_COLLAPSE:
		if (!thp_ok(why, sizeof(why)))
			SKIP(return, "%s", why);
		/* The faulters' plain VMAs fault small pages, to collapse. */
		if (strstr(thp_saved, "[always]") &&
		    spf_write_file(THP_ENABLED, "madvise"))
			SKIP(return, "THP is always and cannot be set to madvise");
		break;
	case W_THP_SPLIT:
		if (!thp_ok(why, sizeof(why)))
			SKIP(return, "%s", why);
		ev0 = spf_vmstat(S->fmode ? "thp_split_page" : "thp_split_pmd");
		ev1 = spf_vmstat("thp_fault_alloc");
		if (!S->fmode)
			break;
		S->fd = memfd_create("spf-split", MFD_CLOEXEC);
		ASSERT_LE(0, S->fd);
		ASSERT_EQ(0, ftruncate(S->fd, S->file_np * page_size()));
		ASSERT_EQ(0, publish(0));
		break;
	case W_COLLAPSE:
		if (!thp_ok(why, sizeof(why)))
			SKIP(return, "%s", why);
		S->fd = memfd_create("spf-collapse", MFD_CLOEXEC);
		ASSERT_LE(0, S->fd);
		ASSERT_EQ(0, ftruncate(S->fd, S->file_np * page_size()));
		ASSERT_EQ(0, publish(0));
		break;
	case W_EXT4_PUNCH:
	case W_EXT4_ODIRECT:
		status = spf_ext4_mount();
		if (status == -1)
			SKIP(return, "%s", spf_ext4_why);
		ASSERT_EQ(0, status) TH_LOG("%s", spf_ext4_why);
		S->fd = open(SPF_EXT4_DIR "/lockless", O_RDWR | O_CREAT |
			     O_TRUNC | O_CLOEXEC, 0600);
		ASSERT_LE(0, S->fd);
		ASSERT_EQ(0, ftruncate(S->fd, S->file_np * page_size()));
		ASSERT_EQ(0, publish(0));
		ASSERT_EQ(0, fsync(S->fd));
		if (variant->w == W_EXT4_ODIRECT) {
			S->dfd = open(SPF_EXT4_DIR "/lockless", O_RDWR |
				      O_DIRECT | O_CLOEXEC);
			ASSERT_LE(0, S->dfd);
			ASSERT_EQ(0, posix_memalign((void **)&S->dbuf,
						    page_size(),
						    S->file_np * page_size()));
			memset(S->dbuf, 0, S->file_np * page_size());
		}
		break;
	case W_MADV_FREE:
	case W_SOFT_OFFLINE:
	case W_REMOTE:
		if (!S->fmode)
			break;
		S->fd = memfd_create("spf-lockless", MFD_CLOEXEC);
		ASSERT_LE(0, S->fd);
		ASSERT_EQ(0, ftruncate(S->fd, S->file_np * page_size()));
		ASSERT_EQ(0, publish(0));
		break;
	case W_DROP:
	case W_FILL:
		if (S->fmode) {
			S->fd = memfd_create("spf-lockless", MFD_CLOEXEC);
			ASSERT_LE(0, S->fd);
			ASSERT_EQ(0, ftruncate(S->fd,
					       S->file_np * page_size()));
			ASSERT_EQ(0, publish(0));
			break;
		}
		/* fall through */
	case W_MEMCG_LIMIT:
		if (variant->w == W_MEMCG_LIMIT && !memcg_ok(why, sizeof(why)))
			SKIP(return, "%s", why);
		S->fd = disk_file(S->file_np, why, sizeof(why));
		if (S->fd < 0)
			SKIP(return, "%s", why);
		break;
	case W_KSM:
		if (!ksm_on(why, sizeof(why)))
			SKIP(return, "%s", why);
		ev0 = file_num(KSM_SYS "full_scans");
		if (!S->fmode)
			break;
		S->fd = memfd_create("spf-lockless", MFD_CLOEXEC);
		ASSERT_LE(0, S->fd);
		ASSERT_EQ(0, ftruncate(S->fd, S->file_np * page_size()));
		ASSERT_EQ(0, publish(0));
		break;
	case W_MEMCG_MOVE:
		if (!memcg_ok(why, sizeof(why)))
			SKIP(return, "%s", why);
		if (!S->fmode)
			break;
		S->fd = memfd_create("spf-lockless", MFD_CLOEXEC);
		ASSERT_LE(0, S->fd);
		ASSERT_EQ(0, ftruncate(S->fd, S->file_np * page_size()));
		ASSERT_EQ(0, publish(0));
		break;
	default:
		break;
	}
	ASSERT_EQ(0, map_anon(variant->w));
	if (S->fd >= 0)
		ASSERT_EQ(0, map_file());
	if (variant->w == W_SOFT_OFFLINE) {
		S->anon[0] = 1;
		if (madvise(S->anon, page_size(), MADV_SOFT_OFFLINE))
			SKIP(return, "MADV_SOFT_OFFLINE: %s (CONFIG_MEMORY_FAILURE?)",
			     strerror(errno));
		ev0 = spf_file_field("/proc/meminfo", "HardwareCorrupted");
	}
	if (variant->w == W_COLLAPSE ||
	    (S->fmode && variant->w == W_THP_SPLIT)) {
		for (i = 0; i < (long)S->file_np; i++)
			keep(READ_ONCE(S->wmap[i * page_size()]));
		if (madvise(S->wmap, S->file_np * page_size(), MADV_COLLAPSE))
			SKIP(return, "MADV_COLLAPSE of a memfd mapping: %s",
			     strerror(errno));
	}
	if (variant->w == W_MEMCG_MOVE || variant->w == W_MEMCG_LIMIT) {
		ASSERT_EQ(0, cg_make("spf-lr-a", variant->w == W_MEMCG_LIMIT ?
				     "8M" : NULL));
		ASSERT_EQ(0, cg_make("spf-lr-b", NULL));
		max_events = cg_field("spf-lr-a", "memory.events", "max");
	}
	/* Every window the kinds raced have held open. */
	for (i = 0; i < (long)ARRAY_SIZE(knobs); i++)
		if (file_kind ? i < 2 : i > 0)
			ASSERT_EQ(0, spf_write_file(knobs[i], "20"));

	ASSERT_EQ(0, spf_counts_read(&c0));
	t0 = now_s();
	if (variant->w == W_REMOTE) {
		pid_t parent = getpid();

		child = fork();
		ASSERT_LE(0, child);
		if (!child && S->fmode)
			remote_file_child(parent);
		if (!child)
			remote_child(parent);
		run_threads(secs, S->fmode);
		ASSERT_EQ(child, waitpid(child, &status, 0));
		EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	} else if (variant->w == W_MEMCG_MOVE ||
		   variant->w == W_MEMCG_LIMIT) {
		child = fork();
		ASSERT_LE(0, child);
		if (!child)
			memcg_child();
		while (waitpid(child, &status, WNOHANG) == 0) {
			if (variant->w == W_MEMCG_MOVE &&
			    !cg_enter(moves % 2 ? "spf-lr-a" : "spf-lr-b",
				      child))
				moves++;
			/* Row 46's THP round: reclaim from outside too. */
			if (atomic_load(&S->thp_running)) {
				if (!spf_write_file(CG "/spf-lr-a/memory.reclaim",
						    "128K"))
					S->thp_reclaims++;
				usleep(10000);
				continue;
			}
			usleep(variant->w == W_MEMCG_MOVE ? 1000 : 20000);
		}
		EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
			TH_LOG("the faulting child: status %#x", status);
		if (S->thp_round) {
			/* The THP round's count is checked with the others. */
			S->kinds |= 1u << K_THP;
			TH_LOG("THP round, %.1f s: memory.high %ld, %ld memory.events high, %ld memory.reclaim writes, %ld rounds",
			       S->thp_secs, S->thp_high, S->thp_high_events,
			       S->thp_reclaims, S->thp_rounds);
			EXPECT_LT(0, S->thp_high_events)
				TH_LOG("the group never went over memory.high");
		}
	} else {
		run_threads(secs, file_kind);
	}
	ASSERT_EQ(0, spf_counts_read(&c1));
	spf_counts_sub(&c1, &c0, &d);
	spec = d.c[!strcmp(variant->counter, "spec_file") ? SPF_C_SPEC_FILE :
		   !strcmp(variant->counter, "spec_file_write") ?
		   SPF_C_SPEC_FILE_WRITE : SPF_C_SPEC_WRITE];

	switch (variant->w) {
	case W_THP_SPLIT:
		ev0 = spf_vmstat(S->fmode ? "thp_split_page" :
				"thp_split_pmd") - ev0;
		TH_LOG("%s %ld, thp_fault_alloc %ld",
		       S->fmode ? "thp_split_page" : "thp_split_pmd", ev0,
		       spf_vmstat("thp_fault_alloc") - ev1);
		EXPECT_LT(0, ev0) TH_LOG("no huge pmd or page was split");
		break;
	case W_SOFT_OFFLINE:
		TH_LOG("HardwareCorrupted %ld kB more",
		       spf_file_field("/proc/meminfo", "HardwareCorrupted") - ev0);
		break;
	case W_COLLAPSE:
	case W_ANON_COLLAPSE:
		TH_LOG("MADV_COLLAPSE failed: %ld EAGAIN, %ld EINVAL, %ld other",
		       atomic_load(&S->fails[0]), atomic_load(&S->fails[1]),
		       atomic_load(&S->fails[2]));
		break;
	case W_KSM:
		TH_LOG("ksm full_scans %ld",
		       file_num(KSM_SYS "full_scans") - ev0);
		break;
	case W_MEMCG_MOVE:
		atomic_store(&S->ops, moves);
		break;
	case W_MEMCG_LIMIT:
		atomic_store(&S->ops, cg_field("spf-lr-a", "memory.events",
					       "max") - max_events);
		EXPECT_EQ(0, cg_field("spf-lr-a", "memory.events", "oom_kill"));
		break;
	default:
		break;
	}
	if (variant->w == W_MEMCG_MOVE || variant->w == W_MEMCG_LIMIT) {
		static const char *const g[2] = { "spf-lr-a", "spf-lr-b" };
		long anon[2], cur[2], file[2];
		char path[128];
		int tries;

		/* Every page the child had is freed: both groups drain. */
		for (tries = 0; tries < 40; tries++) {
			for (i = 0; i < 2; i++) {
				anon[i] = cg_field(g[i], "memory.stat", "anon");
				snprintf(path, sizeof(path), CG "/%s/memory.current", g[i]);
				cur[i] = file_num(path);
				/* The file's pages stay cached, charged. */
				file[i] = cg_field(g[i], "memory.stat", "file");
				cur[i] -= file[i] * (file[i] > 0);
			}
			if (!anon[0] && !anon[1] && cur[0] < (1 << 20) &&
			    cur[1] < (1 << 20))
				break;
			usleep(50000);
		}
		TH_LOG("after exit: a anon %ld current-file %ld (file %ld), b anon %ld current-file %ld (file %ld)",
		       anon[0], cur[0], file[0], anon[1], cur[1], file[1]);
		for (i = 0; i < 2; i++) {
			EXPECT_EQ(0, anon[i]) TH_LOG("%s keeps anon charges", g[i]);
			EXPECT_GT(1 << 20, cur[i]) TH_LOG("%s keeps charges", g[i]);
			EXPECT_LE(0, cur[i]);
		}
	}

	TH_LOG("row %d, %.1f s: %ld rounds, %ld words checked (%ld discarded), %ld file reads; %s %ld; %s %ld, %ld bad;%s",
	       variant->row, now_s() - t0, atomic_load(&S->rounds),
	       atomic_load(&S->checked), atomic_load(&S->zeros),
	       atomic_load(&S->reads), variant->evidence,
	       atomic_load(&S->ops), variant->counter, spec,
	       atomic_load(&S->bad), spf_counts_str(&d));
	for (i = 0; i < NKINDS; i++)
		if (S->kinds & 1u << i) {
			TH_LOG("%s: %ld %s", kind_name[i],
			       atomic_load(&S->seen[i]), kind_counter[i]);
			EXPECT_LT(0, atomic_load(&S->seen[i]))
				TH_LOG("no %s during the race", kind_name[i]);
		}
	for (i = 0; i < NFKINDS; i++)
		if (S->fkinds & 1u << i) {
			TH_LOG("%s: %ld %s in its phases", fkind_name[i],
			       atomic_load(&S->fseen[i]), fkind_counter[i]);
			EXPECT_LT(0, atomic_load(&S->fseen[i]))
				TH_LOG("no %s during the race", fkind_name[i]);
		}
	EXPECT_EQ(0, atomic_load(&S->bad)) TH_LOG("%s", S->detail);
	EXPECT_LT(0, atomic_load(&S->ops)) TH_LOG("the writer did nothing");
	EXPECT_LT(0, spec) TH_LOG("no %s during the race", variant->counter);
	EXPECT_LT(0, atomic_load(file_kind ? &S->reads : &S->rounds));
}

TEST_HARNESS_MAIN
