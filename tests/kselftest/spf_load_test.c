// SPDX-License-Identifier: GPL-2.0
/*
 * Loading and unloading spf: the hooks appear and disappear, bad input
 * is refused with a message naming it and leaves nothing behind, and
 * unloading while threads fault is safe (20 cycles under load;
 * SPF_RELOAD_CYCLES=N asks for N, make soak runs 50), and unloading while
 * a fault sleeps in stock code ends or is refused at once.
 */
#define _GNU_SOURCE
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include "kselftest_harness.h"
#include "spf_util.h"

/* arm64 takes do_page_fault() over where ftrace can (spf/hooks/arch_arm64.c). */
#ifdef __aarch64__
#define HOOKED_A "do_page_fault"
#else
#define HOOKED_A "lock_mm_and_find_vma"
#endif
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
	int kmsg;

	require_module(_metadata);
	ASSERT_FALSE(hook_armed(HOOKED_A));

	kmsg = kmsg_mark();
	ASSERT_LE(0, kmsg);
	ASSERT_EQ(0, spf_load(NULL));
	/* Debian's kernels: found in kallsyms, or read from the code. */
	EXPECT_FALSE(kmsg_seen(kmsg, "always call perf_sw_event"));
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

/*
 * A refused load: the errno (ERR, or ALT if not 0), the log line naming
 * the culprit, no trace.
 */
static void expect_refused_alt(struct __test_metadata *_metadata,
			       const char *params, int err, int alt,
			       const char *msg)
{
	int kmsg = kmsg_mark(), ret;

	ASSERT_LE(0, kmsg);
	ret = spf_load(params);
	if (alt && ret == -alt)
		ret = -err;
	EXPECT_EQ(-err, ret);
	EXPECT_TRUE(kmsg_seen(kmsg, msg)) {
		TH_LOG("no kernel message containing \"%s\"", msg);
	}
	EXPECT_FALSE(spf_loaded());
	EXPECT_FALSE(hook_armed(HOOKED_A));
	EXPECT_FALSE(hook_armed(HOOKED_B));
}

