// SPDX-License-Identifier: GPL-2.0
/*
 * While spf is loaded, VMAs are freed only after an RCU grace period
 * (pgtable_rcu/vma_free.c): every VMA this process destroys is queued,
 * whatever the "enabled" knob says, and every queued VMA is freed soon
 * after.  Unloading with VMAs queued drains them (the VM runner fails
 * the run on any splat, and a callback left behind would run in freed
 * module text).
 */
#define _GNU_SOURCE
#include <time.h>
#include "kselftest_harness.h"
#include "spf_util.h"
#include "spf_fixture.h"

#define NVMAS 64

FIXTURE(vma_free) {
};

FIXTURE_SETUP(vma_free)
{
	spf_fixture_load(_metadata);
}

FIXTURE_TEARDOWN(vma_free)
{
	spf_fixture_unload(_metadata);
}

/*
 * Map NVMAS separate VMAs (guard pages between them keep them from
 * merging), then unmap them one by one: NVMAS VMAs freed.
 */
static int churn_vmas(void)
{
	size_t ps = page_size();
	char *base;
	int i;

	base = mmap(NULL, 2 * NVMAS * ps, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED)
		return -1;
	for (i = 0; i < NVMAS; i++)
		if (mprotect(base + 2 * i * ps, ps, PROT_READ | PROT_WRITE))
			return -1;
	/* Now 2 * NVMAS VMAs; unmapping the range frees them all. */
	return munmap(base, 2 * NVMAS * ps);
}

/* Wait up to 10 s for every deferred VMA to be freed. */
static bool drained(void)
{
	int i;

	for (i = 0; i < 1000; i++) {
		if (spf_stat("vma_freed") == spf_stat("vma_deferred"))
			return true;
		usleep(10000);
	}
	return false;
}

TEST_F(vma_free, every_freed_vma_waits_for_a_grace_period)
{
	long before = spf_stat("vma_deferred");

	ASSERT_EQ(0, churn_vmas());
	EXPECT_LE(2 * NVMAS, spf_stat("vma_deferred") - before);
	EXPECT_TRUE(drained());
}

TEST_F(vma_free, deferral_ignores_the_enabled_knob)
{
	long before;

	ASSERT_EQ(0, spf_write_file(SPF_PARAMS "/enabled", "0"));
	before = spf_stat("vma_deferred");
	ASSERT_EQ(0, churn_vmas());
	EXPECT_LE(2 * NVMAS, spf_stat("vma_deferred") - before);
	EXPECT_TRUE(drained());
}

TEST_F(vma_free, unload_with_vmas_queued)
{
	int round;

	for (round = 0; round < 5; round++) {
		ASSERT_EQ(0, churn_vmas());
		ASSERT_EQ(0, spf_unload());
		ASSERT_EQ(0, spf_load(NULL));
	}
}

TEST_HARNESS_MAIN
