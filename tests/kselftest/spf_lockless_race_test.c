// SPDX-License-Identifier: GPL-2.0
/*
 * Writers that change what a speculative fault relies on without
 * mmap_lock for write (docs/audit-writers.md rows 24, 25, 27, 37, 38,
 * 40, 41, 42, 45, 46), raced against faults: one variant per writer,
 * one faulter/verify loop.
 *
 * Anonymous kinds: two faulter threads each own a part of one region;
 * a round zaps the part (MADV_DONTNEED), so that its first touches are
 * speculative anonymous faults, writes round r's tag into two words of
 * every page, twice, reading each back, and checks every page at the
 * round's end.  A writer that may discard a page (MADV_FREE, a partial
 * MADV_DONTNEED of a THP) leaves a word 0; any other value is a lost or
 * misplaced write.
 *
 * File kinds: a pager publishes round k's tags into a file (or keeps
 * round 0 in a file on a disk-backed file system), readers fault pages
 * through their own shared mappings, zapping them now and then, with
 * spf pausing between a page's reference and its lock
 * (inject_file_delay_us), and check every word is the page's and no
 * older than the round published before the read began.
 *
 * Every case also checks that its writer did something (an event
 * counter of the kernel's) and that spf speculated the fault kind
 * raced during the race; the counts are printed.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <linux/falloc.h>
#include "kselftest_harness.h"
#include "spf_util.h"
#include "spf_fixture.h"

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

enum lr_writer {
	W_MADV_FREE, W_THP_SPLIT, W_COLLAPSE, W_DROP, W_FILL, W_SOFT_OFFLINE,
	W_KSM, W_REMOTE, W_MEMCG_MOVE, W_MEMCG_LIMIT,
};

/* Shared with the child processes of the remote and memcg kinds. */
struct lr_state {
	enum lr_writer w;
	bool may_zero, file_kind;
	size_t per, file_np;
	char *anon, *rmap[NREADERS], *wmap;
	int fd;
	atomic_bool stop;
	atomic_long zap_seq[NFAULTERS];
	atomic_long published[LIMIT_FILE_NP];
	atomic_long rounds, checked, zeros, bad, ops, reads;
	atomic_long punch_seq;		/* odd while a punched file refills */
	atomic_long fails[3];		/* the writer's EAGAIN, EINVAL, other */
	char detail[256];
};

static struct lr_state *S;
static char lr_file[64];
static char thp_saved[64], ksm_saved[3][32];

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

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

static long file_field(const char *path, const char *key)
{
	static char buf[16384];
	size_t n = strlen(key);
	char *s;

	memset(buf, 0, sizeof(buf));
	if (spf_read_file(path, buf, sizeof(buf)))
		return -1;
	for (s = buf; s && *s; s = strchr(s, '\n'), s = s ? s + 1 : s)
		if (!strncmp(s, key, n) && (s[n] == ' ' || s[n] == ':'))
			return strtol(s + n + 1 + (s[n] == ':'), NULL, 10);
	return -1;
}

/* A file holding one number (sysfs, cgroup), or -1. */
static long file_num(const char *path)
{
	char buf[64];

	if (spf_read_file(path, buf, sizeof(buf)))
		return -1;
	return strtol(buf, NULL, 10);
}

