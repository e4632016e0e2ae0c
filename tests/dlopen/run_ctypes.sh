#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# run_ctypes.sh LIB SANITIZE -- run ctypes_mount.py on LIB with python3;
# skip (77), saying why, when python3 or its ctypes module is missing, or
# in a sanitizer build (SANITIZE not empty): there LIB needs the
# sanitizer's runtime loaded first, which python3 does not have (ASan
# refuses to start inside a program it did not start with, and would
# report the interpreter's own leaks).  dlopen_mount covers that build.
lib=$1
sanitize=$2
if [ -n "$sanitize" ]; then
	echo "ctypes_mount: SKIP: a $sanitize build: python3 has no sanitizer runtime"
	exit 77
fi
if ! command -v python3 >/dev/null 2>&1; then
	echo "ctypes_mount: SKIP: python3 is not installed"
	exit 77
fi
if ! python3 -c 'import ctypes' 2>/dev/null; then
	echo "ctypes_mount: SKIP: python3 has no ctypes module"
	exit 77
fi
exec python3 "$(dirname "$0")/ctypes_mount.py" "$lib"
