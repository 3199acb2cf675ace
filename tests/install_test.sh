#!/bin/sh
# Installs hebb into a scratch folder, as a package build stages it, and builds tests/embed against
# that install the three ways README names: the compiler with pkg-config's flags alone, Meson's
# dependency('hebb') and CMake's find_package(hebb). Only PKG_CONFIG_PATH and CMAKE_PREFIX_PATH
# point at the scratch folder: hebb.pc and hebbConfig.cmake find the rest from where they lie. The
# programs are compiled without -march=native, as an embedding program may well be. A third argument
# (-fsanitize=...) builds them with the sanitizers the library was built with.
# shellcheck disable=SC2086  # $flags and $sanitize: one argument per flag
set -eu
# Exit 77 is meson's skip; scripts/count-tests reports it with the reason on the "skipped: " line.
command -v pkg-config >/dev/null ||
    { echo "skipped: pkg-config is not installed; apt-get install pkg-config"; exit 77; }
build=$1
embed=$2
sanitize=${3:-}
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
option() {
    meson introspect "$build" --buildoptions | python3 -c \
        "import json, sys; print(next(o['value'] for o in json.load(sys.stdin) if o['name'] == '$1'))"
}
if [ "$(option pkgconfig.relocatable)" != True ]; then
    echo "$build was set up before hebb.pc became relocatable:"
    echo "    meson configure $build -Dpkgconfig.relocatable=true"
    exit 1
fi

# A -Dnative=true build installs only when asked for by name: otherwise it fails, leaving no library.
if [ "$(option native)" = True ]; then
    if env -u HEBB_INSTALL_NATIVE meson install -C "$build" --no-rebuild --quiet --destdir "$dest/refused" \
        >"$dest/refused.log" 2>&1 ||
        ! grep -q "runs on any x86-64 machine" "$dest/refused.log" ||
        [ -n "$(find "$dest/refused" -name libhebb.so)" ]; then
        echo "meson install of a -Dnative=true build did not refuse:"; cat "$dest/refused.log"; exit 1
    fi
    export HEBB_INSTALL_NATIVE=1
fi
meson install -C "$build" --no-rebuild --quiet --destdir "$dest/stage"
root=$dest/stage$(option prefix)
include=$root/$(option includedir)/hebb
test -f "$include/hebb.h"
# The umbrella header includes every installed header.
for h in $(cd "$include" && find . -mindepth 2 -name '*.h' | sed 's|^\./||'); do
    grep -q "^#include \"$h\"" "$include/hebb.h" || { echo "hebb.h does not include $h"; exit 1; }
done
PKG_CONFIG_PATH=$(dirname "$(find "$root" -name hebb.pc)")
LD_LIBRARY_PATH=$(dirname "$(find "$root" -name libhebb.so)")
export PKG_CONFIG_PATH LD_LIBRARY_PATH
flags=$(pkg-config --cflags --libs hebb)

# An older standard given after pkg-config's -std=c++20 stops at hebb.h's own #error, not inside.
if c++ $flags -std=c++17 -fsyntax-only "$embed/main.cpp" >"$dest/cxx17.log" 2>&1 ||
    ! grep -q "hebb needs C++20" "$dest/cxx17.log"; then
    echo "compiled as C++17, hebb.h did not stop with its #error:"; head -5 "$dest/cxx17.log"; exit 1
fi
echo "== c++ main.cpp \$(pkg-config --cflags --libs hebb), without -std"
c++ -O1 $sanitize "$embed/main.cpp" $flags -o "$dest/embed"
"$dest/embed"
echo "== Meson: dependency('hebb')"
meson setup "$dest/meson" "$embed" -Dcpp_args="$sanitize" -Dcpp_link_args="$sanitize" \
    >"$dest/meson.log" || { cat "$dest/meson.log"; exit 1; }
ninja -C "$dest/meson"
"$dest/meson/embed"
echo "== CMake: find_package(hebb)"
cmake -S "$embed" -B "$dest/cmake" -G Ninja -DCMAKE_PREFIX_PATH="$root" \
    -DCMAKE_CXX_FLAGS="$sanitize" >"$dest/cmake.log" || { cat "$dest/cmake.log"; exit 1; }
ninja -C "$dest/cmake"
"$dest/cmake/embed"
