/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_mount.c -- a libFuzzer harness of daxfs_mount and of everything a
 * mount can reach from a damaged image.
 *
 * Each input is an ext2 image (the seeds of tests/fuzz/seeds.sh: mke2fs
 * and debugfs images, libdaxfs images).  It is written to a region file on
 * /dev/shm and then:
 *   1. mounted read-only: the whole tree is walked (daxfs_readdir,
 *      daxfs_stat, daxfs_readlink), every regular file is opened and read,
 *      and the first page of each is mapped and touched;
 *   2. mounted read-write: the same walk, writing into every file it
 *      reads (middle, past the end, truncate), then a few new names
 *      (create, append, truncate, rename, link, unlink, mkdir, rmdir,
 *      symlink), a store through a view, and renames, links and removals
 *      of names the walk found;
 *   3. unmounted, and mounted once more read-only (what a damaged mount
 *      wrote must still mount or be refused cleanly).
 * Every call must return 0 (or a count) or a negative errno with a message
 * in daxfs_errormsg(); a crash, a hang (libFuzzer's -timeout), a leak or a
 * sanitizer report is a finding.  Loops are bounded (entries per
 * directory, directories visited, depth, bytes read) so each input runs in
 * milliseconds.
 *
 * A view fault that cannot be served raises SIGBUS, as the kernel does
 * (damaged block map, no space for a store into a hole): the harness
 * catches SIGBUS around its own loads and stores and goes on.
 *
 * Built only in the fuzz build (tests/fuzz/CMakeLists.txt, clang with
 * -fsanitize=fuzzer,address,undefined); run by tests/fuzz/run.sh.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdbool.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "daxfs.h"

#define MAX_DIRS 64      /* directories walked per mount */
#define MAX_ENTRIES 256  /* entries looked at per directory */
#define MAX_DEPTH 8      /* levels below the root */
#define MAX_READ 65536   /* bytes read per file */
#define PAGE 4096
#define MAX_VICTIMS 8    /* existing names changed per read-write mount */

static char region[64];
static char victims[MAX_VICTIMS][1024]; /* names seen by the rw walk */
static int nvictims;
static sigjmp_buf bus_jmp;
static volatile sig_atomic_t bus_armed;

/* A finding: print it and abort, so that libFuzzer saves the input. */
static void fail(const char *what, long ret)
{
	fprintf(stderr, "fuzz_mount: %s returned %ld without a valid errno "
		"and message (\"%s\")\n", what, ret, daxfs_errormsg());
	abort();
}

/* A failed call must give a negative errno and say why. */
static long check(const char *what, long ret)
{
	if (ret >= 0)
		return ret;
	if (ret < -4095 || daxfs_errormsg()[0] == '\0')
		fail(what, ret);
	return ret;
}

/* SIGBUS from a view page the library could not serve: jump back. */
static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	(void)si;
	(void)uc;
	if (!bus_armed) {
		signal(sig, SIG_DFL);
		raise(sig);
		return;
	}
	bus_armed = 0;
	siglongjmp(bus_jmp, 1);
}

/* One entry of a directory being walked. */
struct walk {
	daxfs *fs;
	bool rw;
	int depth;
	int entries;
	int *dirs;
	char path[1024];
};

/* Touch the first page of a view of f: read (and store, if rw). */
static void touch_view(daxfs_file *f, bool rw, off_t size, unsigned flags)
{
	int prot = PROT_READ | (rw ? PROT_WRITE : 0);
	volatile char *p;
	void *addr;

	if (size <= 0)
		return;
	if (check("daxfs_map", daxfs_map(f, 0, PAGE, prot, flags, &addr)))
		return;
	p = addr;
	bus_armed = 1;
	if (!sigsetjmp(bus_jmp, 1)) {
		char c = p[0];

		if (rw) {
			p[0] = c;
			check("daxfs_persist", daxfs_persist(addr, 1));
		}
		(void)p[size < PAGE ? size - 1 : PAGE - 1];
	}
	bus_armed = 0;
	check("daxfs_unmap", daxfs_unmap(addr, PAGE));
}

/* Write into an existing file (its own block map, maybe damaged): in
 * the middle, past the end, then cut it back. */
static void change_file(daxfs_file *f, off_t size)
{
	check("daxfs_pwrite", daxfs_pwrite(f, "m", 1, size / 2));
	check("daxfs_pwrite", daxfs_pwrite(f, "tail", 4, size + 5000));
	check("daxfs_ftruncate", daxfs_ftruncate(f, size / 3));
}

