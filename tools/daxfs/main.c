/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * main.c -- the daxfs command-line tool: dispatch to the subcommands,
 * usage texts, option and size parsing, and the error messages they
 * share ("daxfs CMD: PATH: REASON", exit status 1).
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tool.h"

static const struct tool_cmd *const cmds[] = {
	&tool_cmd_mkfs,  &tool_cmd_info,     &tool_cmd_ls,    &tool_cmd_stat,
	&tool_cmd_cat,   &tool_cmd_put,      &tool_cmd_get,   &tool_cmd_mkdir,
	&tool_cmd_rm,    &tool_cmd_mv,       &tool_cmd_ln,    &tool_cmd_truncate,
	&tool_cmd_devices, &tool_cmd_bench,
};
#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

static const char main_help[] =
	"daxfs is the command-line tool of libdaxfs: it makes, inspects and\n"
	"changes the ext2 file system on a persistent-memory region (a devdax\n"
	"device such as /dev/dax0.0, or a regular file), in user space, with\n"
	"the library's calls; what it writes is crash-atomic and durable, and\n"
	"e2fsck, debugfs and the Linux ext2 driver accept it.\n"
	"\n"
	"Paths inside the file system are absolute (\"/dir/file\").  Sizes are\n"
	"bytes, or a number with a K, M, G or T suffix (powers of 1024).\n"
	"Options come before the operands (\"--\" ends them).  Read-only\n"
	"subcommands (info, ls, stat, cat, get) mount the region read-only and\n"
	"may run beside each other; the others need the region to themselves.\n"
	"On a region file on /dev/shm, set PMEM2_FORCE_GRANULARITY=CACHE_LINE\n"
	"to persist with cache-line flushes instead of msync.\n"
	"\n"
	"Exit status: 0 on success; 1 on any error, with a message\n"
	"\"daxfs CMD: PATH: REASON\" on stderr; also 1 for an unknown\n"
	"subcommand, a bad option or a missing argument (the usage is then\n"
	"printed on stderr).\n";

/* The subcommand called name, or NULL. */
static const struct tool_cmd *find_cmd(const char *name)
{
	size_t i;

	for (i = 0; i < NCMDS; i++)
		if (!strcmp(cmds[i]->name, name))
			return cmds[i];
	return NULL;
}

/* daxfs --help: every synopsis, then what is common to all. */
static int main_usage(FILE *out, int status)
{
	size_t i;

	fprintf(out, "usage: daxfs COMMAND [OPTIONS] [ARGS]\n"
		     "       daxfs help COMMAND | daxfs COMMAND --help\n"
		     "       daxfs --version\n\nCommands:\n");
	for (i = 0; i < NCMDS; i++)
		fprintf(out, "  daxfs %s\n", cmds[i]->synopsis);
	fprintf(out, "\n%s", main_help);
	return status;
}

/* The usage of one subcommand, or of all (see tool.h). */
int tool_usage(const char *cmd, bool ok)
{
	const struct tool_cmd *c = find_cmd(cmd);
	FILE *out = ok ? stdout : stderr;

	if (!c)
		return main_usage(out, ok ? TOOL_OK : TOOL_ERR);
	fprintf(out, "usage: daxfs %s\n\n%s", c->synopsis, c->help);
	return ok ? TOOL_OK : TOOL_ERR;
}

/* daxfs help [COMMAND]. */
static int main_help_cmd(int argc, char **argv)
{
	if (argc < 3)
		return main_usage(stdout, TOOL_OK);
	if (!find_cmd(argv[2])) {
		fprintf(stderr, "daxfs help: %s: no such command\n", argv[2]);
		return main_usage(stderr, TOOL_ERR);
	}
	return tool_usage(argv[2], true);
}

/* daxfs COMMAND ...: --help, help, --version, or a subcommand. */
int main(int argc, char **argv)
{
	const struct tool_cmd *c;

	if (argc < 2) {
		fprintf(stderr, "daxfs: no command given\n");
		return main_usage(stderr, TOOL_ERR);
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return main_usage(stdout, TOOL_OK);
	if (!strcmp(argv[1], "help"))
		return main_help_cmd(argc, argv);
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("daxfs (libdaxfs) %s\n", daxfs_version());
		return TOOL_OK;
	}
	c = find_cmd(argv[1]);
	if (!c) {
		fprintf(stderr, "daxfs: %s: unknown command (daxfs --help "
			"lists them)\n", argv[1]);
		return TOOL_ERR;
	}
	return c->run(argc - 1, argv + 1);
}

/* ---- options --------------------------------------------------------- */

/* Report a bad option of cmd (getopt's '?' or ':' in c) and the usage. */
static int bad_option(char **argv, int c)
{
	const char *opt = argv[optind - 1];

	if (optopt && optopt != '?' && strncmp(opt, "--", 2))
		fprintf(stderr, "daxfs %s: -%c: %s\n", argv[0], optopt,
			c == ':' ? "needs an argument" : "unknown option");
	else
		fprintf(stderr, "daxfs %s: %s: %s\n", argv[0], opt,
			c == ':' ? "needs an argument" : "unknown option");
	return tool_usage(argv[0], false);
}

