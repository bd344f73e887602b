// SPDX-License-Identifier: GPL-2.0
/*
 * File read faults from the page cache (spf/faults/file_fault.c).
 *
 * The deterministic cases map a tmpfs file (memfd) over a primed chunk,
 * so the PTE table exists, at a fault-around-aligned address, and check
 * that each read fault of a cached page is one speculative fault that
 * maps its whole window (as stock's fault-around does: one fault per
 * window, every page of the file present afterwards, the right data),
 * and that a page not in the cache goes stock.
 *
 * The race: truncation and hole punching take no mmap_lock even against
 * stock, so only the page lock, the mapping and i_size checks keep a
 * fault from mapping a page being removed.  A writer loops: round k
 * truncates the file to 0 and back (or punches a hole over all of it),
 * then writes every page with tag(k, page) and publishes, per page,
 * the round it was last written in.  Readers fault pages in (zapping
 * their PTEs with MADV_DONTNEED now and then), with spf pausing between
 * a page's reference and its lock (debugfs inject_file_delay_us), and
 * check each value:
 *  - a tag of this page from a round no older than the one published
 *    for it before the read began (an older one is a page of a
 *    truncated file still mapped);
 *  - zero, or SIGBUS (beyond EOF), only if a truncation or punch began
 *    after that round (otherwise a written page was lost).
 *
 * VMA mempolicies: a private write to a file without ->get_policy
 * under an mbind() policy goes stock, and a race replaces the policy
 * while such writes fault (the section "VMA mempolicies" below).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <time.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <linux/falloc.h>
#include "kselftest_harness.h"
#include "spf_util.h"
#include "spf_fixture.h"
#include "spf_ext4.h"

#define NP 64			/* pages in the file */

FIXTURE(file) {
};

FIXTURE_SETUP(file)
{
	spf_fixture_load_prefaulted(_metadata);
}

FIXTURE_TEARDOWN(file)
{
	spf_fixture_unload(_metadata);
}

static uint64_t tag(uint64_t round, uint64_t page)
{
	return (round + 1) << 32 | (page + 1);
}

/*
 * NP pages, page i holding tag(0, i), or holes if !fill: FD a file
 * already open, or a new memfd (tmpfs) if FD < 0.
 */
static int fill_file(int fd, bool fill)
{
	uint64_t t;
	int i;

	if (fd < 0)
		fd = memfd_create("spf-file", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, NP * page_size()))
		return -1;
	for (i = 0; fill && i < NP; i++) {
		t = tag(0, i);
		if (pwrite(fd, &t, sizeof(t), i * page_size()) != sizeof(t))
			return -1;
	}
	return fd;
}

static int make_file(bool fill)
{
	return fill_file(-1, fill);
}

/*
 * The file mapped read-only over a primed chunk (the PTE table exists)
 * at the chunk's first window boundary after its first page.
 */
static char *map_file(char *chunk, int fd, int flags, int prot)
{
	char *at = chunk + spf_fault_around_pages() * page_size();

	return mmap(at, NP * page_size(), prot, flags | MAP_FIXED, fd, 0);
}

/* A primed chunk, the file FD mapped in it (writable if WRITE). */
static int setup_fd(int fd, int flags, bool write, char **chunk, char **q)
{
	if (fd < 0)
		return -1;
	*chunk = map_primed_chunks(1);
	if (!*chunk)
		return -1;
	*q = map_file(*chunk, fd, flags, PROT_READ | (write ? PROT_WRITE : 0));
	return *q == MAP_FAILED ? -1 : 0;
}

/*
 * A file (FILL: tagged), a primed chunk, the file mapped in it
 * (writable if WRITE).
 */
static int setup_prot(bool fill, int flags, bool write, int *fd,
		      char **chunk, char **q)
{
	*fd = make_file(fill);
	return setup_fd(*fd, flags, write, chunk, q);
}

static int setup(bool fill, int flags, int *fd, char **chunk, char **q)
{
	return setup_prot(fill, flags, false, fd, chunk, q);
}

static long present_pages(const char *q)
{
	long n = 0;
	int i;

	for (i = 0; i < NP; i++)
		n += !!(pagemap_entry(q + i * page_size()) & PM_PRESENT);
	return n;
}

/* Read every page, checking tag(0, i) or zero; *D: the counter deltas. */
static long read_all(const char *q, bool tagged, struct spf_counts *d)
{
	struct spf_counts a, b;
	long bad = 0;
	int i;

	spf_counts_read(&a);
	spf_counts_read(&a);
	for (i = 0; i < NP; i++)
		bad += READ_ONCE(*(uint64_t *)(q + i * page_size())) !=
		       (tagged ? tag(0, i) : 0);
	spf_counts_read(&b);
	spf_counts_sub(&b, &a, d);
	return bad;
}

static void reads_map_windows(struct __test_metadata *_metadata, int flags)
{
	long win = spf_fault_around_pages(), mapped;
	struct spf_counts d;
	char *p, *q;
	int fd;

	ASSERT_EQ(0, setup(true, flags, &fd, &p, &q));
	mapped = spf_stat("file_mapped");
	EXPECT_EQ(0, read_all(q, true, &d));
	mapped = spf_stat("file_mapped") - mapped;
	EXPECT_EQ(NP / win, d.c[SPF_C_FAULT_HOOK]) TH_LOG("%s",
							 spf_counts_str(&d));
	EXPECT_EQ(NP / win, d.c[SPF_C_SPEC_FILE]) TH_LOG("%s",
							spf_counts_str(&d));
	EXPECT_EQ(NP, mapped);
	EXPECT_EQ(NP, present_pages(q));
	unmap_chunks(p, 1);
	close(fd);
}

TEST_F(file, shared_reads_map_whole_windows)
{
	if (!spec_ready(_metadata))
		return;
	reads_map_windows(_metadata, MAP_SHARED);
}

