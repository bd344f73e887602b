/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _SPF_PERF_KEYS_H
#define _SPF_PERF_KEYS_H

struct static_key;

/* perf_swevent_enabled[] (spf/perf_keys.c), or NULL. */
struct static_key *spf_perf_keys_find(void);

#endif
