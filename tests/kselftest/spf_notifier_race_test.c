// SPDX-License-Identifier: GPL-2.0
/*
 * Page faults against mmu notifier registration (docs/audit-writers.md,
 * row 18).  Stock wp_page_copy() calls the mm's notifiers around the
 * copy (a secondary MMU such as KVM's must drop its translation of the
 * old page); spf's write-protect copy, and its replacement of the zero
 * page, call none, so they must go stock once the mm has a notifier.
 * Registering one takes mmap_lock for write, which moves the count.
 *
 * The one registrant the guest reaches from userspace is KVM:
 * KVM_CREATE_VM registers a notifier on the caller's mm.  tools/vm/run
 * packs kvm and kvm_amd on x86-64 (qemu's TCG offers SVM); elsewhere,
 * and on PREEMPT_RT (whose KVM wants a constant TSC), the test skips.
 * An mm keeps its notifier bookkeeping once it has had one, so each
 * round runs in a fresh process P:
 *
 *   - P maps a region, fills its first half ("wp pages") with tags and
 *     forks a holder child H that keeps the pages shared: P's stores
 *     there are wp copies.  The second half is empty: P's faulters
 *     read a page (the zero page) and then store (wp zero page), or
 *     store at once (anonymous first touch), after MADV_DONTNEED.
 *   - Two faulter threads store and check tags, each in its own pages,
 *     while a third thread, after a random delay, creates the VM: the
 *     registration lands among the faults.
 *   - Then, the VM still there, P forks a second holder and stores
 *     into every wp page and replaces zero pages, alone: none of these
 *     faults may be speculative (the broken IGNORE_NOTIFIERS build
 *     speculates them).
 *   - Each holder checks at the end that its copy never changed, and
 *     every store in P is read back.  The holders fault only before
 *     they say they are parked, so the counters P reads are its own.
 *
 * Over the rounds, wp copies, zero-page replacements and first touches
 * must have been speculative in the race (before registration), or the
 * race proved nothing.  SPF_NOTIFIER_ROUNDS (default 16) sets the
 * number of rounds.
 */
#define _GNU_SOURCE
#include <linux/kvm.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include "kselftest_harness.h"
#include "spf_util.h"
#include "spf_fixture.h"

#define KVM_PACK	"/lib/modules/spf-vm/kvm"
#define NPAGES		128		/* half wp pages, half fresh */
#define NF		2

/* What a round reports to the test process (shared memory). */
struct round {
	long spec_wp_copy, spec_wp_zero, spec_write;	/* in the race */
	long after_spec, after_faults;	/* with the notifier, alone */
	long registered;		/* the VM was created */
	long errors;
	char msg[256];
};

static struct {
	char *r;
	size_t ps;
	int kvm;
	atomic_bool stop, registered;
	atomic_long visits_after;	/* visits once registered */
	uint64_t tag[NPAGES];
	struct round *out;
} P;


static uint64_t *word(long page)
{
	return (uint64_t *)(P.r + page * P.ps);
}

[[gnu::format(printf, 1, 2)]]
static void error(const char *fmt, ...)
{
	va_list ap;

	if (P.out->errors++)
		return;
	va_start(ap, fmt);
	vsnprintf(P.out->msg, sizeof(P.out->msg), fmt, ap);
	va_end(ap);
}

/* A count from the environment, or DEF. */
static long env_long(const char *name, long def)
{
	const char *v = getenv(name);

	return v && *v ? strtol(v, NULL, 10) : def;
}

/*
 * One visit: a wp page gets a new tag (a wp copy the first time after
 * the holder's fork); a fresh page is dropped, then read (zero) and
 * written, or written at once.
 */
static void visit(long page, unsigned int *rnd)
{
	uint64_t *w = word(page), v = READ_ONCE(*w);

	if (page < NPAGES / 2) {
		if (v != P.tag[page])
			error("wp page %ld read %#llx, not %#llx", page,
			      (unsigned long long)v,
			      (unsigned long long)P.tag[page]);
	} else {
		madvise(w, P.ps, MADV_DONTNEED);
		if (xrand(rnd) & 1 && READ_ONCE(*w))
			error("fresh page %ld not zero after DONTNEED", page);
	}
	P.tag[page] = ((uint64_t)xrand(rnd) << 16) | page;
	WRITE_ONCE(*w, P.tag[page]);
	if (READ_ONCE(*w) != P.tag[page])
		error("page %ld read another value back than its tag", page);
}

