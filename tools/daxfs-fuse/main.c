/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * main.c -- daxfs-fuse REGION MOUNTPOINT [-o ro] [-o populate] [FUSE
 * options]: serve the ext2 file system of a libdaxfs region to every
 * program on the machine through FUSE (libfuse3's low-level interface,
 * multi-threaded loop).
 *
 * The region is mounted before the process goes to the background, so
 * that a region that cannot be mounted is said on stderr with
 * libdaxfs's message and exit status 1; libdaxfs starts no thread, and
 * the mount (its lock, its mapping) passes to the daemon.  The kernel
 * checks permissions (default_permissions); as root the mount is open to
 * every user (allow_other).  Unmount with fusermount3 -u MOUNTPOINT: the
 * region is then unmounted cleanly.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuse_ops.h"

/* What the command line said beyond FUSE's own options. */
struct dfuse_args {
	const char *region;
	int rdonly;
	int populate;     /* -o populate: DAXFS_MOUNT_POPULATE */
	int threads;      /* -o max_threads= was given */
};

enum { KEY_RO, KEY_POPULATE, KEY_THREADS };

static const struct fuse_opt dfuse_opts[] = {
	FUSE_OPT_KEY("ro", KEY_RO),
	FUSE_OPT_KEY("populate", KEY_POPULATE),
	FUSE_OPT_KEY("max_threads=", KEY_THREADS),
	FUSE_OPT_END
};

/* fuse_opt_parse's callback: the first non-option is the region (taken
 * out), "ro" also mounts the region read-only (and stays for FUSE),
 * "populate" maps the whole region in at mount (taken out). */
static int opt_proc(void *data, const char *arg, int key,
		    struct fuse_args *out)
{
	struct dfuse_args *a = data;

	(void)out;
	if (key == KEY_RO) {
		a->rdonly = 1;
		return 1;
	}
	if (key == KEY_POPULATE) {
		a->populate = 1;
		return 0;
	}
	if (key == KEY_THREADS) {
		a->threads = 1;
		return 1;
	}
	if (key == FUSE_OPT_KEY_NONOPT && !a->region) {
		a->region = arg;
		return 0;
	}
	return 1;
}

/* --help. */
static void usage(const char *prog)
{
	printf("usage: %s REGION MOUNTPOINT [-o ro] [-o populate] [FUSE "
	       "options]\n"
	       "Serve the ext2 file system of the libdaxfs region REGION (a "
	       "devdax device\nor a file) at MOUNTPOINT.  Unmount with "
	       "fusermount3 -u MOUNTPOINT.\n"
	       "    -o ro          mount the region read-only\n"
	       "    -o populate    map the whole region in at mount (no page "
	       "fault later)\n"
	       "    -o max_threads=N  at most N worker threads (default: one "
	       "per CPU, at least 2)\n\n", prog);
	fuse_cmdline_help();
	fuse_lowlevel_help();
}

/* The options every daxfs-fuse mount has. */
static int add_mount_opts(struct fuse_args *args, const char *region)
{
	char fsname[4200];

	snprintf(fsname, sizeof(fsname), "-ofsname=%s", region);
	if (fuse_opt_add_arg(args, "-odefault_permissions") ||
	    fuse_opt_add_arg(args, "-osubtype=daxfs") ||
	    fuse_opt_add_arg(args, fsname))
		return -1;
	if (geteuid() == 0 && fuse_opt_add_arg(args, "-oallow_other"))
		return -1;
	return 0;
}

/* Mount the region, or say why not. */
static daxfs *region_mount(const struct dfuse_args *a)
{
	daxfs *fs;
	unsigned flags = (a->rdonly ? DAXFS_MOUNT_RDONLY : 0) |
			 (a->populate ? DAXFS_MOUNT_POPULATE : 0);
	int ret = daxfs_mount(a->region, flags, &fs);

	if (ret) {
		fprintf(stderr, "daxfs-fuse: %s\n", daxfs_errormsg());
		return NULL;
	}
	if (*daxfs_mount_warning(fs))
		fprintf(stderr, "daxfs-fuse: %s\n", daxfs_mount_warning(fs));
	return fs;
}

/*
 * init: the kernel clears set-user-ID and set-group-ID bits on chown,
 * truncate and cached writes itself (no HANDLE_KILLPRIV: libdaxfs's
 * pwrite keeps them; direct writes: ops_files.c's kill_privs); writes
 * are up to 1 MiB.  destroy: every node's handle closed.
 */
