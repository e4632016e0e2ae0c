/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * copy.c -- daxfs put and daxfs get: copy files and whole trees
 * (directories, regular files, symbolic links) from the host into the
 * file system and back, with a progress bar on a terminal for large
 * copies.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tool.h"

#define COPY_BUF (1u << 20)
#define PROGRESS_MIN (64ull << 20) /* copies this large show a bar */

/* One put or get. */
struct copy {
	const char *cmd;  /* "put" or "get" */
	daxfs *fs;
	bool recursive;
	char *buf;        /* COPY_BUF bytes */
	uint64_t total;   /* bytes of regular files to copy (with a bar) */
	uint64_t done;
	bool bar;         /* draw the progress bar */
	int shown;        /* the percentage drawn last */
};

/* ---- progress ------------------------------------------------------- */

/* Count n more bytes copied and redraw the bar when its percent moves. */
static void progress(struct copy *c, uint64_t n)
{
	static const char hashes[] = "########################################";
	int pct, w;

	c->done += n;
	if (!c->bar)
		return;
	pct = c->total ? (int)(c->done * 100 / c->total) : 100;
	if (pct == c->shown)
		return;
	c->shown = pct;
	w = pct * 40 / 100;
	fprintf(stderr, "\rdaxfs %s: [%-40.*s] %3d%% %.1f/%.1f MiB", c->cmd, w,
		hashes, pct, c->done / 1048576.0, c->total / 1048576.0);
}

/* End the bar's line. */
static void progress_end(struct copy *c)
{
	if (c->bar && c->shown >= 0)
		fputc('\n', stderr);
}

/* Bytes of regular files under the host path (lstat: links not
 * followed). */
static uint64_t host_size(const char *path)
{
	struct dirent *e;
	struct stat st;
	uint64_t sum = 0;
	DIR *d;

	if (lstat(path, &st))
		return 0;
	if (S_ISREG(st.st_mode))
		return (uint64_t)st.st_size;
	if (!S_ISDIR(st.st_mode) || !(d = opendir(path)))
		return 0;
	while ((e = readdir(d))) {
		char *p = strcmp(e->d_name, ".") && strcmp(e->d_name, "..")
				  ? tool_join(path, e->d_name) : NULL;

		sum += p ? host_size(p) : 0;
		free(p);
	}
	closedir(d);
	return sum;
}

/* Bytes of regular files under path of the file system. */
static uint64_t fs_size(daxfs *fs, const char *path)
{
	struct tool_dirent *ents;
	struct stat st;
	uint64_t sum = 0;
	size_t n, i;

	if (daxfs_stat(fs, path, &st))
		return 0;
	if (S_ISREG(st.st_mode))
		return (uint64_t)st.st_size;
	if (!S_ISDIR(st.st_mode) || tool_dir_list(fs, path, &ents, &n))
		return 0;
	for (i = 0; i < n; i++) {
		char *p = tool_join(path, ents[i].name);

		sum += p ? fs_size(fs, p) : 0;
		free(p);
	}
	tool_dir_free(ents, n);
	return sum;
}

/* Decide on the bar: stderr a terminal and total at least 64 MiB. */
static void progress_start(struct copy *c, const char *src)
{
	c->shown = -1;
	if (!tool_stderr_tty())
		return;
	c->total = !strcmp(c->cmd, "put") ? host_size(src)
					  : fs_size(c->fs, src);
	c->bar = c->total >= PROGRESS_MIN;
}

/* ---- put: host -> file system --------------------------------------- */

static int put_any(struct copy *c, const char *src, const char *dst);

/* Copy the open host file fd into the open file f. */
static int put_data(struct copy *c, int fd, daxfs_file *f, const char *src,
		    const char *dst)
{
	off_t off = 0;
	ssize_t n, w;

	while ((n = read(fd, c->buf, COPY_BUF)) > 0) {
		w = daxfs_pwrite(f, c->buf, (size_t)n, off);
		if (w < 0)
			return tool_fail(c->cmd, dst, w);
		if (w != n)
			return tool_error(c->cmd, dst, "short write");
		off += n;
		progress(c, (uint64_t)n);
	}
	if (n < 0)
		return tool_error(c->cmd, src, "%s", strerror(errno));
	return 0;
}

