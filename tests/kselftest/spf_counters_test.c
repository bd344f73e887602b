// SPDX-License-Identifier: GPL-2.0
/*
 * spf's counters and tracepoints account for arch faults exactly: every
 * fault this process takes moves them by one, a fault taken on our
 * behalf by GUP does not, and enabled=0 stops the redirection.  perf
 * sees the tracepoints and counts the same number as its own
 * page-faults event, plus the arch's retries.
 *
 * The guest runs nothing else while a test runs, so the module's global
 * counters move only for this process's faults.
 */
#define _GNU_SOURCE
#include <sys/utsname.h>
#include <sys/wait.h>
#include "kselftest_harness.h"
#include "spf_util.h"
#include "spf_fixture.h"

#define NPAGES 256

FIXTURE(spf) {
};

FIXTURE_SETUP(spf)
{
	spf_fixture_load(_metadata);
}

FIXTURE_TEARDOWN(spf)
{
	spf_fixture_unload(_metadata);
}

struct snap {
	long fault_hook, handle_hook, stock, disabled, self, spec, aborts;
};

static const char *const abort_names[] = {
	"seq_odd", "seq_changed", "no_vma", "not_anon", "no_anon_vma",
	"access", "pgtable", "pte", "ptl", "uffd", "alloc", "pagecache",
	"swapcache", "other",
};

static void snap(struct snap *s)
{
	char name[64];
	unsigned int i;

	s->aborts = 0;
	for (i = 0; i < ARRAY_SIZE(abort_names); i++) {
		snprintf(name, sizeof(name), "abort_%s", abort_names[i]);
		s->aborts += spf_stat(name);
	}
	s->spec = spf_stat("spec_read") + spf_stat("spec_write") +
		  spf_stat("spec_wp_reuse") + spf_stat("spec_wp_copy") +
		  spf_stat("spec_wp_zero") + spf_stat("spec_file") +
		  spf_stat("spec_thp") + spf_stat("spec_swap") +
		  spf_stat("spec_file_write");
	s->fault_hook = spf_stat("fault_hook");
	s->handle_hook = spf_stat("handle_hook");
	s->stock = spf_stat("stock");
	s->disabled = spf_stat("disabled");
	s->self = self_faults();
}

/* First-touch NPAGES fresh pages, with counter snapshots around it. */
static int touch_fresh(struct snap *a, struct snap *b, bool write)
{
	char *p = map_fresh(NPAGES);

	if (!p)
		return -1;
	snap(a);
	touch_pages(p, NPAGES, write);
	snap(b);
	munmap(p, NPAGES * page_size());
	return 0;
}

TEST_F(spf, counts_every_fault_exactly)
{
	struct snap a, b;
	long handled;
	int write;

	for (write = 0; write < 2; write++) {
		ASSERT_EQ(0, touch_fresh(&a, &b, write));
		EXPECT_LE(NPAGES, b.self - a.self);
		EXPECT_EQ(b.self - a.self, b.fault_hook - a.fault_hook);
		/*
		 * Through the marker every fault reaches the handle_mm_fault
		 * hook; a do_page_fault() hook (arm64) completes the
		 * speculative ones before it.
		 */
		handled = hook_armed("do_page_fault") ? b.stock - a.stock :
							b.self - a.self;
		EXPECT_EQ(handled, b.handle_hook - a.handle_hook);
		/* Each fault ends speculative or aborted, exactly once... */
		EXPECT_EQ(b.fault_hook - a.fault_hook,
			  (b.spec - a.spec) + (b.aborts - a.aborts));
		/* ...and each aborted one here went on to the stock path. */
		EXPECT_EQ(b.aborts - a.aborts, b.stock - a.stock);
		EXPECT_EQ(0, b.disabled - a.disabled);
	}
}

TEST_F(spf, gup_faults_are_not_arch_faults)
{
	struct snap a, b;
	char buf[64];
	char *p;
	int fd, i;

	/* Writes through /proc/self/mem fault pages in with GUP. */
	p = map_fresh(16);
	ASSERT_NE(NULL, p);
	fd = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	memset(buf, 0x5a, sizeof(buf));
	snap(&a);
	for (i = 0; i < 16; i++)
		ASSERT_EQ((ssize_t)sizeof(buf), pwrite(fd, buf, sizeof(buf),
					      (off_t)(p + i * page_size())));
	snap(&b);
	close(fd);

	EXPECT_LE(16, b.self - a.self);	/* GUP faults count for the task */
	EXPECT_EQ(0, b.fault_hook - a.fault_hook);
	EXPECT_EQ(0, b.handle_hook - a.handle_hook);
	for (i = 0; i < 16; i++)
		EXPECT_EQ(0x5a, p[i * page_size()]);
	munmap(p, 16 * page_size());
}

