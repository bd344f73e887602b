/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The simulated address space around spf's protocol code (sim.c), and
 * what the drivers (torture.c, bench.c) use of it.
 */
#ifndef _SIM_H
#define _SIM_H

#include <uspace.h>

struct sim_config {
	int faulters;
	double seconds;
	int zones;			/* 16 MiB apart: PUD tables get freed */
	int zone_pages;
	bool speculate;			/* else every fault takes the lock */
	bool writer;
	bool checks;			/* layout log, scans, accounting */
	unsigned int writer_pause_us;
	unsigned int stale_permille;
	unsigned int late_permille;	/* late lock-word stores (weak mode) */
	unsigned int delay_permille;	/* reader side */
	unsigned int writer_delay_permille;
	unsigned int nowait_fail_permille;	/* GFP_NOWAIT pages */
	unsigned int kernel_fail_permille;	/* GFP_KERNEL pages */
	unsigned long seed;
};

extern struct sim_config sim_cfg;
extern struct mm_struct sim_mm;
extern volatile int sim_stop;

struct sim_counts {
	unsigned long hits, spec, locked, segv, cow;
	unsigned long writer_ops[6];
	unsigned long checked, unchecked;
};

void sim_init(void);
void sim_thread_start(int tid);
void sim_thread_end(void);
void sim_finish(void);			/* after all threads: final checks */
double sim_now(void);

/* One access by a faulting thread: true if it faulted. */
bool sim_access(unsigned long addr, bool write, struct sim_counts *c);
void sim_fault(unsigned long addr, bool write, struct sim_counts *c);
void sim_check_pending(struct sim_counts *c);
unsigned long sim_random_addr(void);
unsigned long sim_fault_addr(void);
void sim_locked_map(unsigned long start, unsigned long end,
		    unsigned long flags);
void sim_locked_munmap(unsigned long start, unsigned long end);

/* The writer's operations (under mmap_lock held for write). */
void sim_writer_step(struct sim_counts *c);
int sim_map(unsigned long start, unsigned long end, unsigned long flags);
void sim_munmap(unsigned long start, unsigned long end);
void sim_dontneed(unsigned long start, unsigned long end);
void sim_print_stats(FILE *f, struct sim_counts *c);

#endif
