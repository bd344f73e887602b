// SPDX-License-Identifier: GPL-2.0
/*
 * fault_bench: page-fault benchmarks, one scenario per run.
 *
 * Every faulting thread has memory of its own (-m MiB) and writes one
 * byte per page of it, one fault each, round after round until the time
 * (-d seconds) is up; -t sets the number of faulting threads.  What a
 * round is depends on the kind of memory:
 *
 *   anonymous (default): a private anonymous region, page_fault1 style.
 *       The next round maps a fresh region (munmap, mmap) or, with -r,
 *       reuses the region after MADV_DONTNEED (which keeps the VMA, its
 *       anon_vma and its page tables).  MADV_NOHUGEPAGE unless -H.
 *   -F private: a MAP_PRIVATE mapping of a file of its own on tmpfs (-D,
 *       default /tmp), its pages already in the page cache: every write
 *       copies a page-cache page into a new anonymous page (page_fault2
 *       style).  Mapped afresh every round (or -r).
 *   -F shared: the same file mapped MAP_SHARED: every write maps the
 *       page-cache page and dirties it (page_fault3 style).
 *   -k: fork.  Each thread's region is populated once; a round forks a
 *       child that writes every page of it (one copy-on-write fault per
 *       page, timed in the child) and exits, and the thread waits for
 *       it.  The fork itself is timed as the round's recycling cost.
 *   -W PAGES: the writer's side alone, no fault at all: each thread
 *       loops mmap of PAGES pages (anonymous, private) and munmap of
 *       them, never touching them, so every mmap_lock write section
 *       and every VMA freed is what spf adds to (its write count's
 *       probe, VMAs freed after a grace period) without a fault to
 *       gain.  Each mmap/munmap pair is timed like a fault; the output
 *       counts pairs (ops=, ops_per_sec=) instead of faults.
 *
 * Every fault is timed with CLOCK_MONOTONIC into a log-linear histogram
 * (0.8% resolution); recycling between rounds is timed apart
 * (recycle_us, the median).
 *
 * Background load, on memory nobody faults on:
 *   -w  one thread loops mmap/munmap of a small region (mmap_lock
 *       writer churn); each pair is timed (writer_busy_pct: the share of
 *       the run the writer spent inside mmap/munmap, writer_p50_us);
 *   -c  the convoy: one thread holds mmap_lock for read for a long time
 *       (MADV_POPULATE_READ over an already populated mapping of -R MiB,
 *       over and over) while the -w thread queues for write behind it;
 *       stock faults queue behind the writer.  writer_busy_pct near 100
 *       with writer_p50_us near reader_avg_us says the writer spent the
 *       run queued;
 *   -b  one thread spins in user space (the CPU load of the convoy's
 *       reader without its lock: on an emulator that runs every vCPU
 *       on one host thread, another busy thread alone stretches fault
 *       latencies, whatever the locks do).
 *
 * -n times chunks of CHUNK faults instead of single faults (with HPET as
 * the clocksource clock_gettime is a system call, clock_ns per timing)
 * and reports, besides the wall-clock rate, rfaults_per_sec: the rate
 * the guest's CPU gets when it runs, from the mean of the chunks at most
 * 3 times the median chunk plus the median recycling cost per page, and
 * fault_calib, the cost of a fault in units of a fixed piece of user
 * work timed right before each chunk (see calibrate()).
 *
 * With -s, the spf counters (/sys/kernel/debug/spf/stats) are read just
 * before the threads start and after they are joined, and the deltas
 * are printed, if the module is loaded.
 *
 * Output, one line of key=value pairs (faults are pages written: under
 * THP one fault can cover many):
 *   threads= faults= seconds= faults_per_sec=  (-W: ops= ops_per_sec=
 *                                               map_pages=)
 *   timed: mean_ns= p50_ns= p99_ns= p999_ns= max_ns=
 *          hist=FLOOR_NS:COUNT,... (16 buckets per power of two)
 *   -n:    chunk= chunk_p50_ns= chunk_mean_ns= chunk_left_out_pct=
 *          calib_mean_ns= calib_left_out_pct= chunk_p99_ns= chunk_p999_ns=
 *          chunk_max_ns= rfaults_per_sec= fault_calib= (per chunk of CHUNK
 *          faults, its calibration run not included)
 *   clock_ns= rounds= recycle_us= round_pages= t1_ns= (CLOCK_MONOTONIC
 *   when the faulting threads were joined)
 *   [reader_calls= reader_avg_us=] [writer_ops= writer_busy_pct=
 *   writer_p50_us= writer_max_us=] [spf_NAME=...]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif

/* 128 sub-buckets per power of two: 0.8% resolution. */
#define SUB_BITS 7
#define NR_BUCKETS (64 << SUB_BITS)
/* hist= output: 8 fine buckets per coarse one, 16 per power of two. */
#define COARSE_SHIFT 3
/* -n: faults per timed chunk; the timing costs about 1% of a chunk. */
#define CHUNK 8
/* -n: the calibration run before each chunk, fixed work: see calibrate(). */
#define CALIB_BYTES (4 * 4096)
#define CALIB_AREA (8 << 20)
#define CALIB_ROUNDS 2000
#define MAX_RECYCLE 1024

