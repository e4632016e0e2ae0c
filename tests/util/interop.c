/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * interop.c -- the kernel's ext2 driver and comparing trees (see interop.h).
 */
#define _GNU_SOURCE
#include "interop.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "common.h"

/* ------------------------------------------------------------------ */
/* The kernel                                                          */
/* ------------------------------------------------------------------ */

/* A mount made by test_kmount(), undone by test_kernel_cleanup(). */
struct kmount {
	char *img, *mnt;
};

static struct kmount *kmounts;
static size_t nkmounts;

/* Whether mnt is a mount point now. */
static bool is_mounted(const char *mnt)
{
	FILE *f = fopen("/proc/self/mounts", "r");
	char line[4096], dev[2048], dir[2048];
	bool found = false;

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%2047s %2047s", dev, dir) == 2 &&
		    strcmp(dir, mnt) == 0)
			found = true;
	fclose(f);
	return found;
}

/* Unmount mnt, waiting out a transient EBUSY; detach it at last. */
static void force_umount(const char *mnt)
{
	for (int i = 0; i < 50 && is_mounted(mnt); i++) {
		if (umount(mnt) != 0) {
			if (errno == EBUSY) {
				usleep(100 * 1000);
				continue;
			}
			break;
		}
	}
	if (is_mounted(mnt))
		umount2(mnt, MNT_DETACH);
}

/* Detach loop devices still backed by img (left by a failed mount). */
static void detach_loops(const char *img)
{
	const char *argv[] = { "losetup", "-j", img, NULL };
	char *out = NULL, *save = NULL, *l, *colon;

	if (access(img, F_OK) != 0)
		return;
	if (test_run(argv, 0, &out, NULL, NULL) == 0 && out) {
		for (l = strtok_r(out, "\n", &save); l;
		     l = strtok_r(NULL, "\n", &save)) {
			colon = strchr(l, ':');
			if (!colon)
				continue;
			*colon = '\0';
			const char *dargv[] = { "losetup", "-d", l, NULL };

			test_run(dargv, 0, NULL, NULL, NULL);
		}
	}
	free(out);
}

/* Unmount the mounts that earlier test processes left behind when they
 * crashed, then remove their files. */
static void reap_stale_mounts(void)
{
	FILE *f = fopen("/proc/self/mounts", "r");
	char line[4096], dev[2048], dir[2048];
	char stale[16][2048];
	int n = 0;

	if (!f)
		return;
	while (fgets(line, sizeof(line), f) && n < 16) {
		if (sscanf(line, "%2047s %2047s", dev, dir) == 2 &&
		    test_shm_path_stale(dir))
			snprintf(stale[n++], sizeof(stale[0]), "%s", dir);
	}
	fclose(f);
	for (int i = 0; i < n; i++) {
		fprintf(stderr, "unmounting stale test mount %s\n", stale[i]);
		force_umount(stale[i]);
	}
	if (n)
		test_remove_stale();
}

bool test_kernel_mount_works(const char **why)
{
	static char reason[512];

	if (geteuid() != 0) {
		*why = "not running as root: mount -o loop needs root";
		return false;
	}
	reap_stale_mounts();
	const char *img = test_tmp_file("kprobe");
	const char *mnt = test_tmp_dir("kprobemnt");
	if (!img || !mnt) {
		*why = "cannot create temporary files on /dev/shm";
		return false;
	}
	if (test_mke2fs(img, 1024, 4 << 20, NULL) != 0) {
		*why = "mke2fs failed on a throwaway image";
		return false;
	}
	const char *argv[] = { "mount", "-t", "ext2", "-o", "loop,ro", img,
			       mnt, NULL };
	char *err = NULL;
	int rc = test_run(argv, 0, NULL, NULL, &err);
	if (rc != 0) {
		snprintf(reason, sizeof(reason),
			 "mount -t ext2 -o loop,ro of a throwaway image failed "
			 "(status %d): %s",
			 rc, err ? err : "");
		free(err);
		*why = reason;
		detach_loops(img);
		return false;
	}
	free(err);
	force_umount(mnt);
	detach_loops(img);
	return true;
}