TEST_F(file, private_reads_map_whole_windows)
{
	if (!spec_ready(_metadata))
		return;
	reads_map_windows(_metadata, MAP_PRIVATE);
}

/* Holes are not in the page cache: each read goes stock, which fills. */
TEST_F(file, pagecache_for_pages_not_cached)
{
	struct spf_counts d;
	char *p, *q;
	int fd;

	if (!spec_ready(_metadata))
		return;
	ASSERT_EQ(0, setup(false, MAP_SHARED, &fd, &p, &q));
	EXPECT_EQ(0, read_all(q, false, &d));
	EXPECT_EQ(NP, d.c[SPF_C_FAULT_HOOK]) TH_LOG("%s", spf_counts_str(&d));
	EXPECT_EQ(NP, d.c[SPF_C_ABORT_PAGECACHE]) TH_LOG("%s",
							spf_counts_str(&d));
	EXPECT_EQ(NP, d.c[SPF_C_STOCK]);
	unmap_chunks(p, 1);
	close(fd);
}

/* ---- writes (spf/faults/file_write.c) ---- */

#define WRITE_OFF 8		/* the byte a write stores, after the tag */

struct wpass {
	char *q;
	long minflt, majflt;
	struct spf_counts d;
};

static void *write_thread(void *arg)
{
	struct wpass *w = arg;
	struct spf_counts a, b;
	long min0, maj0, min1, maj1;
	int i;

	spf_counts_read(&a);
	spf_counts_read(&a);
	thread_faults(&min0, &maj0);
	for (i = 0; i < NP; i++)
		WRITE_ONCE(w->q[i * page_size() + WRITE_OFF], (char)(i + 1));
	thread_faults(&min1, &maj1);
	spf_counts_read(&b);
	spf_counts_sub(&b, &a, &w->d);
	w->minflt = min1 - min0;
	w->majflt = maj1 - maj0;
	return NULL;
}

/* What a write pass leaves: faults, RSS by kind, the data seen. */
struct wfacts {
	long minflt, majflt, rss_anon, rss_shmem, bad_map, bad_file;
	struct spf_counts d;
};

/*
 * Write byte WRITE_OFF of every page of FD, a tagged file (closed
 * here), mapped with FLAGS, in a thread of its own (its RSS changes
 * reach the mm's counters when it exits), then check the mapping and
 * the file.  PREPARE, if any, is called on the mapping first.
 */
static int write_pass_fd(int fd, int flags, int (*prepare)(char *q),
			 struct wfacts *f)
{
	static char *stack;
	struct wpass w;
	long anon0, shmem0;
	uint64_t t;
	pthread_t th;
	char *p, c;
	int i;

	memset(f, 0, sizeof(*f));
	if (!stack)
		stack = prefaulted_stack(SPF_STACK_LEN);
	if (setup_fd(fd, flags, true, &p, &w.q))
		return -1;
	if (prepare && prepare(w.q))
		return -1;
	anon0 = status_field("RssAnon");
	shmem0 = status_field("RssShmem");
	if (start_thread_on(&th, stack, write_thread, &w) ||
	    pthread_join(th, NULL))
		return -1;
	f->rss_anon = status_field("RssAnon") - anon0;
	f->rss_shmem = status_field("RssShmem") - shmem0;
	f->minflt = w.minflt;
	f->majflt = w.majflt;
	f->d = w.d;
	for (i = 0; i < NP; i++) {
		f->bad_map += *(uint64_t *)(w.q + i * page_size()) != tag(0, i) ||
			      w.q[i * page_size() + WRITE_OFF] != (char)(i + 1);
		if (pread(fd, &t, sizeof(t), i * page_size()) != sizeof(t) ||
		    pread(fd, &c, 1, i * page_size() + WRITE_OFF) != 1)
			return -1;
		/* Shared: the file has the byte; private: it does not. */
		f->bad_file += t != tag(0, i) ||
				c != (flags & MAP_SHARED ? (char)(i + 1) : 0);
	}
	unmap_chunks(p, 1);
	close(fd);
	return 0;
}

static int write_pass(int flags, struct wfacts *f)
{
	return write_pass_fd(make_file(true), flags, NULL, f);
}

/* The same pass with spf disabled (stock), then enabled: same facts. */
static void writes_as_stock(struct __test_metadata *_metadata, int flags,
			    struct wfacts *spf)
{
	struct wfacts stock;

	ASSERT_EQ(0, spf_write_file(SPF_PARAMS "/enabled", "0"));
	ASSERT_EQ(0, write_pass(flags, &stock));
	ASSERT_EQ(0, spf_write_file(SPF_PARAMS "/enabled", "1"));
	ASSERT_EQ(0, write_pass(flags, spf));
	TH_LOG("stock: min %ld maj %ld RssAnon %+ld RssShmem %+ld kB",
	       stock.minflt, stock.majflt, stock.rss_anon, stock.rss_shmem);
	TH_LOG("spf:   min %ld maj %ld RssAnon %+ld RssShmem %+ld kB;%s",
	       spf->minflt, spf->majflt, spf->rss_anon, spf->rss_shmem,
	       spf_counts_str(&spf->d));
	EXPECT_EQ(0, stock.bad_map);
	EXPECT_EQ(0, stock.bad_file);
	EXPECT_EQ(0, spf->bad_map);
	EXPECT_EQ(0, spf->bad_file);
	EXPECT_EQ(stock.minflt, spf->minflt);
	EXPECT_EQ(stock.majflt, spf->majflt);
	EXPECT_EQ(stock.rss_anon, spf->rss_anon);
	EXPECT_EQ(stock.rss_shmem, spf->rss_shmem);
	EXPECT_EQ(0, stock.d.c[SPF_C_SPEC_FILE_WRITE]);
}

