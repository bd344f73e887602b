// SPDX-License-Identifier: GPL-2.0
/*
 * fault_bench: first-touch anonymous page faults, page_fault1 style.
 *
 * Each thread maps a private anonymous region of its own, writes one
 * byte per page (one fault each), unmaps it, and starts over until the
 * time is up.  Every fault is timed with CLOCK_MONOTONIC into a
 * log-linear histogram.  Optionally one more thread loops mmap/munmap
 * of a small unrelated region (mmap_lock writer churn).
 *
 * Output, one line of key=value pairs:
 *   threads= faults= seconds= faults_per_sec= p50_ns= p99_ns= p999_ns= max_ns=
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

/* 16 sub-buckets per power of two: about 6% resolution. */
#define SUB_BITS 4
#define NR_BUCKETS (64 << SUB_BITS)

struct worker {
	pthread_t thread;
	uint64_t faults;
	uint64_t max_ns;
	uint64_t hist[NR_BUCKETS];
};

static size_t region_bytes = 16 << 20;
static double duration = 2.0;
static bool allow_thp;
static atomic_bool stop;
static size_t pagesz;

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

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	size_t off;

	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		char *p = mmap(NULL, region_bytes, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED) {
			perror("mmap");
			exit(1);
		}
		if (!allow_thp)
			madvise(p, region_bytes, MADV_NOHUGEPAGE);
		for (off = 0; off < region_bytes; off += pagesz) {
			uint64_t t0 = now_ns(), dt;

			p[off] = 1;
			dt = now_ns() - t0;
			w->hist[bucket_of(dt)]++;
			if (dt > w->max_ns)
				w->max_ns = dt;
			w->faults++;
			if (atomic_load_explicit(&stop, memory_order_relaxed))
				break;
		}
		munmap(p, region_bytes);
	}
	return NULL;
}

/* Takes mmap_lock for write over and over, on memory nobody faults on. */
static void *churn_main(void *arg)
{
	(void)arg;
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		void *p = mmap(NULL, 4 * pagesz, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p != MAP_FAILED)
			munmap(p, 4 * pagesz);
	}
	return NULL;
}

static uint64_t percentile(const uint64_t *hist, uint64_t total, double q)
{
	uint64_t want = (uint64_t)(q * total), seen = 0;
	unsigned int b;

	for (b = 0; b < NR_BUCKETS; b++) {
		seen += hist[b];
		if (seen > want)
			return bucket_floor(b);
	}
	return 0;
}

static void usage(const char *argv0)
{
	fprintf(stderr,
		"usage: %s [-t THREADS] [-m MIB_PER_THREAD] [-d SECONDS] [-H] [-w]\n"
		"  -H  leave THP as configured (default: MADV_NOHUGEPAGE)\n"
		"  -w  one more thread loops mmap/munmap of an unrelated region\n",
		argv0);
	exit(2);
}

int main(int argc, char **argv)
{
	static uint64_t hist[NR_BUCKETS];
	int nthreads = 1, opt, i;
	bool churn = false;
	struct worker *w;
	uint64_t faults = 0, max_ns = 0, t0, t1;
	pthread_t churner;
	unsigned int b;

	while ((opt = getopt(argc, argv, "t:m:d:Hw")) != -1) {
		switch (opt) {
		case 't': nthreads = atoi(optarg); break;
		case 'm': region_bytes = (size_t)atol(optarg) << 20; break;
		case 'd': duration = atof(optarg); break;
		case 'H': allow_thp = true; break;
		case 'w': churn = true; break;
		default: usage(argv[0]);
		}
	}
	if (nthreads < 1 || nthreads > 1024 || !region_bytes || duration <= 0)
		usage(argv[0]);
	pagesz = (size_t)sysconf(_SC_PAGESIZE);

	w = calloc(nthreads, sizeof(*w));
	if (!w)
		return 1;
	t0 = now_ns();
	for (i = 0; i < nthreads; i++)
		if (pthread_create(&w[i].thread, NULL, worker_main, &w[i]))
			return 1;
	if (churn && pthread_create(&churner, NULL, churn_main, NULL))
		return 1;
	usleep((useconds_t)(duration * 1e6));
	atomic_store(&stop, true);
	for (i = 0; i < nthreads; i++)
		pthread_join(w[i].thread, NULL);
	t1 = now_ns();
	if (churn)
		pthread_join(churner, NULL);

	for (i = 0; i < nthreads; i++) {
		faults += w[i].faults;
		if (w[i].max_ns > max_ns)
			max_ns = w[i].max_ns;
		for (b = 0; b < NR_BUCKETS; b++)
			hist[b] += w[i].hist[b];
	}
	printf("threads=%d faults=%llu seconds=%.3f faults_per_sec=%.0f p50_ns=%llu p99_ns=%llu p999_ns=%llu max_ns=%llu\n",
	       nthreads, (unsigned long long)faults, (t1 - t0) / 1e9,
	       faults / ((t1 - t0) / 1e9),
	       (unsigned long long)percentile(hist, faults, 0.50),
	       (unsigned long long)percentile(hist, faults, 0.99),
	       (unsigned long long)percentile(hist, faults, 0.999),
	       (unsigned long long)max_ns);
	return 0;
}