int test_kmount(const char *img, const char *mnt, bool ro)
{
	return test_kmount_type(img, mnt, "ext2", ro);
}

int test_kmount_type(const char *img, const char *mnt, const char *type,
		     bool ro)
{
	const char *argv[] = { "mount", "-t", type, "-o",
			       ro ? "loop,ro" : "loop", img, mnt, NULL };
	char *err = NULL;
	int rc = test_run(argv, 0, NULL, NULL, &err);

	/* Loop device set-up can race with other users of /dev/loop*:
	 * retry a few times before reporting. */
	for (int i = 0; rc != 0 && i < 3; i++) {
		free(err);
		err = NULL;
		usleep(200 * 1000);
		if (is_mounted(mnt))
			break;
		rc = test_run(argv, 0, NULL, NULL, &err);
	}
	if (rc == 0) {
		kmounts = realloc(kmounts, (nkmounts + 1) * sizeof(*kmounts));
		if (!kmounts)
			abort();
		kmounts[nkmounts].img = strdup(img);
		kmounts[nkmounts].mnt = strdup(mnt);
		nkmounts++;
	} else {
		fprintf(stderr, "mount %s on %s failed (status %d): %s\n", img,
			mnt, rc, err ? err : "");
		detach_loops(img);
	}
	free(err);
	return rc;
}

/* Forget kmounts[i]. */
static void kmount_forget(size_t i)
{
	free(kmounts[i].img);
	free(kmounts[i].mnt);
	kmounts[i] = kmounts[--nkmounts];
}

int test_kumount(const char *mnt)
{
	const char *argv[] = { "umount", mnt, NULL };
	char *err = NULL;
	int rc = test_run(argv, 0, NULL, NULL, &err);

	/* "target is busy" can be transient (udev probing the device) */
	for (int i = 0; rc != 0 && i < 20 && is_mounted(mnt); i++) {
		free(err);
		err = NULL;
		usleep(100 * 1000);
		rc = test_run(argv, 0, NULL, NULL, &err);
	}
	if (rc != 0)
		fprintf(stderr, "umount %s failed (status %d): %s\n", mnt, rc,
			err ? err : "");
	free(err);
	for (size_t i = nkmounts; rc == 0 && i-- > 0;)
		if (strcmp(kmounts[i].mnt, mnt) == 0)
			kmount_forget(i);
	return rc;
}

void test_kernel_cleanup(void)
{
	/* Newest first: a mount may be inside an older one. */
	while (nkmounts) {
		force_umount(kmounts[nkmounts - 1].mnt);
		detach_loops(kmounts[nkmounts - 1].img);
		kmount_forget(nkmounts - 1);
	}
	free(kmounts);
	kmounts = NULL;
	test_cleanup();
}

/* ------------------------------------------------------------------ */
/* libdaxfs files                                                      */
/* ------------------------------------------------------------------ */

ssize_t test_dax_read_all(daxfs *fs, const char *path, char **bufp, size_t max)
{
	daxfs_file *f = NULL;
	int rc = daxfs_open(fs, path, O_RDONLY, 0, &f);
	if (rc < 0)
		return rc;
	struct stat st;
	rc = daxfs_fstat(f, &st);
	if (rc < 0) {
		daxfs_close(f);
		return rc;
	}
	size_t want = (size_t)st.st_size < max ? (size_t)st.st_size : max;
	char *buf = malloc(want + 1);
	size_t done = 0;
	while (done < want) {
		ssize_t n = daxfs_pread(f, buf + done, want - done,
					(off_t)done);
		if (n < 0) {
			free(buf);
			daxfs_close(f);
			return n;
		}
		if (n == 0)
			break;
		done += (size_t)n;
	}
	buf[done] = '\0';
	rc = daxfs_close(f);
	if (rc < 0) {
		free(buf);
		return rc;
	}
	*bufp = buf;
	return (ssize_t)done;
}

