/* SPDX-License-Identifier: MIT */
/*
 * A seeded bijection of [0, n) that needs no table.
 *
 * Below 2^32 frames it is affine: x -> (mul * x + add) mod n, with mul
 * coprime to n and near n times the golden ratio's fraction (jittered by the
 * seed), so that neighbouring slots land far apart and the first few
 * multiples of mul are spread over the whole range (no two consecutive slots
 * are neighbouring frames once n > 6); add is a seeded rotation. Its inverse
 * multiplies by mul's inverse mod n. One multiplication and one remainder
 * each way: a translation costs a few nanoseconds, which matters to paths
 * that translate page lists of a thousand entries.
 *
 * From 2^32 frames on (where mul * x could overflow) it is a four-round
 * balanced Feistel network over the smallest even number of bits that
 * covers n, with cycle walking to stay inside [0, n).
 *
 * Creating either is O(1) (O(log n) for the inverse) whatever n is, which
 * keeps a machine with a large, scattered RAM cheap to build.
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

static uint64_t gcd(uint64_t a, uint64_t b)
{
	while (b) {
		uint64_t t = a % b;

		a = b;
		b = t;
	}
	return a;
}

/* The inverse of @a modulo @n (gcd(a, n) == 1, n >= 2), by extended Euclid. */
static uint64_t inverse_mod(uint64_t a, uint64_t n)
{
	int64_t t = 0, nt = 1;
	uint64_t r = n, nr = a;

	while (nr) {
		uint64_t q = r / nr, tr = r - q * nr;
		int64_t tt = t - (int64_t) q * nt;

		t = nt;
		nt = tt;
		r = nr;
		nr = tr;
	}
	return t < 0 ? (uint64_t) (t + (int64_t) n) : (uint64_t) t;
}

static void affine_init(struct tsim_perm *p, uint64_t n, uint64_t *seed)
{
	/* n * 0.618..., then a seeded jitter of up to n / 16 around it */
	uint64_t mul = (n * 2654435769u) >> 32, span = n / 16 + 1;

	mul = mul + tsim_splitmix64(seed) % span;
	mul = mul > span / 2 ? mul - span / 2 : 1;
	if (mul >= n)
		mul = n - 1;
	if (!mul)
		mul = 1;
	while (gcd(mul, n) != 1)
		mul = mul + 1 < n ? mul + 1 : 1;
	p->mul = mul;
	p->mul_inv = inverse_mod(mul, n);
	p->add = tsim_splitmix64(seed) % n;
	p->affine = true;
}

void tsim_perm_init(struct tsim_perm *p, uint64_t n, uint64_t seed, bool shuffle)
{
	unsigned bits = 0;

	p->n = n;
	p->identity = !shuffle || n < 2;
	p->affine = false;
	while (bits < 64 && (1ull << bits) < n)
		bits++;
	if (bits & 1)
		bits++;
	p->half_bits = bits / 2;
	p->half_mask = p->half_bits >= 64 ? ~0ull : (1ull << p->half_bits) - 1;
	for (unsigned i = 0; i < 4; i++)
		p->keys[i] = tsim_splitmix64(&seed);
	if (!p->identity && n < (1ull << 32))
		affine_init(p, n, &seed);
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
	if (p->affine)
		return (p->mul * x + p->add) % p->n;
	do
		x = feistel_fwd(p, x);
	while (x >= p->n);
	return x;
}

uint64_t tsim_perm_inv(const struct tsim_perm *p, uint64_t y)
{
	if (p->identity)
		return y;
	if (p->affine)
		return p->mul_inv * (y >= p->add ? y - p->add : y + p->n - p->add) % p->n;
	do
		y = feistel_inv(p, y);
	while (y >= p->n);
	return y;
}