/* Shared: each write maps the cached page writable, one fault each. */
TEST_F(file, shared_writes_map_cached_pages)
{
	struct wfacts f;

	if (!spec_ready(_metadata))
		return;
	writes_as_stock(_metadata, MAP_SHARED, &f);
	EXPECT_EQ(NP, f.minflt);
	EXPECT_EQ(NP, f.d.c[SPF_C_SPEC_FILE_WRITE]);
}

/*
 * Private: each write copies the cached page into an anonymous one; the
 * VMA's first write goes stock (it needs an anon_vma).
 */
TEST_F(file, private_writes_copy_cached_pages)
{
	struct wfacts f;

	if (!spec_ready(_metadata))
		return;
	writes_as_stock(_metadata, MAP_PRIVATE, &f);
	EXPECT_EQ(NP, f.minflt);
	EXPECT_EQ(1, f.d.c[SPF_C_ABORT_NO_ANON_VMA]);
	EXPECT_EQ(NP - 1, f.d.c[SPF_C_SPEC_FILE_WRITE]);
}

/* ---- the race against truncation and hole punching ---- */

#define NR_READERS 2

static struct {
	int fd;
	char *q;
	char *own[NR_READERS];		/* each reader's mapping */
	bool write;			/* faults are writes (byte WRITE_OFF) */
	atomic_ulong cut;		/* rounds whose cut has begun */
	atomic_ulong written[NP];	/* round each page was last written */
	atomic_int stop;
	atomic_ulong rounds, reads, sigbus, errors;
	char msg[160];
} R;

static __thread sigjmp_buf r_jb;
static __thread int r_armed;	/* shared with the handler: *_ONCE only */

static void bus_handler(int sig, siginfo_t *si, void *uc)
{
	if (READ_ONCE(r_armed)) {
		WRITE_ONCE(r_armed, 0);
		siglongjmp(r_jb, 1);
	}
	signal(SIGBUS, SIG_DFL);	/* not ours: die */
}

static void race_error(const char *fmt, ...)
{
	va_list ap;

	if (atomic_fetch_add(&R.errors, 1) == 0) {
		va_start(ap, fmt);
		vsnprintf(R.msg, sizeof(R.msg), fmt, ap);
		va_end(ap);
	}
}


static void *reader(void *arg)
{
	unsigned int seed = (unsigned int)(uintptr_t)arg;
	char *q = R.own[seed - 1];
	size_t ps = page_size();
	unsigned long w, cut;
	uint64_t v;
	bool bus;
	int p;

	while (!atomic_load(&R.stop)) {
		p = rand_r(&seed) % NP;
		/*
		 * A write drops the page first, so that it faults: in a
		 * private mapping it then reads its own copy, taken now.
		 */
		if (R.write)
			madvise(q + p * ps, ps, MADV_DONTNEED);
		else if (rand_r(&seed) % 16 == 0)
			madvise(q, NP * ps, MADV_DONTNEED);
		w = atomic_load(&R.written[p]);
		if (sigsetjmp(r_jb, 1) == 0) {
			WRITE_ONCE(r_armed, 1);
			if (R.write)
				WRITE_ONCE(q[p * ps + WRITE_OFF], 1);
			v = READ_ONCE(*(uint64_t *)(q + p * ps));
			WRITE_ONCE(r_armed, 0);
			bus = false;
		} else {
			v = 0;		/* the load faulted: SIGBUS */
			bus = true;
		}
		cut = atomic_load(&R.cut);
		atomic_fetch_add(&R.reads, 1);
		if (bus || v == 0) {
			atomic_fetch_add(&R.sigbus, bus);
			if (cut <= w)
				race_error("page %d: %s with no cut since round %lu",
					   p, bus ? "SIGBUS" : "zero", w);
		} else if ((v & 0xffffffff) != (uint64_t)p + 1 ||
			   (v >> 32) - 1 < w) {
			race_error("page %d: round %lu's data, written in round %lu",
				   p, (unsigned long)(v >> 32) - 1, w);
		}
	}
	return NULL;
}

/* Round k: cut (truncate to 0 and back, or punch), then rewrite all. */
static int writer_round(unsigned long k)
{
	size_t ps = page_size();
	uint64_t t;
	int i;

	atomic_store(&R.cut, k);
	if (k % 2) {
		if (ftruncate(R.fd, 0) || ftruncate(R.fd, NP * ps))
			return -1;
	} else if (fallocate(R.fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			     0, NP * ps)) {
		return -1;
	}
	for (i = 0; i < NP; i++) {
		t = tag(k, i);
		if (pwrite(R.fd, &t, sizeof(t), i * ps) != sizeof(t))
			return -1;
		atomic_store(&R.written[i], k);
	}
	return 0;
}

/*
 * FLAGS mapping, faults that are writes if WRITE; COUNTER: the spf
 * counter of the kind of fault raced.
 */