int test_dax_write_file(daxfs *fs, const char *path, const void *buf,
		      size_t len, mode_t mode)
{
	daxfs_file *f = NULL;
	int rc = daxfs_open(fs, path, O_WRONLY | O_CREAT | O_TRUNC, mode, &f);
	if (rc < 0)
		return rc;
	size_t done = 0;
	while (done < len) {
		ssize_t n = daxfs_pwrite(f, (const char *)buf + done,
					 len - done, (off_t)done);
		if (n <= 0) {
			daxfs_close(f);
			return n < 0 ? (int)n : -EIO;
		}
		done += (size_t)n;
	}
	return daxfs_close(f);
}

struct list_ctx {
	char **names;
	unsigned *types;
	uint64_t *inos;
	int n, cap;
};

static int list_cb(void *arg, const char *name, uint64_t ino,
		      unsigned type)
{
	struct list_ctx *c = arg;
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return 0;
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 64;
		c->names = realloc(c->names, c->cap * sizeof(char *));
		c->types = realloc(c->types, c->cap * sizeof(unsigned));
		c->inos = realloc(c->inos, c->cap * sizeof(uint64_t));
	}
	c->names[c->n] = strdup(name);
	c->types[c->n] = type;
	c->inos[c->n] = ino;
	c->n++;
	return 0;
}

static int strpcmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int test_dax_list(daxfs *fs, const char *dir, char ***names, unsigned **types,
		uint64_t **inos)
{
	struct list_ctx c = {0};
	int rc = daxfs_readdir(fs, dir, list_cb, &c);
	if (rc != 0) {
		test_free_list(c.names, c.n);
		free(c.types);
		free(c.inos);
		return rc < 0 ? rc : -EIO;
	}
	/* Sort names, carrying types and inodes along. */
	int *idx = malloc((c.n + 1) * sizeof(int));
	char **sorted = malloc((c.n + 1) * sizeof(char *));
	for (int i = 0; i < c.n; i++)
		sorted[i] = c.names[i];
	qsort(sorted, c.n, sizeof(char *), strpcmp);
	for (int i = 0; i < c.n; i++)
		for (int j = 0; j < c.n; j++)
			if (sorted[i] == c.names[j]) {
				idx[i] = j;
				break;
			}
	if (types) {
		*types = malloc((c.n + 1) * sizeof(unsigned));
		for (int i = 0; i < c.n; i++)
			(*types)[i] = c.types[idx[i]];
	}
	if (inos) {
		*inos = malloc((c.n + 1) * sizeof(uint64_t));
		for (int i = 0; i < c.n; i++)
			(*inos)[i] = c.inos[idx[i]];
	}
	free(idx);
	free(c.names);
	free(c.types);
	free(c.inos);
	*names = sorted;
	return c.n;
}

