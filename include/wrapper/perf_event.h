/* SPDX-License-Identifier: GPL-2.0 */
/*
 * perf internals for spf: perf_swevent_enabled[], the static keys stock
 * faults test before calling perf, found by wrapper/perf_event.c (by
 * name, or decoded from sw_perf_event_destroy() on arm64).
 */
#ifndef _SPF_WRAPPER_PERF_EVENT_H
#define _SPF_WRAPPER_PERF_EVENT_H

struct static_key;

/* perf_swevent_enabled[] (wrapper/perf_event.c), or NULL. */
struct static_key *spf_perf_keys_find(void);

#endif