static void *faulter(void *arg)
{
	long id = (long)arg, page;
	unsigned int rnd = 0x9e3779b9u * (id + 1) ^ getpid();

	while (!atomic_load(&P.stop)) {
		page = xrand(&rnd) % (NPAGES / NF) * NF + id;
		visit(page, &rnd);
		if (atomic_load(&P.registered))
			atomic_fetch_add(&P.visits_after, 1);
	}
	return NULL;
}

static void *registrar(void *arg)
{
	long delay_us = (long)arg;
	int vm;

	usleep(delay_us);
	vm = ioctl(P.kvm, KVM_CREATE_VM, 0);
	if (vm < 0) {
		error("KVM_CREATE_VM: %s", strerror(errno));
		atomic_store(&P.stop, true);
		return NULL;
	}
	P.out->registered = 1;
	atomic_store(&P.registered, true);
	return NULL;		/* the VM lives as long as P */
}

/*
 * A child that keeps the wp pages shared; 0 if its copy never moved.
 * It says when it is parked: its own faults after the fork (its stack,
 * libc's data; its mm has no notifier) must be over before P counts.
 */
static pid_t hold(int *go)
{
	int fds[2], ready[2];
	pid_t pid;
	char c = 0;
	long i;

	if (pipe(fds) || pipe(ready))
		return -1;
	pid = fork();
	if (pid == 0) {
		close(fds[1]);
		close(ready[0]);
		if (write(ready[1], &c, 1) != 1 || read(fds[0], &c, 1) < 0)
			_exit(2);
		for (i = 0; i < NPAGES / 2; i++)
			if (*word(i) != P.tag[i])
				_exit(1);
		_exit(0);
	}
	close(fds[0]);
	close(ready[1]);
	if (pid > 0 && read(ready[0], &c, 1) != 1)
		error("the holder died before it was parked");
	close(ready[0]);
	*go = fds[1];
	return pid;
}