static void race(struct __test_metadata *_metadata, int flags, bool write,
		 const char *counter)
{
	struct sigaction sa = { .sa_sigaction = bus_handler,
				.sa_flags = SA_SIGINFO | SA_NODEFER };
	pthread_t t[NR_READERS];
	double secs = 5, t0;
	long spec, mapped;
	unsigned long k;
	const char *e;
	char *p;
	int i;

	e = getenv("SPF_RACE_SECS");
	if (e && atof(e) > 0)
		secs = atof(e);
	memset(&R, 0, sizeof(R));
	R.write = write;
	sigemptyset(&sa.sa_mask);
	ASSERT_EQ(0, sigaction(SIGBUS, &sa, NULL));
	ASSERT_EQ(0, setup_prot(true, flags, write, &R.fd, &p, &R.q));
	/*
	 * Private copies belong to the address space: a reader's check
	 * holds only for its own, so each private writer maps the file
	 * for itself.
	 */
	for (i = 0; i < NR_READERS; i++) {
		R.own[i] = R.q;
		if (i && !(flags & MAP_SHARED))
			R.own[i] = mmap(NULL, NP * page_size(),
					PROT_READ | PROT_WRITE, flags, R.fd, 0);
		ASSERT_NE(MAP_FAILED, R.own[i]);
	}

	/* Widen the window between a page's reference and its lock. */
	spf_write_file(SPF_DEBUGFS "/inject_file_delay_us", "20");
	spec = spf_stat(counter);
	mapped = spf_stat("file_mapped");
	for (i = 0; i < NR_READERS; i++)
		ASSERT_EQ(0, pthread_create(&t[i], NULL, reader,
					    (void *)(uintptr_t)(i + 1)));
	t0 = now_s();
	for (k = 1; now_s() - t0 < secs; k++) {
		ASSERT_EQ(0, writer_round(k));
		atomic_store(&R.rounds, k);
		usleep(1000);
	}
	atomic_store(&R.stop, 1);
	for (i = 0; i < NR_READERS; i++)
		pthread_join(t[i], NULL);
	spf_write_file(SPF_DEBUGFS "/inject_file_delay_us", "0");
	spec = spf_stat(counter) - spec;
	mapped = spf_stat("file_mapped") - mapped;
	TH_LOG("%.1f s: %lu rounds, %lu accesses, %lu SIGBUS; %s %ld, file_mapped %ld",
	       now_s() - t0, atomic_load(&R.rounds), atomic_load(&R.reads),
	       atomic_load(&R.sigbus), counter, spec, mapped);
	EXPECT_EQ(0UL, atomic_load(&R.errors)) TH_LOG("%s", R.msg);
	EXPECT_LT(10UL, atomic_load(&R.rounds));
	EXPECT_LT(0, spec) TH_LOG("no such fault was speculative");
	for (i = 1; i < NR_READERS; i++)
		if (R.own[i] != R.q)
			munmap(R.own[i], NP * page_size());
	unmap_chunks(p, 1);
	close(R.fd);
}

TEST_F(file, truncate_and_punch_race_read_faults)
{
	if (!spec_ready(_metadata))
		return;
	race(_metadata, MAP_SHARED, false, "spec_file");
}

/* Shared writes map the cache page: the same checks hold. */
TEST_F(file, truncate_and_punch_race_shared_write_faults)
{
	if (!spec_ready(_metadata))
		return;
	race(_metadata, MAP_SHARED, true, "spec_file_write");
}

/*
 * Private writes copy the cache page: the copy, read right after the
 * fault, must be of a page no older than published before it.
 */
TEST_F(file, truncate_and_punch_race_private_write_faults)
{
	if (!spec_ready(_metadata))
		return;
	race(_metadata, MAP_PRIVATE, true, "spec_file_write");
}

/*
 * ---- VMA mempolicies (mbind) ----
 *
 * A private write fault allocates the page it copies into with the
 * VMA's NUMA policy.  Where the file's vm_ops has no ->get_policy
 * (ext4, 9p, NFS, ramfs: filemap_fault()), that is vma->vm_policy,
 * which mbind(), set_mempolicy_home_node() and munmap() free under
 * mmap_lock held for write, which spf does not hold: such a fault must
 * go stock (abort_other), never speculate.  The file lives on ramfs,
 * whose pages are always cached.  shmem's ->get_policy() looks its
 * shared policy up by reference, under its own lock, and its private
 * writes stay speculative.
 */

#ifndef MPOL_DEFAULT
#define MPOL_DEFAULT	0
#define MPOL_PREFERRED	1
#define MPOL_BIND	2
#endif
#ifndef SYS_set_mempolicy_home_node
#define SYS_set_mempolicy_home_node	450	/* every arch since 5.17 */
#endif

/* MODE on [Q, Q + NP pages), node 0 (every guest has it); 0 or -errno. */
static int set_policy(char *q, int mode)
{
	unsigned long node0 = 1;

	if (syscall(SYS_mbind, q, NP * page_size(), mode,
		    mode == MPOL_DEFAULT ? NULL : &node0,
		    mode == MPOL_DEFAULT ? 0 : 8 * sizeof(node0), 0))
		return -errno;
	return 0;
}

static int policy_preferred(char *q)
{
	return set_policy(q, MPOL_PREFERRED);
}

/* MPOL_BIND, then its home node set: the VMA's policy replaced again. */
static int policy_home_node(char *q)
{
	if (set_policy(q, MPOL_BIND))
		return -1;
	return syscall(SYS_set_mempolicy_home_node, q, NP * page_size(), 0,
		       0) ? -1 : 0;
}

/*
 * A tagged file of NP pages on a private ramfs mount, unlinked and the
 * mount detached (the descriptor keeps them): -errno if ramfs cannot
 * be mounted.
 */
static int ramfs_file(void)
{
	char dir[] = "/tmp/spf-ramfs-XXXXXX", path[64];
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
	if (err)
		return err;
	if (fill_file(fd, true) < 0) {
		close(fd);
		return -EIO;
	}
	return fd;
}

