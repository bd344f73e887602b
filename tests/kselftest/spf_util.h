/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by spf's kselftests: load and unload the module by the
 * path the VM runner exports in SPF_KO, read its debugfs counters, cause
 * an exact number of page faults, and watch the kernel log.
 */
#ifndef _SPF_TEST_UTIL_H
#define _SPF_TEST_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#define SPF_DEBUGFS "/sys/kernel/debug/spf"
#define SPF_PARAMS "/sys/module/spf/parameters"

static inline const char *spf_ko(void)
{
	return getenv("SPF_KO");
}

/* 0, or -errno of finit_module(2). */
static inline int spf_load(const char *params)
{
	int fd, ret;

	fd = open(spf_ko(), O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, params ? params : "", 0);
	if (ret)
		ret = -errno;
	close(fd);
	return ret;
}

static inline int spf_unload(void)
{
	return syscall(SYS_delete_module, "spf", O_NONBLOCK) ? -errno : 0;
}

static inline bool spf_loaded(void)
{
	return access("/sys/module/spf", F_OK) == 0;
}

static inline int spf_read_file(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

static inline int spf_write_file(const char *path, const char *val)
{
	ssize_t n;
	int fd;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	close(fd);
	return n < 0 ? -errno : 0;
}

/* One counter from /sys/kernel/debug/spf/NAME, or -1. */
static inline long spf_stat(const char *name)
{
	char path[128], buf[64];

	snprintf(path, sizeof(path), SPF_DEBUGFS "/%s", name);
	if (spf_read_file(path, buf, sizeof(buf)))
		return -1;
	return strtol(buf, NULL, 10);
}

/* Faults this process has taken (all threads), as the kernel counts them. */
static inline long self_faults(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt + ru.ru_majflt;
}

static inline size_t page_size(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

/*
 * Map NPAGES of fresh anonymous memory with THP off, so that each first
 * touch is exactly one page fault.
 */
static inline char *map_fresh(size_t npages)
{
	size_t len = npages * page_size();
	char *p;

	p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	madvise(p, len, MADV_NOHUGEPAGE);
	return p;
}

/*
 * Makes the compiler believe V is used and memory may have changed, so
 * no access around it is merged, reordered or elided.
 */
static inline void keep(unsigned long v)
{
	__asm__ __volatile__("" : : "r"(v) : "memory");
}

/* Touch every page once, each access a real load or store. */
static inline void touch_pages(char *p, size_t npages, bool write)
{
	size_t i;

	for (i = 0; i < npages; i++) {
		if (write)
			p[i * page_size()] = (char)(i + 1);
		keep(p[i * page_size()]);
	}
}

/*
 * Kernel log watcher: kmsg_mark() opens /dev/kmsg positioned after the
 * newest record; kmsg_seen() then reports whether a record written
 * since contains NEEDLE.  The log itself is never cleared: the VM
 * runner scans all of it for splats afterwards.
 */
static inline int kmsg_mark(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	return fd;
}

static inline bool kmsg_seen(int fd, const char *needle)
{
	char rec[2048];
	bool found = false;
	ssize_t n;

	for (;;) {
		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;	/* overwritten records: keep going */
		if (n <= 0)
			break;
		rec[n] = '\0';
		if (strstr(rec, needle))
			found = true;
	}
	close(fd);
	return found;
}

/* Is SYMBOL probed, per /sys/kernel/debug/kprobes/list? */
static inline bool kprobe_listed(const char *symbol)
{
	char line[512];
	bool found = false;
	FILE *f;

	f = fopen("/sys/kernel/debug/kprobes/list", "re");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		char *s = strstr(line, symbol);

		if (s && s[strlen(symbol)] == '+')
			found = true;
	}
	fclose(f);
	return found;
}

#endif
