// SPDX-License-Identifier: GPL-2.0
/*
 * Loading and unloading spf: the hooks appear and disappear, bad input
 * is refused with a message naming it and leaves nothing behind, and
 * unloading while threads fault is safe (20 cycles under load).
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
		char *p = map_fresh(npages);
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

FIXTURE(reload) {
};

FIXTURE_SETUP(reload)
{
}

FIXTURE_TEARDOWN(reload)
{
}

/* Unload waits for RCU and RCU-tasks grace periods: slow under TCG. */
TEST_F_TIMEOUT(reload, while_faulting, 600)
{
	struct timespec t0, t1;
	double worst = 0;
	struct faulter f[2] = { { .seed = 1 }, { .seed = 2 } };
	unsigned long before[2];
	int cycle, i;

	require_module(_metadata);
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, pthread_create(&f[i].thread, NULL,
					    faulter_main, &f[i]));

	for (cycle = 0; cycle < 20; cycle++) {
		for (i = 0; i < 2; i++)
			before[i] = f[i].rounds;
		ASSERT_EQ(0, spf_load(NULL));
		usleep(20000);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		ASSERT_EQ(0, spf_unload()) {
			TH_LOG("unload failed in cycle %d", cycle);
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (t1.tv_sec - t0.tv_sec + (t1.tv_nsec - t0.tv_nsec) / 1e9 > worst)
			worst = t1.tv_sec - t0.tv_sec +
				(t1.tv_nsec - t0.tv_nsec) / 1e9;
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
	TH_LOG("20 cycles, slowest unload %.3f s", worst);
	EXPECT_FALSE(spf_loaded());
	EXPECT_FALSE(hook_armed(HOOKED_A));
	EXPECT_FALSE(hook_armed(HOOKED_B));
	EXPECT_FALSE(hook_armed(HOOKED_C));
}

TEST_HARNESS_MAIN
