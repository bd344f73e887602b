// SPDX-License-Identifier: GPL-2.0
/*
 * Loading and unloading spf: the hooks appear and disappear, bad input
 * is refused with a message naming it and leaves nothing behind, and
 * unloading while threads fault is safe (20 cycles under load;
 * SPF_RELOAD_CYCLES=N asks for N, make soak runs 50).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/wait.h>
#include <time.h>
#include "kselftest_harness.h"
#include "spf_util.h"

#define HOOKED_A "lock_mm_and_find_vma"
#define HOOKED_B "handle_mm_fault"
#define HOOKED_C "vm_area_free"

static void require_module(struct __test_metadata *_metadata)
{
	if (!spf_ko())
		SKIP(exit(KSFT_SKIP), "SPF_KO is not set");
	if (spf_loaded())
		ASSERT_EQ(0, spf_unload());
}

TEST(load_unload)
{
	require_module(_metadata);
	ASSERT_FALSE(hook_armed(HOOKED_A));

	ASSERT_EQ(0, spf_load(NULL));
	EXPECT_TRUE(spf_loaded());
	EXPECT_EQ(0, access(SPF_DEBUGFS "/stats", R_OK));
	EXPECT_TRUE(hook_armed(HOOKED_A));
	EXPECT_TRUE(hook_armed(HOOKED_B));
	EXPECT_TRUE(hook_armed(HOOKED_C));

	ASSERT_EQ(0, spf_unload());
	EXPECT_FALSE(spf_loaded());
	EXPECT_NE(0, access(SPF_DEBUGFS, F_OK));
	EXPECT_FALSE(hook_armed(HOOKED_A));
	EXPECT_FALSE(hook_armed(HOOKED_B));
	EXPECT_FALSE(hook_armed(HOOKED_C));
}

TEST(load_twice_refused)
{
	require_module(_metadata);
	ASSERT_EQ(0, spf_load(NULL));
	EXPECT_EQ(-EEXIST, spf_load(NULL));
	EXPECT_TRUE(hook_armed(HOOKED_A));
	ASSERT_EQ(0, spf_unload());
	EXPECT_FALSE(hook_armed(HOOKED_A));
}

/* A refused load: the errno, the log line naming the culprit, no trace. */
static void expect_refused(struct __test_metadata *_metadata,
			   const char *params, int err, const char *msg)
{
	int kmsg = kmsg_mark();

	ASSERT_LE(0, kmsg);
	EXPECT_EQ(-err, spf_load(params));
	EXPECT_TRUE(kmsg_seen(kmsg, msg)) {
		TH_LOG("no kernel message containing \"%s\"", msg);
	}
	EXPECT_FALSE(spf_loaded());
	EXPECT_FALSE(hook_armed(HOOKED_A));
	EXPECT_FALSE(hook_armed(HOOKED_B));
}

TEST(bad_bool_refused)
{
	require_module(_metadata);
	expect_refused(_metadata, "enabled=maybe", EINVAL,
		       "`maybe' invalid for parameter `enabled'");
}

TEST(unknown_param_refused)
{
	require_module(_metadata);
	/* The loader only warns about these; spf itself refuses. */
	expect_refused(_metadata, "enabled=1 no_such_knob=1", EINVAL,
		       "unknown parameter 'no_such_knob'; refusing to load");
}

TEST(missing_symbol_refused)
{
	require_module(_metadata);
	expect_refused(_metadata, "debug_require_symbol=spf_test_absent_sym",
		       ENOENT, "lacks symbol spf_test_absent_sym");
}

