#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# check_release_symbols.sh LIB HOOKED... -- the released library LIB
# (libdaxfs.so or libdaxfs.a) holds no test hook (libdaxfs/dax/hooks.h):
# neither the hook switches (dax_hooks), the test journal nor the
# persistence recorder (core/region_rec.h, region_rec_*), in its
# symbol table (nm) or, for a shared library, its dynamic one (nm -D).
# HOOKED, the objects compiled with the hooks (daxfs_test_obj, which the
# unit tests link), must hold dax_hooks and region_rec_start: it shows
# that the pattern finds a hook where there is one.  LIB must hold dax_iomap_fault: it shows
# that nm reads LIB's symbols at all.
set -u
lib=$1
shift
pattern='dax_hooks|dax_test_hooks|dax_hook_|test_journal|journal_depth|region_rec'
fail=0

syms=$(nm "$lib" 2>&1) || { echo "nm $lib failed: $syms"; exit 1; }
case $lib in
*.so*) dsyms=$(nm -D "$lib" 2>&1) || { echo "nm -D $lib failed"; exit 1; } ;;
*) dsyms= ;;
esac

if ! printf '%s\n' "$syms" | grep -q 'dax_iomap_fault'; then
	echo "FAIL: nm $lib shows no dax_iomap_fault: stripped, or not libdaxfs?"
	fail=1
fi
found=$(printf '%s\n%s\n' "$syms" "$dsyms" | grep -E "$pattern")
if [ -n "$found" ]; then
	echo "FAIL: the released library $lib holds test hook symbols:"
	printf '%s\n' "$found"
	fail=1
fi
# The injected bad-block list (core/badblocks.c) is read in test builds
# only: the release library must not hold the variable's name.
if grep -aq DAXFS_TEST_BADBLOCKS "$lib"; then
	echo "FAIL: the released library $lib reads DAXFS_TEST_BADBLOCKS"
	fail=1
fi
if ! nm "$@" 2>/dev/null | grep -Eq '(^| )dax_hooks$'; then
	echo "FAIL: the hooked objects ($*) show no dax_hooks:"
	echo "      the pattern would find nothing anywhere"
	fail=1
fi
if ! nm "$@" 2>/dev/null | grep -Eq ' T region_rec_start$'; then
	echo "FAIL: the hooked objects ($*) show no region_rec_start:"
	echo "      the recorder is not where the pattern looks"
	fail=1
fi
[ $fail -eq 0 ] && echo "OK: $lib has no test hook symbol (the hooked objects have dax_hooks)"
exit $fail
