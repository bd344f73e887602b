/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Fixture helpers for kselftests that run with spf freshly loaded
 * (FIXTURE(stock), spf unloaded, is in spf_fixture_stock.h).  Include
 * after kselftest_harness.h and spf_util.h.
 */
#ifndef _SPF_TEST_FIXTURE_H
#define _SPF_TEST_FIXTURE_H

static inline void spf_fixture_load(struct __test_metadata *_metadata)
{
	if (!spf_ko())
		SKIP(return, "SPF_KO is not set");
	if (spf_loaded())
		ASSERT_EQ(0, spf_unload());
	ASSERT_EQ(0, spf_load(NULL));
}

static inline void spf_fixture_unload(struct __test_metadata *_metadata)
{
	if (spf_loaded())
		EXPECT_EQ(0, spf_unload());
}

/* spf loaded, and the process's own mappings faulted in. */
static inline void spf_fixture_load_prefaulted(struct __test_metadata *_metadata)
{
	spf_fixture_load(_metadata);
	if (!_metadata->skip)
		ASSERT_EQ(0, prefault_self());
}

/*
 * Test body prologue: false, and the test done, if the fixture skipped
 * or this spf has no speculative path.
 */
static inline bool spec_ready(struct __test_metadata *_metadata)
{
	if (_metadata->skip)
		return false;
	if (!spf_has_spec())
		SKIP(return false, "this spf has no speculative path counters");
	return true;
}

#endif
