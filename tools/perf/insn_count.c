// SPDX-License-Identifier: GPL-2.0
/*
 * A TCG plugin for qemu 7.2 that counts the guest instructions executed
 * per translation block start address, and writes the counts on the
 * guest's request: a deterministic profile where the guest's clocks are
 * not (see tools/perf/insn-profile).
 *
 * Loaded with -plugin insn_count.so,dir=DIR.  While the guest runs, a
 * thread polls DIR every 50 ms for files named "req-NAME"; for each, it
 * writes "snap-NAME" (one line per block: start address, instructions
 * executed so far) and removes the request, which the guest waits for.
 * A phase's cost is the difference of two snapshots.
 *
 * The counters are plain inline adds emitted into each block, which is
 * exact with single-threaded TCG (tools/vm/run's default) and close
 * enough otherwise.  Blocks are keyed by virtual address, so user
 * space's blocks from different processes share counters; the report
 * looks only at kernel addresses.
 *
 * The plugin API of qemu 7.2 (version 1) is declared here from its
 * documentation, for want of a Debian package shipping qemu-plugin.h.
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef uint64_t plugin_id;
struct qemu_plugin_tb;

struct plugin_info {
	const char *target_name;
	struct {
		int min;
		int cur;
	} version;
	_Bool system_emulation;
	union {
		struct {
			int smp_vcpus;
			int max_vcpus;
		} system;
	};
};

typedef void (*tb_trans_cb)(plugin_id id, struct qemu_plugin_tb *tb);
typedef void (*udata_cb)(plugin_id id, void *userdata);

void qemu_plugin_register_vcpu_tb_trans_cb(plugin_id id, tb_trans_cb cb);
void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *tb,
					      int op, void *ptr, uint64_t imm);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *tb);
void qemu_plugin_register_atexit_cb(plugin_id id, udata_cb cb, void *data);

#define EXPORT __attribute__((visibility("default")))
#define INLINE_ADD_U64 0

EXPORT int qemu_plugin_version = 1;

#define SLOTS_SHIFT 21
#define SLOTS (1UL << SLOTS_SHIFT)

struct block {
	uint64_t vaddr;		/* 0: free slot */
	uint64_t insns;
};

static struct block *blocks;
static pthread_mutex_t blocks_lock = PTHREAD_MUTEX_INITIALIZER;
static const char *dir = ".";
static unsigned long used;

static struct block *block_of(uint64_t vaddr)
{
	uint64_t h = (vaddr * 0x9e3779b97f4a7c15ULL) >> (64 - SLOTS_SHIFT);

	for (;;) {
		struct block *b = &blocks[h];

		if (b->vaddr == vaddr)
			return b;
		if (!b->vaddr) {
			if (used > SLOTS / 2)
				return NULL;
			used++;
			b->vaddr = vaddr;
			return b;
		}
		h = (h + 1) & (SLOTS - 1);
	}
}

static void on_translate(plugin_id id, struct qemu_plugin_tb *tb)
{
	uint64_t vaddr = qemu_plugin_tb_vaddr(tb);
	struct block *b;

	(void)id;
	if (!vaddr)
		vaddr = 1;
	pthread_mutex_lock(&blocks_lock);
	b = block_of(vaddr);
	pthread_mutex_unlock(&blocks_lock);
	if (b)
		qemu_plugin_register_vcpu_tb_exec_inline(tb, INLINE_ADD_U64,
							 &b->insns,
							 qemu_plugin_tb_n_insns(tb));
}

static void snapshot(const char *name)
{
	char path[4096], tmp[4096 + 8];
	unsigned long i;
	FILE *f;

	snprintf(path, sizeof(path), "%s/snap-%s", dir, name);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f)
		return;
	for (i = 0; i < SLOTS; i++) {
		uint64_t n = __atomic_load_n(&blocks[i].insns, __ATOMIC_RELAXED);

		if (blocks[i].vaddr && n)
			fprintf(f, "%llx %llu\n",
				(unsigned long long)blocks[i].vaddr,
				(unsigned long long)n);
	}
	fclose(f);
	rename(tmp, path);
}

static void *poll_requests(void *arg)
{
	(void)arg;
	for (;;) {
		struct dirent *e;
		DIR *d = opendir(dir);

		while (d && (e = readdir(d))) {
			char path[4096];

			if (strncmp(e->d_name, "req-", 4))
				continue;
			snapshot(e->d_name + 4);
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			unlink(path);
		}
		if (d)
			closedir(d);
		usleep(50000);
	}
	return NULL;
}

static void at_exit(plugin_id id, void *data)
{
	(void)id;
	(void)data;
	snapshot("exit");
}

EXPORT int qemu_plugin_install(plugin_id id, const struct plugin_info *info,
			       int argc, char **argv);
EXPORT int qemu_plugin_install(plugin_id id, const struct plugin_info *info,
			       int argc, char **argv)
{
	pthread_t t;
	int i;

	(void)info;
	for (i = 0; i < argc; i++)
		if (!strncmp(argv[i], "dir=", 4))
			dir = argv[i] + 4;
	blocks = calloc(SLOTS, sizeof(*blocks));
	if (!blocks)
		return -ENOMEM;
	if (pthread_create(&t, NULL, poll_requests, NULL))
		return -1;
	pthread_detach(t);
	qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
	qemu_plugin_register_atexit_cb(id, at_exit, NULL);
	return 0;
}
