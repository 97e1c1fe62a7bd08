/* SPDX-License-Identifier: MIT */
/*
 * The byte reader every fuzz target decodes its input with: bytes in order,
 * words big-endian, zeros once the input is used up (so that any input is a
 * whole program and a short one simply ends in zeros).
 *
 * It is plumbing, not logic under test, and runs for every byte of every
 * input: under clang the reader is kept out of line and without coverage
 * callbacks, so that libFuzzer neither pays for nor learns from its one
 * branch. A target marks its own per-access bookkeeping FUZZ_PLUMBING for
 * the same reason (fuzz-secure-world.c's oracle helpers).
 */
#ifndef TEESIM_FUZZ_INPUT_H
#define TEESIM_FUZZ_INPUT_H

#include <stddef.h>
#include <stdint.h>

#if defined(__clang__) && __clang_major__ >= 13
#define FUZZ_PLUMBING __attribute__((noinline, no_sanitize("coverage")))
#else
#define FUZZ_PLUMBING
#endif

struct input {
	const uint8_t *p;
	size_t n;
};

static FUZZ_PLUMBING uint8_t next(struct input *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

static inline uint32_t next32(struct input *in)
{
	uint32_t v = next(in);

	v = v << 8 | next(in);
	v = v << 8 | next(in);
	return v << 8 | next(in);
}

static inline uint64_t next64(struct input *in)
{
	uint64_t hi = next32(in);

	return hi << 32 | next32(in);
}

#endif