/* Can this guest set a VMA policy at all (CONFIG_NUMA)? */
static bool have_mbind(void)
{
	char *q = mmap(NULL, NP * page_size(), PROT_READ,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	bool ok = q != MAP_FAILED && !set_policy(q, MPOL_PREFERRED);

	if (q != MAP_FAILED)
		munmap(q, NP * page_size());
	return ok;
}

static void log_pass(struct __test_metadata *_metadata, const char *what,
		     const struct wfacts *f)
{
	TH_LOG("%s: min %ld;%s", what, f->minflt, spf_counts_str(&f->d));
}

/*
 * A private write pass over a ramfs file without a policy, which must
 * speculate (or this test could not tell), then one under PREPARE's
 * policy: no speculative copy, the same faults and data.
 */
static void policy_writes(struct __test_metadata *_metadata,
			  int (*prepare)(char *q))
{
	struct wfacts f;
	int fd;

	fd = ramfs_file();
	if (fd == -ENODEV || fd == -EPERM)
		SKIP(return, "no ramfs here (%s)", strerror(-fd));
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, write_pass_fd(fd, MAP_PRIVATE, NULL, &f));
	log_pass(_metadata, "no policy", &f);
	EXPECT_EQ(0, f.bad_map);
	EXPECT_EQ(0, f.bad_file);
	ASSERT_EQ(NP - 1, f.d.c[SPF_C_SPEC_FILE_WRITE])
		TH_LOG("ramfs private writes are not speculative here");

	fd = ramfs_file();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, write_pass_fd(fd, MAP_PRIVATE, prepare, &f));
	log_pass(_metadata, "policy", &f);
	EXPECT_EQ(0, f.bad_map);
	EXPECT_EQ(0, f.bad_file);
	EXPECT_EQ(NP, f.minflt);
	/* The first write is stock anyway: the VMA has no anon_vma yet. */
	EXPECT_EQ(1, f.d.c[SPF_C_ABORT_NO_ANON_VMA]);
	EXPECT_EQ(0, f.d.c[SPF_C_SPEC_FILE_WRITE]);
	EXPECT_EQ(NP - 1, f.d.c[SPF_C_ABORT_OTHER]);
}

TEST_F(file, private_writes_under_mbind_go_stock)
{
	if (!spec_ready(_metadata))
		return;
	if (!have_mbind())
		SKIP(return, "mbind: %s", strerror(errno));
	policy_writes(_metadata, policy_preferred);
}

/* Does the kernel have the call?  It refuses flags with EINVAL if so. */
static bool have_home_node(void)
{
	return syscall(SYS_set_mempolicy_home_node, 0, 0, 0, 1) &&
	       errno == EINVAL;
}

TEST_F(file, private_writes_under_home_node_go_stock)
{
	if (!spec_ready(_metadata))
		return;
	if (!have_mbind())
		SKIP(return, "mbind: %s", strerror(errno));
	if (!have_home_node())
		SKIP(return, "set_mempolicy_home_node(): %s", strerror(errno));
	policy_writes(_metadata, policy_home_node);
}

/* tmpfs: the policy is the file's, found by ->get_policy(). */
TEST_F(file, shmem_private_writes_under_mbind_speculate)
{
	struct wfacts f;

	if (!spec_ready(_metadata))
		return;
	if (!have_mbind())
		SKIP(return, "mbind: %s", strerror(errno));
	ASSERT_EQ(0, write_pass_fd(make_file(true), MAP_PRIVATE,
				   policy_preferred, &f));
	log_pass(_metadata, "tmpfs, policy", &f);
	EXPECT_EQ(0, f.bad_map);
	EXPECT_EQ(0, f.bad_file);
	EXPECT_EQ(NP - 1, f.d.c[SPF_C_SPEC_FILE_WRITE]);
}

/*
 * The race: a thread replaces the policy of every writer's range in a
 * loop (MPOL_BIND, its home node, MPOL_PREFERRED, none: each frees the
 * one before), while writers drop and write-fault pages of their own
 * private mapping and check the copy.  Under KASAN (make check-debug)
 * a speculative allocation reading a freed policy is a splat; here it
 * also checks that spf still speculates between policies.
 * SPF_RACE_SECS (default 3) sets the length; make soak runs it longer.
 */
#define NR_WRITERS 2

static struct {
	char *own[NR_WRITERS];
	atomic_int stop;
	atomic_ulong flips, writes, errors;
	char msg[160];
} P;

static void *policy_writer(void *arg)
{
	unsigned int seed = (unsigned int)(uintptr_t)arg;
	char *q = P.own[seed - 1];
	size_t ps = page_size();
	char v = 0;
	uint64_t t;
	int p;

	while (!atomic_load(&P.stop)) {
		p = rand_r(&seed) % NP;
		v = v == 126 ? 1 : v + 1;
		madvise(q + p * ps, ps, MADV_DONTNEED);
		WRITE_ONCE(q[p * ps + WRITE_OFF], v);
		t = READ_ONCE(*(uint64_t *)(q + p * ps));
		atomic_fetch_add(&P.writes, 1);
		if ((t != tag(0, p) || READ_ONCE(q[p * ps + WRITE_OFF]) != v) &&
		    atomic_fetch_add(&P.errors, 1) == 0)
			snprintf(P.msg, sizeof(P.msg),
				 "page %d: tag %#llx, byte %d, wrote %d", p,
				 (unsigned long long)t, q[p * ps + WRITE_OFF],
				 v);
	}
	return NULL;
}

