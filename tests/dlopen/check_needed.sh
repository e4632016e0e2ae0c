#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# check_needed.sh LIB -- libdaxfs.so can be loaded with dlopen into any
# process: readelf -d shows no NEEDED libjemalloc (jemalloc is linked in)
# and no STATIC_TLS flag (no initial-exec TLS, which would ask for static
# TLS that a running process may not have), and the dynamic symbol table
# defines daxfs_* symbols only (jemalloc's stay hidden inside).
set -u
lib=$1
fail=0
dyn=$(readelf -d "$lib") || { echo "FAIL: readelf -d $lib"; exit 1; }
if ! printf '%s\n' "$dyn" | grep -q '(NEEDED)'; then
	echo "FAIL: readelf -d $lib shows no NEEDED at all: not a shared library?"
	fail=1
fi
if printf '%s\n' "$dyn" | grep '(NEEDED)' | grep -q jemalloc; then
	echo "FAIL: $lib needs a jemalloc library:"
	printf '%s\n' "$dyn" | grep '(NEEDED)'
	fail=1
fi
if printf '%s\n' "$dyn" | grep -q 'STATIC_TLS'; then
	echo "FAIL: $lib is marked STATIC_TLS (initial-exec TLS)"
	fail=1
fi
other=$(nm -D --defined-only "$lib" | awk '$3 !~ /^daxfs_/')
if [ -n "$other" ]; then
	echo "FAIL: $lib exports symbols other than daxfs_*:"
	printf '%s\n' "$other"
	fail=1
fi
[ $fail -eq 0 ] && echo "OK: $lib needs no jemalloc, no static TLS, exports daxfs_* only"
exit $fail
