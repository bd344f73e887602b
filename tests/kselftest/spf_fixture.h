/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Fixture helpers for the kselftests: spf freshly loaded, and tests run
 * from a table of cases (FIXTURE(stock) is in spf_fixture_stock.h).
 * Include after kselftest_harness.h and spf_util.h.
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

/*
 * Table-driven tests (the pattern of the kernel's selftests/vm/cow.c):
 * one harness test per row of TABLE, an array of structs with a .name
 * and a .timeout (seconds, 0 for the harness's default), each run by
 * RUNNER(_metadata, row) between fixture FIX's setup and teardown.  A
 * row's TAP name is FIX.<name>, as TEST_F(FIX, name) would give, so
 * SPF_TEST_ONLY and the documents that name tests see no difference.
 * The wrapper does what TEST_F's does (kselftest_harness.h of 6.1); the
 * harness hands it the row's own metadata, which gives the row.
 *
 * A row starts with SPF_TEST_F(FIX, name) or SPF_TEST_F_TIMEOUT(FIX,
 * name, seconds): the test's name as TEST_F spells it, which is also
 * what tools/check/audit-races looks for in the sources.
 */
#define SPF_TEST_F(fix, test) .name = #test
#define SPF_TEST_F_TIMEOUT(fix, test, secs) .name = #test, .timeout = (secs)

#define SPF_TABLE_TESTS(fix, table, runner)				\
	static struct __test_metadata					\
		spf_table_##fix[ARRAY_SIZE(table)];			\
	static void spf_table_wrapper_##fix(				\
		struct __test_metadata *_metadata,			\
		struct __fixture_variant_metadata *variant)		\
	{								\
		FIXTURE_DATA(fix) self;					\
									\
		memset(&self, 0, sizeof(self));				\
		if (setjmp(_metadata->env) == 0) {			\
			fix##_setup(_metadata, &self, variant->data);	\
			if (!_metadata->passed)				\
				return;					\
			_metadata->setup_completed = true;		\
			runner(_metadata,				\
			       &table[_metadata - spf_table_##fix]);	\
		}							\
		if (_metadata->setup_completed)				\
			fix##_teardown(_metadata, &self, variant->data); \
		__test_check_assert(_metadata);				\
	}								\
	static void __attribute__((constructor))			\
	spf_table_register_##fix(void)					\
	{								\
		size_t n = ARRAY_SIZE(table), i, k;			\
		struct __test_metadata *t;				\
									\
		for (i = 0; i < n; i++) {				\
			/* Appended or prepended: table order either way. */ \
			k = __constructor_order ==			\
			    _CONSTRUCTOR_ORDER_FORWARD ? i : n - 1 - i;	\
			t = &spf_table_##fix[k];			\
			t->name = table[k].name;			\
			t->fn = spf_table_wrapper_##fix;		\
			t->fixture = &_##fix##_fixture_object;		\
			t->termsig = -1;				\
			t->timeout = table[k].timeout ?:		\
				     TEST_TIMEOUT_DEFAULT;		\
			__register_test(t);				\
		}							\
	}

#endif