TEST_F(spf, enabled_knob_stops_redirection)
{
	struct snap a, b;

	ASSERT_EQ(0, spf_write_file(SPF_PARAMS "/enabled", "0"));
	ASSERT_EQ(0, touch_fresh(&a, &b, true));
	EXPECT_LE(NPAGES, b.self - a.self);
	EXPECT_EQ(0, b.fault_hook - a.fault_hook);
	EXPECT_EQ(0, b.handle_hook - a.handle_hook);
	EXPECT_EQ(b.self - a.self, b.disabled - a.disabled);

	ASSERT_EQ(0, spf_write_file(SPF_PARAMS "/enabled", "1"));
	ASSERT_EQ(0, touch_fresh(&a, &b, true));
	EXPECT_LE(NPAGES, b.self - a.self);
	EXPECT_EQ(b.self - a.self, b.fault_hook - a.fault_hook);
	EXPECT_EQ(0, b.disabled - a.disabled);
}

TEST_F(spf, debugfs_names_the_arch)
{
	struct utsname u;
	char buf[128];

	ASSERT_EQ(0, uname(&u));
	ASSERT_EQ(0, spf_read_file(SPF_DEBUGFS "/arch", buf, sizeof(buf)));
	EXPECT_EQ(0, strncmp(buf, strcmp(u.machine, "aarch64") ? u.machine :
			     "arm64", strlen(buf) - strlen(strchr(buf, ' '))));
	ASSERT_EQ(0, spf_read_file(SPF_DEBUGFS "/stats", buf, sizeof(buf)));
	EXPECT_NE(NULL, strstr(buf, "fault_hook "));
}

/* Child mode of perf_counts_tracepoints: touch pages, then exit. */
static int toucher(void)
{
	char *p = map_fresh(NPAGES);

	if (!p)
		return 1;
	touch_pages(p, NPAGES, true);
	return 0;
}

/* Value of EVENT in perf stat's CSV output ("count,unit,event,..."), or -1. */
static long perf_value(const char *csv, const char *event)
{
	char line[512], name[128];
	const char *p = csv, *nl;
	long val;

	while (*p) {
		nl = strchr(p, '\n');
		snprintf(line, sizeof(line), "%.*s",
			 (int)(nl ? nl - p : (long)strlen(p)), p);
		if (sscanf(line, "%ld,%*[^,],%127[^,],", &val, name) == 2 ||
		    sscanf(line, "%ld,,%127[^,],", &val, name) == 2)
			if (!strcmp(name, event))
				return val;
		if (!nl)
			break;
		p = nl + 1;
	}
	return -1;
}

TEST_F(spf, perf_counts_tracepoints)
{
	char out[] = "/tmp/spf-perf-XXXXXX";
	char csv[4096], exe[4096];
	long retries;
	ssize_t n;
	long tp_fault, tp_stock, tp_spec, tp_aborts, pf, minflt, v;
	char event[64];
	unsigned int i;
	int fd, status;
	pid_t pid;

	if (system("perf --version >/dev/null 2>&1"))
		SKIP(return, "perf is not installed in this guest");
	/* perf would resolve /proc/self/exe to itself: name our binary. */
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	ASSERT_LT(0, n);
	exe[n] = '\0';
	fd = mkstemp(out);
	ASSERT_LE(0, fd);
	close(fd);

	retries = spf_stat("retry");
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		execlp("perf", "perf", "stat", "-x", ",", "-o", out,
		       "-e", "spf:*", "-e", "page-faults", "-e", "minor-faults",
		       exe, "--toucher", NULL);
		_exit(127);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(0, WEXITSTATUS(status));
	retries = spf_stat("retry") - retries;
	ASSERT_EQ(0, spf_read_file(out, csv, sizeof(csv)));
	unlink(out);

	tp_fault = perf_value(csv, "spf:spf_fault");
	tp_stock = perf_value(csv, "spf:spf_stock");
	tp_spec = perf_value(csv, "spf:spf_spec") +
		  perf_value(csv, "spf:spf_spec_wp") +
		  perf_value(csv, "spf:spf_spec_file") +
		  perf_value(csv, "spf:spf_spec_thp") +
		  perf_value(csv, "spf:spf_spec_swap") +
		  perf_value(csv, "spf:spf_spec_file_write");
	pf = perf_value(csv, "page-faults");
	minflt = perf_value(csv, "minor-faults");
	tp_aborts = 0;
	for (i = 0; i < ARRAY_SIZE(abort_names); i++) {
		snprintf(event, sizeof(event), "spf:spf_abort_%s",
			 abort_names[i]);
		v = perf_value(csv, event);
		ASSERT_LE(0, v) TH_LOG("perf stat did not show %s", event);
		tp_aborts += v;
	}
	TH_LOG("spf:spf_fault=%ld spf:spf_stock=%ld spf:spf_spec=%ld aborts=%ld page-faults=%ld minor-faults=%ld retries=%ld",
	       tp_fault, tp_stock, tp_spec, tp_aborts, pf, minflt, retries);
	/*
	 * perf's page-faults counts each arch fault once; the fault passes
	 * the hooks once more for each time the stock path asked the arch
	 * to retry (file faults on the 9p share wait for I/O that way).
	 */
	EXPECT_LE(NPAGES, pf);
	EXPECT_EQ(pf + retries, tp_fault);
	EXPECT_EQ(tp_fault, tp_spec + tp_aborts);
	/* The toucher's memory is all valid: every abort went stock. */
	EXPECT_EQ(tp_aborts, tp_stock);
	EXPECT_LT(0, tp_spec);
	/*
	 * Each speculative fault raised both software events, which spf
	 * skips when perf_swevent_enabled[] says none is open
	 * (wrapper/perf_event.c): a wrong key would lose them.
	 */
	EXPECT_LE(tp_spec, minflt);
	EXPECT_LE(minflt, pf);
}