/* A regular file: made (or truncated) with src's permission bits. */
static int put_file(struct copy *c, const char *src, const char *dst,
		    const struct stat *st)
{
	daxfs_file *f;
	int fd, ret, status;

	fd = open(src, O_RDONLY);
	if (fd < 0)
		return tool_error(c->cmd, src, "%s", strerror(errno));
	ret = daxfs_open(c->fs, dst, O_WRONLY | O_CREAT | O_TRUNC,
			 st->st_mode & 07777, &f);
	if (ret) {
		close(fd);
		return tool_fail(c->cmd, dst, ret);
	}
	status = put_data(c, fd, f, src, dst);
	ret = daxfs_close(f);
	close(fd);
	return status ? status : ret ? tool_fail(c->cmd, dst, ret) : 0;
}

/* put REGION - DST: standard input into the regular file dst (mode
 * 0644 if it is new). */
static int put_stdin(struct copy *c, const char *dst)
{
	daxfs_file *f;
	int ret, status;

	ret = daxfs_open(c->fs, dst, O_WRONLY | O_CREAT | O_TRUNC, 0644, &f);
	if (ret)
		return tool_fail(c->cmd, dst, ret);
	status = put_data(c, STDIN_FILENO, f, "standard input", dst);
	ret = daxfs_close(f);
	return status ? status : ret ? tool_fail(c->cmd, dst, ret) : 0;
}

/* A symbolic link, with src's target. */
static int put_link(struct copy *c, const char *src, const char *dst)
{
	char target[4097];
	ssize_t n = readlink(src, target, sizeof(target) - 1);
	int ret;

	if (n < 0)
		return tool_error(c->cmd, src, "%s", strerror(errno));
	target[n] = '\0';
	ret = daxfs_symlink(c->fs, target, dst);
	return ret ? tool_fail(c->cmd, dst, ret) : 0;
}

/* A directory (an existing one is merged into), then its entries. */
static int put_dir(struct copy *c, const char *src, const char *dst,
		   const struct stat *st)
{
	struct dirent *e;
	struct stat dst_st;
	int status = 0, ret;
	DIR *d;

	ret = daxfs_mkdir(c->fs, dst, st->st_mode & 07777);
	if (ret == -EEXIST && !daxfs_stat(c->fs, dst, &dst_st) &&
	    S_ISDIR(dst_st.st_mode))
		ret = 0;
	if (ret)
		return tool_fail(c->cmd, dst, ret);
	d = opendir(src);
	if (!d)
		return tool_error(c->cmd, src, "%s", strerror(errno));
	while ((e = readdir(d))) {
		char *s, *t;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		s = tool_join(src, e->d_name);
		t = tool_join(dst, e->d_name);
		status |= s && t ? put_any(c, s, t)
				 : tool_error(c->cmd, src, "out of memory");
		free(s);
		free(t);
	}
	closedir(d);
	return status;
}

/* Copy the host path src to dst, by its type. */
static int put_any(struct copy *c, const char *src, const char *dst)
{
	struct stat st;

	if (lstat(src, &st))
		return tool_error(c->cmd, src, "%s", strerror(errno));
	if (S_ISREG(st.st_mode))
		return put_file(c, src, dst, &st);
	if (S_ISLNK(st.st_mode))
		return put_link(c, src, dst);
	if (S_ISDIR(st.st_mode) && c->recursive)
		return put_dir(c, src, dst, &st);
	if (S_ISDIR(st.st_mode))
		return tool_error(c->cmd, src, "is a directory (use -r)");
	return tool_error(c->cmd, src, "not copied: only directories, "
			  "regular files and symbolic links are");
}

/* ---- get: file system -> host --------------------------------------- */

static int get_any(struct copy *c, const char *src, const char *dst);

/* Give the host file dst the times of st (and, unless a link, its
 * permission bits). */
static int get_attrs(struct copy *c, const char *dst, const struct stat *st)
{
	struct timespec ts[2] = { st->st_atim, st->st_mtim };

	if (!S_ISLNK(st->st_mode) && chmod(dst, st->st_mode & 07777))
		return tool_error(c->cmd, dst, "%s", strerror(errno));
	if (utimensat(AT_FDCWD, dst, ts, AT_SYMLINK_NOFOLLOW))
		return tool_error(c->cmd, dst, "%s", strerror(errno));
	return 0;
}

