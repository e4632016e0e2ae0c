/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench.c -- daxfs bench: run the benchmarks of bench/ (bench/run.sh of
 * the source tree the tool was built from).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tool.h"

#ifndef DAXFS_SOURCE_DIR
#define DAXFS_SOURCE_DIR ""
#endif

/* The source tree: $DAXFS_SOURCE_DIR, else the one built from. */
static const char *source_dir(void)
{
	const char *env = getenv("DAXFS_SOURCE_DIR");

	return env && *env ? env : DAXFS_SOURCE_DIR;
}

/* Run bash bench/run.sh ARGS... in place of the tool. */
static int bench_run(int argc, char **argv)
{
	const char *src = source_dir();
	char script[4096];
	char **args;
	int i;

	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")))
		return tool_usage("bench", true);
	snprintf(script, sizeof(script), "%s/bench/run.sh", src);
	if (!*src || access(script, R_OK))
		return tool_error("bench", *src ? script : "bench/run.sh",
				  "not available: the benchmarks run from a "
				  "source tree of libdaxfs (set "
				  "DAXFS_SOURCE_DIR to one)");
	args = calloc((size_t)argc + 2, sizeof(*args));
	if (!args)
		return tool_error("bench", script, "out of memory");
	args[0] = "bash";
	args[1] = script;
	for (i = 1; i < argc; i++)
		args[i + 1] = argv[i];
	execvp("bash", args);
	tool_error("bench", "bash", "%s", strerror(errno));
	free(args);
	return TOOL_ERR;
}

const struct tool_cmd tool_cmd_bench = {
	.name = "bench",
	.run = bench_run,
	.synopsis = "bench [ARGS...]",
	.help =
	"Run the benchmarks of libdaxfs: bench/run.sh ARGS... of the source\n"
	"tree the tool was built from (or of $DAXFS_SOURCE_DIR), which builds\n"
	"daxfs_bench and daxfs_fences in build-bench/ and writes its tables,\n"
	"CSV files and chart to bench/out/.  The exit status is run.sh's.\n"
	"An installed tool without that tree says so and exits 1.\n"
	"\n"
	"Arguments (run.sh's):\n"
	"  --quick           small sizes, for development\n"
	"  --dax /dev/daxX.Y a devdax region (ERASES IT)\n"
	"  other options are daxfs_bench's (bench/daxfs_bench.c)\n"
	"\n"
	"Options:\n"
	"  -h, --help        this text (as the first argument)\n"
	"\n"
	"Example:\n"
	"  daxfs bench --quick\n",
};
