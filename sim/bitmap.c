/* SPDX-License-Identifier: MIT */
/*
 * Next-fit run allocator over a bitmap (set bit = used). A second level marks
 * the words that are completely used, so looking for a free page skips 4096
 * used pages per summary word instead of 64.
 */
#include <stdlib.h>

#include "internal.h"

int tsim_bitmap_init(struct tsim_bitmap *b, struct teesim_machine *m, uint64_t nbits)
{
	uint64_t nwords = (nbits + 63) / 64, nfull = (nwords + 63) / 64;

	b->nbits = nbits;
	b->rover = 0;
	b->m = m;
	b->words = b->full = NULL;
	if (nwords > SIZE_MAX / sizeof(uint64_t))
		return -1;
	b->words = tsim_calloc(m, nwords ? (size_t) nwords : 1, sizeof(uint64_t));
	b->full = b->words ? tsim_calloc(m, nfull ? (size_t) nfull : 1, sizeof(uint64_t)) : NULL;
	if (!b->words || !b->full) {
		tsim_bitmap_fini(b);
		return -1;
	}
	return 0;
}

void tsim_bitmap_fini(struct tsim_bitmap *b)
{
	tsim_free(b->m, b->words);
	tsim_free(b->m, b->full);
	b->words = b->full = NULL;
}

bool tsim_bitmap_test(const struct tsim_bitmap *b, uint64_t bit)
{
	return (b->words[bit >> 6] >> (bit & 63)) & 1;
}

/* First word index >= w that is not completely used, or nwords. */
static uint64_t next_nonfull_word(const struct tsim_bitmap *b, uint64_t w)
{
	uint64_t nwords = (b->nbits + 63) / 64;

	while (w < nwords) {
		uint64_t f = ~b->full[w >> 6] & (~0ull << (w & 63));

		if (f)
			return (w & ~63ull) + (uint64_t) __builtin_ctzll(f);
		w = (w & ~63ull) + 64;
	}
	return nwords;
}

/* First index in [from, limit) whose bit equals @used, or limit. */
static uint64_t find(const struct tsim_bitmap *b, uint64_t from, bool used, uint64_t limit)
{
	if (limit > b->nbits)
		limit = b->nbits;
	while (from < limit) {
		uint64_t w = b->words[from >> 6];

		if (!used)
			w = ~w;
		w &= ~0ull << (from & 63);
		if (w) {
			uint64_t i = (from & ~63ull) + (uint64_t) __builtin_ctzll(w);
			return i < limit ? i : limit;
		}
		from = (from & ~63ull) + 64;
		if (!used && from < limit)
			from = next_nonfull_word(b, from >> 6) * 64;
	}
	return limit;
}

static uint64_t search(const struct tsim_bitmap *b, uint64_t from, uint64_t n)
{
	for (;;) {
		uint64_t s = find(b, from, false, b->nbits), e;

		if (s >= b->nbits || b->nbits - s < n)
			return UINT64_MAX;
		e = find(b, s, true, s + n); /* only the n bits that matter */
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
		uint64_t bit = i & 63, cnt = 64 - bit, wi = i >> 6;
		uint64_t mask;

		if (cnt > end - i)
			cnt = end - i;
		mask = (cnt == 64 ? ~0ull : ((1ull << cnt) - 1)) << bit;
		if (used)
			b->words[wi] |= mask;
		else
			b->words[wi] &= ~mask;
		if (b->words[wi] == ~0ull)
			b->full[wi >> 6] |= 1ull << (wi & 63);
		else
			b->full[wi >> 6] &= ~(1ull << (wi & 63));
		i += cnt;
	}
}