static void op_init(void *data, struct fuse_conn_info *conn)
{
	(void)data;
	conn->want &= ~FUSE_CAP_HANDLE_KILLPRIV;
	conn->max_write = DFUSE_MAX_WRITE;
}

static void op_destroy(void *data)
{
	(void)data;
	dnode_fini();
}

/*
 * Worker threads unless -o max_threads says: one per CPU, at least two.
 * A libdaxfs call never waits for I/O, so more threads than CPUs only
 * give the kernel cold ones to wake for each request (libfuse's default
 * of 10 copied a tree of small files 1.3x slower on 2 CPUs).
 */
static unsigned loop_threads(const struct dfuse_args *a,
			     const struct fuse_cmdline_opts *o)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (a->threads)
		return o->max_threads;
	return n > 2 ? (unsigned)n : 2;
}

/* Run the session's loop (multi-threaded unless -s). */
static int loop(struct fuse_session *se, const struct dfuse_args *a,
		struct fuse_cmdline_opts *o)
{
	struct fuse_loop_config *cfg;
	int ret;

	if (o->singlethread)
		return fuse_session_loop(se) ? 1 : 0;
	cfg = fuse_loop_cfg_create();
	fuse_loop_cfg_set_clone_fd(cfg, (unsigned)o->clone_fd);
	fuse_loop_cfg_set_max_threads(cfg, loop_threads(a, o));
	ret = fuse_session_loop_mt(se, cfg) ? 1 : 0;
	fuse_loop_cfg_destroy(cfg);
	return ret;
}

/* Mount at the mountpoint and serve until unmounted: the exit status. */
static int serve(struct fuse_args *args, const struct dfuse_args *a,
		 struct fuse_cmdline_opts *o)
{
	struct fuse_lowlevel_ops ops;
	struct fuse_session *se;
	int ret = 1;

	memset(&ops, 0, sizeof(ops));
	dfuse_names_ops(&ops);
	dfuse_files_ops(&ops);
	ops.init = op_init;
	ops.destroy = op_destroy;
	if (dnode_init())
		return 1;
	se = fuse_session_new(args, &ops, sizeof(ops), NULL);
	if (!se) {
		dnode_fini();
		return 1;
	}
	if (fuse_session_mount(se, o->mountpoint) == 0) {
		if (fuse_daemonize(o->foreground) == 0 &&
		    fuse_set_signal_handlers(se) == 0) {
			ret = loop(se, a, o);
			fuse_remove_signal_handlers(se);
		}
		fuse_session_unmount(se);
	}
	fuse_session_destroy(se);
	dnode_fini(); /* (if destroy never came) */
	return ret;
}

/* Parse the command line: 0 to go on, else the exit status + 1. */
static int parse(struct fuse_args *args, struct dfuse_args *a,
		 struct fuse_cmdline_opts *o)
{
	if (fuse_opt_parse(args, a, dfuse_opts, opt_proc) ||
	    fuse_parse_cmdline(args, o))
		return 2;
	if (o->show_help) {
		usage(args->argv[0]);
		return 1;
	}
	if (o->show_version) {
		printf("daxfs-fuse: libdaxfs %s\n", daxfs_version());
		fuse_lowlevel_version();
		return 1;
	}
	if (!a->region || !o->mountpoint) {
		fprintf(stderr, "usage: %s REGION MOUNTPOINT [-o ro] [FUSE "
			"options] (--help for more)\n", args->argv[0]);
		return 2;
	}
	return add_mount_opts(args, a->region) ? 2 : 0;
}

int main(int argc, char *argv[])
{
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	struct dfuse_args a = { NULL, 0, 0, 0 };
	struct fuse_cmdline_opts o;
	int ret;

	memset(&o, 0, sizeof(o));
	ret = parse(&args, &a, &o);
	if (ret) {
		free(o.mountpoint);
		fuse_opt_free_args(&args);
		return ret - 1;
	}
	dfuse_fs = region_mount(&a);
	ret = dfuse_fs ? serve(&args, &a, &o) : 1;
	if (dfuse_fs && daxfs_unmount(dfuse_fs))
		fprintf(stderr, "daxfs-fuse: %s\n", daxfs_errormsg());
	free(o.mountpoint);
	fuse_opt_free_args(&args);
	return ret;
}
