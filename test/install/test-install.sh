#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Install libmkalloc from BUILDDIR into a temporary root, build app.c against it the way an
# application would (pkg-config --cflags --libs libmkalloc), and run it.
set -eu -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
builddir=$(cd "${1:?usage: test-install.sh BUILDDIR}" && pwd)
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT

DESTDIR=$root meson install -C "$builddir" --quiet --no-rebuild
pc=$(find "$root" -name libmkalloc.pc -print -quit)
[ -n "$pc" ] || { echo "test-install: libmkalloc.pc was not installed"; exit 1; }
# the installation moved under $root: point its prefix there (the packages it requires,
# DPDK and cJSON, stay where the system has them)
sed -i "s|^prefix=|prefix=$root|" "$pc"
export PKG_CONFIG_PATH=$(dirname "$pc")
flags=$(pkg-config --cflags --libs libmkalloc)
echo "test-install: pkg-config --cflags --libs libmkalloc: $flags"
cc -std=c11 -Wall -Wextra -Werror -o "$root/app" "$here/app.c" $flags
libdir=$(dirname "$(find "$root" -name 'libmkalloc.so' -print -quit)")
LD_LIBRARY_PATH=$libdir "$root/app"
echo "test-install: 1 passed, 0 failed"
