/* SPDX-License-Identifier: GPL-2.0 */
/*
 * FIXTURE(stock): spf unloaded, the kernel's own fault path, for the
 * baselines a test's figures are compared with.  Include it where the
 * stock tests begin: a fixture's tests run in the order the fixtures
 * are defined, and the stock baselines run after the loaded tests.
 */
#ifndef _SPF_TEST_FIXTURE_STOCK_H
#define _SPF_TEST_FIXTURE_STOCK_H

FIXTURE(stock) {
};

FIXTURE_SETUP(stock)
{
	if (spf_loaded())
		ASSERT_EQ(0, spf_unload());
}

FIXTURE_TEARDOWN(stock)
{
}

#endif
