/* SPDX-License-Identifier: MIT */
/* Next-fit run allocator over a bitmap (set bit = used), word at a time. */
#include <stdlib.h>

#include "internal.h"

int tsim_bitmap_init(struct tsim_bitmap *b, uint64_t nbits)
{
	uint64_t nwords = (nbits + 63) / 64;

	b->nbits = nbits;
	b->rover = 0;
	b->words = NULL;
	if (nwords > SIZE_MAX / sizeof(uint64_t))
		return -1;
	b->words = calloc(nwords ? (size_t) nwords : 1, sizeof(uint64_t));
	return b->words ? 0 : -1;
}

void tsim_bitmap_fini(struct tsim_bitmap *b)
{
	free(b->words);
	b->words = NULL;
}

bool tsim_bitmap_test(const struct tsim_bitmap *b, uint64_t bit)
{
	return (b->words[bit >> 6] >> (bit & 63)) & 1;
}

/* First index >= from whose bit equals @used, or nbits. */
static uint64_t find(const struct tsim_bitmap *b, uint64_t from, bool used)
{
	while (from < b->nbits) {
		uint64_t w = b->words[from >> 6];

		if (!used)
			w = ~w;
		w &= ~0ull << (from & 63);
		if (w) {
			uint64_t i = (from & ~63ull) + (uint64_t) __builtin_ctzll(w);
			return i < b->nbits ? i : b->nbits;
		}
		from = (from & ~63ull) + 64;
	}
	return b->nbits;
}

static uint64_t search(const struct tsim_bitmap *b, uint64_t from, uint64_t n)
{
	for (;;) {
		uint64_t s = find(b, from, false), e;

		if (s >= b->nbits || b->nbits - s < n)
			return UINT64_MAX;
		e = find(b, s, true);
		if (e - s >= n)
			return s;
		from = e;
	}
}

uint64_t tsim_bitmap_alloc(struct tsim_bitmap *b, uint64_t n)
{
	uint64_t s;

	if (n == 0 || n > b->nbits)
		return UINT64_MAX;
	s = search(b, b->rover, n);
	if (s == UINT64_MAX && b->rover)
		s = search(b, 0, n);
	if (s == UINT64_MAX)
		return s;
	tsim_bitmap_set(b, s, n, true);
	b->rover = s + n < b->nbits ? s + n : 0;
	return s;
}

void tsim_bitmap_set(struct tsim_bitmap *b, uint64_t first, uint64_t n, bool used)
{
	uint64_t i = first, end = first + n;

	while (i < end) {
		uint64_t bit = i & 63, cnt = 64 - bit;
		uint64_t mask;

		if (cnt > end - i)
			cnt = end - i;
		mask = (cnt == 64 ? ~0ull : ((1ull << cnt) - 1)) << bit;
		if (used)
			b->words[i >> 6] |= mask;
		else
			b->words[i >> 6] &= ~mask;
		i += cnt;
	}
}