#define SPF_STATS "/sys/kernel/debug/spf/stats"
#define MAX_STATS 64

enum kind { ANON, FILE_PRIVATE, FILE_SHARED, FORK, WRITER };

/*
 * Kept in MAP_SHARED memory: a -k child records its faults here without
 * taking a copy-on-write fault of its own.
 */
struct worker {
	pthread_t thread;
	uint64_t faults;
	uint64_t max_ns;
	uint64_t hist[NR_BUCKETS];	/* per fault, or per CHUNK with -n */
	uint64_t calib[NR_BUCKETS];	/* -n: per calibration run */
	char *calib_area;		/* -n: CALIB_AREA, populated */
	size_t calib_off;
	int fd;				/* -F: the file */
	char *heap;			/* -k: populated once */
	unsigned int nr_recycle;
	uint64_t recycle_ns[MAX_RECYCLE];
};

struct stats {
	int n;
	char name[MAX_STATS][32];
	unsigned long long val[MAX_STATS];
};

static enum kind kind = ANON;
static const char *file_dir = "/tmp";
static size_t region_bytes = 16 << 20;
static size_t reader_bytes = 256 << 20;
static size_t writer_pages = 4;
static double duration = 2.0;
static bool allow_thp, reuse, timed = true;
static atomic_bool stop;
static size_t pagesz;
static atomic_ullong reader_calls, reader_ns, writer_ops, writer_ns;
static uint64_t writer_hist[NR_BUCKETS], writer_max_ns;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static unsigned int bucket_of(uint64_t ns)
{
	unsigned int msb;

	if (ns < (1u << SUB_BITS))
		return (unsigned int)ns;
	msb = 63 - __builtin_clzll(ns);
	return ((msb - SUB_BITS + 1) << SUB_BITS) |
	       (unsigned int)((ns >> (msb - SUB_BITS)) & ((1u << SUB_BITS) - 1));
}

static uint64_t bucket_floor(unsigned int b)
{
	unsigned int hi = b >> SUB_BITS, lo = b & ((1u << SUB_BITS) - 1);

	if (!hi)
		return lo;
	return (uint64_t)((1u << SUB_BITS) | lo) << (hi - 1);
}

static uint64_t bucket_mid(unsigned int b)
{
	return (bucket_floor(b) + bucket_floor(b + 1)) / 2;
}

/*
 * The mean of the samples at most 3 times the median: under an emulator
 * on a shared host, a sample that spans a stretch where the emulator's
 * thread was not running (another process ran, or the other vCPU had
 * its turn) takes milliseconds and is left out, while recurring kernel
 * work (per-CPU page list refills, LRU drains, page-table allocation,
 * the timer tick) costs tens of microseconds and stays in.  *left_out
 * gets the share of samples left out.
 */