void test_free_list(char **names, int n)
{
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* ------------------------------------------------------------------ */
/* Comparing trees                                                     */
/* ------------------------------------------------------------------ */

static int host_list(const char *dir, char ***names)
{
	DIR *d = opendir(dir);
	if (!d)
		return -errno;
	int n = 0, cap = 64;
	char **a = malloc(cap * sizeof(char *));
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (n == cap) {
			cap *= 2;
			a = realloc(a, cap * sizeof(char *));
		}
		a[n++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(a, n, sizeof(char *), strpcmp);
	*names = a;
	return n;
}

static unsigned dt_of(mode_t m)
{
	if (S_ISREG(m))
		return DAXFS_DT_REG;
	if (S_ISDIR(m))
		return DAXFS_DT_DIR;
	if (S_ISLNK(m))
		return DAXFS_DT_LNK;
	if (S_ISCHR(m))
		return DAXFS_DT_CHR;
	if (S_ISBLK(m))
		return DAXFS_DT_BLK;
	if (S_ISFIFO(m))
		return DAXFS_DT_FIFO;
	if (S_ISSOCK(m))
		return DAXFS_DT_SOCK;
	return DAXFS_DT_UNKNOWN;
}

static int cmp_file(daxfs *fs, const char *fpath, const char *hpath,
		       off_t size, char *msg, size_t msglen)
{
	int hfd = open(hpath, O_RDONLY | O_CLOEXEC);
	if (hfd < 0) {
		snprintf(msg, msglen, "%s: cannot open host file: %s", hpath,
			 strerror(errno));
		return -1;
	}
	daxfs_file *f = NULL;
	int rc = daxfs_open(fs, fpath, O_RDONLY, 0, &f);
	if (rc < 0) {
		snprintf(msg, msglen, "daxfs_open(%s) = %d (%s): %s", fpath,
			 rc, strerror(-rc), daxfs_errormsg());
		close(hfd);
		return -1;
	}
	/* small buffers for small files: large ones are slow under ASan */
	size_t chunk = size < (1 << 20) ? (size_t)size + 16 : 1 << 20;
	char *a = malloc(chunk), *b = malloc(chunk);
	int res = 0;
	for (off_t off = 0; off < size && res == 0;) {
		size_t want = (size_t)(size - off) < chunk
				      ? (size_t)(size - off)
				      : chunk;
		ssize_t hn = pread(hfd, a, want, off);
		ssize_t dn = daxfs_pread(f, b, want, off);
		if (hn != (ssize_t)want || dn != (ssize_t)want) {
			snprintf(msg, msglen,
				 "%s: at offset %lld host read %zd, "
				 "daxfs_pread = %zd (want %zu): %s",
				 fpath, (long long)off, hn, dn, want,
				 dn < 0 ? daxfs_errormsg() : "");
			res = -1;
			break;
		}
		long d = test_first_diff(a, b, want);
		if (d >= 0) {
			snprintf(msg, msglen,
				 "%s: content differs at byte %lld: host "
				 "0x%02x, libdaxfs 0x%02x",
				 fpath, (long long)(off + (off_t)d),
				 (unsigned char)a[d], (unsigned char)b[d]);
			res = -1;
		}
		off += (off_t)want;
	}
	if (res == 0) {
		/* Nothing past the end. */
		ssize_t dn = daxfs_pread(f, b, 16, size);
		if (dn != 0) {
			snprintf(msg, msglen,
				 "%s: daxfs_pread at EOF (%lld) = %zd, want 0",
				 fpath, (long long)size, dn);
			res = -1;
		}
	}
	free(a);
	free(b);
	close(hfd);
	rc = daxfs_close(f);
	if (rc != 0 && res == 0) {
		snprintf(msg, msglen, "daxfs_close(%s) = %d: %s", fpath, rc,
			 daxfs_errormsg());
		res = -1;
	}
	return res;
}

static int cmp_rec(daxfs *fs, const char *fsdir, const char *hostdir,
		      unsigned flags, bool top, char *msg, size_t msglen,
		      size_t *count)
{
	char **hn = NULL, **dn = NULL;
	unsigned *dtypes = NULL;
	uint64_t *dinos = NULL;
	int nh = host_list(hostdir, &hn);
	if (nh < 0) {
		snprintf(msg, msglen, "cannot list host dir %s", hostdir);
		return -1;
	}
	int nd = test_dax_list(fs, fsdir, &dn, &dtypes, &dinos);
	if (nd < 0) {
		snprintf(msg, msglen, "daxfs_readdir(%s) = %d (%s): %s", fsdir,
			 nd, strerror(-nd), daxfs_errormsg());
		test_free_list(hn, nh);
		return -1;
	}
	int res = 0;
	/* Drop lost+found at the top if asked to. */
	if (top && (flags & TEST_CMP_SKIP_LF)) {
		for (int i = 0; i < nh; i++)
			if (!strcmp(hn[i], "lost+found")) {
				free(hn[i]);
				memmove(&hn[i], &hn[i + 1],
					(nh - i - 1) * sizeof(char *));
				nh--;
				break;
			}
		for (int i = 0; i < nd; i++)
			if (!strcmp(dn[i], "lost+found")) {
				free(dn[i]);
				memmove(&dn[i], &dn[i + 1],
					(nd - i - 1) * sizeof(char *));
				memmove(&dtypes[i], &dtypes[i + 1],
					(nd - i - 1) * sizeof(unsigned));
				memmove(&dinos[i], &dinos[i + 1],
					(nd - i - 1) * sizeof(uint64_t));
				nd--;
				break;
			}
	}
	for (int i = 0, j = 0; (i < nh || j < nd) && res == 0;) {
		int c = i >= nh ? 1 : j >= nd ? -1 : strcmp(hn[i], dn[j]);
		if (c < 0) {
			snprintf(msg, msglen,
				 "%s/%s exists on the host side but "
				 "daxfs_readdir(%s) does not list it",
				 hostdir, hn[i], fsdir);
			res = -1;
			break;
		}
		if (c > 0) {
			snprintf(msg, msglen,
				 "daxfs_readdir(%s) lists \"%s\" which is not "
				 "in host dir %s",
				 fsdir, dn[j], hostdir);
			res = -1;
			break;
		}
		char *hp, *fp;
		if (asprintf(&hp, "%s/%s", hostdir, hn[i]) < 0 ||
		    asprintf(&fp, "%s%s%s", fsdir,
			     fsdir[strlen(fsdir) - 1] == '/' ? "" : "/",
			     dn[j]) < 0)
			abort();
		struct stat hs, ds;
		if (lstat(hp, &hs) != 0) {
			snprintf(msg, msglen, "lstat(%s): %s", hp,
				 strerror(errno));
			res = -1;
		} else {
			int rc = daxfs_stat(fs, fp, &ds);
			if (rc != 0) {
				snprintf(msg, msglen,
					 "daxfs_stat(%s) = %d (%s): %s", fp,
					 rc, strerror(-rc), daxfs_errormsg());
				res = -1;
			} else if ((hs.st_mode & S_IFMT) !=
				   (ds.st_mode & S_IFMT)) {
				snprintf(msg, msglen,
					 "%s: type 0%o, host has 0%o", fp,
					 ds.st_mode & S_IFMT,
					 hs.st_mode & S_IFMT);
				res = -1;
			} else if (dtypes[j] != dt_of(hs.st_mode)) {
				snprintf(msg, msglen,
					 "daxfs_readdir(%s): %s has type %u, "
					 "want %u",
					 fsdir, dn[j], dtypes[j],
					 dt_of(hs.st_mode));
				res = -1;
			} else if (dinos[j] != (uint64_t)ds.st_ino) {
				snprintf(msg, msglen,
					 "daxfs_readdir(%s): %s has inode %llu"
					 " but daxfs_stat says %llu",
					 fsdir, dn[j],
					 (unsigned long long)dinos[j],
					 (unsigned long long)ds.st_ino);
				res = -1;
			} else if ((flags & TEST_CMP_MODE) &&
				   (hs.st_mode & 07777) !=
					   (ds.st_mode & 07777) &&
				   !S_ISLNK(hs.st_mode)) {
				snprintf(msg, msglen,
					 "%s: mode 0%o, host has 0%o", fp,
					 ds.st_mode & 07777,
					 hs.st_mode & 07777);
				res = -1;
			} else if ((flags & TEST_CMP_NLINK) &&
				   hs.st_nlink != ds.st_nlink) {
				snprintf(msg, msglen,
					 "%s: st_nlink %lu, host has %lu", fp,
					 (unsigned long)ds.st_nlink,
					 (unsigned long)hs.st_nlink);
				res = -1;
			} else if (!S_ISDIR(hs.st_mode) &&
				   hs.st_size != ds.st_size) {
				snprintf(msg, msglen,
					 "%s: st_size %lld, host has %lld", fp,
					 (long long)ds.st_size,
					 (long long)hs.st_size);
				res = -1;
			} else if (S_ISREG(hs.st_mode)) {
				res = cmp_file(fs, fp, hp, hs.st_size, msg,
						  msglen);
			} else if (S_ISLNK(hs.st_mode)) {
				char ht[8192], dt[8192];
				ssize_t hl = readlink(hp, ht, sizeof(ht));
				ssize_t dl =
					daxfs_readlink(fs, fp, dt, sizeof(dt));
				if (hl < 0 || dl != hl ||
				    memcmp(ht, dt, (size_t)hl)) {
					snprintf(msg, msglen,
						 "%s: daxfs_readlink = %zd "
						 "\"%.*s\", host has \"%.*s\"",
						 fp, dl, dl > 0 ? (int)dl : 0,
						 dt, hl > 0 ? (int)hl : 0, ht);
					res = -1;
				}
			} else if (S_ISDIR(hs.st_mode)) {
				res = cmp_rec(fs, fp, hp, flags, false, msg,
						 msglen, count);
			}
			if (res == 0 && count)
				(*count)++;
		}
		free(hp);
		free(fp);
		i++;
		j++;
	}
	test_free_list(hn, nh);
	test_free_list(dn, nd);
	free(dtypes);
	free(dinos);
	return res;
}

int test_compare_tree(daxfs *fs, const char *fsdir, const char *hostdir,
		    unsigned flags, char *msg, size_t msglen, size_t *nfiles)
{
	if (nfiles)
		*nfiles = 0;
	msg[0] = '\0';
	return cmp_rec(fs, fsdir, hostdir, flags, true, msg, msglen,
			  nfiles);
}

static int cmp_host_file(const char *a, const char *b, off_t size,
			    char *msg, size_t msglen)
{
	int fa = open(a, O_RDONLY | O_CLOEXEC), fb = open(b, O_RDONLY | O_CLOEXEC);
	int res = 0;
	if (fa < 0 || fb < 0) {
		snprintf(msg, msglen, "cannot open %s or %s: %s", a, b,
			 strerror(errno));
		res = -1;
	}
	size_t chunk = size < (1 << 20) ? (size_t)size + 16 : 1 << 20;
	char *x = malloc(chunk), *y = malloc(chunk);
	for (off_t off = 0; res == 0 && off < size;) {
		size_t want = (size_t)(size - off) < chunk
				      ? (size_t)(size - off)
				      : chunk;
		ssize_t na = pread(fa, x, want, off);
		ssize_t nb = pread(fb, y, want, off);
		if (na != (ssize_t)want || nb != (ssize_t)want) {
			snprintf(msg, msglen,
				 "%s: read at %lld returned %zd (want %zu)", b,
				 (long long)off, nb, want);
			res = -1;
			break;
		}
		long d = test_first_diff(x, y, want);
		if (d >= 0) {
			snprintf(msg, msglen,
				 "%s: byte %lld is 0x%02x, want 0x%02x", b,
				 (long long)(off + (off_t)d),
				 (unsigned char)y[d], (unsigned char)x[d]);
			res = -1;
		}
		off += (off_t)want;
	}
	free(x);
	free(y);
	if (fa >= 0)
		close(fa);
	if (fb >= 0)
		close(fb);
	return res;
}

static void drop_lf(char **n, int *cnt)
{
	for (int i = 0; i < *cnt; i++)
		if (!strcmp(n[i], "lost+found")) {
			free(n[i]);
			memmove(&n[i], &n[i + 1], (*cnt - i - 1) * sizeof(char *));
			(*cnt)--;
			return;
		}
}

static int cmp_host_rec(const char *wdir, const char *gdir, unsigned flags,
			   bool top, char *msg, size_t msglen, size_t *count)
{
	char **wn = NULL, **gn = NULL;
	int nw = host_list(wdir, &wn);
	int ng = host_list(gdir, &gn);
	if (nw < 0 || ng < 0) {
		snprintf(msg, msglen, "cannot list %s or %s", wdir, gdir);
		if (nw >= 0)
			test_free_list(wn, nw);
		if (ng >= 0)
			test_free_list(gn, ng);
		return -1;
	}
	if (top && (flags & TEST_CMP_SKIP_LF)) {
		drop_lf(wn, &nw);
		drop_lf(gn, &ng);
	}
	int res = 0;
	for (int i = 0, j = 0; (i < nw || j < ng) && res == 0; i++, j++) {
		int c = i >= nw ? 1 : j >= ng ? -1 : strcmp(wn[i], gn[j]);
		if (c < 0) {
			snprintf(msg, msglen, "%s/%s is missing", gdir, wn[i]);
			res = -1;
			break;
		}
		if (c > 0) {
			snprintf(msg, msglen, "%s/%s should not exist", gdir,
				 gn[j]);
			res = -1;
			break;
		}
		char *a, *b;
		if (asprintf(&a, "%s/%s", wdir, wn[i]) < 0 ||
		    asprintf(&b, "%s/%s", gdir, gn[j]) < 0)
			abort();
		struct stat sa, sb;
		if (lstat(a, &sa) || lstat(b, &sb)) {
			snprintf(msg, msglen, "lstat %s or %s: %s", a, b,
				 strerror(errno));
			res = -1;
		} else if ((sa.st_mode & S_IFMT) != (sb.st_mode & S_IFMT)) {
			snprintf(msg, msglen, "%s: type 0%o, want 0%o", b,
				 sb.st_mode & S_IFMT, sa.st_mode & S_IFMT);
			res = -1;
		} else if ((flags & TEST_CMP_MODE) && !S_ISLNK(sa.st_mode) &&
			   (sa.st_mode & 07777) != (sb.st_mode & 07777)) {
			snprintf(msg, msglen, "%s: mode 0%o, want 0%o", b,
				 sb.st_mode & 07777, sa.st_mode & 07777);
			res = -1;
		} else if ((flags & TEST_CMP_NLINK) &&
			   sa.st_nlink != sb.st_nlink) {
			snprintf(msg, msglen, "%s: st_nlink %lu, want %lu", b,
				 (unsigned long)sb.st_nlink,
				 (unsigned long)sa.st_nlink);
			res = -1;
		} else if (!S_ISDIR(sa.st_mode) && sa.st_size != sb.st_size) {
			snprintf(msg, msglen, "%s: st_size %lld, want %lld", b,
				 (long long)sb.st_size, (long long)sa.st_size);
			res = -1;
		} else if (S_ISREG(sa.st_mode)) {
			res = cmp_host_file(a, b, sa.st_size, msg, msglen);
		} else if (S_ISLNK(sa.st_mode)) {
			char ta[8192], tb[8192];
			ssize_t la = readlink(a, ta, sizeof(ta));
			ssize_t lb = readlink(b, tb, sizeof(tb));
			if (la < 0 || la != lb || memcmp(ta, tb, (size_t)la)) {
				snprintf(msg, msglen,
					 "%s: link target \"%.*s\", want "
					 "\"%.*s\"",
					 b, lb > 0 ? (int)lb : 0, tb,
					 la > 0 ? (int)la : 0, ta);
				res = -1;
			}
		} else if (S_ISDIR(sa.st_mode)) {
			res = cmp_host_rec(a, b, flags, false, msg, msglen,
					      count);
		}
		if (res == 0 && count)
			(*count)++;
		free(a);
		free(b);
	}
	test_free_list(wn, nw);
	test_free_list(gn, ng);
	return res;
}

int test_compare_host_trees(const char *want, const char *got, unsigned flags,
			  char *msg, size_t msglen, size_t *nfiles)
{
	if (nfiles)
		*nfiles = 0;
	msg[0] = '\0';
	return cmp_host_rec(want, got, flags, true, msg, msglen, nfiles);
}