/* Open a regular file, read up to MAX_READ bytes of it, map a page. */
static void visit_file(daxfs *fs, const char *path, bool rw)
{
	static char buf[MAX_READ];
	daxfs_file *f;
	struct stat st;
	off_t off = 0;
	ssize_t n;

	if (check("daxfs_open", daxfs_open(fs, path, rw ? O_RDWR : O_RDONLY,
					   0, &f)))
		return;
	if (!check("daxfs_fstat", daxfs_fstat(f, &st))) {
		while (off < MAX_READ) {
			n = check("daxfs_pread", daxfs_pread(f, buf + off,
							     MAX_READ - off, off));
			if (n <= 0)
				break;
			off += n;
		}
		touch_view(f, false, st.st_size, DAXFS_MAP_POPULATE);
		touch_view(f, rw, st.st_size, 0);
		if (rw)
			change_file(f, st.st_size);
	}
	check("daxfs_close", daxfs_close(f));
}

static void walk_dir(daxfs *fs, const char *path, bool rw, int depth,
		     int *dirs);

/* daxfs_readdir callback: stat each entry and visit it by its type. */
static int walk_entry(void *arg, const char *name, uint64_t ino,
		      unsigned type)
{
	struct walk *w = arg;
	char child[1024], link[256];
	struct stat st;
	size_t len = strlen(w->path);

	(void)ino;
	(void)type;
	if (++w->entries > MAX_ENTRIES)
		return 1;
	if (!strcmp(name, ".") || !strcmp(name, ".."))
		return 0;
	if (snprintf(child, sizeof(child), "%s%s%s", w->path,
		     len > 1 ? "/" : "", name) >= (int)sizeof(child))
		return 0;
	if (check("daxfs_stat", daxfs_stat(w->fs, child, &st)))
		return 0;
	if (w->rw && nvictims < MAX_VICTIMS)
		strcpy(victims[nvictims++], child);
	if (S_ISDIR(st.st_mode))
		walk_dir(w->fs, child, w->rw, w->depth + 1, w->dirs);
	else if (S_ISREG(st.st_mode))
		visit_file(w->fs, child, w->rw);
	else if (S_ISLNK(st.st_mode))
		check("daxfs_readlink", daxfs_readlink(w->fs, child, link,
						       sizeof(link)));
	return 0;
}

/* Walk the directory at path and below, within the bounds above. */
static void walk_dir(daxfs *fs, const char *path, bool rw, int depth,
		     int *dirs)
{
	struct walk w = { .fs = fs, .rw = rw, .depth = depth, .dirs = dirs };
	int ret;

	if (depth > MAX_DEPTH || ++*dirs > MAX_DIRS)
		return;
	snprintf(w.path, sizeof(w.path), "%s", path);
	ret = daxfs_readdir(fs, path, walk_entry, &w);
	if (ret != 1)
		check("daxfs_readdir", ret);
}

/* A few changes of every kind, each allowed to fail cleanly. */
static void write_some(daxfs *fs)
{
	static const char data[3000] = "fuzz";
	daxfs_file *f;

	if (!check("daxfs_open", daxfs_open(fs, "/fz", O_RDWR | O_CREAT,
					    0644, &f))) {
		check("daxfs_pwrite", daxfs_pwrite(f, data, sizeof(data), 0));
		check("daxfs_pwrite", daxfs_pwrite(f, data, sizeof(data),
						   5000));
		check("daxfs_ftruncate", daxfs_ftruncate(f, 1000));
		check("daxfs_fsync", daxfs_fsync(f));
		touch_view(f, true, 1000, 0);
		check("daxfs_close", daxfs_close(f));
	}
	check("daxfs_mkdir", daxfs_mkdir(fs, "/fzd", 0755));
	check("daxfs_rename", daxfs_rename(fs, "/fz", "/fzd/fz"));
	check("daxfs_link", daxfs_link(fs, "/fzd/fz", "/fzl"));
	check("daxfs_symlink", daxfs_symlink(fs, "/fzd/fz", "/fzd/s"));
	check("daxfs_unlink", daxfs_unlink(fs, "/fzd/fz"));
	check("daxfs_unlink", daxfs_unlink(fs, "/fzd/s"));
	check("daxfs_rmdir", daxfs_rmdir(fs, "/fzd"));
	check("daxfs_rename", daxfs_rename(fs, "/fzl", "/lost+found/fzl"));
	check("daxfs_unlink", daxfs_unlink(fs, "/lost+found/fzl"));
}

