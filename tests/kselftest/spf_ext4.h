/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A scratch ext4 filesystem for tests that race a file system's own
 * writers (hole punch, O_DIRECT) rather than tmpfs's.
 *
 * The guest has no block device: tools/vm/run packs ext4, loop and
 * their dependencies in lib/modules/spf-vm/ext4, not loaded at boot,
 * with an empty 16 MiB ext4 image its host made (scratch.img.gz).
 * spf_ext4_mount() loads the modules, unpacks the image into /tmp,
 * attaches it to a loop device and mounts it at SPF_EXT4_DIR;
 * spf_ext4_umount() undoes all of it but the modules, so that no other
 * test sees the filesystem.  A kernel without ext4 (the debug kernel)
 * packs nothing: the caller skips with spf_ext4_why; a failure to set
 * up what was packed is a failure.
 */
#ifndef _SPF_TEST_EXT4_H
#define _SPF_TEST_EXT4_H

#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <linux/loop.h>
#include "spf_util.h"

#define SPF_EXT4_PACK "/lib/modules/spf-vm/ext4"
#define SPF_EXT4_IMG "/tmp/spf-ext4.img"
#define SPF_EXT4_DIR "/tmp/spf-ext4"

static char spf_ext4_why[256];

static inline bool spf_ext4_known(void)
{
	char buf[4096] = "";

	return !spf_read_file("/proc/filesystems", buf, sizeof(buf)) &&
	       strstr(buf, "\text4\n");
}

/* gzip -dc SPF_EXT4_PACK/scratch.img.gz > SPF_EXT4_IMG */
static inline int spf_ext4_unpack(void)
{
	int fd, status;
	pid_t pid;

	fd = open(SPF_EXT4_IMG, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(fd, 1);
		execlp("gzip", "gzip", "-dc", SPF_EXT4_PACK "/scratch.img.gz",
		       (char *)NULL);
		_exit(127);
	}
	close(fd);
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static inline void spf_ext4_umount(void)
{
	/* The loop device was set up with LO_FLAGS_AUTOCLEAR. */
	umount2(SPF_EXT4_DIR, 0);
	rmdir(SPF_EXT4_DIR);
	unlink(SPF_EXT4_IMG);
}

/*
 * A fresh ext4 at SPF_EXT4_DIR: 0; -1 if the kernel has no ext4, -2 if
 * setting it up failed; spf_ext4_why says which.
 */
static inline int spf_ext4_mount(void)
{
	struct loop_config lc = { .info.lo_flags = LO_FLAGS_AUTOCLEAR };
	char dev[32];
	int ctl, n, lfd, ifd;

	spf_ext4_umount();	/* a previous case's, if it died */
	/* tools/vm/run packs none without ext4 or a host mke2fs. */
	if (access(SPF_EXT4_PACK "/scratch.img.gz", R_OK) ||
	    (!spf_ext4_known() && (spf_load_pack(SPF_EXT4_PACK) || !spf_ext4_known()))) {
		snprintf(spf_ext4_why, sizeof(spf_ext4_why),
			 "no ext4: this kernel has none, or tools/vm/run packed none in %s",
			 SPF_EXT4_PACK);
		return -1;
	}
	if (spf_ext4_unpack()) {
		snprintf(spf_ext4_why, sizeof(spf_ext4_why),
			 "no ext4: cannot unpack %s/scratch.img.gz", SPF_EXT4_PACK);
		return -2;
	}
	ctl = spf_open_dev("/dev/loop-control", O_RDWR);
	n = ctl < 0 ? -1 : ioctl(ctl, LOOP_CTL_GET_FREE);
	if (ctl >= 0)
		close(ctl);
	if (n < 0) {
		snprintf(spf_ext4_why, sizeof(spf_ext4_why),
			 "no ext4: no free loop device (%s)", strerror(errno));
		return -2;
	}
	snprintf(dev, sizeof(dev), "/dev/loop%d", n);
	lfd = spf_open_dev(dev, O_RDWR);
	ifd = open(SPF_EXT4_IMG, O_RDWR | O_CLOEXEC);
	lc.fd = ifd;
	if (lfd < 0 || ifd < 0 || ioctl(lfd, LOOP_CONFIGURE, &lc)) {
		snprintf(spf_ext4_why, sizeof(spf_ext4_why),
			 "no ext4: cannot attach %s to %s (%s)", SPF_EXT4_IMG,
			 dev, strerror(errno));
		goto fail;
	}
	mkdir(SPF_EXT4_DIR, 0755);
	if (mount(dev, SPF_EXT4_DIR, "ext4", 0, NULL)) {
		snprintf(spf_ext4_why, sizeof(spf_ext4_why),
			 "no ext4: cannot mount %s (%s)", dev, strerror(errno));
		ioctl(lfd, LOOP_CLR_FD, 0);
		goto fail;
	}
	close(ifd);
	close(lfd);
	return 0;
fail:
	if (ifd >= 0)
		close(ifd);
	if (lfd >= 0)
		close(lfd);
	spf_ext4_umount();
	return -2;
}

#endif