static int release(pid_t pid, int go)
{
	int status;

	close(go);
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static long ctr(const struct spf_counts *d, int c)
{
	return d->c[c];
}

/* One round, in a fresh process: the test's own mm stays notifier-free. */
static void round_child(struct round *out, unsigned int seed)
{
	struct spf_counts a, b, d;
	pthread_t f[NF], reg;
	unsigned int rnd = seed;
	int go, go2, rc;
	pid_t h, h2;
	long i;

	P.out = out;
	P.ps = page_size();
	P.r = mmap(NULL, NPAGES * P.ps, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (P.r == MAP_FAILED || no_thp(P.r, NPAGES * P.ps)) {
		error("mmap: %s", strerror(errno));
		return;
	}
	for (i = 0; i < NPAGES / 2; i++) {
		P.tag[i] = ((uint64_t)xrand(&rnd) << 16) | i;
		*word(i) = P.tag[i];
	}
	h = hold(&go);

	spf_counts_read(&a);
	spf_counts_read(&a);
	for (i = 0; i < NF; i++)
		pthread_create(&f[i], NULL, faulter, (void *)i);
	pthread_create(&reg, NULL, registrar,
		       (void *)(long)(xrand(&rnd) % 20000));
	pthread_join(reg, NULL);
	/* Faults on with the notifier there, then stop. */
	while (!atomic_load(&P.stop) && atomic_load(&P.visits_after) < 200)
		usleep(1000);
	atomic_store(&P.stop, true);
	for (i = 0; i < NF; i++)
		pthread_join(f[i], NULL);
	spf_counts_read(&b);
	spf_counts_sub(&b, &a, &d);
	out->spec_wp_copy = ctr(&d, SPF_C_SPEC_WP_COPY);
	out->spec_wp_zero = ctr(&d, SPF_C_SPEC_WP_ZERO);
	out->spec_write = ctr(&d, SPF_C_SPEC_WRITE);
	rc = release(h, go);
	if (rc)
		error("the holder's copy changed (status %d)", rc);
	if (!out->registered)
		return;

	/* Alone, with the notifier: wp copies and zero pages go stock. */
	h2 = hold(&go2);
	for (i = NPAGES / 2; i < NPAGES; i++) {
		madvise(word(i), P.ps, MADV_DONTNEED);
		keep(READ_ONCE(*word(i)));
	}
	spf_counts_read(&a);
	spf_counts_read(&a);
	for (i = 0; i < NPAGES; i++) {
		P.tag[i] = ((uint64_t)xrand(&rnd) << 16) | i;
		WRITE_ONCE(*word(i), P.tag[i]);
	}
	spf_counts_read(&b);
	spf_counts_sub(&b, &a, &d);
	out->after_spec = ctr(&d, SPF_C_SPEC_WP_COPY) +
			  ctr(&d, SPF_C_SPEC_WP_ZERO);
	out->after_faults = ctr(&d, SPF_C_FAULT_HOOK);
	for (i = 0; i < NPAGES; i++)
		if (READ_ONCE(*word(i)) != P.tag[i])
			error("page %ld lost its store", i);
	rc = release(h2, go2);
	if (rc)
		error("the second holder's copy changed (status %d)", rc);
}

FIXTURE(notifier) {
	int kvm;
};

FIXTURE_SETUP(notifier)
{
	self->kvm = -1;
	spf_fixture_load(_metadata);
	if (_metadata->skip || !spf_has_spec())
		return;
	if (access(KVM_PACK "/order", R_OK))
		SKIP(return, "no kvm: tools/vm/run packs it on x86-64 only (%s)",
		     KVM_PACK);
	/* PREEMPT_RT's KVM wants a constant TSC, which TCG does not offer. */
	if (spf_load_pack(KVM_PACK))
		SKIP(return, "kvm does not load on this kernel (%s; see dmesg)",
		     strerror(errno));
	self->kvm = spf_open_dev("/dev/kvm", O_RDWR);
	if (self->kvm < 0)
		SKIP(return, "no /dev/kvm (%s): no SVM in this guest",
		     strerror(errno));
}

FIXTURE_TEARDOWN(notifier)
{
	if (self->kvm >= 0)
		close(self->kvm);
	spf_fixture_unload(_metadata);
}

TEST_F_TIMEOUT(notifier, registration_races_wp_faults, 600)
{
	long rounds = env_long("SPF_NOTIFIER_ROUNDS", 16), n, bad = 0;
	long copy = 0, zero = 0, first = 0, after = 0, after_faults = 0;
	struct round *out;
	int status;
	pid_t pid;

	if (!spec_ready(_metadata) || self->kvm < 0)
		return;
	out = mmap(NULL, rounds * sizeof(*out), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, out);
	for (n = 0; n < rounds; n++) {
		P.kvm = self->kvm;
		pid = fork();
		ASSERT_LE(0, pid);
		if (pid == 0) {
			round_child(&out[n], 0x2545f491u * (n + 1));
			_exit(0);
		}
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
			TH_LOG("round %ld: status %#x", n, status);
		EXPECT_EQ(1, out[n].registered)
			TH_LOG("round %ld: %s", n, out[n].msg);
		EXPECT_EQ(0, out[n].errors)
			TH_LOG("round %ld: %ld errors, first: %s", n,
			       out[n].errors, out[n].msg);
		bad += out[n].after_spec != 0;
		copy += out[n].spec_wp_copy;
		zero += out[n].spec_wp_zero;
		first += out[n].spec_write;
		after += out[n].after_spec;
		after_faults += out[n].after_faults;
	}
	TH_LOG("%ld rounds: speculative in the race: %ld wp copies, %ld zero-page replacements, %ld first touches; with the notifier: %ld of %ld faults speculative wp",
	       rounds, copy, zero, first, after, after_faults);
	/* With a notifier, stock calls it around the copy: spf must not. */
	EXPECT_EQ(0, bad);
	EXPECT_LT(rounds * NPAGES / 2, after_faults);
	/* The race met every kind it claims. */
	EXPECT_LT(0, copy);
	EXPECT_LT(0, zero);
	EXPECT_LT(0, first);
	munmap(out, rounds * sizeof(*out));
}

TEST_HARNESS_MAIN