/*
 * A stock fault with spf:spf_stock traced is redirected at
 * handle_mm_fault() to trace its result; the replacement then calls the
 * original, and spf knows that call as its own by its return address.
 * A kretprobe on handle_mm_fault() rewrites that address: the call must
 * run stock, not be redirected again (which recursed, once per
 * kretprobe instance, multiplying every stock fault's counts).  Faults
 * in an mlocked range go stock: each must count as one.
 */
#define KPROBE_EVENTS	"/sys/kernel/tracing/kprobe_events"
#define SPF_RET_EVENT	"/sys/kernel/tracing/events/kprobes/spf_hmf_ret/enable"
#define STOCK_EVENT	"/sys/kernel/tracing/events/spf/spf_stock/enable"

TEST_F(spf, stock_counts_once_under_a_kretprobe)
{
	struct snap a, b;
	char *p;
	int i;

	if (_metadata->skip)
		return;
	if (spf_write_file(KPROBE_EVENTS, "r:spf_hmf_ret handle_mm_fault"))
		SKIP(return, "no kretprobe on handle_mm_fault");
	ASSERT_EQ(0, spf_write_file(SPF_RET_EVENT, "1"));
	ASSERT_EQ(0, spf_write_file(STOCK_EVENT, "1"));
	p = map_fresh(NPAGES);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, mlock2(p, NPAGES * page_size(), MLOCK_ONFAULT));
	snap(&a);
	for (i = 0; i < NPAGES; i++)
		WRITE_ONCE(p[i * page_size()], 1);
	snap(&b);
	spf_write_file(STOCK_EVENT, "0");
	spf_write_file(SPF_RET_EVENT, "0");
	spf_write_file(KPROBE_EVENTS, "-:spf_hmf_ret");
	munmap(p, NPAGES * page_size());
	TH_LOG("%d faults: stock %ld, handle_hook %ld, own faults %ld",
	       NPAGES, b.stock - a.stock, b.handle_hook - a.handle_hook,
	       b.self - a.self);
	/* A few more from the test's own code and stack are allowed. */
	EXPECT_LE(NPAGES, b.stock - a.stock);
	EXPECT_GE(NPAGES + NPAGES / 8, b.stock - a.stock);
	EXPECT_GE(NPAGES + NPAGES / 8, b.handle_hook - a.handle_hook);
}

/*
 * The freeing hooks are taken whoever calls, and spf's RCU callback
 * calls the original vm_area_free(), which meets the hook again; it is
 * let through as spf's own by its return address, or, where a
 * kretprobe rewrote that, because spf named the VMA on its CPU
 * (include/spf/pgtable_rcu.h).  Without that, each VMA freed under
 * such a tracer was deferred again every grace period for as long as
 * the tracer stayed: vma_deferred kept climbing with nothing unmapped.
 */
#define SPF_VAF_EVENT	"/sys/kernel/tracing/events/kprobes/spf_vaf_ret/enable"

TEST_F(spf, vmas_freed_once_under_a_kretprobe)
{
	long d0, d1, d2, f1, f2;
	char *p[NPAGES];
	int i;

	if (_metadata->skip)
		return;
	if (spf_write_file(KPROBE_EVENTS, "r:spf_vaf_ret vm_area_free"))
		SKIP(return, "no kretprobe on vm_area_free");
	ASSERT_EQ(0, spf_write_file(SPF_VAF_EVENT, "1"));
	d0 = spf_stat("vma_deferred");
	/* Two pages with a hole between: each unmap frees a VMA. */
	for (i = 0; i < NPAGES; i++) {
		p[i] = mmap(NULL, page_size(), PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		ASSERT_NE(MAP_FAILED, p[i]);
	}
	for (i = 0; i < NPAGES; i++)
		munmap(p[i], page_size());
	/* A few grace periods for the callbacks to run. */
	usleep(500000);
	d1 = spf_stat("vma_deferred");
	f1 = spf_stat("vma_freed");
	sleep(2);
	d2 = spf_stat("vma_deferred");
	f2 = spf_stat("vma_freed");
	spf_write_file(SPF_VAF_EVENT, "0");
	spf_write_file(KPROBE_EVENTS, "-:spf_vaf_ret");
	TH_LOG("%d VMAs unmapped: deferred %ld, then in 2 s with nothing unmapped deferred %ld, freed %ld",
	       NPAGES, d1 - d0, d2 - d1, f2 - f1);
	EXPECT_LE(NPAGES, d1 - d0);
	/* The guest's own background work frees a few, no more. */
	EXPECT_GT(NPAGES / 4, d2 - d1);
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "--toucher"))
		return toucher();
	spf_test_filter(__fixture_list);
	spf_test_scale_timeouts(__fixture_list);
	return test_harness_run(argc, argv);
}