/* Rename, link and remove names the walk found (deleting damaged
 * files and directories), each allowed to fail cleanly. */
static void remove_some(daxfs *fs)
{
	char to[1100];
	int i;

	for (i = 0; i < nvictims; i++) {
		snprintf(to, sizeof(to), "%s.r", victims[i]);
		switch (i % 4) {
		case 0:
			check("daxfs_rename", daxfs_rename(fs, victims[i], to));
			check("daxfs_unlink", daxfs_unlink(fs, to));
			break;
		case 1:
			check("daxfs_link", daxfs_link(fs, victims[i], to));
			check("daxfs_unlink", daxfs_unlink(fs, victims[i]));
			break;
		case 2:
			check("daxfs_rmdir", daxfs_rmdir(fs, victims[i]));
			check("daxfs_unlink", daxfs_unlink(fs, victims[i]));
			break;
		default:
			check("daxfs_rename", daxfs_rename(fs, victims[i],
							   "/lost+found"));
		}
	}
}

/* Mount the region, walk it (and write, if rw), unmount. */
static void run_mount(bool rw)
{
	struct statvfs sv;
	daxfs *fs;
	int dirs = 0;

	if (check("daxfs_mount", daxfs_mount(region, rw ? 0 : DAXFS_MOUNT_RDONLY,
					     &fs)))
		return;
	(void)daxfs_mount_warning(fs);
	check("daxfs_statfs", daxfs_statfs(fs, &sv));
	nvictims = 0;
	walk_dir(fs, "/", rw, 0, &dirs);
	if (rw) {
		write_some(fs);
		remove_some(fs);
	}
	if (daxfs_unmount(fs))
		fail("daxfs_unmount", -1);
}

/* Write the input to the region file. */
static int write_region(const uint8_t *data, size_t size)
{
	int fd = open(region, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	size_t off = 0;
	ssize_t n;

	if (fd < 0)
		return -1;
	while (off < size) {
		n = write(fd, data + off, size - off);
		if (n <= 0)
			break;
		off += n;
	}
	close(fd);
	return off == size ? 0 : -1;
}

/* Remove the region file at exit. */
static void remove_region(void)
{
	unlink(region);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size,
			       unsigned int seed);

/*
 * Mutate mostly where the metadata is: an image is mostly zero blocks,
 * and byte mutations spread over the whole of it rarely hit a field.  Most
 * of the time one non-zero window of WINDOW bytes (found by a few random
 * probes) gets libFuzzer's own mutations and the image keeps its size;
 * otherwise the whole input is mutated as usual.
 */
#define WINDOW 64
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size,
			       unsigned int seed)
{
	static const uint8_t zero[WINDOW];
	uint8_t win[WINDOW];
	size_t off, n;
	int i;

	srand(seed);
	if (size < 4 * WINDOW || rand() % 8 == 0)
		return LLVMFuzzerMutate(data, size, max_size);
	off = 0;
	for (i = 0; i < 16; i++) {
		off = (size_t)rand() % (size / WINDOW) * WINDOW;
		if (memcmp(data + off, zero, WINDOW))
			break;
	}
	memcpy(win, data + off, WINDOW);
	n = LLVMFuzzerMutate(win, WINDOW, WINDOW);
	memcpy(data + off, win, n < WINDOW ? n : WINDOW);
	return size;
}

/* Name the region file, and catch SIGBUS from views. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct sigaction sa = { .sa_sigaction = on_sigbus,
				.sa_flags = SA_SIGINFO };

	(void)argc;
	(void)argv;
	setenv("PMEM2_FORCE_GRANULARITY", "CACHE_LINE", 0);
	snprintf(region, sizeof(region), "/dev/shm/daxfs-fuzz-%d.img",
		 (int)getpid());
	atexit(remove_region);
	sigaction(SIGBUS, &sa, NULL);
	return 0;
}

/* One input: read-only mount, read-write mount, read-only again. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > (16u << 20) || write_region(data, size))
		return 0;
	run_mount(false);
	run_mount(true);
	run_mount(false);
	return 0;
}
