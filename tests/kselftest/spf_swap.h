/* SPDX-License-Identifier: GPL-2.0 */
/* zram swap for the kselftests that need pages swapped out (spf_swap_test, spf_writer_race_test). */
#ifndef SPF_SWAP_H
#define SPF_SWAP_H
#define SWAP_DEV "/dev/zram0"
#define SWAP_MIB 128
#define OPT_MODS "/lib/modules/spf-vm/opt"

static char swap_why[256];

static bool swap_active(void)
{
	char buf[4096] = "";

	if (spf_read_file("/proc/swaps", buf, sizeof(buf)))
		return false;
	return strchr(buf, '\n') && strchr(buf, '\n')[1] != '\0';
}

/* Load the packed zram modules, dependencies first; EEXIST is fine. */
static int load_opt_modules(void)
{
	char name[128], path[256];
	FILE *f = fopen(OPT_MODS "/order", "re");
	int fd, n = 0;

	if (!f)
		return -1;
	while (fscanf(f, "%127s", name) == 1) {
		snprintf(path, sizeof(path), OPT_MODS "/%s", name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (syscall(SYS_finit_module, fd, "", 0) == 0 ||
		    errno == EEXIST)
			n++;
		close(fd);
	}
	fclose(f);
	return n;
}

/* mkswap: a version-1 header in the device's first page. */
static int write_swap_header(const char *dev, unsigned long bytes)
{
	size_t ps = page_size();
	char *page = calloc(1, ps);
	uint32_t *info = (uint32_t *)(page + 1024);
	int fd, ret = -1;

	if (!page)
		return -1;
	info[0] = 1;				/* version */
	info[1] = bytes / ps - 1;		/* last_page */
	info[2] = 0;				/* nr_badpages */
	memcpy(page + ps - 10, "SWAPSPACE2", 10);
	fd = open(dev, O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		ret = pwrite(fd, page, ps, 0) == (ssize_t)ps ? 0 : -1;
		fsync(fd);
		close(fd);
	}
	free(page);
	return ret;
}

/* Swap on: 0, or -1 with swap_why saying what is missing. */
static int swap_on(void)
{
	char size[32];
	int i;

	if (swap_active())
		return 0;
	if (access("/sys/block/zram0", F_OK) && load_opt_modules() <= 0) {
		snprintf(swap_why, sizeof(swap_why),
			 "no swap: this kernel has no zram module packed (%s)",
			 OPT_MODS);
		return -1;
	}
	for (i = 0; i < 50 && access(SWAP_DEV, F_OK); i++)
		usleep(20000);
	snprintf(size, sizeof(size), "%dM", SWAP_MIB);
	/* EBUSY: already sized by an earlier case of this run. */
	if (spf_write_file("/sys/block/zram0/disksize", size) &&
	    errno != EBUSY) {
		snprintf(swap_why, sizeof(swap_why),
			 "no swap: cannot size zram0 (%s)", strerror(errno));
		return -1;
	}
	if (write_swap_header(SWAP_DEV, (unsigned long)SWAP_MIB << 20) ||
	    swapon(SWAP_DEV, 0)) {
		snprintf(swap_why, sizeof(swap_why),
			 "no swap: mkswap or swapon %s failed (%s)", SWAP_DEV,
			 strerror(errno));
		return -1;
	}
	return 0;
}
#endif