/* Copy the open file f into the host file fd. */
static int get_data(struct copy *c, daxfs_file *f, int fd, const char *src,
		    const char *dst)
{
	off_t off = 0;
	ssize_t n;

	while ((n = daxfs_pread(f, c->buf, COPY_BUF, off)) > 0) {
		if (write(fd, c->buf, (size_t)n) != n)
			return tool_error(c->cmd, dst, "%s",
					  errno ? strerror(errno)
						: "short write");
		off += n;
		progress(c, (uint64_t)n);
	}
	return n < 0 ? tool_fail(c->cmd, src, n) : 0;
}

/* A regular file: made or truncated, then its mode and times. */
static int get_file(struct copy *c, const char *src, const char *dst,
		    const struct stat *st)
{
	daxfs_file *f;
	int fd, ret, status;

	ret = daxfs_open(c->fs, src, O_RDONLY, 0, &f);
	if (ret)
		return tool_fail(c->cmd, src, ret);
	fd = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0) {
		daxfs_close(f);
		return tool_error(c->cmd, dst, "%s", strerror(errno));
	}
	errno = 0;
	status = get_data(c, f, fd, src, dst);
	daxfs_close(f);
	if (close(fd) && !status)
		status = tool_error(c->cmd, dst, "%s", strerror(errno));
	return status ? status : get_attrs(c, dst, st);
}

/* A symbolic link with the same target. */
static int get_link(struct copy *c, const char *src, const char *dst,
		    const struct stat *st)
{
	char target[4097];
	ssize_t n = daxfs_readlink(c->fs, src, target, sizeof(target) - 1);

	if (n < 0)
		return tool_fail(c->cmd, src, n);
	target[n] = '\0';
	if (symlink(target, dst))
		return tool_error(c->cmd, dst, "%s", strerror(errno));
	return get_attrs(c, dst, st);
}

/* Is the host path a directory (links followed, as mkdir -p does)?
 * errno is EEXIST when it is something else. */
static bool host_is_dir(const char *path)
{
	struct stat st;

	if (stat(path, &st) || !S_ISDIR(st.st_mode)) {
		errno = EEXIST;
		return false;
	}
	return true;
}

/* A directory (an existing one is merged into), its entries, then its
 * mode and times (after the entries, which change them). */
static int get_dir(struct copy *c, const char *src, const char *dst,
		   const struct stat *st)
{
	struct tool_dirent *ents;
	size_t n, i;
	int status = 0, ret;

	if (mkdir(dst, 0700) && (errno != EEXIST || !host_is_dir(dst)))
		return tool_error(c->cmd, dst, "%s", strerror(errno));
	ret = tool_dir_list(c->fs, src, &ents, &n);
	if (ret)
		return tool_fail(c->cmd, src, ret);
	for (i = 0; i < n; i++) {
		char *s = tool_join(src, ents[i].name);
		char *t = tool_join(dst, ents[i].name);

		status |= s && t ? get_any(c, s, t)
				 : tool_error(c->cmd, src, "out of memory");
		free(s);
		free(t);
	}
	tool_dir_free(ents, n);
	return status | get_attrs(c, dst, st);
}

/* Copy src of the file system to the host path dst, by its type. */
static int get_any(struct copy *c, const char *src, const char *dst)
{
	struct stat st;
	int ret = daxfs_stat(c->fs, src, &st);

	if (ret)
		return tool_fail(c->cmd, src, ret);
	if (S_ISREG(st.st_mode))
		return get_file(c, src, dst, &st);
	if (S_ISLNK(st.st_mode))
		return get_link(c, src, dst, &st);
	if (S_ISDIR(st.st_mode) && c->recursive)
		return get_dir(c, src, dst, &st);
	if (S_ISDIR(st.st_mode))
		return tool_error(c->cmd, src, "is a directory (use -r)");
	return tool_error(c->cmd, src, "not copied: only directories, "
			  "regular files and symbolic links are");
}

/* ---- the subcommands ------------------------------------------------ */

/* Is the name base (len bytes) "." or ".."? */
static bool dot_name(const char *base, size_t len)
{
	return (len == 1 && base[0] == '.') ||
	       (len == 2 && base[0] == '.' && base[1] == '.');
}

/* Where src goes: into dst when dst is an existing directory (fs: of the
 * file system, else of the host), else at dst. */
