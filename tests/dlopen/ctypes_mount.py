# SPDX-License-Identifier: BSD-3-Clause
"""ctypes_mount.py LIB -- Python's ctypes loads libdaxfs.so (dlopen, into
an interpreter that did not start with it), makes a file system on a
region in /dev/shm, writes a file, reads it back after a read-only mount,
and e2fsck -fn accepts the region.  Exits 0 on success, 1 on a failure."""
import ctypes
import os
import subprocess
import sys
import tempfile

O_RDONLY, O_RDWR, O_CREAT = os.O_RDONLY, os.O_RDWR, os.O_CREAT
DAXFS_MOUNT_RDONLY = 0x1


class MkfsOpts(ctypes.Structure):
    """struct daxfs_mkfs_opts of include/daxfs.h."""
    _fields_ = [("size", ctypes.c_uint64), ("block_size", ctypes.c_uint32),
                ("inodes", ctypes.c_uint32), ("label", ctypes.c_char_p)]


def load(path):
    """The library, with the prototypes of the calls used."""
    lib = ctypes.CDLL(path)
    vp, cp, sz = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t
    protos = {
        "daxfs_mkfs": (ctypes.c_int, [cp, ctypes.POINTER(MkfsOpts)]),
        "daxfs_mount": (ctypes.c_int, [cp, ctypes.c_uint,
                                       ctypes.POINTER(vp)]),
        "daxfs_unmount": (ctypes.c_int, [vp]),
        "daxfs_open": (ctypes.c_int, [vp, cp, ctypes.c_int, ctypes.c_uint,
                                      ctypes.POINTER(vp)]),
        "daxfs_close": (ctypes.c_int, [vp]),
        "daxfs_pwrite": (ctypes.c_ssize_t, [vp, cp, sz, ctypes.c_int64]),
        "daxfs_pread": (ctypes.c_ssize_t, [vp, vp, sz, ctypes.c_int64]),
        "daxfs_errormsg": (cp, []),
    }
    for name, (res, args) in protos.items():
        fn = getattr(lib, name)
        fn.restype, fn.argtypes = res, args
    return lib


def check(lib, rc, what, want=0):
    """Fail with the library's message unless rc is want."""
    if rc != want:
        msg = lib.daxfs_errormsg() or b""
        sys.exit(f"ctypes_mount: FAIL: {what} returned {rc}: {msg.decode()}")


def write(lib, region, data):
    """Mount read-write, write /hello.bin in two pieces, unmount."""
    fs, f = ctypes.c_void_p(), ctypes.c_void_p()
    check(lib, lib.daxfs_mount(region, 0, ctypes.byref(fs)), "daxfs_mount")
    check(lib, lib.daxfs_open(fs, b"/hello.bin", O_RDWR | O_CREAT, 0o644,
                              ctypes.byref(f)), "daxfs_open O_CREAT")
    half = 70001
    check(lib, lib.daxfs_pwrite(f, data[:half], half, 0), "daxfs_pwrite",
          half)
    rest = len(data) - half
    check(lib, lib.daxfs_pwrite(f, data[half:], rest, half),
          "daxfs_pwrite", rest)
    check(lib, lib.daxfs_close(f), "daxfs_close")
    check(lib, lib.daxfs_unmount(fs), "daxfs_unmount")


def read(lib, region, size):
    """Mount read-only and read /hello.bin whole (asking one byte more)."""
    fs, f = ctypes.c_void_p(), ctypes.c_void_p()
    check(lib, lib.daxfs_mount(region, DAXFS_MOUNT_RDONLY, ctypes.byref(fs)),
          "daxfs_mount read-only")
    check(lib, lib.daxfs_open(fs, b"/hello.bin", O_RDONLY, 0,
                              ctypes.byref(f)), "daxfs_open")
    buf = ctypes.create_string_buffer(size + 1)
    check(lib, lib.daxfs_pread(f, buf, size + 1, 0), "daxfs_pread", size)
    check(lib, lib.daxfs_close(f), "daxfs_close")
    check(lib, lib.daxfs_unmount(fs), "daxfs_unmount")
    return buf.raw[:size]


def main():
    lib = load(sys.argv[1])
    data = bytes((i * 13 + (i >> 8)) & 0xFF for i in range(200000))
    fd, path = tempfile.mkstemp(prefix="daxfs-test-ctypes.", dir="/dev/shm")
    os.close(fd)
    try:
        region = path.encode()
        opts = MkfsOpts(size=16 << 20)
        check(lib, lib.daxfs_mkfs(region, ctypes.byref(opts)), "daxfs_mkfs")
        write(lib, region, data)
        if read(lib, region, len(data)) != data:
            sys.exit("ctypes_mount: FAIL: read back other bytes")
        fsck = subprocess.run(["e2fsck", "-fn", path], capture_output=True)
        if fsck.returncode != 0:
            sys.exit("ctypes_mount: FAIL: e2fsck -fn:\n" +
                     fsck.stdout.decode())
    finally:
        os.unlink(path)
    print("ctypes_mount: ok:", sys.argv[1])


main()
