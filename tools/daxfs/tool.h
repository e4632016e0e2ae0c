/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tool.h -- the daxfs command-line tool: its subcommands and the helpers
 * they share (main.c).
 *
 * Every subcommand is a function (int argc, char **argv) that gets its
 * own name in argv[0] and returns the tool's exit status: 0 on success,
 * 1 on any error (after printing "daxfs CMD: PATH: REASON" on stderr),
 * also for a bad option or a missing argument (after its usage).  The
 * tool uses only the public API of include/daxfs.h.
 */
#ifndef DAXFS_TOOL_H
#define DAXFS_TOOL_H 1

#include <stdbool.h>
#include <stdint.h>

#include "daxfs.h"

#define TOOL_OK 0
#define TOOL_ERR 1

/* A subcommand: its name, its code, and its --help text. */
struct tool_cmd {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *synopsis; /* one line, after "daxfs " */
	const char *help;     /* what it does, its options, an example */
};

/* The subcommands (each file defines those of its group), in the order
 * daxfs --help lists them. */
extern const struct tool_cmd tool_cmd_mkfs;     /* mkfs.c */
extern const struct tool_cmd tool_cmd_info;     /* info.c */
extern const struct tool_cmd tool_cmd_ls;       /* files.c */
extern const struct tool_cmd tool_cmd_stat;
extern const struct tool_cmd tool_cmd_cat;
extern const struct tool_cmd tool_cmd_mkdir;    /* change.c */
extern const struct tool_cmd tool_cmd_rm;
extern const struct tool_cmd tool_cmd_mv;
extern const struct tool_cmd tool_cmd_ln;
extern const struct tool_cmd tool_cmd_truncate;
extern const struct tool_cmd tool_cmd_put;      /* copy.c */
extern const struct tool_cmd tool_cmd_get;
extern const struct tool_cmd tool_cmd_devices;  /* devices.c */
extern const struct tool_cmd tool_cmd_bench;    /* bench.c */

/* ---- main.c: usage, options, errors, mounts -------------------------- */

/*
 * Parse the options of subcommand argv[0] with getopt_long (short options
 * opts, long ones lopts, which may be NULL; --help is always known).
 * Calls fn(arg, option, optarg) for each option (fn NULL: no options
 * but --help), which returns 0 or TOOL_ERR after saying what is wrong.
 * Returns the index of the first operand, or -1 after printing the usage
 * (to stdout for --help: *status is then 0; to stderr for a bad option
 * or a failed fn: *status 1).  Also checks that at least min and at most
 * max operands follow (max < 0: no limit).
 */
struct option;
int tool_options(int argc, char **argv, const char *opts,
		 const struct option *lopts, int min, int max,
		 int (*fn)(void *arg, int opt, const char *val), void *arg,
		 int *status);

/* Print the usage of cmd (to stdout if ok, else to stderr); returns the
 * status to exit with (0 if ok, else 1). */
int tool_usage(const char *cmd, bool ok);

/* "daxfs CMD: PATH: REASON" on stderr, the reason the library's message
 * of ret without its "daxfs_call: " prefix (strerror if it has none).
 * Returns TOOL_ERR. */
int tool_fail(const char *cmd, const char *path, long ret);

/* "daxfs CMD: PATH: FMT..." on stderr; returns TOOL_ERR. */
int tool_error(const char *cmd, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Parse a size: digits with an optional K, M, G or T suffix (powers of
 * 1024, either case, "KiB" style accepted); 0 or -EINVAL for garbage or
 * overflow. */
int tool_parse_size(const char *s, uint64_t *out);

/* Parse a plain decimal count into *out (<= max); 0 or -EINVAL. */
int tool_parse_count(const char *s, uint64_t max, uint64_t *out);

/* Mount region (flags DAXFS_MOUNT_*) for cmd; prints the failure (and a
 * mount warning, if any, as "daxfs CMD: REGION: warning: ..."). */
int tool_mount(const char *cmd, const char *region, unsigned flags,
	       daxfs **fs);

/* Unmount fs; a failure is printed and gives TOOL_ERR, else status. */
int tool_unmount(const char *cmd, const char *region, daxfs *fs, int status);

/* Is stderr a terminal (where progress bars go)? */
bool tool_stderr_tty(void);

/* ---- dir.c: directories and paths of the file system ----------------- */

/* An entry of a directory listing. */
struct tool_dirent {
	char *name;
	uint64_t ino;
	unsigned type; /* DAXFS_DT_* */
};

/*
 * The entries of directory path, "." and ".." left out, sorted by name
 * (bytewise, as ls in the C locale): *ents (free with tool_dir_free) and
 * *n.  0 or the negative errno of daxfs_readdir (message set), -ENOMEM.
 */
int tool_dir_list(daxfs *fs, const char *path, struct tool_dirent **ents,
		  size_t *n);
void tool_dir_free(struct tool_dirent *ents, size_t n);

/* "dir/name" (one slash between them), malloc'd; NULL when out of memory. */
char *tool_join(const char *dir, const char *name);

/* The last component of path ("/" for "/"), pointing into path, without
 * trailing slashes in its length: *len. */
const char *tool_basename(const char *path, size_t *len);

#endif
