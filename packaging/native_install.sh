#!/bin/sh
# Run by meson install, after it copied the files, in a build configured with -Dnative=true: unless
# HEBB_INSTALL_NATIVE=1 says that this machine alone will use it, removes the libhebb.so it installed
# and fails, saying how to make a portable build. $1: the library folder, relative to the prefix.
set -eu
[ "${HEBB_INSTALL_NATIVE:-}" = 1 ] && exit 0
rm -f "$MESON_INSTALL_DESTDIR_PREFIX/$1/libhebb.so"
cat >&2 <<MSG
error: this build was configured with -Dnative=true: its libhebb.so uses this processor's own
instructions (-march=native) and crashes on processors without them, so it was removed again.
For a library that runs on any x86-64 machine (oneDNN still picks its kernels at run time):
    meson setup build-install && meson install -C build-install
To install this build for this machine alone: HEBB_INSTALL_NATIVE=1 meson install -C <this build>
MSG
exit 1
