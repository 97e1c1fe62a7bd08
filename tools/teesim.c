/* SPDX-License-Identifier: MIT */
/*
 * teesim: command-line front end.
 *
 *   teesim demo [--seed N] [--pages N] [--offset N] [--identity]
 *   teesim version
 *
 * The demo shows why dynamic shared memory exists: a client buffer that is
 * contiguous for its process lands on frames scattered over physical memory,
 * and a reader that knows only physical addresses (as the secure world does)
 * still sees the very bytes the client wrote, with no copy in between.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <teesim/teesim.h>

struct demo_opts {
	uint64_t seed;
	size_t pages;
	size_t offset;
	bool identity;
};

static uint64_t fnv1a(uint64_t h, const unsigned char *p, size_t n)
{
	while (n--) {
		h ^= *p++;
		h *= 0x100000001b3ull;
	}
	return h;
}

#define FNV_INIT 0xcbf29ce484222325ull

static void usage(FILE *f)
{
	fprintf(f,
		"usage: teesim demo [--seed N] [--pages N] [--offset N] [--identity]\n"
		"       teesim version\n"
		"\n"
		"demo      map a client buffer, pin it, show its scattered frames, and read it\n"
		"          back by physical address only; exits 0 when the bytes match\n"
		"--seed    seed of the stage-2 permutation (default 42)\n"
		"--pages   pages the buffer spans (1..4096, default 5)\n"
		"--offset  where the data starts inside its first page (0..4095, default 0x234)\n"
		"--identity  map guest pages to consecutive frames instead of shuffling them\n");
}

static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || !*s || *end || v > max || *s == '-')
		return -1;
	*out = v;
	return 0;
}

static int parse_demo(int argc, char **argv, struct demo_opts *o)
{
	o->seed = 42;
	o->pages = 5;
	o->offset = 0x234;
	o->identity = false;
	for (int i = 2; i < argc; i++) {
		uint64_t v;

		if (!strcmp(argv[i], "--identity")) {
			o->identity = true;
		} else if (i + 1 < argc && !strcmp(argv[i], "--seed")) {
			if (parse_u64(argv[++i], UINT64_MAX, &o->seed))
				return -1;
		} else if (i + 1 < argc && !strcmp(argv[i], "--pages")) {
			if (parse_u64(argv[++i], 4096, &v) || v == 0)
				return -1;
			o->pages = (size_t) v;
		} else if (i + 1 < argc && !strcmp(argv[i], "--offset")) {
			if (parse_u64(argv[++i], TEESIM_PAGE_SIZE - 1, &v))
				return -1;
			o->offset = (size_t) v;
		} else {
			return -1;
		}
	}
	return 0;
}

/* What the secure world would do: gather the bytes by physical address only. */
static int read_by_pa(struct teesim_machine *m, struct teesim_guest *g, const teesim_ipa_t *ipas,
		      size_t npages, size_t offset, size_t len, uint64_t *sum)
{
	unsigned char page[TEESIM_PAGE_SIZE];
	uint64_t h = FNV_INIT;

	for (size_t i = 0; i < npages && len; i++) {
		size_t start = i ? 0 : offset;
		size_t n = TEESIM_PAGE_SIZE - start < len ? TEESIM_PAGE_SIZE - start : len;
		teesim_pa_t pa;
		int err = teesim_guest_ipa_to_pa(g, ipas[i], &pa);

		if (!err)
			err = teesim_phys_read(m, pa + start, page, n, TEESIM_ACC_NS);
		if (err)
			return err;
		h = fnv1a(h, page, n);
		len -= n;
	}
	*sum = h;
	return 0;
}