static char *copy_target(struct copy *c, const char *src, const char *dst,
			 bool in_fs)
{
	struct stat st;
	size_t len;
	const char *base = tool_basename(src, &len);
	char *name, *p;
	int ret = in_fs ? daxfs_stat(c->fs, dst, &st) : stat(dst, &st);

	if (ret || !S_ISDIR(st.st_mode) || *base == '/' || dot_name(base, len) ||
	    (in_fs && !strcmp(src, "-")))
		return strdup(dst);
	name = strndup(base, len);
	p = name ? tool_join(dst, name) : NULL;
	free(name);
	return p;
}

/* -r. */
static int recursive_opt(void *arg, int opt, const char *val)
{
	(void)opt, (void)val;
	((struct copy *)arg)->recursive = true;
	return TOOL_OK;
}

/* put or get: options, mount, copy, unmount. */
static int copy_run(int argc, char **argv, bool put)
{
	struct copy c = { .cmd = argv[0] };
	int status, i;
	char *dst;

	i = tool_options(argc, argv, "r", NULL, 3, 3, recursive_opt, &c,
			 &status);
	if (i < 0)
		return status;
	if (tool_mount(c.cmd, argv[i], put ? 0 : DAXFS_MOUNT_RDONLY, &c.fs))
		return TOOL_ERR;
	c.buf = malloc(COPY_BUF);
	dst = copy_target(&c, argv[i + 1], argv[i + 2], put);
	if (!c.buf || !dst) {
		status = tool_error(c.cmd, argv[i + 1], "out of memory");
	} else {
		progress_start(&c, argv[i + 1]);
		status = !put ? get_any(&c, argv[i + 1], dst)
			 : strcmp(argv[i + 1], "-") ? put_any(&c, argv[i + 1], dst)
						    : put_stdin(&c, dst);
		progress_end(&c);
	}
	free(dst);
	free(c.buf);
	return tool_unmount(c.cmd, argv[i], c.fs, status);
}

/* daxfs put [-r] REGION SRC DST. */
static int put_run(int argc, char **argv)
{
	return copy_run(argc, argv, true);
}

/* daxfs get [-r] REGION SRC DST (a read-only mount). */
static int get_run(int argc, char **argv)
{
	return copy_run(argc, argv, false);
}

const struct tool_cmd tool_cmd_put = {
	.name = "put",
	.run = put_run,
	.synopsis = "put [-r] REGION SRC DST",
	.help =
	"Copy SRC, a file of the host, into the file system on REGION as\n"
	"DST (into DST/name of SRC when DST is an existing directory, as cp\n"
	"does); SRC \"-\" is standard input, copied into the file DST.\n"
	"Regular files are made or overwritten with the permission bits of\n"
	"SRC, symbolic links keep their target; with -r a directory is\n"
	"copied with everything below it (an existing one is merged into).\n"
	"Hard links of the host become separate files; other files\n"
	"(devices, fifos, sockets) are not copied and make the exit status 1.\n"
	"The API sets no times: copied files have the time of the copy, and\n"
	"the owner of the process.  Each file's data is durable when put\n"
	"moves on to the next.  On a terminal, a copy of 64 MiB or more\n"
	"shows a progress bar on stderr; otherwise put prints nothing but\n"
	"errors.\n"
	"\n"
	"Options:\n"
	"  -r          copy directories and everything below them\n"
	"  -h, --help  this text\n"
	"\n"
	"Example:\n"
	"  daxfs put -r /dev/dax0.0 ./dataset /data\n"
	"  tar c ./logs | daxfs put /dev/dax0.0 - /data/logs.tar\n",
};

const struct tool_cmd tool_cmd_get = {
	.name = "get",
	.run = get_run,
	.synopsis = "get [-r] REGION SRC DST",
	.help =
	"Copy SRC, a file of the file system on REGION, out to the host path\n"
	"DST (into DST/name of SRC when DST is an existing directory).\n"
	"Regular files get the permission bits and access and modification\n"
	"times of SRC, symbolic links their target and times; with -r a\n"
	"directory is copied with everything below it (an existing one is\n"
	"merged into), its mode and times set after its entries.  Other\n"
	"files are not copied and make the exit status 1.  The mount is\n"
	"read-only: get runs beside other read-only mounts of REGION (a\n"
	"backup while readers work).  On a terminal, a copy of 64 MiB or\n"
	"more shows a progress bar on stderr.\n"
	"\n"
	"Options:\n"
	"  -r          copy directories and everything below them\n"
	"  -h, --help  this text\n"
	"\n"
	"Example:\n"
	"  daxfs get -r /dev/dax0.0 /data ./backup\n",
};
