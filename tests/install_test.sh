#!/bin/sh
# Installs hebb into a scratch folder and builds a program against it with pkg-config alone,
# compiled without -march=native, as an embedding program may well be. A third argument
# (-fsanitize=...) builds the program with the sanitizers the library was built with.
set -eu
# Exit 77 is meson's skip; scripts/count-tests reports it with the reason on the "skipped: " line.
command -v pkg-config >/dev/null || { echo "skipped: pkg-config is not installed; apt-get install pkg-config"; exit 77; }
build=$1
src=$2
sanitize=${3:-}
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
meson install -C "$build" --no-rebuild --quiet --destdir "$dest"
prefix=$(meson introspect "$build" --buildoptions | sed -n 's/.*"name": "prefix", "value": "\([^"]*\)".*/\1/p')
[ -n "$prefix" ] || prefix=/usr/local
pc=$(find "$dest" -name hebb.pc)
include=$dest$prefix/include/hebb
test -f "$include/hebb.h"
# The umbrella header includes every installed header.
for h in $(cd "$include" && find . -mindepth 2 -name '*.h' | sed 's|^\./||'); do
    grep -q "^#include \"$h\"" "$include/hebb.h" || { echo "hebb.h does not include $h"; exit 1; }
done
sed -i "s|^prefix=.*|prefix=$dest$prefix|" "$pc"  # as if installed there
flags=$(PKG_CONFIG_PATH=$(dirname "$pc") pkg-config --cflags --libs hebb)
# Older standards stop at hebb.h's own #error, not somewhere inside.
if c++ -std=c++17 -fsyntax-only "$src" $flags >"$dest/cxx17.log" 2>&1 || ! grep -q "hebb needs C++20" "$dest/cxx17.log"; then
    echo "compiled as C++17, hebb.h did not stop with its #error:"; head -5 "$dest/cxx17.log"; exit 1
fi
c++ -std=c++20 -O1 $sanitize "$src" $flags -o "$dest/embed"
LD_LIBRARY_PATH=$(dirname "$(find "$dest" -name 'libhebb.so' | head -1)") "$dest/embed"
