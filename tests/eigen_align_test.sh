#!/bin/sh
# Builds a program against libhebb with another EIGEN_MAX_ALIGN_BYTES than hebb's (as a program
# compiled without pkg-config's flags may be) and checks that it stops before main, saying how to
# compile it, rather than freeing hebb's matrices wrongly later. A third argument (-fsanitize=...)
# builds it with the sanitizers the library was built with.
set -eu
# Exit 77 is meson's skip; scripts/count-tests reports it with the reason on the "skipped: " line.
command -v pkg-config >/dev/null || { echo "skipped: pkg-config is not installed; apt-get install pkg-config"; exit 77; }
src=$1
build=$2
sanitize=${3:-}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
printf '#include "core/tensor.h"\nint main() { return hebb::Tensor::scalar(1).item() == 1 ? 0 : 2; }\n' >"$dir/main.cpp"
c++ -std=c++20 $sanitize -DEIGEN_MAX_ALIGN_BYTES=16 -I"$src" $(pkg-config --cflags eigen3) "$dir/main.cpp" \
    -L"$build" -lhebb -Wl,-rpath,"$build" -o "$dir/program"
if "$dir/program" 2>"$dir/stderr"; then
    echo "a program built with EIGEN_MAX_ALIGN_BYTES=16 ran"; exit 1
fi
want="hebb was built with EIGEN_MAX_ALIGN_BYTES=64, this program with 16: compile it with -DEIGEN_MAX_ALIGN_BYTES=64 (pkg-config --cflags hebb gives it)"
grep -F "$want" "$dir/stderr" || { echo "the program did not say: $want"; cat "$dir/stderr"; exit 1; }
