/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * devices.c -- daxfs devices: the devdax devices of this machine.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "tool.h"

/* One size in bytes as the largest whole unit ("2M", "16G", "4096"). */
static const char *human(uint64_t v, char *buf, size_t n)
{
	static const char units[] = "KMGT";
	int u = -1;

	while (v && v % 1024 == 0 && u < 3) {
		v /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(buf, n, "%" PRIu64, v);
	else
		snprintf(buf, n, "%" PRIu64 "%c", v, units[u]);
	return buf;
}

/* The table: a header and a row per device, or one line saying none. */
static void devices_print(const struct daxfs_device *d, int n)
{
	char size[32], align[32];
	int i;

	if (n == 0) {
		printf("no devdax devices\n");
		return;
	}
	printf("%-20s %12s %8s %5s\n", "PATH", "SIZE", "ALIGN", "NUMA");
	for (i = 0; i < n; i++)
		printf("%-20s %12s %8s %5d\n", d[i].path,
		       human(d[i].size, size, sizeof(size)),
		       human(d[i].align, align, sizeof(align)), d[i].numa_node);
}

/* daxfs devices: ask libdaxfs how many, then for them. */
static int devices_run(int argc, char **argv)
{
	struct daxfs_device *d = NULL;
	int status, n, i;

	i = tool_options(argc, argv, "", NULL, 0, 0, NULL, NULL, &status);
	if (i < 0)
		return status;
	n = daxfs_devices(NULL, 0);
	if (n > 0) {
		d = calloc((size_t)n, sizeof(*d));
		n = d ? daxfs_devices(d, n) : -1;
	}
	if (n < 0)
		status = d ? tool_fail("devices", "libdaxctl", n)
			   : tool_error("devices", "libdaxctl", "out of memory");
	else
		devices_print(d, n);
	free(d);
	return status;
}

const struct tool_cmd tool_cmd_devices = {
	.name = "devices",
	.run = devices_run,
	.synopsis = "devices",
	.help =
	"List the devdax devices of this machine (found through libdaxctl):\n"
	"path, size, mapping alignment (2M, the default of ndctl, or 1G,\n"
	"which allows no direct mappings; 4K) and NUMA node (-1: unknown),\n"
	"under a header line; \"no devdax devices\" on a machine without\n"
	"any (exit status 0).  Make one with ndctl create-namespace\n"
	"--mode=devdax.\n"
	"\n"
	"Options:\n"
	"  -h, --help  this text\n"
	"\n"
	"Example:\n"
	"  daxfs devices\n",
};