static double undisturbed_mean(const uint64_t *hist, uint64_t median,
			       double *left_out)
{
	uint64_t n = 0, total = 0;
	double sum = 0;
	unsigned int b;

	for (b = 0; b < NR_BUCKETS; b++) {
		total += hist[b];
		if (bucket_mid(b) <= 3 * median) {
			n += hist[b];
			sum += (double)hist[b] * bucket_mid(b);
		}
	}
	*left_out = total ? 1.0 - (double)n / total : 0;
	return n ? sum / n : 0;
}

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static char *map_anon(size_t bytes, bool huge_ok)
{
	char *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("mmap");
	if (!huge_ok && madvise(p, bytes, MADV_NOHUGEPAGE))
		die("madvise(MADV_NOHUGEPAGE)");
	return p;
}

/* A file of region_bytes on file_dir, unlinked, every page in the page cache. */
static int make_file(void)
{
	static const char zeros[64 << 10];
	char path[PATH_MAX];
	size_t off;
	int fd;

	snprintf(path, sizeof(path), "%s/fault_bench.XXXXXX", file_dir);
	fd = mkstemp(path);
	if (fd < 0)
		die(path);
	unlink(path);
	for (off = 0; off < region_bytes; off += sizeof(zeros)) {
		size_t n = region_bytes - off < sizeof(zeros) ?
			   region_bytes - off : sizeof(zeros);

		if (pwrite(fd, zeros, n, (off_t)off) != (ssize_t)n)
			die("pwrite");
	}
	return fd;
}

/* The memory a round of worker w faults on. */
static char *map_region(struct worker *w)
{
	char *p;

	if (kind == ANON)
		return map_anon(region_bytes, allow_thp);
	p = mmap(NULL, region_bytes, PROT_READ | PROT_WRITE,
		 kind == FILE_SHARED ? MAP_SHARED : MAP_PRIVATE, w->fd, 0);
	if (p == MAP_FAILED)
		die("mmap of the file");
	return p;
}

static void record(struct worker *w, uint64_t dt)
{
	w->hist[bucket_of(dt)]++;
	if (dt > w->max_ns)
		w->max_ns = dt;
}

static void add_recycle(struct worker *w, uint64_t dt)
{
	if (w->nr_recycle < MAX_RECYCLE)
		w->recycle_ns[w->nr_recycle++] = dt;
}

/*
 * A fixed piece of user work, run before each chunk under -n: zeroing
 * four pages not touched for a while (like the fresh pages a fault
 * clears, out of the host's caches) and a dependent arithmetic chain.
 * An emulator's speed changes with what the host runs next to it, by
 * tens of per cent from one second to the next; dividing a chunk's cost
 * by this work's cost, measured at the same moments, cancels most of
 * that.
 */
static void calibrate(struct worker *w)
{
	char *buf = w->calib_area + w->calib_off;
	uint32_t x = 1;
	int i;

	w->calib_off = (w->calib_off + CALIB_BYTES) % CALIB_AREA;
	memset(buf, (int)w->faults, CALIB_BYTES);
	for (i = 0; i < CALIB_ROUNDS; i++)
		x = x * 1103515245u + 12345u;
	buf[x % CALIB_BYTES] = 1;
	__asm__ volatile("" : : "r"(buf) : "memory");
}

static bool stopped(void)
{
	return atomic_load_explicit(&stop, memory_order_relaxed);
}

/* One pass over p, a fault per page; false if the time ran out. */
static bool touch_all(struct worker *w, char *p)
{
	size_t off, end;

	/* -n: CHUNK faults per timing, each after a calibration run. */
	for (off = 0; !timed && off < region_bytes; off = end) {
		uint64_t t0 = now_ns(), dt;

		calibrate(w);
		dt = now_ns() - t0;
		w->calib[bucket_of(dt)]++;
		t0 += dt;
		end = off + CHUNK * pagesz;
		if (end > region_bytes)
			end = region_bytes;
		for (; off < end; off += pagesz) {
			p[off] = 1;
			w->faults++;
		}
		record(w, now_ns() - t0);
		if (stopped())
			return false;
	}
	for (off = 0; timed && off < region_bytes; off += pagesz) {
		uint64_t t0 = now_ns();

		p[off] = 1;
		record(w, now_ns() - t0);
		w->faults++;
		if (stopped())
			return false;
	}
	return !stopped();
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	char *p = map_region(w);
	uint64_t r0;

	while (touch_all(w, p)) {
		/* Timed apart: what a round costs besides its faults. */
		r0 = now_ns();
		if (reuse) {
			if (madvise(p, region_bytes, MADV_DONTNEED))
				die("madvise(MADV_DONTNEED)");
		} else {
			munmap(p, region_bytes);
			p = map_region(w);
		}
		add_recycle(w, now_ns() - r0);
	}
	munmap(p, region_bytes);
	return NULL;
}