static void expect_refused(struct __test_metadata *_metadata,
			   const char *params, int err, const char *msg)
{
	expect_refused_alt(_metadata, params, err, 0, msg);
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

/*
 * A kernel other than 6.1 (as after a forced load that strips the
 * version magic): the release check sees the string it is given.
 */
TEST(other_release_refused)
{
	require_module(_metadata);
	expect_refused(_metadata, "debug_kernel_release=6.2.0", ENOEXEC,
		       "kernel 6.2.0 is not supported: spf runs on Linux 6.1 only");
	expect_refused(_metadata, "debug_kernel_release=6.12.57+deb13-amd64",
		       ENOEXEC, "kernel 6.12.57+deb13-amd64 is not supported");
	/* The real release passes, whatever its suffix. */
	ASSERT_EQ(0, spf_load("debug_kernel_release=6.1.0-99-cloud-arm64"));
	ASSERT_EQ(0, spf_unload());
}

#define KPROBES_ENABLED "/sys/kernel/debug/kprobes/enabled"
#define FTRACE_SYSCTL "/proc/sys/kernel/ftrace_enabled"

/* Kprobes disarmed globally: a kprobe hook would register but never run. */
TEST(kprobes_disarmed_refused)
{
	require_module(_metadata);
	ASSERT_EQ(0, spf_write_file(KPROBES_ENABLED, "0"));
	expect_refused(_metadata, NULL, EOPNOTSUPP,
		       "kprobes are globally disarmed");
	ASSERT_EQ(0, spf_write_file(KPROBES_ENABLED, "1"));
	ASSERT_EQ(0, spf_load(NULL));
	ASSERT_EQ(0, spf_unload());
}

/* Function tracing off: the ftrace hooks would register but never run. */
TEST(ftrace_disabled_refused)
{
	char val[16];

	require_module(_metadata);
	ASSERT_EQ(0, spf_write_file(FTRACE_SYSCTL, "0"));
	/*
	 * Where kallsyms has no data symbols (arm64) the sysctl is not
	 * read: registering the first permanent hook fails instead.
	 */
	expect_refused_alt(_metadata, NULL, EOPNOTSUPP, EBUSY,
			   "function tracing is off (sysctl kernel.ftrace_enabled=0)");
	ASSERT_EQ(0, spf_write_file(FTRACE_SYSCTL, "1"));

	/* Loaded, spf holds function tracing on. */
	ASSERT_EQ(0, spf_load(NULL));
	EXPECT_EQ(-EBUSY, spf_write_file(FTRACE_SYSCTL, "0"));
	ASSERT_EQ(0, spf_read_file(FTRACE_SYSCTL, val, sizeof(val)));
	EXPECT_STREQ("1\n", val);
	ASSERT_EQ(0, spf_unload());
	EXPECT_EQ(0, spf_write_file(FTRACE_SYSCTL, "0"));
	EXPECT_EQ(0, spf_write_file(FTRACE_SYSCTL, "1"));
}

/* Some always-on (freeing) hook rides on a kprobe (debugfs "arch"). */
static bool freeing_on_kprobe(void)
{
	static const char *const freeing[] = {
		"vm_area_free ", "tlb_remove_table ",
		"tlb_remove_table_sync_one ", "pv_ops.mmu.tlb_remove_table ",
		"ptlock_free ",
	};
	char line[256];
	bool found = false;
	unsigned int i;
	FILE *f = fopen(SPF_DEBUGFS "/arch", "re");

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		for (i = 0; i < ARRAY_SIZE(freeing); i++)
			if (!strncmp(line, freeing[i], strlen(freeing[i])) &&
			    strstr(line, " kprobe"))
				found = true;
	fclose(f);
	return found;
}

/*
 * Kprobes disarmed while loaded: where a freeing hook is a kprobe, page
 * tables would no longer wait for a grace period, so faults stop being
 * speculated (counted as "disabled") until kprobes are armed again;
 * elsewhere speculation goes on.
 */
TEST(kprobes_disarmed_while_loaded)
{
	long spec0, dis0, spec1, dis1;
	bool on_kprobe;
	char *p;

	require_module(_metadata);
	ASSERT_EQ(0, spf_load(NULL));
	on_kprobe = freeing_on_kprobe();
	TH_LOG("a freeing hook is a kprobe: %s", on_kprobe ? "yes" : "no");
	ASSERT_EQ(0, spf_write_file(KPROBES_ENABLED, "0"));
	/* Page 0 primed (PTE table, anon_vma): pages 1-64 are speculable. */
	p = map_primed_chunks(2);
	ASSERT_NE(NULL, p);
	spec0 = spf_stat("spec_write");
	dis0 = spf_stat("disabled");
	touch_pages(p + page_size(), 64, true);
	spec1 = spf_stat("spec_write");
	dis1 = spf_stat("disabled");
	ASSERT_EQ(0, spf_write_file(KPROBES_ENABLED, "1"));
	if (on_kprobe) {
		EXPECT_EQ(spec0, spec1);
		EXPECT_LE(64, dis1 - dis0);
	} else {
		EXPECT_LE(60, spec1 - spec0);
	}

	/* Armed again: speculation resumes. */
	touch_pages(p + pmd_bytes() + page_size(), 64, true);
	EXPECT_LE(60, spf_stat("spec_write") - spec1);
	unmap_chunks(p, 2);
	ASSERT_EQ(0, spf_unload());
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
 * Unload while a fault sleeps in stock code: a thread parked in a
 * userfaultfd MISSING fault with no monitor (spf refuses userfaultfd
 * VMAs, so the fault goes stock and waits there until resolved).  With
 * spf:spf_stock traced, x86-64 (and arm64) redirect the stock
 * handle_mm_fault() to trace its result; arm64 redirects every fault
 * through its do_page_fault() hook.  rmmod must finish within
 * UNLOAD_LIMIT_S, never waiting for the fault; traced, it may instead be
 * refused at once as "in use", spf still working (the replacement that
 * traces the result is still to return).  Afterwards the fault is
 * resolved (UFFDIO_COPY) and the thread must read the page copied in;
 * then the module must unload.  A broken build leaves delete_module()
 * asleep in the kernel: the test then resolves the fault itself, which
 * lets the unload finish, and fails.  The limit is past the 10 s after
 * which unload names what it still waits for, so such a build shows
 * that line too.
 */
#define UNLOAD_LIMIT_S	12
#define SPF_STOCK_EVENT	"/sys/kernel/tracing/events/spf/spf_stock/enable"

struct parked {
	unsigned long *addr;
	atomic_ulong seen;
	atomic_bool done;
};

static void *parked_main(void *arg)
{
	struct parked *p = arg;

	p->seen = READ_ONCE(*p->addr);	/* sleeps in the userfaultfd fault */
	p->done = true;
	return NULL;
}


/* A child's one-letter state from /proc/PID/stat, or '?'. */
static char proc_state(pid_t pid)
{
	char path[64], buf[512], *s;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (spf_read_file(path, buf, sizeof(buf)))
		return '?';
	s = strrchr(buf, ')');
	return s && s[1] == ' ' ? s[2] : '?';
}

/* waitpid() for up to LIMIT seconds: the exit status, or -1. */
static int wait_child(pid_t pid, double limit)
{
	double t0 = now_s();
	int status;

	while (now_s() - t0 < limit) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 255;
		usleep(10000);
	}
	return -1;
}

static void unload_with_fault_asleep(struct __test_metadata *_metadata,
				     bool traced)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	struct uffdio_copy copy = { .mode = 0 };
	struct parked p = { 0 };
	struct pollfd pfd;
	size_t ps = page_size();
	double t0, took;
	pthread_t thread;
	int uffd, rc, kmsg;
	char state = '?';
	pid_t pid;
	char *mem, *src;

	require_module(_metadata);
	kmsg = kmsg_mark();
	ASSERT_LE(0, kmsg);
	ASSERT_EQ(0, spf_load(NULL));
	if (traced)
		ASSERT_EQ(0, spf_write_file(SPF_STOCK_EVENT, "1"));

	uffd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (uffd < 0)
		SKIP(return, "userfaultfd: %s", strerror(errno));
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_API, &api));
	mem = map_fresh(1);
	src = map_fresh(1);
	ASSERT_NE(NULL, mem);
	ASSERT_NE(NULL, src);
	memset(src, 0x5a, ps);
	reg.range.start = (unsigned long)mem;
	reg.range.len = ps;
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_REGISTER, &reg));

	p.addr = (unsigned long *)mem;
	ASSERT_EQ(0, start_thread(&thread, parked_main, &p));
	/* The fault is queued (and its thread about to sleep) when POLLIN. */
	pfd.fd = uffd;
	pfd.events = POLLIN;
	ASSERT_EQ(1, poll(&pfd, 1, 20000));
	usleep(200000);
	ASSERT_FALSE(p.done);

	t0 = now_s();
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(-spf_unload() & 0xff);
	rc = wait_child(pid, UNLOAD_LIMIT_S);
	took = now_s() - t0;
	if (rc < 0) {
		state = proc_state(pid);
		TH_LOG("rmmod still running after %.1f s (state %c): it waits for the sleeping fault",
		       took, state);
	}

	/* Resolve the fault: the thread reads the page copied in. */
	copy.dst = (unsigned long)mem;
	copy.src = (unsigned long)src;
	copy.len = ps;
	EXPECT_EQ(0, ioctl(uffd, UFFDIO_COPY, &copy));
	if (rc < 0) {
		rc = wait_child(pid, 120);
		TH_LOG("rmmod ended %.1f s after the fault was resolved (status %d)",
		       now_s() - t0 - took, rc);
		EXPECT_NE('D', state);
		EXPECT_TRUE(false) {
			TH_LOG("rmmod did not finish within %d s",
			       UNLOAD_LIMIT_S);
		}
	} else {
		TH_LOG("rmmod %s in %.2f s", rc ? strerror(rc) : "finished",
		       took);
		/* Untraced, nothing of spf's is left on the fault's stack. */
		EXPECT_TRUE(rc == 0 ||
			    (traced && (rc == EAGAIN || rc == EBUSY))) {
			TH_LOG("delete_module: %s", strerror(rc));
		}
		/* Refused: spf keeps working. */
		if (rc)
			EXPECT_TRUE(spf_loaded() && hook_armed(HOOKED_A));
	}
	t0 = now_s();
	while (!p.done && now_s() - t0 < 60)
		usleep(10000);
	ASSERT_TRUE(p.done);
	pthread_join(thread, NULL);
	EXPECT_EQ(0x5a5a5a5a5a5a5a5aUL, (unsigned long)p.seen);
	EXPECT_EQ(0, memcmp(mem, src, ps));
	close(uffd);

	if (spf_loaded()) {
		if (traced)
			spf_write_file(SPF_STOCK_EVENT, "0");
		EXPECT_EQ(0, spf_unload());
	}
	EXPECT_FALSE(spf_loaded());
	EXPECT_FALSE(kmsg_seen(kmsg, "still in flight"));
	close(kmsg);
}

