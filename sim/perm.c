/* SPDX-License-Identifier: MIT */
/*
 * A seeded bijection of [0, n) that needs no table: a four-round balanced
 * Feistel network over the smallest even number of bits that covers n, with
 * cycle walking to stay inside [0, n). Creating one is O(1) whatever n is,
 * which keeps a machine with a large, scattered RAM cheap to build.
 */
#include "internal.h"

uint64_t tsim_splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t mix(uint64_t x, uint64_t key)
{
	x ^= key;
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return x;
}

void tsim_perm_init(struct tsim_perm *p, uint64_t n, uint64_t seed, bool shuffle)
{
	unsigned bits = 0;

	p->n = n;
	p->identity = !shuffle || n < 2;
	while (bits < 64 && (1ull << bits) < n)
		bits++;
	if (bits & 1)
		bits++;
	p->half_bits = bits / 2;
	p->half_mask = p->half_bits >= 64 ? ~0ull : (1ull << p->half_bits) - 1;
	for (unsigned i = 0; i < 4; i++)
		p->keys[i] = tsim_splitmix64(&seed);
}

static uint64_t feistel_fwd(const struct tsim_perm *p, uint64_t x)
{
	uint64_t l = x >> p->half_bits, r = x & p->half_mask;

	for (unsigned i = 0; i < 4; i++) {
		uint64_t t = r;
		r = l ^ (mix(r, p->keys[i]) & p->half_mask);
		l = t;
	}
	return (l << p->half_bits) | r;
}

static uint64_t feistel_inv(const struct tsim_perm *p, uint64_t y)
{
	uint64_t l = y >> p->half_bits, r = y & p->half_mask;

	for (unsigned i = 4; i-- > 0;) {
		uint64_t t = l;
		l = r ^ (mix(l, p->keys[i]) & p->half_mask);
		r = t;
	}
	return (l << p->half_bits) | r;
}

/* Cycle walking: a bijection of the larger domain restricted to [0, n). */
uint64_t tsim_perm_fwd(const struct tsim_perm *p, uint64_t x)
{
	if (p->identity)
		return x;
	do
		x = feistel_fwd(p, x);
	while (x >= p->n);
	return x;
}

uint64_t tsim_perm_inv(const struct tsim_perm *p, uint64_t y)
{
	if (p->identity)
		return y;
	do
		y = feistel_inv(p, y);
	while (y >= p->n);
	return y;
}