TEST_F_TIMEOUT(file, mbind_race_private_write_faults, SPF_SOAK_TIMEOUT)
{
	static const int modes[] = { MPOL_BIND, MPOL_PREFERRED, MPOL_DEFAULT };
	pthread_t t[NR_WRITERS];
	bool home = have_home_node();
	double secs = 3, t0;
	long spec, other;
	const char *e;
	uint64_t tg;
	unsigned long k;
	int fd, i;

	if (!spec_ready(_metadata))
		return;
	if (!have_mbind())
		SKIP(return, "mbind: %s", strerror(errno));
	e = getenv("SPF_RACE_SECS");
	if (e && atof(e) > 0)
		secs = atof(e);
	memset(&P, 0, sizeof(P));
	fd = ramfs_file();
	if (fd == -ENODEV || fd == -EPERM)
		SKIP(return, "no ramfs here (%s)", strerror(-fd));
	ASSERT_LE(0, fd);
	for (i = 0; i < NR_WRITERS; i++) {
		P.own[i] = mmap(NULL, NP * page_size(), PROT_READ | PROT_WRITE,
				MAP_PRIVATE, fd, 0);
		ASSERT_NE(MAP_FAILED, P.own[i]);
		P.own[i][WRITE_OFF] = 1;	/* the anon_vma, stock */
	}
	spec = spf_stat("spec_file_write");
	other = spf_stat("abort_other");
	for (i = 0; i < NR_WRITERS; i++)
		ASSERT_EQ(0, pthread_create(&t[i], NULL, policy_writer,
					    (void *)(uintptr_t)(i + 1)));
	t0 = now_s();
	for (k = 0; now_s() - t0 < secs; k++) {
		for (i = 0; i < NR_WRITERS; i++) {
			int mode = modes[k % 3];

			ASSERT_EQ(0, set_policy(P.own[i], mode));
			if (mode == MPOL_BIND && home)
				ASSERT_EQ(0, syscall(SYS_set_mempolicy_home_node,
						     P.own[i], NP * page_size(),
						     0, 0));
		}
		atomic_store(&P.flips, k + 1);
		usleep(500);
	}
	atomic_store(&P.stop, 1);
	for (i = 0; i < NR_WRITERS; i++)
		pthread_join(t[i], NULL);
	spec = spf_stat("spec_file_write") - spec;
	other = spf_stat("abort_other") - other;
	TH_LOG("%.1f s: %lu policy rounds%s, %lu writes; spec_file_write %ld, abort_other %ld",
	       now_s() - t0, atomic_load(&P.flips),
	       home ? " (with home node)" : "", atomic_load(&P.writes), spec,
	       other);
	EXPECT_EQ(0UL, atomic_load(&P.errors)) TH_LOG("%s", P.msg);
	EXPECT_LT(10UL, atomic_load(&P.flips));
	EXPECT_LT(0, spec) TH_LOG("no write between policies was speculative");
	/* Private writes never reach the file. */
	for (i = 0; i < NP; i++) {
		ASSERT_EQ((ssize_t)sizeof(tg),
			  pread(fd, &tg, sizeof(tg), i * page_size()));
		EXPECT_EQ(tag(0, i), tg);
	}
	for (i = 0; i < NR_WRITERS; i++)
		munmap(P.own[i], NP * page_size());
	close(fd);
}

/*
 * ---- faults that add their own PTE table, against truncation ----
 *
 * Each kind of file fault (shared read, shared write, private write)
 * adds the PTE table itself, raced by a hole punch of the whole file or
 * a truncation to 0 and back, then a rewrite of page TP.  Truncation and
 * hole punching walk the page tables through i_mmap without mmap_lock
 * and skip a none pmd, then lock each page to take it out of the page
 * cache: a fault that mapped the page into a table not yet published,
 * and let the page lock go before publishing, leaves the old page
 * mapped (stale data, "Bad page cache").  inject_table_delay_us holds
 * the install open for 3 ms; the cut, on the other CPU, lands 0 to
 * 5.8 ms after the fault began, TABLE_ROUNDS times (SPF_TABLE_ROUNDS in
 * the environment: more, for make soak).  Afterwards:
 *  - a shared mapping shows what pread() shows;
 *  - a private copy is a copy of page TP from some round; after a
 *    truncation, which unmaps private copies too, never one older than
 *    the cut (tag(0, TP)): only a hole (zero) or the rewrite.  A punch
 *    leaves private copies alone, so an old copy is fine there.
 * The mapping begins one page before chunk 1, in chunk 0's table, with
 * page TP at chunk 1's first address: a private mapping's first write
 * there (stock) gives the VMA its anon_vma, which a speculative private
 * write needs.
 */
#define TABLE_ROUNDS 30
#define TP 1			/* the page raced, chunk 1's first */

enum table_cut {
	CUT_PUNCH,		/* a hole punched over the whole file */
	CUT_TRUNCATE,		/* truncation to 0 and back */
	CUT_DIRECT,		/* an O_DIRECT write of page TP */
};

struct table_case {
	int flags;		/* MAP_SHARED or MAP_PRIVATE */
	bool write;		/* the fault is a write (byte WRITE_OFF) */
	enum table_cut cut;
	bool ext4;		/* the file is on ext4 (the ext4 fixture) */
};

struct table_race {
	const char *page;
	bool write;
	uint64_t seen;		/* what the fault read; 0 after SIGBUS */
	atomic_int started;
};

/* Each thread on its own CPU, so that the cut can meet the pause. */
static void pin_to_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static void *table_reader(void *arg)
{
	struct table_race *r = arg;
	char *page = (char *)r->page;

	pin_to_cpu(0);
	atomic_store(&r->started, 1);
	/* Between a truncation's two ftruncate()s: SIGBUS. */
	if (sigsetjmp(r_jb, 1) == 0) {
		WRITE_ONCE(r_armed, 1);
		if (r->write)
			WRITE_ONCE(page[WRITE_OFF], 1);
		r->seen = READ_ONCE(*(const uint64_t *)page);
		WRITE_ONCE(r_armed, 0);
	} else {
		r->seen = 0;
	}
	return NULL;
}

/* DFD: the file opened O_DIRECT; BUF: a page aligned for it. */
static int table_cut(int fd, int dfd, uint64_t *buf,
		     const struct table_case *c, int i)
{
	size_t len = NP * page_size();

	switch (c->cut) {
	case CUT_TRUNCATE:
		return ftruncate(fd, 0) || ftruncate(fd, len) ? -1 : 0;
	case CUT_DIRECT:
		memset(buf, 0, page_size());
		buf[0] = tag(i + 1, TP);
		return pwrite(dfd, buf, page_size(), TP * page_size()) ==
		       (ssize_t)page_size() ? 0 : -1;
	default:
		return fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				 0, len);
	}
}

