#include "apps/allocations.h"

#ifdef HEBB_COUNT_ALLOCATIONS
#include <atomic>
#include <cerrno>
#include <cstddef>

namespace {
std::atomic<long long> count{0}, bytes{0};
void counted(std::size_t n) {
    count.fetch_add(1, std::memory_order_relaxed);
    bytes.fetch_add(static_cast<long long>(n), std::memory_order_relaxed);
}
}

// The program's own definitions take the place of the C library's for every library it loads;
// each counts, then calls glibc's implementation.
extern "C" {
void* __libc_malloc(std::size_t);
void* __libc_calloc(std::size_t, std::size_t);
void* __libc_realloc(void*, std::size_t);
void* __libc_memalign(std::size_t, std::size_t);

void* malloc(std::size_t n) {
    counted(n);
    return __libc_malloc(n);
}
void* calloc(std::size_t n, std::size_t size) {
    counted(n * size);
    return __libc_calloc(n, size);
}
void* realloc(void* p, std::size_t n) {
    counted(n);
    return __libc_realloc(p, n);
}
void* memalign(std::size_t alignment, std::size_t n) {
    counted(n);
    return __libc_memalign(alignment, n);
}
void* aligned_alloc(std::size_t alignment, std::size_t n) { return memalign(alignment, n); }
int posix_memalign(void** out, std::size_t alignment, std::size_t n) {
    if (alignment % sizeof(void*) != 0 || (alignment & (alignment - 1)) != 0) return EINVAL;
    void* p = memalign(alignment, n);
    if (!p && n) return ENOMEM;
    *out = p;
    return 0;
}
}

long long hebb::app::heap_allocations() { return count.load(std::memory_order_relaxed); }
long long hebb::app::heap_bytes() { return bytes.load(std::memory_order_relaxed); }
#else
long long hebb::app::heap_allocations() { return -1; }
long long hebb::app::heap_bytes() { return -1; }
#endif