/* Check the number of operands left after the options. */
static int check_operands(int argc, char **argv, int min, int max)
{
	int n = argc - optind;

	if (n < min)
		fprintf(stderr, "daxfs %s: missing argument\n", argv[0]);
	else if (max >= 0 && n > max)
		fprintf(stderr, "daxfs %s: too many arguments\n", argv[0]);
	else
		return 0;
	return tool_usage(argv[0], false);
}

/* Build getopt's option string: "+:" (stop at the first operand, report
 * a missing argument as ':') and the command's own. */
static void opt_string(char *buf, size_t size, const char *opts)
{
	snprintf(buf, size, "+:h%s", opts ? opts : "");
}

/* The long options: the command's, and --help. */
static struct option *long_opts(const struct option *lopts)
{
	static struct option all[16];
	size_t n = 0;

	while (lopts && lopts[n].name && n < 14) {
		all[n] = lopts[n];
		n++;
	}
	all[n++] = (struct option){ "help", no_argument, NULL, 'h' };
	all[n] = (struct option){ 0 };
	return all;
}

/* getopt_long for a subcommand, with --help and operand counts (tool.h). */
int tool_options(int argc, char **argv, const char *opts,
		 const struct option *lopts, int min, int max,
		 int (*fn)(void *arg, int opt, const char *val), void *arg,
		 int *status)
{
	struct option *lo = long_opts(lopts);
	char shorts[64];
	int c;

	opt_string(shorts, sizeof(shorts), opts);
	optind = 0; /* glibc: start afresh */
	opterr = 0;
	while ((c = getopt_long(argc, argv, shorts, lo, NULL)) != -1) {
		if (c == 'h')
			return *status = tool_usage(argv[0], true), -1;
		if (c == '?' || c == ':')
			return *status = bad_option(argv, c), -1;
		if (fn && fn(arg, c, optarg))
			return *status = tool_usage(argv[0], false), -1;
	}
	*status = check_operands(argc, argv, min, max);
	return *status ? -1 : optind;
}

/* ---- errors ---------------------------------------------------------- */

/* The library's message without its "daxfs_call: " or
 * 'daxfs_call "path": ' prefix: the tool names the path itself. */
static const char *reason_of(const char *msg)
{
	const char *p;

	if (strncmp(msg, "daxfs_", 6))
		return msg;
	p = msg + strcspn(msg, " :");
	if (p[0] == ':' && p[1] == ' ')
		return p + 2;
	if (p[0] == ' ' && p[1] == '"') {
		const char *q = strstr(p + 2, "\": ");

		if (q)
			return q + 3;
	}
	return msg;
}

/* A failed library call, in the tool's words (tool.h). */
int tool_fail(const char *cmd, const char *path, long ret)
{
	const char *msg = daxfs_errormsg();

	if (!*msg)
		msg = strerror((int)-ret);
	fprintf(stderr, "daxfs %s: %s: %s\n", cmd, path, reason_of(msg));
	return TOOL_ERR;
}

/* A failure the tool found itself (tool.h). */
int tool_error(const char *cmd, const char *path, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "daxfs %s: %s: ", cmd, path);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return TOOL_ERR;
}

/* ---- numbers --------------------------------------------------------- */

/* The multiplier of a size suffix ("", "K", "KiB", "k", ...), or 0. */
static uint64_t suffix_mult(const char *s)
{
	static const char units[] = "KMGT";
	const char *u;
	int shift;

	if (!*s)
		return 1;
	u = strchr(units, s[0] & ~0x20);
	if (!u || !(s[0] & ~0x20))
		return 0;
	shift = 10 * (int)(u - units + 1);
	s++;
	if (*s == 'i' && s[1] == 'B')
		s += 2;
	else if (*s == 'B' || *s == 'b')
		s++;
	return *s ? 0 : 1ull << shift;
}

/* A size with an optional K/M/G/T suffix (tool.h). */
int tool_parse_size(const char *s, uint64_t *out)
{
	unsigned long long v;
	uint64_t mult;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	mult = suffix_mult(end);
	if (!mult || (v && mult > UINT64_MAX / v))
		return -EINVAL;
	*out = v * mult;
	return 0;
}

/* A plain decimal count (tool.h). */
int tool_parse_count(const char *s, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

/* ---- mounts ---------------------------------------------------------- */

/* Mount for a subcommand, printing failure and warning (tool.h). */
int tool_mount(const char *cmd, const char *region, unsigned flags,
	       daxfs **fs)
{
	int ret = daxfs_mount(region, flags, fs);

	if (ret)
		return tool_fail(cmd, region, ret);
	if (*daxfs_mount_warning(*fs))
		fprintf(stderr, "daxfs %s: %s: warning: %s\n", cmd, region,
			daxfs_mount_warning(*fs));
	return TOOL_OK;
}

/* Unmount at the end of a subcommand (tool.h). */
int tool_unmount(const char *cmd, const char *region, daxfs *fs, int status)
{
	int ret = daxfs_unmount(fs);

	if (ret)
		return tool_fail(cmd, region, ret);
	return status;
}

/* Whether a progress bar may be drawn. */
bool tool_stderr_tty(void)
{
	return isatty(STDERR_FILENO) == 1;
}