/*
 * The O_DIRECT cut runs in a process of its own, forked before any
 * round maps anything, so that a kernel BUG in the write (6.1's
 * BUG_ON(folio_mapped()) in invalidate_inode_pages2_range()) shows as
 * that process's death, whatever the arch makes of an oops in a thread.
 * It dies holding page TP's lock: nothing may touch the file after.
 */
struct cutter {
	pid_t pid;
	int go, done;		/* round numbers in, one result byte out */
};

static bool ext4_wedged;	/* a cutter died: leave the filesystem be */

static int cutter_start(struct cutter *k, int dfd, const struct table_case *c)
{
	int a[2], b[2], i;
	uint64_t *buf;
	char ok;

	if (pipe2(a, O_CLOEXEC) || pipe2(b, O_CLOEXEC))
		return -1;
	k->pid = fork();
	if (k->pid == 0) {
		buf = aligned_alloc(page_size(), page_size());
		close(a[1]);
		close(b[0]);
		while (buf && read(a[0], &i, sizeof(i)) == sizeof(i)) {
			ok = table_cut(-1, dfd, buf, c, i) == 0;
			if (write(b[1], &ok, 1) != 1)
				break;
		}
		_exit(0);
	}
	close(a[0]);
	close(b[1]);
	k->go = a[1];
	k->done = b[0];
	return k->pid < 0 ? -1 : 0;
}

/* Round I's cut: 0, -1 if it failed, -2 if the cutter died (*STATUS). */
static int cutter_cut(struct cutter *k, int i, int *status)
{
	char ok;

	if (write(k->go, &i, sizeof(i)) != sizeof(i) ||
	    read(k->done, &ok, 1) != 1) {
		waitpid(k->pid, status, 0);
		k->pid = -1;
		return -2;
	}
	return ok ? 0 : -1;
}

static void cutter_stop(struct cutter *k)
{
	close(k->go);
	close(k->done);
	if (k->pid > 0)
		waitpid(k->pid, NULL, 0);
}

/* What page TP of the mapping may hold after round I's cut and rewrite. */
static bool table_result_ok(const struct table_case *c, uint64_t mapped,
			    uint64_t now, int i)
{
	if (c->flags & MAP_SHARED)
		return mapped == now;
	if (mapped == now || mapped == 0 || mapped == tag(i + 1, TP))
		return true;
	return c->cut != CUT_TRUNCATE && mapped == tag(0, TP);
}

static void table_race(struct __test_metadata *_metadata,
		       const struct table_case *c, const char *counter)
{
	struct sigaction sa = { .sa_sigaction = bus_handler,
				.sa_flags = SA_SIGINFO | SA_NODEFER };
	long tables = spf_stat("pte_tables"), spec = spf_stat(counter);
	int prot = PROT_READ | (c->write ? PROT_WRITE : 0);
	struct timespec pause = { 0 };
	size_t ps = page_size();
	unsigned long stale = 0;
	struct table_race r;
	uint64_t t, now, mapped;
	pthread_t th;
	const char *e = getenv("SPF_TABLE_ROUNDS");
	int fd, dfd = -1, i, rounds = TABLE_ROUNDS, status, cut;
	struct cutter k = { .pid = -1, .go = -1, .done = -1 };
	double t0 = now_s();
	char *chunks, *map;

	if (!spec_ready(_metadata))
		return;
	if (tables < 0)
		SKIP(return, "this spf adds no PTE tables");
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		SKIP(return, "one CPU: the cut cannot land inside the install");
	sigemptyset(&sa.sa_mask);
	ASSERT_EQ(0, sigaction(SIGBUS, &sa, NULL));
	pin_to_cpu(1);
	if (c->ext4)
		fd = fill_file(open(SPF_EXT4_DIR "/file",
				    O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC,
				    0600), true);
	else
		fd = make_file(true);
	ASSERT_LE(0, fd);
	if (c->cut == CUT_DIRECT) {
		dfd = open(SPF_EXT4_DIR "/file", O_RDWR | O_DIRECT | O_CLOEXEC);
		ASSERT_LE(0, dfd);
		signal(SIGPIPE, SIG_IGN);
		ASSERT_EQ(0, cutter_start(&k, dfd, c));
	}
	ASSERT_EQ(0, spf_write_file(SPF_DEBUGFS "/inject_table_delay_us",
				    "3000"));
	if (e && atoi(e) > 0)
		rounds = atoi(e);
	r.write = c->write;
	for (i = 0; i < rounds; i++) {
		/* Chunk 0 primed: the upper levels exist, chunk 1's pmd is none. */
		chunks = map_chunks(2);
		ASSERT_NE(NULL, chunks);
		chunks[0] = 1;
		map = mmap(chunks + pmd_bytes() - TP * ps, NP * ps, prot,
			   c->flags | MAP_FIXED, fd, 0);
		ASSERT_NE(MAP_FAILED, map);
		if (!(c->flags & MAP_SHARED))
			WRITE_ONCE(map[WRITE_OFF], 1);	/* the anon_vma */
		r.page = map + TP * ps;
		atomic_store(&r.started, 0);
		ASSERT_EQ(0, pthread_create(&th, NULL, table_reader, &r));
		while (!atomic_load(&r.started))
			;
		pause.tv_nsec = (i % 30) * 200000L;
		nanosleep(&pause, NULL);
		if (c->cut == CUT_DIRECT) {
			cut = cutter_cut(&k, i, &status);
			if (cut == -2) {
				TH_LOG("round %d: the O_DIRECT write died (status %#x): a kernel BUG?",
				       i, status);
				stale++;
				ext4_wedged = true;
				pthread_join(th, NULL);
				rounds = i + 1;
				break;
			}
			ASSERT_EQ(0, cut);
		} else {
			ASSERT_EQ(0, table_cut(fd, -1, NULL, c, i));
		}
		t = tag(i + 1, TP);
		ASSERT_EQ((ssize_t)sizeof(t),
			  pwrite(fd, &t, sizeof(t), TP * ps));
		pthread_join(th, NULL);
		ASSERT_EQ((ssize_t)sizeof(now),
			  pread(fd, &now, sizeof(now), TP * ps));
		mapped = READ_ONCE(*(const uint64_t *)r.page);
		if (!table_result_ok(c, mapped, now, i)) {
			TH_LOG("round %d: mapped %#llx, file %#llx (read %#llx)",
			       i, (unsigned long long)mapped,
			       (unsigned long long)now,
			       (unsigned long long)r.seen);
			stale++;
		}
		unmap_chunks(chunks, 2);
		/* The next round's file starts whole again. */
		for (int j = 0; j < NP; j++) {
			t = tag(0, j);
			ASSERT_EQ((ssize_t)sizeof(t), pwrite(fd, &t, sizeof(t), j * ps));
		}
	}
	spf_write_file(SPF_DEBUGFS "/inject_table_delay_us", "0");
	if (dfd >= 0) {
		cutter_stop(&k);
		close(dfd);
	}
	close(fd);
	tables = spf_stat("pte_tables") - tables;
	spec = spf_stat(counter) - spec;
	TH_LOG("%d rounds, %.1f s: %lu stale, pte_tables %ld, %s %ld",
	       rounds, now_s() - t0, stale, tables, counter, spec);
	EXPECT_EQ(0UL, stale);
	EXPECT_LT(0, tables) TH_LOG("no fault added its table");
}

