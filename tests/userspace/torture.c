// SPDX-License-Identifier: GPL-2.0
/*
 * The torture: one writer (map, munmap, mprotect, mremap under
 * mmap_lock for write; MADV_DONTNEED under it for read) against N
 * faulting threads running spf's speculative fault with the locked
 * fallback, for a bounded time, every invariant of sim.c checked.
 *
 * Exit status: 0 all held; 3 an invariant broke (the line starting
 * "FAIL after" says which and when); a sanitizer's own status if it
 * reported first.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <pthread.h>
#include <unistd.h>
#include "sim.h"

static struct sim_counts totals;
static pthread_mutex_t totals_lock = PTHREAD_MUTEX_INITIALIZER;

static void add_counts(const struct sim_counts *c)
{
	int i;

	pthread_mutex_lock(&totals_lock);
	totals.hits += c->hits;
	totals.spec += c->spec;
	totals.locked += c->locked;
	totals.segv += c->segv;
	totals.cow += c->cow;
	for (i = 0; i < 6; i++)
		totals.writer_ops[i] += c->writer_ops[i];
	pthread_mutex_unlock(&totals_lock);
}

static bool stopping(void)
{
	return __atomic_load_n(&sim_stop, __ATOMIC_ACQUIRE);
}

static void *faulter(void *arg)
{
	struct sim_counts c = { 0 };

	sim_thread_start((int)(long)arg);
	while (!stopping()) {
		sim_check_pending(&c);
		sim_access(sim_fault_addr(), sim_rand() & 1, &c);
	}
	sim_thread_end();
	add_counts(&c);
	return NULL;
}

static void *writer(void *arg)
{
	struct sim_counts c = { 0 };

	sim_thread_start((int)(long)arg);
	while (!stopping()) {
		sim_writer_step(&c);
		if (sim_cfg.writer_pause_us)
			usleep(sim_rand() % (sim_cfg.writer_pause_us + 1));
	}
	sim_thread_end();
	add_counts(&c);
	return NULL;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: torture [-t faulters] [-s seconds] [-z zones] [-p zone pages]\n"
		"               [-S stale permille] [-B late lock-store permille]\n"
		"               [-d reader delay permille]\n"
		"               [-w writer delay permille] [-P writer pause us]\n"
		"               [-n GFP_NOWAIT failure permille] [-k GFP_KERNEL failure permille]\n"
		"               [-r seed] [-L (lock only)]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	pthread_t t[64], w;
	double t0;
	int opt, i;

	sim_cfg = (struct sim_config) {
		.faulters = 4, .seconds = 5, .zones = 2, .zone_pages = 256,
		.speculate = true, .writer = true, .checks = true,
		.writer_pause_us = 20, .stale_permille = 200,
		.late_permille = 300,
		.delay_permille = 20, .writer_delay_permille = 100,
		.nowait_fail_permille = 100, .kernel_fail_permille = 20,
		.seed = 1,
	};
	while ((opt = getopt(argc, argv, "t:s:z:p:S:B:d:w:P:n:k:r:L")) != -1) {
		switch (opt) {
		case 't': sim_cfg.faulters = atoi(optarg); break;
		case 's': sim_cfg.seconds = atof(optarg); break;
		case 'z': sim_cfg.zones = atoi(optarg); break;
		case 'p': sim_cfg.zone_pages = atoi(optarg); break;
		case 'S': sim_cfg.stale_permille = atoi(optarg); break;
		case 'B': sim_cfg.late_permille = atoi(optarg); break;
		case 'd': sim_cfg.delay_permille = atoi(optarg); break;
		case 'w': sim_cfg.writer_delay_permille = atoi(optarg); break;
		case 'P': sim_cfg.writer_pause_us = atoi(optarg); break;
		case 'n': sim_cfg.nowait_fail_permille = atoi(optarg); break;
		case 'k': sim_cfg.kernel_fail_permille = atoi(optarg); break;
		case 'r': sim_cfg.seed = strtoul(optarg, NULL, 0); break;
		case 'L': sim_cfg.speculate = false; break;
		default: usage();
		}
	}
	if (sim_cfg.faulters < 1 || sim_cfg.faulters > 64 ||
	    sim_cfg.zones < 1 || sim_cfg.zones > 14 ||
	    sim_cfg.zone_pages < 16 || sim_cfg.zone_pages > 4096)
		usage();

	sim_thread_start(1);
	sim_init();
	printf("# torture: %d faulters, %.1f s, %d zones of %d pages, stale %u, late %u, delays %u/%u, NOWAIT failures %u, seed %lu\n",
	       sim_cfg.faulters, sim_cfg.seconds, sim_cfg.zones,
	       sim_cfg.zone_pages, sim_cfg.stale_permille,
	       sim_cfg.stale_permille ? sim_cfg.late_permille : 0,
	       sim_cfg.delay_permille, sim_cfg.writer_delay_permille,
	       sim_cfg.nowait_fail_permille, sim_cfg.seed);
	fflush(stdout);
	t0 = sim_now();
	pthread_create(&w, NULL, writer, (void *)2L);
	for (i = 0; i < sim_cfg.faulters; i++)
		pthread_create(&t[i], NULL, faulter, (void *)(long)(i + 3));
	while (sim_now() - t0 < sim_cfg.seconds)
		usleep(20000);
	__atomic_store_n(&sim_stop, 1, __ATOMIC_RELEASE);
	pthread_join(w, NULL);
	for (i = 0; i < sim_cfg.faulters; i++)
		pthread_join(t[i], NULL);
	sim_finish();
	sim_print_stats(stdout, &totals);
	printf("PASS after %.3f s\n", sim_now() - t0);
	return 0;
}