/*
 * -k: fork, and the child writes every page of the populated heap it
 * shares copy-on-write with us; its timings go to w, which is shared
 * memory.  The child finishes its pass even when the time is up (it
 * does not see stop), so a run can overrun by one round.
 */
static void *fork_main(void *arg)
{
	struct worker *w = arg;
	size_t off;
	uint64_t r0;
	pid_t pid;
	int st;

	while (!stopped()) {
		r0 = now_ns();
		pid = fork();
		if (pid < 0)
			die("fork");
		if (!pid) {
			for (off = 0; off < region_bytes; off += pagesz) {
				uint64_t t0 = now_ns();

				w->heap[off] = 2;
				record(w, now_ns() - t0);
				w->faults++;
			}
			_exit(0);
		}
		add_recycle(w, now_ns() - r0);
		if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) ||
		    WEXITSTATUS(st)) {
			fprintf(stderr, "fault_bench: a -k child failed\n");
			exit(1);
		}
	}
	return NULL;
}

/*
 * -W: mmap/munmap pairs of writer_pages pages, never touched; w->faults
 * counts the pairs, each timed.
 */
static void *writer_main(void *arg)
{
	struct worker *w = arg;
	size_t bytes = writer_pages * pagesz;

	while (!stopped()) {
		uint64_t t0 = now_ns();
		void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			die("mmap");
		if (munmap(p, bytes))
			die("munmap");
		record(w, now_ns() - t0);
		w->faults++;
	}
	return NULL;
}

/* Takes mmap_lock for write over and over, on memory nobody faults on. */
static void *churn_main(void *arg)
{
	(void)arg;
	while (!stopped()) {
		uint64_t t0 = now_ns(), dt;
		void *p = mmap(NULL, 4 * pagesz, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p != MAP_FAILED)
			munmap(p, 4 * pagesz);
		dt = now_ns() - t0;
		writer_hist[bucket_of(dt)]++;
		if (dt > writer_max_ns)
			writer_max_ns = dt;
		atomic_fetch_add_explicit(&writer_ns, dt, memory_order_relaxed);
		atomic_fetch_add_explicit(&writer_ops, 1, memory_order_relaxed);
	}
	return NULL;
}

/*
 * Holds mmap_lock for read for a long time, over and over: GUP walks
 * every page of a populated mapping (zero-page PTEs, no THP) without
 * ever dropping the lock.
 */
static void *reader_main(void *arg)
{
	char *p = arg;

	while (!stopped()) {
		uint64_t t0 = now_ns();

		if (madvise(p, reader_bytes, MADV_POPULATE_READ))
			die("madvise(MADV_POPULATE_READ)");
		atomic_fetch_add_explicit(&reader_ns, now_ns() - t0,
					  memory_order_relaxed);
		atomic_fetch_add_explicit(&reader_calls, 1,
					  memory_order_relaxed);
	}
	return NULL;
}

