/* SPDX-License-Identifier: MIT */
/*
 * Host heap settings for the libFuzzer targets that build a machine per
 * input (called from LLVMFuzzerInitialize, so they are the fuzzing process's
 * settings, never the library's): glibc keeps the memory an input freed
 * instead of giving it back to the kernel at the end of every input (it
 * trims the heap's top above 128 KiB) and serves blocks of up to 16 MiB from
 * the heap instead of one mmap each, so the next input's machine, whose
 * small regions and fiber stacks are heap memory, costs no system call and
 * no page fault. Elsewhere (another C library, a sanitizer's allocator) it
 * does nothing.
 */
#ifndef TEESIM_FUZZ_HEAP_H
#define TEESIM_FUZZ_HEAP_H

#ifdef __GLIBC__
#include <malloc.h>
#endif

static inline void fuzz_keep_heap(void)
{
#ifdef __GLIBC__
	mallopt(M_TRIM_THRESHOLD, 256 << 20);
	mallopt(M_MMAP_THRESHOLD, 16 << 20);
#endif
}

#endif /* TEESIM_FUZZ_HEAP_H */