TEST_F_TIMEOUT(file, punch_never_outruns_a_new_table, SPF_SOAK_TIMEOUT)
{
	static const struct table_case c = { MAP_SHARED, false, CUT_PUNCH, false };

	table_race(_metadata, &c, "spec_file");
}

TEST_F_TIMEOUT(file, truncate_never_outruns_a_new_table, SPF_SOAK_TIMEOUT)
{
	static const struct table_case c = { MAP_SHARED, false, CUT_TRUNCATE, false };

	table_race(_metadata, &c, "spec_file");
}

TEST_F_TIMEOUT(file, punch_never_outruns_a_new_table_shared_write, SPF_SOAK_TIMEOUT)
{
	static const struct table_case c = { MAP_SHARED, true, CUT_PUNCH, false };

	table_race(_metadata, &c, "spec_file_write");
}

TEST_F_TIMEOUT(file, truncate_never_outruns_a_new_table_shared_write, SPF_SOAK_TIMEOUT)
{
	static const struct table_case c = { MAP_SHARED, true, CUT_TRUNCATE, false };

	table_race(_metadata, &c, "spec_file_write");
}

TEST_F_TIMEOUT(file, punch_never_outruns_a_new_table_private_write, SPF_SOAK_TIMEOUT)
{
	static const struct table_case c = { MAP_PRIVATE, true, CUT_PUNCH, false };

	table_race(_metadata, &c, "spec_file_write");
}

TEST_F_TIMEOUT(file, truncate_never_outruns_a_new_table_private_write, SPF_SOAK_TIMEOUT)
{
	static const struct table_case c = { MAP_PRIVATE, true, CUT_TRUNCATE, false };

	table_race(_metadata, &c, "spec_file_write");
}

/*
 * The same races on ext4 (a scratch filesystem, spf_ext4.h), against
 * its own writers: ext4_punch_hole() (filemap_invalidate_lock(), then
 * truncate_pagecache_range()), and an O_DIRECT write, which empties the
 * range from the page cache with invalidate_inode_pages2_range() before
 * writing (iomap_dio_rw(); kiocb_invalidate_pages() elsewhere).  That
 * one meets a page mapped into a table not yet published with 6.1's
 * BUG_ON(folio_mapped()): unmap_mapping_folio() cannot find the PTE.
 * ext4's shared writes go through ->page_mkwrite() and stay stock; its
 * private writes speculate (no ->get_policy()).  A punch leaves private
 * copies mapped, so only the truncation catches a private write that
 * publishes late; the punch checks the copy is sound.
 */
FIXTURE(ext4) {
};

FIXTURE_SETUP(ext4)
{
	int r;

	spf_fixture_load(_metadata);
	if (_metadata->skip)
		return;
	ASSERT_EQ(0, prefault_self());
	r = spf_ext4_mount();
	if (r == -1)
		SKIP(return, "%s", spf_ext4_why);
	ASSERT_EQ(0, r) TH_LOG("%s", spf_ext4_why);
}

FIXTURE_TEARDOWN(ext4)
{
	/* An unmount would wait on the page the dead cutter left locked. */
	if (!ext4_wedged)
		spf_ext4_umount();
	spf_fixture_unload(_metadata);
}

TEST_F_TIMEOUT(ext4, odirect_never_outruns_a_new_table, SPF_SOAK_TIMEOUT)
{
	static const struct table_case c = { MAP_SHARED, false, CUT_DIRECT, true };

	table_race(_metadata, &c, "spec_file");
}

TEST_F_TIMEOUT(ext4, punch_never_outruns_a_new_table, SPF_SOAK_TIMEOUT)
{
	static const struct table_case c = { MAP_SHARED, false, CUT_PUNCH, true };

	table_race(_metadata, &c, "spec_file");
}

TEST_F_TIMEOUT(ext4, punch_never_outruns_a_new_table_private_write, SPF_SOAK_TIMEOUT)
{
	static const struct table_case c = { MAP_PRIVATE, true, CUT_PUNCH, true };

	table_race(_metadata, &c, "spec_file_write");
}

TEST_F_TIMEOUT(ext4, truncate_never_outruns_a_new_table_private_write, SPF_SOAK_TIMEOUT)
{
	static const struct table_case c = { MAP_PRIVATE, true, CUT_TRUNCATE, true };

	table_race(_metadata, &c, "spec_file_write");
}

TEST_HARNESS_MAIN
