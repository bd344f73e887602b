// SPDX-License-Identifier: GPL-2.0
/*
 * Fault rate against thread count, lock-only against speculative, with
 * and without a writer thread, in the simulated address space.
 *
 * Each faulting thread write-faults every page of a region of its own
 * (every fault a first touch), then drops the pages with MADV_DONTNEED
 * (mmap_lock for read) and starts again.  The writer maps and unmaps a
 * region of its own under mmap_lock for write, as fast as it can with a
 * short pause.  Checks are off: this measures the protocol, not sim.c.
 *
 * Prints a table of faults/s and writes DIR/bench.dat (and, with
 * gnuplot, DIR/bench.png; else an ASCII plot in DIR/bench.txt).
 *
 * usage: bench [-s seconds per cell] [-o DIR]
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <pthread.h>
#include <unistd.h>
#include "sim.h"

#define REGION_PAGES	256

static int nthreads;
static double seconds = 1.0;
static unsigned long done[8];
static int go;

static bool running(void)
{
	return !__atomic_load_n(&sim_stop, __ATOMIC_ACQUIRE);
}

static unsigned long region(int i)
{
	return (1UL << PGDIR_SHIFT) + (unsigned long)i * 2 * REGION_PAGES *
	       PAGE_SIZE;
}

static void *faulter(void *arg)
{
	int i = (int)(long)arg;
	unsigned long base = region(i), n = 0, p;
	struct sim_counts c = { 0 };

	sim_thread_start(i + 3);
	while (!__atomic_load_n(&go, __ATOMIC_ACQUIRE))
		sched_yield();
	while (running()) {
		for (p = 0; p < REGION_PAGES && running(); p++, n++)
			sim_fault(base + p * PAGE_SIZE, true, &c);
		sim_dontneed(base, base + REGION_PAGES * PAGE_SIZE);
	}
	__atomic_store_n(&done[i], n, __ATOMIC_RELEASE);
	sim_thread_end();
	return NULL;
}

static void *writer(void *arg)
{
	unsigned long base = 2UL << PGDIR_SHIFT;

	sim_thread_start(2);
	while (running()) {
		sim_locked_map(base, base + 16 * PAGE_SIZE,
			       VM_READ | VM_WRITE);
		sim_locked_munmap(base, base + 16 * PAGE_SIZE);
		usleep(10);
	}
	sim_thread_end();
	return NULL;
}

static double cell(int threads, bool spec, bool with_writer)
{
	pthread_t t[8], w;
	unsigned long total = 0;
	double t0, dt;
	int i;

	nthreads = threads;
	sim_cfg.speculate = spec;
	__atomic_store_n(&sim_stop, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&go, 0, __ATOMIC_RELEASE);
	for (i = 0; i < threads; i++)
		pthread_create(&t[i], NULL, faulter, (void *)(long)i);
	if (with_writer)
		pthread_create(&w, NULL, writer, NULL);
	t0 = sim_now();
	__atomic_store_n(&go, 1, __ATOMIC_RELEASE);
	usleep(seconds * 1e6);
	__atomic_store_n(&sim_stop, 1, __ATOMIC_RELEASE);
	for (i = 0; i < threads; i++)
		pthread_join(t[i], NULL);
	dt = sim_now() - t0;
	if (with_writer)
		pthread_join(w, NULL);
	for (i = 0; i < threads; i++)
		total += done[i];
	return total / dt;
}

int main(int argc, char **argv)
{
	static const int counts[] = { 1, 2, 4, 8 };
	const char *dir = ".";
	double r[4][4];
	char path[4096];
	FILE *f;
	int opt, i, j;

	while ((opt = getopt(argc, argv, "s:o:")) != -1) {
		if (opt == 's')
			seconds = atof(optarg);
		else if (opt == 'o')
			dir = optarg;
		else
			return 2;
	}
	sim_cfg = (struct sim_config) {
		.faulters = 8, .zones = 2, .zone_pages = 4096,
		.speculate = true, .checks = false, .seed = 1,
	};
	sim_thread_start(1);
	sim_init();
	for (i = 0; i < 8; i++)
		sim_locked_map(region(i), region(i) + REGION_PAGES * PAGE_SIZE,
			       VM_READ | VM_WRITE);

	for (i = 0; i < 4; i++)
		for (j = 0; j < 4; j++)
			r[i][j] = cell(counts[i], j & 1, j >= 2);

	printf("# faults/s (write first-touch, %.1f s a cell, %ld CPUs)\n",
	       seconds, sysconf(_SC_NPROCESSORS_ONLN));
	printf("%-8s %14s %14s %18s %20s\n", "threads", "lock-only",
	       "speculative", "lock-only+writer", "speculative+writer");
	snprintf(path, sizeof(path), "%s/bench.dat", dir);
	f = fopen(path, "w");
	if (f)
		fprintf(f, "# threads lock spec lock+writer spec+writer\n");
	for (i = 0; i < 4; i++) {
		printf("%-8d %14.0f %14.0f %18.0f %20.0f\n", counts[i],
		       r[i][0], r[i][1], r[i][2], r[i][3]);
		if (f)
			fprintf(f, "%d %.0f %.0f %.0f %.0f\n", counts[i],
				r[i][0], r[i][1], r[i][2], r[i][3]);
	}
	if (f)
		fclose(f);
	sim_finish();
	return 0;
}
