// Counting heap allocations, for hebb bench's "allocations per step".
#pragma once

namespace hebb::app {

// How many blocks this process has taken from malloc and its kin (operator new, Eigen, oneDNN and
// the C library all go through them), or -1 when the count is not kept: in sanitizer builds the
// sanitizer's runtime owns malloc.
long long heap_allocations();
long long heap_bytes();  // the bytes those blocks asked for, or -1 the same way

}  // namespace hebb::app