static int demo(const struct demo_opts *o)
{
	struct teesim_machine_cfg cfg;
	struct teesim_machine *m;
	struct teesim_guest *g;
	struct teesim_process *p;
	teesim_ipa_t *ipas = NULL;
	unsigned char *buf;
	size_t len = o->pages * TEESIM_PAGE_SIZE - o->offset, scattered = 0;
	uint64_t client_sum, secure_sum = 0;
	long pinned;
	int rc = 1, err;

	teesim_machine_cfg_default(&cfg);
	cfg.remap = o->identity ? TEESIM_REMAP_IDENTITY : TEESIM_REMAP_SHUFFLE;
	cfg.seed = o->seed;
	m = teesim_machine_new(&cfg);
	if (!m) {
		fprintf(stderr, "teesim: cannot build the machine: %s\n", strerror(errno));
		return 1;
	}
	g = teesim_machine_guest(m, 0);
	printf("machine   %" PRIu64 " MiB of RAM at PA 0x%" PRIx64 ", %" PRIu64
	       " MiB secure at 0x%" PRIx64 ", stage-2 %s (seed %" PRIu64 ")\n",
	       cfg.ram_size >> 20, cfg.ram_base, cfg.secure_size >> 20, cfg.secure_base,
	       o->identity ? "identity" : "shuffled", o->seed);

	p = teesim_process_new(g);
	buf = p ? teesim_process_mmap(p, o->pages * TEESIM_PAGE_SIZE,
				      TEESIM_PROT_READ | TEESIM_PROT_WRITE)
		: NULL;
	ipas = calloc(o->pages, sizeof(*ipas));
	if (!buf || !ipas) {
		fprintf(stderr, "teesim: cannot map the client buffer\n");
		goto out;
	}
	for (size_t i = 0; i < len; i++)
		buf[o->offset + i] =
		    (unsigned char) ("teesim: dynamic shared memory "[i % 30] ^ (i / 30 & 0x7));
	client_sum = fnv1a(FNV_INIT, buf + o->offset, len);
	printf("client    process %u writes %zu bytes at user address %p (offset 0x%zx in its "
	       "first page)\n",
	       teesim_process_id(p), len, (void *) (buf + o->offset), o->offset);

	pinned = teesim_process_pin(p, (uintptr_t) buf, o->pages, TEESIM_PIN_WRITE, ipas);
	if (pinned != (long) o->pages) {
		fprintf(stderr, "teesim: pin failed: %ld\n", pinned);
		goto out;
	}
	printf("pin       %ld pages pinned; what the kernel and the secure world each see:\n",
	       pinned);
	printf("          %-4s  %-18s  %-12s  %-12s\n", "page", "user address", "IPA", "PA");
	for (size_t i = 0; i < o->pages; i++) {
		teesim_pa_t pa, prev = 0;

		teesim_guest_ipa_to_pa(g, ipas[i], &pa);
		if (i) {
			teesim_guest_ipa_to_pa(g, ipas[i - 1], &prev);
			scattered += pa != prev + TEESIM_PAGE_SIZE;
		}
		if (o->pages <= 16 || i < 6 || i >= o->pages - 2)
			printf("          %-4zu  %-18p  0x%-10" PRIx64 "  0x%-10" PRIx64 "\n", i,
			       (void *) (buf + i * TEESIM_PAGE_SIZE), ipas[i], pa);
		else if (i == 6)
			printf("          ...\n");
	}
	printf("          contiguous for the process and the guest; %zu of %zu page steps jump "
	       "in physical memory\n",
	       scattered, o->pages > 1 ? o->pages - 1 : 0);

	err = read_by_pa(m, g, ipas, o->pages, o->offset, len, &secure_sum);
	if (err) {
		fprintf(stderr, "teesim: physical read failed: %s\n", strerror(-err));
		goto unpin;
	}
	printf("secure    reads the bytes by PA through the checked accessors, page by page\n");
	printf("checksum  client 0x%016" PRIx64 "  secure 0x%016" PRIx64 "\n", client_sum,
	       secure_sum);
	rc = client_sum == secure_sum ? 0 : 1;
	printf("verdict   %s\n", rc ? "MISMATCH: the secure side saw other bytes"
				    : "bytes match: zero copy across scattered frames");
unpin:
	if (teesim_guest_unpin(g, ipas, o->pages)) {
		fprintf(stderr, "teesim: unpin failed\n");
		rc = 1;
	}
out:
	free(ipas);
	teesim_process_free(p);
	teesim_machine_free(m);
	return rc;
}

int main(int argc, char **argv)
{
	struct demo_opts o;

	if (argc >= 2 && !strcmp(argv[1], "demo")) {
		if (parse_demo(argc, argv, &o)) {
			usage(stderr);
			return 2;
		}
		return demo(&o);
	}
	if (argc == 2 && !strcmp(argv[1], "version")) {
		unsigned v = teesim_version();

		printf("teesim %u.%u.%u\n", v / 10000, v / 100 % 100, v % 100);
		return 0;
	}
	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "help"))) {
		usage(stdout);
		return 0;
	}
	usage(stderr);
	return 2;
}