static long vmstat_of(const char *key)
{
	return file_field("/proc/vmstat", key);
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

static void *anon_faulter(void *arg)
{
	long t = (long)arg, r, i, idx;
	size_t ps = page_size(), len = S->per * ps;
	char *base = S->anon + t * len, *pg;
	int pass;

	for (r = 1; !atomic_load(&S->stop); r++) {
		atomic_fetch_add(&S->zap_seq[t], 1);
		if (S->w == W_THP_SPLIT) {
			/*
			 * A split leaves a PTE table that MADV_DONTNEED
			 * keeps: map the chunk anew, so that its first
			 * touch can be a huge page again.
			 */
			if (mmap(base, len, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
				 -1, 0) != base ||
			    madvise(base, len, MADV_HUGEPAGE))
				lr_bad("cannot map chunk %ld anew", t);
		} else {
			madvise(base, len, MADV_DONTNEED);
		}
		atomic_fetch_add(&S->zap_seq[t], 1);
		if (S->w == W_KSM) {
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

	if (S->w == W_COLLAPSE && ((punch_seen & 1) || now != punch_seen))
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

static void *file_reader(void *arg)
{
	unsigned int seed = (unsigned int)(uintptr_t)arg;
	char *q = S->rmap[seed - 1];
	size_t ps = page_size();
	long i, r;

	while (!atomic_load(&S->stop)) {
		i = rand_r(&seed) % S->file_np;
		if (rand_r(&seed) % 4 == 0)
			madvise(q, S->file_np * ps, MADV_DONTNEED);
		punch_seen = atomic_load(&S->punch_seq);
		r = atomic_load(&S->published[i]);
		check_file_word(READ_ONCE(*(uint64_t *)(q + i * ps)), i, r,
				"word 0");
		check_file_word(~READ_ONCE(*(uint64_t *)(q + i * ps + ps - 8)),
				i, r, "last word");
		atomic_fetch_add(&S->reads, 1);
		/*
		 * A reference a fault holds makes the collapse's refcount
		 * freeze fail: leave it gaps to succeed in.
		 */
		if (S->w == W_COLLAPSE)
			usleep(50);
	}
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

static void *writer(void *arg)
{
	unsigned int seed = 7;
	size_t ps = page_size(), alen = NFAULTERS * S->per * ps;
	size_t flen = S->file_np * ps;
	long k, n;

	for (k = 1; !atomic_load(&S->stop); k++) {
		switch (S->w) {
		case W_MADV_FREE:
			madvise(S->anon, alen, MADV_FREE);
			usleep(500);
			if (!madvise(S->anon, alen, MADV_PAGEOUT))
				atomic_fetch_add(&S->ops, 1);
			break;
		case W_THP_SPLIT:
			n = rand_r(&seed) % (NFAULTERS * S->per);
			if (!madvise(S->anon + n * ps, ps, MADV_DONTNEED))
				atomic_fetch_add(&S->ops, 1);
			usleep(200);
			break;
		case W_SOFT_OFFLINE:
			if (atomic_load(&S->ops) >= SOFT_OFFLINE_MAX) {
				usleep(10000);
				break;
			}
			n = rand_r(&seed) % (NFAULTERS * S->per);
			if (!madvise(S->anon + n * ps, ps, MADV_SOFT_OFFLINE))
				atomic_fetch_add(&S->ops, 1);
			usleep(2000);
			break;
		case W_KSM:
			n = file_num(KSM_SYS "pages_sharing");
			if (n > atomic_load(&S->ops))
				atomic_store(&S->ops, n);
			usleep(5000);
			break;
		case W_COLLAPSE:
			/* Small folios again, round k in them, then one. */
			atomic_fetch_add(&S->punch_seq, 1);
			if (fallocate(S->fd, FALLOC_FL_PUNCH_HOLE |
				      FALLOC_FL_KEEP_SIZE, 0, flen) ||
			    publish(2 * k))
				return NULL;
			atomic_fetch_add(&S->punch_seq, 1);
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
	size_t ps = page_size();
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
		rm.iov_base = S->anon + i * ps + 64;
		rm.iov_len = 8;
		if (process_vm_writev(parent, &l, 1, &rm, 1, 0) != 8)
			continue;
		back = 0;
		l.iov_base = &back;
		if (process_vm_readv(parent, &l, 1, &rm, 1, 0) != 8)
			continue;
		l.iov_base = &w0;
		rm.iov_base = S->anon + i * ps;
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
	return file_field(path, key);
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
	if (strstr(thp_saved, "[never]"))
		spf_write_file(THP_ENABLED, "never");
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
};

FIXTURE_VARIANT_ADD(lockless, madv_free) {
	.w = W_MADV_FREE, .row = 24, .counter = "spec_write",
	.evidence = "MADV_PAGEOUT calls", .may_zero = true,
};

FIXTURE_VARIANT_ADD(lockless, thp_split) {
	.w = W_THP_SPLIT, .row = 25, .counter = "spec_write",
	.evidence = "4 KiB MADV_DONTNEEDs", .may_zero = true,
};

FIXTURE_VARIANT_ADD(lockless, collapse_file) {
	.w = W_COLLAPSE, .row = 27, .counter = "spec_file",
	.evidence = "MADV_COLLAPSEs done",
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

FIXTURE_SETUP(lockless)
{
	spf_fixture_load(_metadata);
	if (_metadata->skip)
		return;
	S = mmap(NULL, sizeof(*S), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, S);
	S->fd = -1;
	ASSERT_EQ(0, prefault_self());
}

FIXTURE_TEARDOWN(lockless)
{
	spf_write_file(FILE_DELAY, "0");
	if (thp_saved[0])
		thp_restore();
	if (ksm_saved[0][0])
		ksm_restore();
	if (lr_file[0])
		unlink(lr_file);
	lr_file[0] = '\0';
	rmdir(CG "/spf-lr-a");
	rmdir(CG "/spf-lr-b");
	spf_fixture_unload(_metadata);
}

/* Map the region the anonymous faulters own. */
static int map_anon(enum lr_writer w)
{
	size_t ps = page_size();

	S->per = w == W_THP_SPLIT ? pmd_bytes() / ps : NPT;
	S->anon = map_chunks((NFAULTERS * S->per * ps + pmd_bytes() - 1) /
			     pmd_bytes());
	if (!S->anon)
		return -1;
	if (w == W_THP_SPLIT)
		return madvise(S->anon, NFAULTERS * S->per * ps,
			       MADV_HUGEPAGE);
	if (w == W_KSM)
		return madvise(S->anon, NFAULTERS * S->per * ps,
			       MADV_MERGEABLE);
	return 0;
}

/* Map the raced file: the writer's mapping PMD-aligned (MADV_COLLAPSE). */
static int map_file(void)
{
	size_t ps = page_size(), len = S->file_np * ps;
	char *raw;
	int i;

	raw = mmap(NULL, len + pmd_bytes(), PROT_NONE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (raw == MAP_FAILED)
		return -1;
	S->wmap = (char *)(((uintptr_t)raw + pmd_bytes() - 1) &
			   ~(uintptr_t)(pmd_bytes() - 1));
	if (mmap(S->wmap, len, PROT_READ, MAP_SHARED | MAP_FIXED, S->fd, 0) !=
	    S->wmap)
		return -1;
	for (i = 0; i < NREADERS; i++) {
		S->rmap[i] = mmap(NULL, len, PROT_READ, MAP_SHARED, S->fd, 0);
		if (S->rmap[i] == MAP_FAILED)
			return -1;
		madvise(S->rmap[i], len, MADV_NOHUGEPAGE);
	}
	return 0;
}

/*
 * The faulters (and readers) plus the writer thread for SECS in this
 * process; the memcg kinds run it in a child.
 */
static void run_threads(double secs, bool readers)
{
	pthread_t f[NFAULTERS], rd[NREADERS], wr;
	bool has_writer = S->w != W_REMOTE && S->w != W_MEMCG_MOVE;
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
	usleep(secs * 1e6);
	atomic_store(&S->stop, true);
	for (i = 0; i < (readers ? NREADERS : NFAULTERS); i++)
		pthread_join(readers ? rd[i] : f[i], NULL);
	if (has_writer)
		pthread_join(wr, NULL);
}

/* Rows 45, 46: the faulting process runs in a child of its own. */
static void memcg_child(void)
{
	if (cg_enter("spf-lr-a", 0))
		_exit(2);
	run_threads(race_secs(), false);
	_exit(0);
}

TEST_F_TIMEOUT(lockless, races_faults, SPF_SOAK_TIMEOUT)
{
	struct spf_counts c0, c1, d;
	long spec, ev0 = 0, ev1 = 0, moves = 0, max_events = -1;
	double secs = race_secs(), t0;
	char why[160] = "";
	bool file_kind = variant->w == W_COLLAPSE || variant->w == W_DROP ||
			 variant->w == W_FILL;
	pid_t child = -1;
	int status;
	long i;

	if (!spec_ready(_metadata))
		return;
	S->w = variant->w;
	S->may_zero = variant->may_zero;
	S->file_np = variant->w == W_MEMCG_LIMIT ? LIMIT_FILE_NP : FILE_NP;

	switch (variant->w) {
	case W_THP_SPLIT:
		if (!thp_ok(why, sizeof(why)))
			SKIP(return, "%s", why);
		ev0 = vmstat_of("thp_split_pmd");
		ev1 = vmstat_of("thp_fault_alloc");
		break;
	case W_COLLAPSE:
		if (!thp_ok(why, sizeof(why)))
			SKIP(return, "%s", why);
		S->fd = memfd_create("spf-collapse", MFD_CLOEXEC);
		ASSERT_LE(0, S->fd);
		ASSERT_EQ(0, ftruncate(S->fd, S->file_np * page_size()));
		ASSERT_EQ(0, publish(0));
		break;
	case W_DROP:
	case W_FILL:
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
		break;
	case W_MEMCG_MOVE:
		if (!memcg_ok(why, sizeof(why)))
			SKIP(return, "%s", why);
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
		ev0 = file_field("/proc/meminfo", "HardwareCorrupted");
	}
	if (variant->w == W_COLLAPSE) {
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
	if (file_kind)
		ASSERT_EQ(0, spf_write_file(FILE_DELAY, "20"));

	ASSERT_EQ(0, spf_counts_read(&c0));
	t0 = now_s();
	if (variant->w == W_REMOTE) {
		pid_t parent = getpid();

		child = fork();
		ASSERT_LE(0, child);
		if (!child)
			remote_child(parent);
		run_threads(secs, false);
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
			usleep(variant->w == W_MEMCG_MOVE ? 1000 : 20000);
		}
		EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
			TH_LOG("the faulting child: status %#x", status);
	} else {
		run_threads(secs, file_kind);
	}
	ASSERT_EQ(0, spf_counts_read(&c1));
	spf_counts_sub(&c1, &c0, &d);
	spec = d.c[strcmp(variant->counter, "spec_file") ?
		   SPF_C_SPEC_WRITE : SPF_C_SPEC_FILE];

	switch (variant->w) {
	case W_THP_SPLIT:
		ev0 = vmstat_of("thp_split_pmd") - ev0;
		TH_LOG("thp_split_pmd %ld, thp_fault_alloc %ld", ev0,
		       vmstat_of("thp_fault_alloc") - ev1);
		EXPECT_LT(0, ev0) TH_LOG("no huge pmd was split");
		break;
	case W_SOFT_OFFLINE:
		TH_LOG("HardwareCorrupted %ld kB more",
		       file_field("/proc/meminfo", "HardwareCorrupted") - ev0);
		break;
	case W_COLLAPSE:
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
	EXPECT_EQ(0, atomic_load(&S->bad)) TH_LOG("%s", S->detail);
	EXPECT_LT(0, atomic_load(&S->ops)) TH_LOG("the writer did nothing");
	EXPECT_LT(0, spec) TH_LOG("no %s during the race", variant->counter);
	EXPECT_LT(0, atomic_load(file_kind ? &S->reads : &S->rounds));
}

TEST_HARNESS_MAIN