FIXTURE(stock_asleep) {
};

FIXTURE_SETUP(stock_asleep)
{
}

FIXTURE_TEARDOWN(stock_asleep)
{
}

TEST_F_TIMEOUT(stock_asleep, unload, 300)
{
	unload_with_fault_asleep(_metadata, false);
}

TEST_F_TIMEOUT(stock_asleep, unload_traced, 300)
{
	unload_with_fault_asleep(_metadata, true);
}

/*
 * The narrow case of the above: the fault took its in-flight reference
 * before rmmod began and reaches the pin only after delete_module()
 * found the module unused, so the pin fails.  inject_pin_delay_ms holds
 * the faulting thread there while rmmod starts.  The fault must be
 * abandoned, not carried into the stock userfaultfd wait: rmmod then
 * finishes within UNLOAD_LIMIT_S while the thread sleeps in the stock
 * kernel's fault, and reads the page once it is copied in.
 */
struct windowed {
	struct parked p;
	atomic_int tid;
	atomic_bool go;
};

static void *windowed_main(void *arg)
{
	struct windowed *w = arg;

	w->tid = gettid();
	while (!w->go)
		usleep(1000);
	return parked_main(&w->p);
}

TEST_F_TIMEOUT(stock_asleep, unload_in_the_pin_window, 300)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	struct uffdio_copy copy = { .mode = 0 };
	struct windowed w = { 0 };
	size_t ps = page_size();
	char tid[32], state = '?';
	double t0, took;
	pthread_t thread;
	int uffd, rc, kmsg, go[2];
	pid_t pid;
	char *mem, *src, c = 0;

	require_module(_metadata);
	kmsg = kmsg_mark();
	ASSERT_LE(0, kmsg);
	ASSERT_EQ(0, spf_load(NULL));
	/*
	 * rmmod's process is forked now: a fork in the window would wait
	 * for the mmap_lock the delayed fault holds.
	 */
	ASSERT_EQ(0, pipe(go));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close(go[1]);
		if (read(go[0], &c, 1) != 1)
			_exit(255);
		_exit(-spf_unload() & 0xff);
	}
	close(go[0]);
	/* The traced stock fault is the path that pins on both arches. */
	ASSERT_EQ(0, spf_write_file(SPF_STOCK_EVENT, "1"));

	uffd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (uffd < 0)
		SKIP(return, "userfaultfd: %s", strerror(errno));
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_API, &api));
	mem = map_fresh(1);
	src = map_fresh(1);
	ASSERT_NE(NULL, mem);
	ASSERT_NE(NULL, src);
	memset(src, 0x5a, ps);
	reg.range.start = (unsigned long)mem;
	reg.range.len = ps;
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_REGISTER, &reg));

	w.p.addr = (unsigned long *)mem;
	ASSERT_EQ(0, start_thread(&thread, windowed_main, &w));
	while (!w.tid)
		usleep(1000);
	snprintf(tid, sizeof(tid), "%d", w.tid);
	ASSERT_EQ(0, spf_write_file(SPF_DEBUGFS "/inject_pin_delay_tid", tid));
	ASSERT_EQ(0, spf_write_file(SPF_DEBUGFS "/inject_pin_delay_ms", "3000"));
	w.go = true;
	/* The thread is asleep before its pin well within this. */
	usleep(500000);
	ASSERT_FALSE(w.p.done);

	t0 = now_s();
	ASSERT_EQ(1, write(go[1], &c, 1));
	close(go[1]);
	rc = wait_child(pid, UNLOAD_LIMIT_S);
	took = now_s() - t0;
	if (rc < 0) {
		state = proc_state(pid);
		TH_LOG("rmmod still running after %.1f s (state %c): it waits for the fault past its failed pin",
		       took, state);
	}

	copy.dst = (unsigned long)mem;
	copy.src = (unsigned long)src;
	copy.len = ps;
	/* Abandoned, the fault is taken again by the stock kernel and queued. */
	t0 = now_s();
	while (ioctl(uffd, UFFDIO_COPY, &copy) && errno == EAGAIN &&
	       now_s() - t0 < 10)
		usleep(10000);
	if (rc < 0) {
		rc = wait_child(pid, 120);
		TH_LOG("rmmod ended after the fault was resolved (status %d)",
		       rc);
		EXPECT_TRUE(false) {
			TH_LOG("rmmod did not finish within %d s",
			       UNLOAD_LIMIT_S);
		}
	} else {
		TH_LOG("rmmod %s in %.2f s, the fault in its pin window",
		       rc ? strerror(rc) : "finished", took);
		EXPECT_EQ(0, rc);
	}
	t0 = now_s();
	while (!w.p.done && now_s() - t0 < 60)
		usleep(10000);
	ASSERT_TRUE(w.p.done);
	pthread_join(thread, NULL);
	EXPECT_EQ(0x5a5a5a5a5a5a5a5aUL, (unsigned long)w.p.seen);
	close(uffd);

	if (spf_loaded()) {
		spf_write_file(SPF_STOCK_EVENT, "0");
		EXPECT_EQ(0, spf_unload());
	}
	EXPECT_FALSE(spf_loaded());
	close(kmsg);
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
		if (!spf_counts_consistent(&s)) {
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