TEST(runtime_knob_validated)
{
	char val[16];
	pid_t pid;
	int status;

	require_module(_metadata);
	ASSERT_EQ(0, spf_load("enabled=0"));
	ASSERT_EQ(0, spf_read_file(SPF_PARAMS "/enabled", val, sizeof(val)));
	EXPECT_STREQ("N\n", val);

	EXPECT_EQ(-EINVAL, spf_write_file(SPF_PARAMS "/enabled", "2"));
	ASSERT_EQ(0, spf_read_file(SPF_PARAMS "/enabled", val, sizeof(val)));
	EXPECT_STREQ("N\n", val);

	EXPECT_EQ(0, spf_write_file(SPF_PARAMS "/enabled", "1"));
	ASSERT_EQ(0, spf_read_file(SPF_PARAMS "/enabled", val, sizeof(val)));
	EXPECT_STREQ("Y\n", val);

	/* Root only: an unprivileged writer is refused. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (setgid(65534) || setuid(65534))
			_exit(2);
		_exit(spf_write_file(SPF_PARAMS "/enabled", "0") == -EACCES ?
		      0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status));
	ASSERT_EQ(0, spf_read_file(SPF_PARAMS "/enabled", val, sizeof(val)));
	EXPECT_STREQ("Y\n", val);

	ASSERT_EQ(0, spf_unload());
}

/*
 * Faulting threads: map, fill and check, unmap, in a loop, counting
 * rounds.  A wrong or lost page is recorded; the test fails on any.
 */
struct faulter {
	pthread_t thread;
	atomic_bool stop;
	atomic_bool pause;
	atomic_bool paused;
	atomic_ulong rounds;
	atomic_ulong corrupt;
	unsigned int seed;
};

static void *faulter_main(void *arg)
{
	struct faulter *f = arg;
	const size_t npages = 32;
	size_t i;

	while (!f->stop) {
		char *p;

		if (f->pause) {
			/* Touches nothing new: no fault while parked. */
			f->paused = true;
			while (f->pause && !f->stop)
				usleep(1000);
			f->paused = false;
			continue;
		}
		p = map_fresh(npages);
		unsigned long tag = (unsigned long)f->seed * 1000003 + f->rounds;

		if (!p) {
			f->corrupt++;
			break;
		}
		for (i = 0; i < npages; i++) {
			if (*(unsigned long *)(p + i * page_size()) != 0)
				f->corrupt++;
			*(unsigned long *)(p + i * page_size()) = tag + i;
		}
		for (i = 0; i < npages; i++)
			if (*(unsigned long *)(p + i * page_size()) != tag + i)
				f->corrupt++;
		munmap(p, npages * page_size());
		f->rounds++;
	}
	return NULL;
}

/* Lines of a file, -1 if it cannot be read. */
static long count_lines(const char *path)
{
	char line[512];
	long n = 0;
	FILE *f = fopen(path, "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		n++;
	fclose(f);
	return n;
}

#define KPROBE_LIST "/sys/kernel/debug/kprobes/list"
#define FTRACE_ENABLED "/sys/kernel/tracing/enabled_functions"

/*
 * Every hook entry ended in exactly one outcome: with the faulters
 * parked nothing is in flight, but another process of the guest may be
 * mid-fault when the counters are summed, so a mismatch is re-read.
 */
static bool counters_consistent(struct spf_counts *s)
{
	int tries;

	for (tries = 0; tries < 5; tries++) {
		if (spf_counts_read(s))
			return false;
		if (s->c[SPF_C_FAULT_HOOK] == spf_counts_outcomes(s))
			return true;
		usleep(10000);
	}
	return false;
}

static int reload_cycles(void)
{
	const char *e = getenv("SPF_RELOAD_CYCLES");
	int n = e ? atoi(e) : 20;

	return n > 0 && n <= 1000 ? n : 20;
}

FIXTURE(reload) {
};

FIXTURE_SETUP(reload)
{
}

FIXTURE_TEARDOWN(reload)
{
}

/*
 * Unload waits for RCU and RCU-tasks grace periods: slow under TCG (the
 * timeout leaves room for SPF_RELOAD_CYCLES=50 on the debug kernel).
 * Each cycle: load, let the threads fault, park them and check that the
 * counters add up, let them go again, unload under load, and check that
 * no kprobe or ftrace site is left (the lists are as before the first
 * load, and none of the hooked functions is in them).
 */
TEST_F_TIMEOUT(reload, while_faulting, 2400)
{
	struct timespec t0, t1;
	double worst = 0;
	struct faulter f[2] = { { .seed = 1 }, { .seed = 2 } };
	unsigned long before[2];
	long kp_base, ft_base, spec = 0, hooked = 0;
	int cycle, i, cycles = reload_cycles(), inconsistent = 0;
	struct spf_counts s;

	require_module(_metadata);
	kp_base = count_lines(KPROBE_LIST);
	ft_base = count_lines(FTRACE_ENABLED);
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, pthread_create(&f[i].thread, NULL,
					    faulter_main, &f[i]));

	for (cycle = 0; cycle < cycles; cycle++) {
		for (i = 0; i < 2; i++)
			before[i] = f[i].rounds;
		ASSERT_EQ(0, spf_load(NULL));
		usleep(20000);
		for (i = 0; i < 2; i++)
			f[i].pause = true;
		for (i = 0; i < 2; i++)
			while (!f[i].paused && !f[i].corrupt)
				usleep(1000);
		if (!counters_consistent(&s)) {
			inconsistent++;
			TH_LOG("cycle %d: fault_hook %ld != outcomes %ld:%s",
			       cycle, s.c[SPF_C_FAULT_HOOK],
			       spf_counts_outcomes(&s), spf_counts_str(&s));
		}
		spec += spf_counts_spec(&s);
		hooked += s.c[SPF_C_FAULT_HOOK];
		for (i = 0; i < 2; i++)
			f[i].pause = false;
		/* Unload while they fault again. */
		for (i = 0; i < 2; i++)
			while (f[i].paused)
				usleep(100);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		ASSERT_EQ(0, spf_unload()) {
			TH_LOG("unload failed in cycle %d", cycle);
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (t1.tv_sec - t0.tv_sec + (t1.tv_nsec - t0.tv_nsec) / 1e9 > worst)
			worst = t1.tv_sec - t0.tv_sec +
				(t1.tv_nsec - t0.tv_nsec) / 1e9;
		EXPECT_FALSE(hook_armed(HOOKED_A));
		EXPECT_FALSE(hook_armed(HOOKED_B));
		EXPECT_FALSE(hook_armed(HOOKED_C));
		EXPECT_EQ(kp_base, count_lines(KPROBE_LIST));
		EXPECT_EQ(ft_base, count_lines(FTRACE_ENABLED));
		usleep(5000);
		/* Both threads keep making progress across every cycle. */
		for (i = 0; i < 2; i++) {
			while (f[i].rounds == before[i] && !f[i].corrupt)
				usleep(1000);
		}
	}

	for (i = 0; i < 2; i++) {
		f[i].stop = true;
		pthread_join(f[i].thread, NULL);
		EXPECT_EQ(0UL, atomic_load(&f[i].corrupt));
		TH_LOG("thread %d: %lu rounds", i, atomic_load(&f[i].rounds));
	}
	TH_LOG("%d cycles, slowest unload %.3f s", cycles, worst);
	TH_LOG("%ld faults through the hook, %ld speculative, %d inconsistent counter reads",
	       hooked, spec, inconsistent);
	EXPECT_EQ(0, inconsistent);
	EXPECT_LT(0, spec);
	EXPECT_FALSE(spf_loaded());
	EXPECT_FALSE(hook_armed(HOOKED_A));
	EXPECT_FALSE(hook_armed(HOOKED_B));
	EXPECT_FALSE(hook_armed(HOOKED_C));
}

TEST_HARNESS_MAIN
