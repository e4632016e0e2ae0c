/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_errors_cases.h -- the cases of test_errors.c, included once by it
 * (not a header of its own: it uses the runner's struct ectx and macros).
 *
 * A case is X(id, setup, call, errno, needle): setup (or NULL) prepares
 * what the call needs beyond the fixture; call is an expression over the
 * context c; errno is what Linux gives for the same (namespace cases were
 * tried on tmpfs); needle is what the message must name: the call's path,
 * or its name where it has no path (argument checks, handles), or the
 * reason; "a&b" asks for both.  Paths used: /d/ /d/g /e/ /f /l of the fixture; /nope, /z, /h
 * never exist.
 */

/* ---- setups ---------------------------------------------------------- */

/* A view of /f, 4 pages (2 past EOF), read-only, lazy. */
static void setup_view_ro(struct ectx *c)
{
	c->view_len = 4 * PG;
	CHECK_OK(daxfs_map(c->ro, 0, c->view_len, PROT_READ, 0, &c->view));
}

/* setup_view_ro, and /d/g open for writing. */
static void setup_view_g(struct ectx *c)
{
	setup_view_ro(c);
	c->g = check_open(c->fs, "/d/g", O_RDWR, 0);
}

/* An address of a view of /f that daxfs_unmap removed; no view left. */
static void setup_gone(struct ectx *c)
{
	void *p = NULL;

	CHECK_OK(daxfs_map(c->ro, 0, PG, PROT_READ, 0, &p));
	CHECK_OK(daxfs_unmap(p, PG));
	c->gone = p;
}

/* setup_gone, with another view alive. */
static void setup_gone_other(struct ectx *c)
{
	setup_gone(c);
	setup_view_ro(c);
}

/* Every handle closed; one view of /f left. */
static void setup_views_only(struct ectx *c)
{
	daxfs_file **fp[] = {&c->ro, &c->wo, &c->rw, &c->dh};
	daxfs_file *f = check_open(c->fs, "/f", O_RDONLY, 0);
	size_t i;

	c->view_len = PG;
	CHECK_OK(daxfs_map(f, 0, PG, PROT_READ, 0, &c->view));
	check_close(f);
	for (i = 0; i < sizeof(fp) / sizeof(fp[0]); i++) {
		check_close(*fp[i]);
		*fp[i] = NULL;
	}
}

/* A region path that does not exist ("auxmissing" in its name). */
static void setup_aux_missing(struct ectx *c)
{
	c->aux = test_image_path("auxmissing");
	c->aux_absent = true;
}

/* A region path in a directory that does not exist. */
static void setup_aux_nodir(struct ectx *c)
{
	static char path[512];

	snprintf(path, sizeof(path), "%s/missing/img", test_tmp_dir("auxnodir"));
	c->aux = path;
	c->aux_absent = true;
}

/* An empty regular file ("auxempty"). */
static void setup_aux_empty(struct ectx *c)
{
	c->aux = test_tmp_file("auxempty");
	cr_assert(c->aux);
}

/* A directory ("auxdir"). */
static void setup_aux_dir(struct ectx *c)
{
	c->aux = test_tmp_dir("auxdir");
	cr_assert(c->aux);
}

/* 1 MiB of zeros: no file system ("auxzeros"). */
static void setup_aux_zeros(struct ectx *c)
{
	static char zeros[TEST_MIB];

	c->aux = test_image_path("auxzeros");
	cr_assert_eq(test_write_file(c->aux, zeros, sizeof(zeros)), 0);
}

/* A fresh image with an unknown feature bit at superblock offset off. */
static void aux_feature(struct ectx *c, uint64_t off)
{
	c->aux = test_image_path("auxfeature");
	check_mkfs(c->aux, IMG_SIZE, 0, 0);
	check_raw_put_le32(c->aux, 1024 + off,
			   check_raw_le32(c->aux, 1024 + off) | 0x40000000u);
}

static void setup_aux_incompat(struct ectx *c)
{
	aux_feature(c, 0x60); /* s_feature_incompat */
}

static void setup_aux_rocompat(struct ectx *c)
{
	aux_feature(c, 0x64); /* s_feature_ro_compat */
}

/* /h: 2 pages, all hole (no block), open read-write as c->g. */
static void setup_sparse_h(struct ectx *c)
{
	c->g = check_open(c->fs, "/h", O_RDWR | O_CREAT, 0644);
	CHECK_OK(daxfs_ftruncate(c->g, 2 * PG));
}

/* A source one byte longer than the largest atomic write (zeros). */
static char big_buf[DAXFS_ATOMIC_WRITE_MAX + 1];

/* ---- calls that record what they made ---------------------------------- */

static int mkfs_opts(struct ectx *c, uint64_t size, uint32_t bs,
		     uint32_t inodes, const char *label)
{
	struct daxfs_mkfs_opts o = {size, bs, inodes, label};

	return daxfs_mkfs(c->aux, &o);
}

static int mount_rec(struct ectx *c, const char *path, unsigned flags)
{
	return daxfs_mount(path, flags, &c->fs2);
}

static int unmount_rec(struct ectx *c)
{
	int r = daxfs_unmount(c->fs);

	if (r == 0)
		c->fs = NULL;
	return r;
}

static int open_rec(struct ectx *c, const char *path, int flags)
{
	return daxfs_open(c->fs, path, flags, 0644, &c->opened);
}

static int map_rec(struct ectx *c, daxfs_file *f, off_t off, size_t len,
		   int prot, unsigned flags)
{
	int r = daxfs_map(f, off, len, prot, flags, &c->mapped);

	if (r == 0)
		c->mapped_len = len;
	else
		c->mapped = NULL;
	return r;
}

/* A readdir callback that does nothing. */
static int nop_cb(void *arg, const char *name, uint64_t ino, unsigned type)
{
	(void)arg;
	(void)name;
	(void)ino;
	(void)type;
	return 0;
}

#define F (c->fs)
#define RDONLY DAXFS_MOUNT_RDONLY
#define BIG_LEN ((size_t)SSIZE_MAX + 1)

/* ---- regions: mkfs, mount, unmount, statfs, devices --------------------- */

#define REGION_CASES(X)                                                       \
	X(mkfs_null_path, NULL, daxfs_mkfs(NULL, NULL), EINVAL, "mkfs")       \
	X(mkfs_empty_path, NULL, daxfs_mkfs("", NULL), EINVAL, "mkfs")        \
	X(mkfs_long_label, setup_aux_missing,                                 \
	  mkfs_opts(c, IMG_SIZE, 0, 0, "seventeen-bytes!!"), EINVAL, "label") \
	X(mkfs_bad_block_size, setup_aux_missing,                             \
	  mkfs_opts(c, IMG_SIZE, 3000, 0, NULL), EINVAL, "3000")              \
	X(mkfs_too_small, setup_aux_missing,                                  \
	  mkfs_opts(c, 16384, 0, 0, NULL), EINVAL, "small")                   \
	X(mkfs_too_many_inodes, setup_aux_missing,                            \
	  mkfs_opts(c, IMG_SIZE, 0, 1u << 30, NULL), EINVAL, "inodes")        \
	X(mkfs_no_size_missing_file, setup_aux_missing,                       \
	  daxfs_mkfs(c->aux, NULL), EINVAL, "auxmissing")                     \
	X(mkfs_missing_dir, setup_aux_nodir,                                  \
	  mkfs_opts(c, IMG_SIZE, 0, 0, NULL), ENOENT, "missing/img")          \
	X(mkfs_directory, setup_aux_dir, mkfs_opts(c, IMG_SIZE, 0, 0, NULL),  \
	  EISDIR, "auxdir")                                                   \
	X(mkfs_empty_file_no_size, setup_aux_empty, daxfs_mkfs(c->aux, NULL), \
	  EINVAL, "auxempty")                                                 \
	X(mkfs_dev_null, NULL, daxfs_mkfs("/dev/null", NULL), EINVAL,         \
	  "/dev/null&devdax")                                               \
	X(mkfs_mounted, NULL, daxfs_mkfs(c->img, NULL), EBUSY, "mounted")     \
	X(mount_null_path, NULL, mount_rec(c, NULL, 0), EINVAL, "mount")      \
	X(mount_empty_path, NULL, mount_rec(c, "", 0), EINVAL, "mount")       \
	X(mount_null_out, NULL, daxfs_mount(c->img, 0, NULL), EINVAL,         \
	  "mount")                                                            \
	X(mount_bad_flags, NULL, mount_rec(c, c->img, 0x100), EINVAL,         \
	  "flags")                                                            \
	X(mount_missing, setup_aux_missing, mount_rec(c, c->aux, 0), ENOENT,  \
	  "auxmissing")                                                       \
	X(mount_mounted, NULL, mount_rec(c, c->img, 0), EBUSY,                \
	  "daxfs-test-errors")                                                \
	X(mount_mounted_ro, NULL, mount_rec(c, c->img, RDONLY), EBUSY,        \
	  "daxfs-test-errors")                                                \
	X(mount_empty_file, setup_aux_empty, mount_rec(c, c->aux, 0),         \
	  EUCLEAN, "auxempty")                                                \
	X(mount_directory, setup_aux_dir, mount_rec(c, c->aux, 0), EISDIR,    \
	  "auxdir")                                                           \
	X(mount_directory_ro, setup_aux_dir, mount_rec(c, c->aux, RDONLY),    \
	  EINVAL, "auxdir")                                                   \
	X(mount_dev_null, NULL, mount_rec(c, "/dev/null", RDONLY), EINVAL,    \
	  "/dev/null&devdax")                                               \
	X(mount_dev_zero, NULL, mount_rec(c, "/dev/zero", RDONLY), EINVAL,    \
	  "/dev/zero&devdax")                                               \
	X(mount_no_fs, setup_aux_zeros, mount_rec(c, c->aux, 0), EUCLEAN,     \
	  "auxzeros")                                                         \
	X(mount_incompat, setup_aux_incompat, mount_rec(c, c->aux, 0),        \
	  EOPNOTSUPP, "incompatible")                                         \
	X(mount_rocompat, setup_aux_rocompat, mount_rec(c, c->aux, 0), EROFS, \
	  "read-only")                                                        \
	X(unmount_null, NULL, daxfs_unmount(NULL), EINVAL, "unmount")         \
	X(unmount_open_files, NULL, unmount_rec(c), EBUSY, "open")            \
	X(unmount_views_only, setup_views_only, unmount_rec(c), EBUSY,        \
	  "view")                                                             \
	X(statfs_null_fs, NULL, daxfs_statfs(NULL, &c->sv), EINVAL, "statfs") \
	X(statfs_null_st, NULL, daxfs_statfs(F, NULL), EINVAL, "statfs")      \
	X(cache_stats_null_fs, NULL, daxfs_cache_stats(NULL, &c->cs), EINVAL, \
	  "cache_stats")                                                      \
	X(cache_stats_null_st, NULL, daxfs_cache_stats(F, NULL), EINVAL,      \
	  "cache_stats")                                                      \
	X(set_cache_limit_null_fs, NULL, daxfs_set_cache_limit(NULL, 1),      \
	  EINVAL, "set_cache_limit")                                          \
	X(devices_negative_max, NULL, daxfs_devices(c->dev, -1), EINVAL,      \
	  "devices")                                                          \
	X(devices_null_devs, NULL, daxfs_devices(NULL, 2), EINVAL, "devices")

EC_GROUP(region, FIX_RW, REGION_CASES)

/* ---- namespace: mkdir rmdir unlink rename link symlink readlink stat readdir */

#define MKDIR_CASES(X)                                                        \
	X(mkdir_null_fs, NULL, daxfs_mkdir(NULL, "/z", 0755), EINVAL, "mkdir")\
	X(mkdir_null_path, NULL, daxfs_mkdir(F, NULL, 0755), EINVAL, "mkdir") \
	X(mkdir_relative, NULL, daxfs_mkdir(F, "rel/dir", 0755), EINVAL,      \
	  "rel/dir")                                                          \
	X(mkdir_path_too_long, NULL, daxfs_mkdir(F, c->longpath, 0755),       \
	  ENAMETOOLONG, "long")                                               \
	X(mkdir_name_too_long, NULL, daxfs_mkdir(F, c->longname, 0755),       \
	  ENAMETOOLONG, "255")                                                \
	X(mkdir_exists, NULL, daxfs_mkdir(F, "/d", 0755), EEXIST, "exists")   \
	X(mkdir_root, NULL, daxfs_mkdir(F, "/", 0755), EEXIST, "exists")      \
	X(mkdir_dotdot, NULL, daxfs_mkdir(F, "/d/..", 0755), EEXIST,          \
	  "exists")                                                           \
	X(mkdir_file_slash, NULL, daxfs_mkdir(F, "/f/", 0755), EEXIST,        \
	  "exists")                                                           \
	X(mkdir_parent_missing, NULL, daxfs_mkdir(F, "/nope/sub", 0755),      \
	  ENOENT, "nope")                                                     \
	X(mkdir_parent_file, NULL, daxfs_mkdir(F, "/f/sub", 0755), ENOTDIR,   \
	  "/f")

#define RMDIR_CASES(X)                                                        \
	X(rmdir_null_fs, NULL, daxfs_rmdir(NULL, "/e"), EINVAL, "rmdir")      \
	X(rmdir_null_path, NULL, daxfs_rmdir(F, NULL), EINVAL, "rmdir")       \
	X(rmdir_missing, NULL, daxfs_rmdir(F, "/nope"), ENOENT, "nope")       \
	X(rmdir_file, NULL, daxfs_rmdir(F, "/f"), ENOTDIR, "/f")              \
	X(rmdir_symlink, NULL, daxfs_rmdir(F, "/l"), ENOTDIR, "/l")           \
	X(rmdir_not_empty, NULL, daxfs_rmdir(F, "/d"), ENOTEMPTY, "/d")       \
	X(rmdir_root, NULL, daxfs_rmdir(F, "/"), EBUSY, "root")               \
	X(rmdir_dot, NULL, daxfs_rmdir(F, "/d/."), EINVAL, "\".\"")           \
	X(rmdir_dotdot, NULL, daxfs_rmdir(F, "/d/.."), ENOTEMPTY, "\"..\"")   \
	X(rmdir_under_file, NULL, daxfs_rmdir(F, "/f/x"), ENOTDIR, "/f")

#define UNLINK_CASES(X)                                                       \
	X(unlink_null_fs, NULL, daxfs_unlink(NULL, "/f"), EINVAL, "unlink")   \
	X(unlink_null_path, NULL, daxfs_unlink(F, NULL), EINVAL, "unlink")    \
	X(unlink_missing, NULL, daxfs_unlink(F, "/nope"), ENOENT, "nope")     \
	X(unlink_dir, NULL, daxfs_unlink(F, "/d"), EISDIR, "/d")              \
	X(unlink_root, NULL, daxfs_unlink(F, "/"), EISDIR, "\"/\"")           \
	X(unlink_dot, NULL, daxfs_unlink(F, "/d/."), EISDIR, "/d/.")          \
	X(unlink_file_slash, NULL, daxfs_unlink(F, "/f/"), ENOTDIR, "/f/")    \
	X(unlink_under_file, NULL, daxfs_unlink(F, "/f/x"), ENOTDIR, "/f")    \
	X(unlink_name_too_long, NULL, daxfs_unlink(F, c->longname),           \
	  ENAMETOOLONG, "255")

#define RENAME_CASES(X)                                                       \
	X(rename_null_fs, NULL, daxfs_rename(NULL, "/f", "/z"), EINVAL,       \
	  "rename")                                                           \
	X(rename_null_from, NULL, daxfs_rename(F, NULL, "/z"), EINVAL,        \
	  "rename")                                                           \
	X(rename_null_to, NULL, daxfs_rename(F, "/f", NULL), EINVAL,          \
	  "rename")                                                           \
	X(rename_relative, NULL, daxfs_rename(F, "f", "/z"), EINVAL, "\"f\"") \
	X(rename_missing, NULL, daxfs_rename(F, "/nope", "/z"), ENOENT,       \
	  "nope")                                                             \
	X(rename_to_parent_missing, NULL, daxfs_rename(F, "/f", "/nope/z"),   \
	  ENOENT, "nope")                                                     \
	X(rename_into_itself, NULL, daxfs_rename(F, "/d", "/d/sub"), EINVAL,  \
	  "itself")                                                           \
	X(rename_dir_over_file, NULL, daxfs_rename(F, "/d", "/f"), ENOTDIR,   \
	  "directory")                                                        \
	X(rename_file_over_dir, NULL, daxfs_rename(F, "/f", "/e"), EISDIR,    \
	  "directory")                                                        \
	X(rename_over_nonempty, NULL, daxfs_rename(F, "/e", "/d"), ENOTEMPTY, \
	  "empty")                                                            \
	X(rename_root, NULL, daxfs_rename(F, "/", "/z"), EBUSY, "root")       \
	X(rename_dot, NULL, daxfs_rename(F, "/d/.", "/z"), EBUSY, "\".\"")    \
	X(rename_dotdot, NULL, daxfs_rename(F, "/d/..", "/z"), EBUSY, "..")   \
	X(rename_to_dot, NULL, daxfs_rename(F, "/f", "/d/."), EBUSY, "\".\"") \
	X(rename_file_slash, NULL, daxfs_rename(F, "/f/", "/z"), ENOTDIR,     \
	  "slash")                                                            \
	X(rename_to_slash, NULL, daxfs_rename(F, "/f", "/z/"), ENOTDIR,       \
	  "slash")                                                            \
	X(rename_name_too_long, NULL, daxfs_rename(F, "/f", c->longname),     \
	  ENAMETOOLONG, "255")

#define LINK_CASES(X)                                                         \
	X(link_null_fs, NULL, daxfs_link(NULL, "/f", "/h"), EINVAL, "link")   \
	X(link_null_from, NULL, daxfs_link(F, NULL, "/h"), EINVAL, "link")    \
	X(link_null_to, NULL, daxfs_link(F, "/f", NULL), EINVAL, "link")      \
	X(link_missing, NULL, daxfs_link(F, "/nope", "/h"), ENOENT, "nope")   \
	X(link_dir, NULL, daxfs_link(F, "/d", "/h"), EPERM, "/d")             \
	X(link_exists, NULL, daxfs_link(F, "/f", "/d/g"), EEXIST, "exists")   \
	X(link_to_missing_slash, NULL, daxfs_link(F, "/f", "/h/"), ENOENT,    \
	  "/h")                                                               \
	X(link_to_parent_missing, NULL, daxfs_link(F, "/f", "/nope/h"),       \
	  ENOENT, "nope")                                                     \
	X(link_to_file_slash, NULL, daxfs_link(F, "/f", "/f/"), EEXIST,       \
	  "exists")                                                           \
	X(link_from_slash, NULL, daxfs_link(F, "/f/", "/h"), ENOTDIR, "/f/")  \
	X(link_to_under_file, NULL, daxfs_link(F, "/d/g", "/f/h"), ENOTDIR,   \
	  "/f")

#define SYMLINK_CASES(X)                                                      \
	X(symlink_null_fs, NULL, daxfs_symlink(NULL, "/f", "/z"), EINVAL,     \
	  "symlink")                                                          \
	X(symlink_null_target, NULL, daxfs_symlink(F, NULL, "/z"), EINVAL,    \
	  "symlink")                                                          \
	X(symlink_null_path, NULL, daxfs_symlink(F, "/f", NULL), EINVAL,      \
	  "symlink")                                                          \
	X(symlink_empty_target, NULL, daxfs_symlink(F, "", "/z"), ENOENT,     \
	  "empty")                                                            \
	X(symlink_target_too_long, NULL,                                      \
	  daxfs_symlink(F, c->longtarget, "/z"), ENAMETOOLONG, "symlink")     \
	X(symlink_exists, NULL, daxfs_symlink(F, "/f", "/d/g"), EEXIST,       \
	  "exists")                                                           \
	X(symlink_parent_missing, NULL, daxfs_symlink(F, "/f", "/nope/z"),    \
	  ENOENT, "nope")                                                     \
	X(symlink_slash, NULL, daxfs_symlink(F, "/f", "/z/"), ENOENT, "/z/")

#define LOOKUP_CASES(X)                                                       \
	X(readlink_null_fs, NULL, daxfs_readlink(NULL, "/l", c->buf, 10),     \
	  EINVAL, "readlink")                                                 \
	X(readlink_null_buf, NULL, daxfs_readlink(F, "/l", NULL, 10), EINVAL, \
	  "readlink")                                                         \
	X(readlink_null_path, NULL, daxfs_readlink(F, NULL, c->buf, 10),      \
	  EINVAL, "readlink")                                                 \
	X(readlink_missing, NULL, daxfs_readlink(F, "/nope", c->buf, 10),     \
	  ENOENT, "nope")                                                     \
	X(readlink_file, NULL, daxfs_readlink(F, "/f", c->buf, 10), EINVAL,   \
	  "/f")                                                               \
	X(readlink_dir, NULL, daxfs_readlink(F, "/d", c->buf, 10), EINVAL,    \
	  "/d")                                                               \
	X(readlink_bad_buf, NULL, daxfs_readlink(F, "/l", c->none, 10),       \
	  EFAULT, "bad address")                                              \
	X(stat_null_fs, NULL, daxfs_stat(NULL, "/f", &c->st), EINVAL, "stat") \
	X(stat_null_st, NULL, daxfs_stat(F, "/f", NULL), EINVAL, "stat")      \
	X(stat_null_path, NULL, daxfs_stat(F, NULL, &c->st), EINVAL, "stat")  \
	X(stat_relative, NULL, daxfs_stat(F, "d", &c->st), EINVAL, "\"d\"")   \
	X(stat_missing, NULL, daxfs_stat(F, "/nope", &c->st), ENOENT, "nope") \
	X(stat_file_slash, NULL, daxfs_stat(F, "/f/", &c->st), ENOTDIR,       \
	  "/f/")                                                              \
	X(stat_under_file, NULL, daxfs_stat(F, "/f/x", &c->st), ENOTDIR,      \
	  "/f")                                                               \
	X(stat_path_too_long, NULL, daxfs_stat(F, c->longpath, &c->st),       \
	  ENAMETOOLONG, "long")                                               \
	X(readdir_null_fs, NULL, daxfs_readdir(NULL, "/d", nop_cb, NULL),     \
	  EINVAL, "readdir")                                                  \
	X(readdir_null_fn, NULL, daxfs_readdir(F, "/d", NULL, NULL), EINVAL,  \
	  "readdir")                                                          \
	X(readdir_null_path, NULL, daxfs_readdir(F, NULL, nop_cb, NULL),      \
	  EINVAL, "readdir")                                                  \
	X(readdir_missing, NULL, daxfs_readdir(F, "/nope", nop_cb, NULL),     \
	  ENOENT, "nope")                                                     \
	X(readdir_file, NULL, daxfs_readdir(F, "/f", nop_cb, NULL), ENOTDIR,  \
	  "/f")                                                               \
	X(readdir_file_slash, NULL, daxfs_readdir(F, "/f/", nop_cb, NULL),    \
	  ENOTDIR, "/f/")

EC_GROUP(mkdir, FIX_RW, MKDIR_CASES)
EC_GROUP(rmdir, FIX_RW, RMDIR_CASES)
EC_GROUP(unlink, FIX_RW, UNLINK_CASES)
EC_GROUP(rename, FIX_RW, RENAME_CASES)
EC_GROUP(link, FIX_RW, LINK_CASES)
EC_GROUP(symlink, FIX_RW, SYMLINK_CASES)
EC_GROUP(lookup, FIX_RW, LOOKUP_CASES)

/* ---- files: open close pread pwrite ftruncate fsync fstat ---------------- */

#define OPEN_CASES(X)                                                         \
	X(open_null_fs, NULL, daxfs_open(NULL, "/f", O_RDONLY, 0, &c->opened),\
	  EINVAL, "open")                                                     \
	X(open_null_path, NULL, open_rec(c, NULL, O_RDONLY), EINVAL, "open")  \
	X(open_null_out, NULL, daxfs_open(F, "/f", O_RDONLY, 0, NULL),        \
	  EINVAL, "open")                                                     \
	X(open_bad_flags, NULL, open_rec(c, "/f", O_RDONLY | 0x10000000),     \
	  EINVAL, "flags")                                                    \
	X(open_bad_accmode, NULL, open_rec(c, "/f", O_ACCMODE), EINVAL,       \
	  "flags")                                                            \
	X(open_missing, NULL, open_rec(c, "/nope", O_RDONLY), ENOENT, "nope") \
	X(open_excl_exists, NULL, open_rec(c, "/f", O_RDWR | O_CREAT | O_EXCL),\
	  EEXIST, "/f")                                                       \
	X(open_dir_rdwr, NULL, open_rec(c, "/d", O_RDWR), EISDIR, "/d")       \
	X(open_dir_trunc, NULL, open_rec(c, "/d", O_RDONLY | O_TRUNC), EISDIR,\
	  "/d")                                                               \
	X(open_symlink, NULL, open_rec(c, "/l", O_RDONLY), ELOOP, "/l")       \
	X(open_path_creat, NULL, open_rec(c, "/f", O_PATH | O_CREAT), EINVAL, \
	  "O_PATH")                                                           \
	X(open_path_rdwr, NULL, open_rec(c, "/f", O_PATH | O_RDWR), EINVAL,   \
	  "O_PATH")                                                           \
	X(open_path_missing, NULL, open_rec(c, "/nope", O_PATH), ENOENT,      \
	  "nope")                                                             \
	X(open_file_slash, NULL, open_rec(c, "/f/", O_RDONLY), ENOTDIR,       \
	  "/f/")                                                              \
	X(open_creat_rdonly_dir, NULL, open_rec(c, "/d", O_RDONLY | O_CREAT), \
	  EISDIR, "/d")                                                       \
	X(open_creat_dir_slash, NULL, open_rec(c, "/d/", O_RDWR | O_CREAT),   \
	  EISDIR, "/d/")                                                      \
	X(open_creat_missing_slash, NULL,                                     \
	  open_rec(c, "/h/", O_RDWR | O_CREAT | O_EXCL), EISDIR, "/h/")       \
	X(open_creat_under_file, NULL, open_rec(c, "/f/z", O_RDWR | O_CREAT), \
	  ENOTDIR, "/f")                                                      \
	X(open_creat_parent_missing, NULL,                                    \
	  open_rec(c, "/nope/z", O_RDWR | O_CREAT), ENOENT, "nope")           \
	X(open_creat_name_too_long, NULL,                                     \
	  open_rec(c, c->longname, O_RDWR | O_CREAT), ENAMETOOLONG, "255")    \
	X(close_null, NULL, daxfs_close(NULL), EINVAL, "close")

#define IO_CASES(X)                                                           \
	X(pread_null_f, NULL, daxfs_pread(NULL, c->buf, 10, 0), EINVAL,       \
	  "pread")                                                            \
	X(pread_null_buf, NULL, daxfs_pread(c->ro, NULL, 10, 0), EINVAL,      \
	  "pread")                                                            \
	X(pread_write_only, NULL, daxfs_pread(c->wo, c->buf, 10, 0), EBADF,   \
	  "pread")                                                            \
	X(pread_negative_off, NULL, daxfs_pread(c->ro, c->buf, 10, -1),       \
	  EINVAL, "pread")                                                    \
	X(pread_dir, NULL, daxfs_pread(c->dh, c->buf, 10, 0), EISDIR,         \
	  "pread")                                                            \
	X(pread_len_size_max, NULL, daxfs_pread(c->ro, c->buf, SIZE_MAX, 0),  \
	  EINVAL, "pread")                                                    \
	X(pread_len_past_ssize_max, NULL,                                     \
	  daxfs_pread(c->ro, c->buf, BIG_LEN, 0), EINVAL, "pread")            \
	X(pread_into_no_access, NULL, daxfs_pread(c->ro, c->none, 100, 0),    \
	  EFAULT, "pread")                                                    \
	X(pwrite_null_f, NULL, daxfs_pwrite(NULL, c->buf, 10, 0), EINVAL,     \
	  "pwrite")                                                           \
	X(pwrite_null_buf, NULL, daxfs_pwrite(c->rw, NULL, 10, 0), EINVAL,    \
	  "pwrite")                                                           \
	X(pwrite_read_only, NULL, daxfs_pwrite(c->ro, c->buf, 10, 0), EBADF,  \
	  "pwrite")                                                           \
	X(pwrite_dir, NULL, daxfs_pwrite(c->dh, c->buf, 10, 0), EBADF,        \
	  "pwrite")                                                           \
	X(pwrite_negative_off, NULL, daxfs_pwrite(c->rw, c->buf, 10, -1),     \
	  EINVAL, "pwrite")                                                   \
	X(pwrite_at_linux_max, NULL,                                          \
	  daxfs_pwrite(c->rw, c->buf, 10, LINUX_MAXBYTES), EFBIG, "pwrite")   \
	X(pwrite_at_off_max, NULL,                                            \
	  daxfs_pwrite(c->rw, c->buf, 10, INT64_MAX), EFBIG, "pwrite")        \
	X(pwrite_len_size_max, NULL, daxfs_pwrite(c->rw, c->buf, SIZE_MAX, 0),\
	  EINVAL, "pwrite")                                                   \
	X(pwrite_len_past_ssize_max, NULL,                                    \
	  daxfs_pwrite(c->rw, c->buf, BIG_LEN, 0), EINVAL, "pwrite")          \
	X(pwrite_from_no_access, NULL,                                        \
	  daxfs_pwrite(c->rw, c->none, 100, TEST_MIB), EFAULT, "pwrite")      \
	X(pwrite_from_no_access_1tib, NULL,                                   \
	  daxfs_pwrite(c->rw, c->none, 1ULL << 40, 0), EFAULT, "pwrite")      \
	X(ftruncate_null, NULL, daxfs_ftruncate(NULL, 0), EINVAL, "ftruncate")\
	X(ftruncate_read_only, NULL, daxfs_ftruncate(c->ro, 0), EBADF,        \
	  "ftruncate")                                                        \
	X(ftruncate_dir, NULL, daxfs_ftruncate(c->dh, 0), EBADF, "ftruncate") \
	X(ftruncate_negative, NULL, daxfs_ftruncate(c->rw, -1), EINVAL,       \
	  "ftruncate")                                                        \
	X(ftruncate_past_linux_max, NULL,                                     \
	  daxfs_ftruncate(c->rw, LINUX_MAXBYTES + 1), EFBIG, "largest")       \
	X(fsync_null, NULL, daxfs_fsync(NULL), EINVAL, "fsync")               \
	X(fstat_null_f, NULL, daxfs_fstat(NULL, &c->st), EINVAL, "fstat")     \
	X(fstat_null_st, NULL, daxfs_fstat(c->ro, NULL), EINVAL, "fstat")

/* daxfs_pwrite2: its flags, and daxfs_pwrite's own checks under them. */
#define A DAXFS_WRITE_ATOMIC
#define PWRITE2_CASES(X)                                                      \
	X(pwrite2_null_f, NULL, daxfs_pwrite2(NULL, c->buf, 10, 0, A), EINVAL,\
	  "pwrite2")                                                          \
	X(pwrite2_null_buf, NULL, daxfs_pwrite2(c->rw, NULL, 10, 0, A),       \
	  EINVAL, "pwrite2")                                                  \
	X(pwrite2_unknown_flag, NULL, daxfs_pwrite2(c->rw, c->buf, 10, 0, 0x4),\
	  EINVAL, "pwrite2&flags")                                            \
	X(pwrite2_unknown_flag_with_atomic, NULL,                             \
	  daxfs_pwrite2(c->rw, c->buf, 10, 0, A | 0x80000000u), EINVAL,       \
	  "pwrite2&flags")                                                    \
	X(pwrite2_atomic_and_lazy, NULL,                                      \
	  daxfs_pwrite2(c->rw, c->buf, 10, 0, A | DAXFS_WRITE_LAZY), EINVAL,  \
	  "pwrite2&LAZY")                                                     \
	X(pwrite2_atomic_too_long, NULL,                                      \
	  daxfs_pwrite2(c->rw, big_buf, DAXFS_ATOMIC_WRITE_MAX + 1, 0, A),    \
	  EINVAL, "pwrite2&atomic")                                           \
	X(pwrite2_read_only, NULL, daxfs_pwrite2(c->ro, c->buf, 10, 0, A),    \
	  EBADF, "pwrite2")                                                   \
	X(pwrite2_lazy_read_only, NULL,                                       \
	  daxfs_pwrite2(c->ro, c->buf, 10, 0, DAXFS_WRITE_LAZY), EBADF,       \
	  "pwrite2")                                                          \
	X(pwrite2_dir, NULL, daxfs_pwrite2(c->dh, c->buf, 10, 0, A), EBADF,   \
	  "pwrite2")                                                          \
	X(pwrite2_negative_off, NULL, daxfs_pwrite2(c->rw, c->buf, 10, -1, A),\
	  EINVAL, "pwrite2&negative")                                         \
	X(pwrite2_len_past_ssize_max, NULL,                                   \
	  daxfs_pwrite2(c->rw, c->buf, BIG_LEN, 0, A), EINVAL, "pwrite2")     \
	X(pwrite2_at_linux_max, NULL,                                         \
	  daxfs_pwrite2(c->rw, c->buf, 10, LINUX_MAXBYTES, A), EFBIG,         \
	  "pwrite2")                                                          \
	X(pwrite2_atomic_from_no_access, NULL,                                \
	  daxfs_pwrite2(c->rw, c->none, 100, 0, A), EFAULT, "pwrite2")        \
	X(pwrite2_atomic_from_no_access_past_eof, NULL,                       \
	  daxfs_pwrite2(c->rw, c->none, 100, TEST_MIB, A), EFAULT, "pwrite2") \
	X(pwrite2_atomic_from_no_access_hole, setup_sparse_h,                 \
	  daxfs_pwrite2(c->g, c->none, 100, PG, A), EFAULT, "pwrite2")        \
	X(pwrite2_lazy_from_no_access, NULL,                                  \
	  daxfs_pwrite2(c->rw, c->none, 100, 0, DAXFS_WRITE_LAZY), EFAULT,    \
	  "pwrite2")

/* daxfs_fallocate: arguments and modes, in the order of Linux's
 * vfs_fallocate; ext2's own limits (blocks past EOF). */
#define PH (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE)
#define FALLOC_CASES(X)                                                       \
	X(fallocate_null, NULL, daxfs_fallocate(NULL, 0, 0, PG), EINVAL,      \
	  "fallocate")                                                        \
	X(fallocate_negative_off, NULL, daxfs_fallocate(c->rw, 0, -1, PG),    \
	  EINVAL, "fallocate&negative")                                       \
	X(fallocate_zero_len, NULL, daxfs_fallocate(c->rw, 0, 0, 0), EINVAL,  \
	  "fallocate&length")                                                 \
	X(fallocate_negative_len, NULL, daxfs_fallocate(c->rw, PH, 0, -PG),   \
	  EINVAL, "fallocate&length")                                         \
	X(fallocate_unknown_flag, NULL,                                       \
	  daxfs_fallocate(c->rw, 0x1000, 0, PG), EOPNOTSUPP, "fallocate&0x1000")\
	X(fallocate_punch_no_keep, NULL,                                      \
	  daxfs_fallocate(c->rw, FALLOC_FL_PUNCH_HOLE, 0, PG), EOPNOTSUPP,    \
	  "fallocate&KEEP_SIZE")                                              \
	X(fallocate_punch_and_zero, NULL,                                     \
	  daxfs_fallocate(c->rw, PH | FALLOC_FL_ZERO_RANGE, 0, PG),           \
	  EOPNOTSUPP, "fallocate&ZERO_RANGE")                                 \
	X(fallocate_collapse_with_keep, NULL,                                 \
	  daxfs_fallocate(c->rw, FALLOC_FL_COLLAPSE_RANGE |                   \
			  FALLOC_FL_KEEP_SIZE, 0, PG), EINVAL, "fallocate&COLLAPSE")\
	X(fallocate_collapse, NULL,                                           \
	  daxfs_fallocate(c->rw, FALLOC_FL_COLLAPSE_RANGE, 0, PG), EOPNOTSUPP,\
	  "fallocate&collapse")                                               \
	X(fallocate_insert, NULL,                                             \
	  daxfs_fallocate(c->rw, FALLOC_FL_INSERT_RANGE, 0, PG), EOPNOTSUPP,  \
	  "fallocate&insert")                                                 \
	X(fallocate_unshare, NULL,                                            \
	  daxfs_fallocate(c->rw, FALLOC_FL_UNSHARE_RANGE, 0, PG), EOPNOTSUPP, \
	  "fallocate&unshare")                                                \
	X(fallocate_no_hide_stale, NULL,                                      \
	  daxfs_fallocate(c->rw, PH | FALLOC_FL_NO_HIDE_STALE, 0, PG),        \
	  EOPNOTSUPP, "fallocate&NO_HIDE_STALE")                              \
	X(fallocate_keep_size_past_eof, NULL,                                 \
	  daxfs_fallocate(c->rw, FALLOC_FL_KEEP_SIZE, 0, 64 * PG), EOPNOTSUPP,\
	  "fallocate&past EOF")                                               \
	X(fallocate_read_only, NULL, daxfs_fallocate(c->ro, 0, 0, PG), EBADF, \
	  "fallocate")                                                        \
	X(fallocate_punch_read_only, NULL, daxfs_fallocate(c->ro, PH, 0, PG), \
	  EBADF, "fallocate")                                                 \
	X(fallocate_dir, NULL, daxfs_fallocate(c->dh, 0, 0, PG), EBADF,       \
	  "fallocate")                                                        \
	X(fallocate_overflow, NULL,                                           \
	  daxfs_fallocate(c->rw, 0, INT64_MAX - 10, PG), EFBIG,               \
	  "fallocate&overflows")                                              \
	X(fallocate_past_linux_max, NULL,                                     \
	  daxfs_fallocate(c->rw, 0, LINUX_MAXBYTES - PG, 2 * PG), EFBIG,      \
	  "fallocate&largest")                                                \
	X(fallocate_punch_past_linux_max, NULL,                               \
	  daxfs_fallocate(c->rw, PH, 0, LINUX_MAXBYTES + 1), EFBIG,           \
	  "fallocate&largest")

EC_GROUP(open, FIX_RW, OPEN_CASES)
EC_GROUP(io, FIX_RW, IO_CASES)
EC_GROUP(fallocate, FIX_RW, FALLOC_CASES)
EC_GROUP(pwrite2, FIX_RW, PWRITE2_CASES)

/* ---- views: map unmap persist, and views as pread/pwrite buffers --------- */

#define VIEW_CASES(X)                                                         \
	X(map_null_f, NULL, daxfs_map(NULL, 0, PG, PROT_READ, 0, &c->mapped), \
	  EINVAL, "map")                                                      \
	X(map_null_addr, NULL, daxfs_map(c->ro, 0, PG, PROT_READ, 0, NULL),   \
	  EINVAL, "map")                                                      \
	X(map_unaligned, NULL, map_rec(c, c->ro, 100, PG, PROT_READ, 0),      \
	  EINVAL, "offset")                                                   \
	X(map_negative_off, NULL, map_rec(c, c->ro, -4096, PG, PROT_READ, 0), \
	  EINVAL, "offset")                                                   \
	X(map_zero_len, NULL, map_rec(c, c->ro, 0, 0, PROT_READ, 0), EINVAL,  \
	  "length")                                                           \
	X(map_huge_len, NULL, map_rec(c, c->ro, 0, SIZE_MAX, PROT_READ, 0),   \
	  EINVAL, "length")                                                   \
	X(map_bad_flags, NULL, map_rec(c, c->ro, 0, PG, PROT_READ, 0x80),     \
	  EINVAL, "flags")                                                    \
	X(map_prot_none, NULL, map_rec(c, c->ro, 0, PG, PROT_NONE, 0), EINVAL,\
	  "prot")                                                             \
	X(map_prot_exec, NULL,                                                \
	  map_rec(c, c->ro, 0, PG, PROT_READ | PROT_EXEC, 0), EINVAL, "prot") \
	X(map_write_on_read_only, NULL,                                       \
	  map_rec(c, c->ro, 0, PG, PROT_READ | PROT_WRITE, 0), EACCES,        \
	  "PROT_WRITE")                                                       \
	X(map_read_on_write_only, NULL,                                       \
	  map_rec(c, c->wo, 0, PG, PROT_READ, 0), EACCES, "reading")          \
	X(map_dir, NULL, map_rec(c, c->dh, 0, PG, PROT_READ, 0), ENODEV,      \
	  "regular")                                                          \
	X(unmap_null, NULL, daxfs_unmap(NULL, PG), EINVAL, "unmap")           \
	X(unmap_not_a_view, NULL, daxfs_unmap(c->buf, PG), EINVAL, "unmap")   \
	X(unmap_part, setup_view_ro, daxfs_unmap(c->view, PG), EINVAL,        \
	  "whole")                                                            \
	X(unmap_inside, setup_view_ro,                                        \
	  daxfs_unmap((char *)c->view + PG, 3 * PG), EINVAL, "unmap")         \
	X(unmap_twice, setup_gone, daxfs_unmap(c->gone, PG), EINVAL, "unmap") \
	X(persist_null, NULL, daxfs_persist(NULL, 10), EINVAL, "persist")     \
	X(persist_not_a_view, NULL, daxfs_persist(c->buf, 10), EINVAL,        \
	  "persist")                                                          \
	X(persist_past_view, setup_view_ro,                                   \
	  daxfs_persist((char *)c->view + 4 * PG - 10, 20), EINVAL, "persist")\
	X(persist_unmapped, setup_gone, daxfs_persist(c->gone, 10), EINVAL,   \
	  "persist")                                                          \
	X(pread_into_read_only_view, setup_view_ro,                           \
	  daxfs_pread(c->ro, c->view, 100, 0), EFAULT, "pread")               \
	X(pwrite_from_view_past_eof, setup_view_g,                            \
	  daxfs_pwrite(c->g, (char *)c->view + 2 * PG, 100, 0), EFAULT,       \
	  "pwrite")                                                           \
	X(pread_into_unmapped_view, setup_gone,                               \
	  daxfs_pread(c->ro, c->gone, 100, 0), EFAULT, "pread")               \
	X(pread_into_unmapped_view_other_alive, setup_gone_other,             \
	  daxfs_pread(c->ro, c->gone, 100, 0), EFAULT, "pread")               \
	X(pread_into_no_access_view_alive, setup_view_ro,                     \
	  daxfs_pread(c->ro, c->none, 100, 0), EFAULT, "pread")

EC_GROUP(view, FIX_RW, VIEW_CASES)

/* ---- attributes: chmod chown utimens mknod xattrs access ---------------- */

/* /f has the attribute user.a = "12". */
static void setup_xattr(struct ectx *c)
{
	CHECK_OK(daxfs_setxattr(c->fs, "/f", "user.a", "12", 2, 0));
}

/* times with a bad tv_nsec. */
static const struct timespec bad_times[2] = {{0, 1000000000L}, {0, 0}};

#define ATTR_CASES(X)                                                         \
	X(chmod_null_fs, NULL, daxfs_chmod(NULL, "/f", 0600), EINVAL, "chmod")\
	X(chmod_missing, NULL, daxfs_chmod(F, "/nope", 0600), ENOENT, "nope") \
	X(chmod_under_file, NULL, daxfs_chmod(F, "/f/x", 0600), ENOTDIR,      \
	  "/f")                                                               \
	X(chmod_relative, NULL, daxfs_chmod(F, "f", 0600), EINVAL, "absolute")\
	X(fchmod_null, NULL, daxfs_fchmod(NULL, 0600), EINVAL, "fchmod")      \
	X(chown_null_fs, NULL, daxfs_chown(NULL, "/f", 1, 1), EINVAL, "chown")\
	X(chown_missing, NULL, daxfs_chown(F, "/nope", 1, 1), ENOENT, "nope") \
	X(fchown_null, NULL, daxfs_fchown(NULL, 1, 1), EINVAL, "fchown")      \
	X(utimens_bad_nsec, NULL, daxfs_utimens(F, "/f", bad_times), EINVAL,  \
	  "tv_nsec")                                                          \
	X(utimens_missing, NULL, daxfs_utimens(F, "/nope", NULL), ENOENT,     \
	  "nope")                                                             \
	X(futimens_bad_nsec, NULL, daxfs_futimens(c->rw, bad_times), EINVAL,  \
	  "tv_nsec")                                                          \
	X(futimens_null, NULL, daxfs_futimens(NULL, NULL), EINVAL, "futimens")\
	X(mknod_dir, NULL, daxfs_mknod(F, "/z", S_IFDIR | 0755, 0), EPERM,    \
	  "mkdir")                                                            \
	X(mknod_symlink_type, NULL, daxfs_mknod(F, "/z", S_IFLNK | 0777, 0),  \
	  EINVAL, "type")                                                     \
	X(mknod_exists, NULL, daxfs_mknod(F, "/f", S_IFIFO | 0644, 0), EEXIST,\
	  "exists")                                                           \
	X(mknod_big_dev, NULL,                                                \
	  daxfs_mknod(F, "/z", S_IFCHR | 0644, makedev(5000, 1)), EINVAL,     \
	  "32-bit")                                                           \
	X(mknod_no_parent, NULL, daxfs_mknod(F, "/nope/z", S_IFIFO, 0),       \
	  ENOENT, "nope")                                                     \
	X(getxattr_missing, NULL, daxfs_getxattr(F, "/f", "user.x", c->buf,   \
	  10), ENODATA, "user.x")                                             \
	X(getxattr_too_small, setup_xattr, daxfs_getxattr(F, "/f", "user.a",  \
	  c->buf, 1), ERANGE, "user.a")                                       \
	X(getxattr_no_file, NULL, daxfs_getxattr(F, "/nope", "user.a",        \
	  c->buf, 10), ENOENT, "nope")                                        \
	X(getxattr_prefix, NULL, daxfs_getxattr(F, "/f", "os2.x", c->buf, 10),\
	  EOPNOTSUPP, "user.")                                                \
	X(getxattr_empty_name, NULL, daxfs_getxattr(F, "/f", "", c->buf, 10), \
	  ERANGE, "empty")                                                    \
	X(getxattr_long_name, NULL, daxfs_getxattr(F, "/f", c->longname,      \
	  c->buf, 10), ERANGE, "255")                                         \
	X(setxattr_flags, NULL, daxfs_setxattr(F, "/f", "user.a", "1", 1, 4), \
	  EINVAL, "flags")                                                    \
	X(setxattr_create_exists, setup_xattr,                                \
	  daxfs_setxattr(F, "/f", "user.a", "2", 1, XATTR_CREATE), EEXIST,    \
	  "user.a")                                                           \
	X(setxattr_replace_missing, NULL,                                     \
	  daxfs_setxattr(F, "/f", "user.b", "2", 1, XATTR_REPLACE), ENODATA,  \
	  "user.b")                                                           \
	X(setxattr_too_big, NULL, daxfs_setxattr(F, "/f", "user.a", big_buf,  \
	  65537, 0), E2BIG, "XATTR_SIZE_MAX")                                 \
	X(setxattr_no_room, NULL, daxfs_setxattr(F, "/f", "user.a", big_buf,  \
	  8192, 0), ENOSPC, "block")                                          \
	X(setxattr_bare_prefix, NULL, daxfs_setxattr(F, "/f", "user.", "1", 1,\
	  0), EINVAL, "prefix")                                               \
	X(setxattr_symlink_user, NULL, daxfs_setxattr(F, "/l", "user.a", "1", \
	  1, 0), EPERM, "regular")                                            \
	X(setxattr_bad_acl, NULL, daxfs_setxattr(F, "/f",                     \
	  "system.posix_acl_access", "junkjunkjunk", 12, 0), EINVAL, "ACL")   \
	X(setxattr_null_value, NULL, daxfs_setxattr(F, "/f", "user.a", NULL,  \
	  3, 0), EINVAL, "NULL")                                              \
	X(removexattr_missing, NULL, daxfs_removexattr(F, "/f", "user.a"),    \
	  ENODATA, "user.a")                                                  \
	X(listxattr_small, setup_xattr, daxfs_listxattr(F, "/f", c->buf, 3),  \
	  ERANGE, "bytes")                                                    \
	X(listxattr_null_list, NULL, daxfs_listxattr(F, "/f", NULL, 3),       \
	  EINVAL, "NULL")                                                     \
	X(access_missing, NULL, daxfs_access(F, "/nope", F_OK), ENOENT,       \
	  "nope")                                                             \
	X(access_bad_mode, NULL, daxfs_access(F, "/f", 8), EINVAL, "mode")    \
	X(access_exec, NULL, daxfs_access(F, "/f", X_OK), EACCES, "/f")

EC_GROUP(attr, FIX_RW, ATTR_CASES)

/* ---- a read-only mount ------------------------------------------------- */

#define RO_CASES(X)                                                           \
	X(ro_mkdir, NULL, daxfs_mkdir(F, "/z", 0755), EROFS, "read-only")     \
	X(ro_mkdir_exists, NULL, daxfs_mkdir(F, "/d", 0755), EEXIST, "exists")\
	X(ro_rmdir, NULL, daxfs_rmdir(F, "/e"), EROFS, "read-only")           \
	X(ro_unlink, NULL, daxfs_unlink(F, "/f"), EROFS, "read-only")         \
	X(ro_rename, NULL, daxfs_rename(F, "/f", "/z"), EROFS, "read-only")   \
	X(ro_link, NULL, daxfs_link(F, "/f", "/z"), EROFS, "read-only")       \
	X(ro_symlink, NULL, daxfs_symlink(F, "/f", "/z"), EROFS, "read-only") \
	X(ro_open_rdwr, NULL, open_rec(c, "/f", O_RDWR), EROFS, "read-only")  \
	X(ro_open_wronly, NULL, open_rec(c, "/f", O_WRONLY), EROFS,           \
	  "read-only")                                                        \
	X(ro_open_trunc, NULL, open_rec(c, "/f", O_RDONLY | O_TRUNC), EROFS,  \
	  "read-only")                                                        \
	X(ro_open_create, NULL, open_rec(c, "/z", O_RDONLY | O_CREAT), EROFS, \
	  "read-only")                                                        \
	X(ro_pwrite, NULL, daxfs_pwrite(c->ro, c->buf, 10, 0), EBADF,         \
	  "pwrite")                                                           \
	X(ro_pwrite2, NULL, daxfs_pwrite2(c->ro, c->buf, 10, 0, A), EBADF,    \
	  "pwrite2")                                                          \
	X(ro_ftruncate, NULL, daxfs_ftruncate(c->ro, 0), EBADF, "ftruncate")  \
	X(ro_map_write, NULL,                                                 \
	  map_rec(c, c->ro, 0, PG, PROT_READ | PROT_WRITE, 0), EACCES,        \
	  "PROT_WRITE")                                                       \
	X(ro_chmod, NULL, daxfs_chmod(F, "/f", 0600), EROFS, "read-only")     \
	X(ro_chmod_missing, NULL, daxfs_chmod(F, "/nope", 0600), ENOENT,      \
	  "nope")                                                             \
	X(ro_fchown, NULL, daxfs_fchown(c->ro, 1, 1), EROFS, "read-only")     \
	X(ro_utimens, NULL, daxfs_utimens(F, "/f", NULL), EROFS, "read-only") \
	X(ro_mknod, NULL, daxfs_mknod(F, "/z", S_IFIFO | 0644, 0), EROFS,     \
	  "read-only")                                                        \
	X(ro_setxattr, NULL, daxfs_setxattr(F, "/f", "user.a", "1", 1, 0),    \
	  EROFS, "read-only")                                                 \
	X(ro_removexattr, NULL, daxfs_removexattr(F, "/f", "user.a"), EROFS,  \
	  "read-only")                                                        \
	X(ro_access_write, NULL, daxfs_access(F, "/f", W_OK), EROFS,          \
	  "read-only")

EC_GROUP(rdonly, FIX_RO, RO_CASES)

/* ---- no space left ----------------------------------------------------- */

#define FULL_CASES(X)                                                         \
	X(full_pwrite_hole, NULL, daxfs_pwrite(c->rw, c->buf, 100, TEST_MIB), \
	  ENOSPC, "free")                                                     \
	X(full_pwrite2_atomic_overwrite, NULL,                                \
	  daxfs_pwrite2(c->rw, c->buf, 100, 0, A), ENOSPC, "pwrite2")         \
	X(full_mkdir, NULL, daxfs_mkdir(F, "/z", 0755), ENOSPC, "free")       \
	X(full_symlink_long, NULL, daxfs_symlink(F, c->longlink, "/z"),       \
	  ENOSPC, "free")                                                     \
	X(full_open_create, NULL, open_rec(c, "/full/new", O_RDWR | O_CREAT), \
	  ENOSPC, "free")                                                     \
	X(full_link, NULL, daxfs_link(F, "/f", "/full/new"), ENOSPC, "free")  \
	X(full_rename, NULL, daxfs_rename(F, "/f", "/full/new"), ENOSPC,      \
	  "free")                                                             \
	X(full_fallocate, NULL, daxfs_fallocate(c->rw, 0, 0, 64 * TEST_MIB),  \
	  ENOSPC, "free")                                                     \
	X(full_fallocate_zero_range, NULL,                                    \
	  daxfs_fallocate(c->rw, FALLOC_FL_ZERO_RANGE, TEST_MIB, TEST_MIB),   \
	  ENOSPC, "free")                                                     \
	X(full_map_populate, setup_sparse_h,                                  \
	  map_rec(c, c->g, 0, 2 * PG, PROT_READ | PROT_WRITE,                 \
		  DAXFS_MAP_POPULATE), ENOSPC, "space")

#define NOINODE_CASES(X)                                                      \
	X(noinode_mkdir, NULL, daxfs_mkdir(F, "/z", 0755), ENOSPC, "inode")   \
	X(noinode_open_create, NULL, open_rec(c, "/z", O_RDWR | O_CREAT),     \
	  ENOSPC, "inode")                                                    \
	X(noinode_symlink, NULL, daxfs_symlink(F, "/f", "/z"), ENOSPC,        \
	  "inode")

EC_GROUP(full, FIX_FULL, FULL_CASES)
EC_GROUP(noinode, FIX_NOINODE, NOINODE_CASES)

/* ---- 1 KiB blocks; a damaged file -------------------------------------- */

#define SMALLBLK_CASES(X)                                                     \
	X(smallblk_map, NULL, map_rec(c, c->ro, 0, PG, PROT_READ, 0),         \
	  EOPNOTSUPP, "map")                                                  \
	X(smallblk_pwrite2_atomic_too_long, NULL,                             \
	  daxfs_pwrite2(c->rw, big_buf, 512 * 1024 + 1, 0, A), EINVAL,        \
	  "pwrite2&atomic")

#define CORRUPT_CASES(X)                                                      \
	X(corrupt_pread, NULL, daxfs_pread(c->ro, c->buf, 100, 0), EUCLEAN,   \
	  "damaged")                                                          \
	X(corrupt_pwrite, NULL, daxfs_pwrite(c->rw, c->buf, 100, 0), EUCLEAN, \
	  "damaged")                                                          \
	X(corrupt_pwrite2_atomic, NULL,                                       \
	  daxfs_pwrite2(c->rw, c->buf, 100, 0, A), EUCLEAN, "damaged")        \
	X(corrupt_map_populate, NULL,                                         \
	  map_rec(c, c->ro, 0, PG, PROT_READ, DAXFS_MAP_POPULATE), EUCLEAN,   \
	  "damaged")

EC_GROUP(smallblk, FIX_SMALLBLK, SMALLBLK_CASES)
EC_GROUP(corrupt, FIX_CORRUPT, CORRUPT_CASES)

#undef F
#undef RDONLY
#undef BIG_LEN
#undef A