/* Competes for CPU time only. */
static void *hog_main(void *arg)
{
	(void)arg;
	while (!stopped())
		;
	return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The median cost of one timing: two clock_gettime calls. */
static uint64_t clock_cost(void)
{
	static uint64_t d[201];
	unsigned int i;

	for (i = 0; i < 201; i++) {
		uint64_t t0 = now_ns();

		d[i] = now_ns() - t0;
	}
	qsort(d, 201, sizeof(d[0]), cmp_u64);
	return d[100];
}

static bool read_stats(struct stats *s)
{
	FILE *f = fopen(SPF_STATS, "r");

	s->n = 0;
	if (!f)
		return false;
	while (s->n < MAX_STATS &&
	       fscanf(f, "%31s %llu", s->name[s->n], &s->val[s->n]) == 2)
		s->n++;
	fclose(f);
	return s->n > 0;
}

/* The bucket holding quantile q; its floor, or its middle with mid. */
static uint64_t percentile(const uint64_t *hist, double q, bool mid)
{
	uint64_t total = 0, want, seen = 0;
	unsigned int b;

	for (b = 0; b < NR_BUCKETS; b++)
		total += hist[b];
	want = (uint64_t)(q * total);
	for (b = 0; total && b < NR_BUCKETS; b++) {
		seen += hist[b];
		if (seen > want)
			return mid ? bucket_mid(b) : bucket_floor(b);
	}
	return 0;
}

/* hist=FLOOR:COUNT,... over coarse buckets, for the distribution plots. */
static void print_hist(const uint64_t *hist)
{
	const unsigned int per = 1u << COARSE_SHIFT;
	const char *sep = "";
	unsigned int b, i;

	printf(" hist=");
	for (b = 0; b < NR_BUCKETS; b += per) {
		uint64_t n = 0;

		for (i = 0; i < per; i++)
			n += hist[b + i];
		if (n) {
			printf("%s%llu:%llu", sep,
			       (unsigned long long)bucket_floor(b),
			       (unsigned long long)n);
			sep = ",";
		}
	}
}

static void usage(const char *argv0)
{
	fprintf(stderr,
		"usage: %s [-t THREADS] [-m MIB_PER_THREAD] [-d SECONDS] [-H] [-r]\n"
		"          [-F private|shared [-D DIR]] [-k] [-n] [-w] [-c]\n"
		"          [-R READER_MIB] [-b] [-s] [-W PAGES]\n"
		"  -t  faulting threads (default 1), each on memory of its own\n"
		"  -m  MiB per thread (default 16)\n"
		"  -d  seconds (default 2)\n"
		"  -H  leave THP as configured (default: MADV_NOHUGEPAGE)\n"
		"  -r  reuse the region after MADV_DONTNEED (default: fresh mmap)\n"
		"  -F  write faults on a MAP_PRIVATE or MAP_SHARED mapping of a file\n"
		"      of DIR (default /tmp: tmpfs in the guests)\n"
		"  -k  fork: a child writes the populated region (copy-on-write)\n"
		"  -n  time chunks of %d faults with a calibration run (throughput)\n"
		"  -w  one more thread loops mmap/munmap of an unrelated region\n"
		"  -c  convoy: -w plus a thread holding mmap_lock for read\n"
		"      (MADV_POPULATE_READ of READER_MIB, default 256)\n"
		"  -b  one more thread spins in user space\n"
		"  -s  print the spf counter deltas (if the module is loaded)\n"
		"  -W  no faults: each thread loops mmap/munmap of PAGES untouched pages\n"
		"Output: one line of key=value pairs (see the source's header).\n",
		argv0, CHUNK);
	exit(2);
}

int main(int argc, char **argv)
{
	static uint64_t hist[NR_BUCKETS], calib[NR_BUCKETS];
	static struct stats s0, s1;
	int nthreads = 1, opt, i;
	bool churn = false, convoy = false, hog = false, stats = false;
	bool have_stats = false;
	struct worker *w;
	uint64_t faults = 0, max_ns = 0, t0, t1, clock_ns, recycle_ns = 0;
	uint64_t *recycle, chunk_ns, round_pages;
	unsigned int nr_recycle = 0;
	double chunk_mean, calib_mean, left_out, calib_left_out;
	pthread_t churner, reader, hogger;
	char *reader_mem = NULL;
	unsigned int b;

	while ((opt = getopt(argc, argv, "t:m:d:HrF:D:knwcR:bsW:h")) != -1) {
		switch (opt) {
		case 't':
			nthreads = atoi(optarg);
			break;
		case 'm':
			region_bytes = (size_t)atol(optarg) << 20;
			break;
		case 'd':
			duration = atof(optarg);
			break;
		case 'H':
			allow_thp = true;
			break;
		case 'r':
			reuse = true;
			break;
		case 'F':
			if (!strcmp(optarg, "private"))
				kind = FILE_PRIVATE;
			else if (!strcmp(optarg, "shared"))
				kind = FILE_SHARED;
			else
				usage(argv[0]);
			break;
		case 'D':
			file_dir = optarg;
			break;
		case 'k':
			kind = FORK;
			break;
		case 'n':
			timed = false;
			break;
		case 'w':
			churn = true;
			break;
		case 'c':
			convoy = churn = true;
			break;
		case 'R':
			reader_bytes = (size_t)atol(optarg) << 20;
			break;
		case 'b':
			hog = true;
			break;
		case 's':
			stats = true;
			break;
		case 'W':
			kind = WRITER;
			writer_pages = (size_t)atol(optarg);
			break;
		default:
			usage(argv[0]);
		}
	}
	if (nthreads < 1 || nthreads > 1024 || !region_bytes ||
	    !reader_bytes || duration <= 0 || optind != argc ||
	    (kind == FORK && (!timed || reuse)) ||
	    (kind == WRITER && (!timed || reuse || !writer_pages)))
		usage(argv[0]);
	pagesz = (size_t)sysconf(_SC_PAGESIZE);
	clock_ns = clock_cost();

	/* Populated now: no fault of ours in the histograms' pages later. */
	w = mmap(NULL, nthreads * sizeof(*w), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (w == MAP_FAILED)
		die("mmap");
	for (i = 0; i < nthreads; i++) {
		if (!timed) {
			w[i].calib_area = map_anon(CALIB_AREA, false);
			memset(w[i].calib_area, 0, CALIB_AREA);
		}
		if (kind == FILE_PRIVATE || kind == FILE_SHARED)
			w[i].fd = make_file();
		if (kind == FORK) {
			w[i].heap = map_anon(region_bytes, allow_thp);
			memset(w[i].heap, 1, region_bytes);
		}
	}
	if (convoy) {
		/* Populated once here, so that each pass only walks. */
		reader_mem = map_anon(reader_bytes, false);
		if (madvise(reader_mem, reader_bytes, MADV_POPULATE_READ))
			die("madvise(MADV_POPULATE_READ)");
	}
	if (stats)
		have_stats = read_stats(&s0);
	t0 = now_ns();
	if (convoy && pthread_create(&reader, NULL, reader_main, reader_mem))
		return 1;
	if (hog && pthread_create(&hogger, NULL, hog_main, NULL))
		return 1;
	if (churn && pthread_create(&churner, NULL, churn_main, NULL))
		return 1;
	for (i = 0; i < nthreads; i++)
		if (pthread_create(&w[i].thread, NULL,
				   kind == FORK ? fork_main :
				   kind == WRITER ? writer_main : worker_main,
				   &w[i]))
			return 1;
	usleep((useconds_t)(duration * 1e6));
	atomic_store(&stop, true);
	for (i = 0; i < nthreads; i++)
		pthread_join(w[i].thread, NULL);
	t1 = now_ns();
	if (churn)
		pthread_join(churner, NULL);
	if (convoy)
		pthread_join(reader, NULL);
	if (hog)
		pthread_join(hogger, NULL);
	if (have_stats)
		have_stats = read_stats(&s1) && s1.n == s0.n;

	for (i = 0; i < nthreads; i++) {
		faults += w[i].faults;
		if (w[i].max_ns > max_ns)
			max_ns = w[i].max_ns;
		for (b = 0; b < NR_BUCKETS; b++) {
			hist[b] += w[i].hist[b];
			calib[b] += w[i].calib[b];
		}
		nr_recycle += w[i].nr_recycle;
	}
	/* The median cost of starting a round over (mmap/munmap, DONTNEED, fork). */
	recycle = calloc(nr_recycle + 1, sizeof(*recycle));
	if (!recycle)
		return 1;
	for (i = 0, nr_recycle = 0; i < nthreads; i++) {
		memcpy(recycle + nr_recycle, w[i].recycle_ns,
		       w[i].nr_recycle * sizeof(*recycle));
		nr_recycle += w[i].nr_recycle;
	}
	qsort(recycle, nr_recycle, sizeof(*recycle), cmp_u64);
	if (nr_recycle)
		recycle_ns = recycle[nr_recycle / 2];
	round_pages = region_bytes / pagesz;

	if (kind == WRITER)
		printf("threads=%d ops=%llu seconds=%.3f ops_per_sec=%.0f map_pages=%zu",
		       nthreads, (unsigned long long)faults, (t1 - t0) / 1e9,
		       faults / ((t1 - t0) / 1e9), writer_pages);
	else
		printf("threads=%d faults=%llu seconds=%.3f faults_per_sec=%.0f",
		       nthreads, (unsigned long long)faults, (t1 - t0) / 1e9,
		       faults / ((t1 - t0) / 1e9));
	if (timed) {
		printf(" mean_ns=%.0f",
		       undisturbed_mean(hist, percentile(hist, 0.50, true),
					&left_out));
		printf(" p50_ns=%llu p99_ns=%llu p999_ns=%llu max_ns=%llu",
		       (unsigned long long)percentile(hist, 0.50, false),
		       (unsigned long long)percentile(hist, 0.99, false),
		       (unsigned long long)percentile(hist, 0.999, false),
		       (unsigned long long)max_ns);
		print_hist(hist);
	} else {
		/*
		 * Throughput robust to the time the emulator's host thread is
		 * not running: the undisturbed mean chunk, plus the median
		 * recycling cost shared among a round's faults; and that cost
		 * in units of the calibration run (see calibrate()).
		 */
		double per_fault;

		chunk_ns = percentile(hist, 0.50, true);
		chunk_mean = undisturbed_mean(hist, chunk_ns, &left_out);
		calib_mean = undisturbed_mean(calib, percentile(calib, 0.50, true),
					      &calib_left_out);
		per_fault = chunk_mean / CHUNK +
			    (double)recycle_ns / round_pages;
		printf(" chunk=%d chunk_p50_ns=%llu chunk_mean_ns=%.0f chunk_left_out_pct=%.2f calib_mean_ns=%.0f calib_left_out_pct=%.2f",
		       CHUNK, (unsigned long long)chunk_ns, chunk_mean,
		       100 * left_out, calib_mean, 100 * calib_left_out);
		printf(" chunk_p99_ns=%llu chunk_p999_ns=%llu chunk_max_ns=%llu",
		       (unsigned long long)percentile(hist, 0.99, false),
		       (unsigned long long)percentile(hist, 0.999, false),
		       (unsigned long long)max_ns);
		printf(" rfaults_per_sec=%.0f fault_calib=%.4f",
		       nr_recycle ? 1e9 / per_fault : 0,
		       nr_recycle && calib_mean ? per_fault / calib_mean : 0);
	}
	printf(" clock_ns=%llu rounds=%u recycle_us=%.0f round_pages=%llu t1_ns=%llu",
	       (unsigned long long)clock_ns, nr_recycle, recycle_ns / 1e3,
	       (unsigned long long)round_pages, (unsigned long long)t1);
	if (convoy)
		printf(" reader_calls=%llu reader_avg_us=%llu",
		       (unsigned long long)reader_calls,
		       reader_calls ? (unsigned long long)
				      (reader_ns / reader_calls / 1000) : 0);
	if (churn)
		printf(" writer_ops=%llu writer_busy_pct=%.1f writer_p50_us=%.0f writer_max_us=%.0f",
		       (unsigned long long)writer_ops,
		       100.0 * writer_ns / (t1 - t0),
		       percentile(writer_hist, 0.50, false) / 1e3,
		       writer_max_ns / 1e3);
	for (i = 0; have_stats && i < s1.n; i++)
		if (!strcmp(s0.name[i], s1.name[i]))
			printf(" spf_%s=%llu", s1.name[i], s1.val[i] - s0.val[i]);
	printf("\n");
	return 0;
}
