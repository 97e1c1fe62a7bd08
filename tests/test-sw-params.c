/* SPDX-License-Identifier: MIT */
/*
 * Secure world, memref parameters: TMEM in the static pool, NULL memrefs
 * per generation, NONCONTIG page lists (scattered pages, offsets, several
 * list pages) and every page-list rejection, each leaving no state.
 */
#include "test-sw-nw.h"

#define TIN  TEESIM_OPTEE_MSG_ATTR_TYPE_TMEM_INPUT
#define TOUT TEESIM_OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT
#define TIO  TEESIM_OPTEE_MSG_ATTR_TYPE_TMEM_INOUT
#define NC   TEESIM_OPTEE_MSG_ATTR_NONCONTIG
#define VOUT TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_OUTPUT
#define VIN  TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_INPUT
#define BADP TEESIM_OPTEE_ERROR_BAD_PARAMETERS

static struct nw NW;
static uint32_t SID;

static void setup_machine(enum teesim_remap remap, enum teesim_optee_gen gen, uint64_t max_pages)
{
	struct teesim_machine_cfg mc;
	struct teesim_sw_cfg cfg;

	teesim_machine_cfg_default(&mc);
	mc.remap = remap;
	mc.seed = 42;
	TH_M = th_machine(&mc);
	teesim_sw_cfg_default(&cfg, gen);
	cfg.max_pagelist_pages = max_pages;
	nw_init_cfg(&NW, TH_M, &cfg);
	SID = nw_open(&NW, TEESIM_TA_MEM_UUID);
}

static void setup_head(void)
{
	setup_machine(TEESIM_REMAP_SHUFFLE, TEESIM_OPTEE_GEN_HEAD, 1024);
}

static void setup_30(void)
{
	setup_machine(TEESIM_REMAP_IDENTITY, TEESIM_OPTEE_GEN_3_0, 1024);
}

static void teardown(void)
{
	ck_assert_uint_eq(nw_close(&NW, SID), 0);
	ck_assert_uint_eq(nw_stats(&NW).sessions, 0);
	ck_assert_uint_eq(nw_stats(&NW).threads_busy, 0);
	nw_fini(&NW);
	th_teardown();
}

static void expect_sum(const unsigned char *b, size_t n, uint32_t *sum, uint32_t *fnv)
{
	*sum = 0;
	*fnv = 2166136261u;
	for (size_t i = 0; i < n; i++) {
		*sum += b[i];
		*fnv = (*fnv ^ b[i]) * 16777619u;
	}
}

/* READ over param 0 as given; returns ret, sum and fnv in *s / *f. */
static uint32_t read_memref(uint64_t attr, uint64_t buf, uint64_t size, uint32_t *s, uint32_t *f)
{
	struct teesim_optee_msg_arg *a = nw_invoke_msg(&NW, SID, TEESIM_TA_MEM_CMD_READ, 2);

	a->params[0].attr = attr;
	a->params[0].u.tmem.buf_ptr = buf;
	a->params[0].u.tmem.size = size;
	a->params[0].u.tmem.shm_ref = 0x5eed;
	a->params[1].attr = VOUT;
	a->params[1].u.value.a = 0xeeee;
	ck_assert_uint_eq(nw_call(&NW, NW.arg_pa), TEESIM_OPTEE_SMC_RETURN_OK);
	*s = (uint32_t) a->params[1].u.value.a;
	*f = (uint32_t) a->params[1].u.value.b;
	return a->ret;
}

START_TEST(test_tmem_pool)
{
	unsigned char *b = NW.shm + 0x3010;
	uint32_t s, f, es, ef;
	struct teesim_optee_msg_arg *a;

	for (int i = 0; i < 5000; i++)
		b[i] = (unsigned char) (i * 7 + 3);
	expect_sum(b, 5000, &es, &ef);
	ck_assert_uint_eq(read_memref(TIN, NW.shm_pa + 0x3010, 5000, &s, &f), 0);
	ck_assert_uint_eq(s, es);
	ck_assert_uint_eq(f, ef);
	/* WRITE into the pool */
	a = nw_invoke_msg(&NW, SID, TEESIM_TA_MEM_CMD_WRITE, 2);
	a->params[0].attr = TOUT;
	a->params[0].u.tmem.buf_ptr = NW.shm_pa + 0x100;
	a->params[0].u.tmem.size = 300;
	a->params[1].attr = VIN;
	a->params[1].u.value.a = 250;
	ck_assert_uint_eq(nw_call(&NW, NW.arg_pa), 0);
	ck_assert_uint_eq(a->ret, 0);
	for (int i = 0; i < 300; i++)
		ck_assert_uint_eq(NW.shm[0x100 + i], (unsigned char) (250 + i));
	ck_assert_uint_eq(NW.shm[0x100 + 300], 0);
	/* outside the pool, or running past its end */
	ck_assert_uint_eq(read_memref(TIN, NW.arg_pa, 16, &s, &f), BADP);
	ck_assert_uint_eq(s, 0xeeee);
	ck_assert_uint_eq(read_memref(TIN, NW.shm_pa + NW.shm_size - 8, 16, &s, &f), BADP);
	ck_assert_uint_eq(read_memref(TIN, NW.shm_pa + NW.shm_size - 8, 8, &s, &f), 0);
}
END_TEST

START_TEST(test_null_memref_head)
{
	uint32_t s, f;
	struct teesim_sw_request req;

	/* today: buf_ptr 0 is NULL whatever the size; the TA sees size 0 */
	ck_assert_uint_eq(read_memref(TIN, 0, 0, &s, &f), 0);
	ck_assert_uint_eq(read_memref(TIN, 0, 100, &s, &f), 0);
	ck_assert_uint_eq(s, 0);
	ck_assert_int_eq(teesim_sw_last_request(NW.sw, &req), 0);
	ck_assert_int_eq(req.params[0].kind, TEESIM_SW_PARAM_NULL);
	ck_assert_uint_eq(req.params[0].size, 0);
}
END_TEST

START_TEST(test_null_memref_30)
{
	uint32_t s, f;

	ck_assert_uint_eq(read_memref(TIN, 0, 0, &s, &f), 0);
	ck_assert_uint_eq(read_memref(TIN, 0, 100, &s, &f), BADP);
}
END_TEST

/* A buffer of @n scattered pages: data written through the kernel's pointer. */
static unsigned char *scattered(size_t n, teesim_pa_t *pas)
{
	teesim_pa_t first;
	unsigned char *b = nw_pages(&NW, n, &first);
	teesim_ipa_t ipa;

	ck_assert_int_eq(teesim_guest_pa_to_ipa(NW.g, first, &ipa), 0);
	for (size_t i = 0; i < n; i++)
		ck_assert_int_eq(teesim_guest_ipa_to_pa(NW.g, ipa + i * TEESIM_PAGE_SIZE, &pas[i]),
				 0);
	for (size_t i = 0; i < n * TEESIM_PAGE_SIZE; i++)
		b[i] = (unsigned char) (i ^ (i >> 9));
	return b;
}

START_TEST(test_noncontig)
{
	teesim_pa_t pas[8], got[8];
	unsigned char *b = scattered(8, pas);
	uint32_t s, f, es, ef;
	const uint32_t off = 0x234;
	const uint64_t size = 7 * 4096 - 0x300;
	uint64_t buf = nw_pagelist(&NW, pas, 8, off);
	struct teesim_optee_msg_arg *a;
	struct teesim_sw_request req;
	bool scattered_pages = false;

	for (int i = 1; i < 8; i++)
		scattered_pages |= pas[i] != pas[i - 1] + 4096;
	/* the shuffled stage 2 at work */
	ck_assert(scattered_pages == (teesim_machine_cfg(TH_M)->remap == TEESIM_REMAP_SHUFFLE));
	expect_sum(b + off, size, &es, &ef);
	teesim_sw_count_reads(NW.sw, true);
	ck_assert_uint_eq(read_memref(TIN | NC, buf, size, &s, &f), 0);
	ck_assert_uint_eq(s, es);
	ck_assert_uint_eq(f, ef);
	/* each list entry fetched once, the unused slots never */
	for (unsigned i = 0; i < 7; i++)
		ck_assert_uint_eq(teesim_sw_reads(NW.sw, TEESIM_SW_FIELD_PAGE_LIST, i), 1);
	ck_assert_uint_eq(teesim_sw_reads(NW.sw, TEESIM_SW_FIELD_PAGE_LIST, 7), 0);
	ck_assert_int_eq(teesim_sw_last_request(NW.sw, &req), 0);
	ck_assert_int_eq(req.params[0].kind, TEESIM_SW_PARAM_NONCONTIG);
	ck_assert_uint_eq(req.params[0].npages, 7);
	ck_assert_uint_eq(req.params[0].offset, off);
	ck_assert_uint_eq(req.params[0].first_pa, pas[0] + off);
	ck_assert_uint_eq(req.params[0].cookie, 0x5eed);

	/* PAGES reports the frames the TA saw, in order */
	a = nw_invoke_msg(&NW, SID, TEESIM_TA_MEM_CMD_PAGES, 3);
	a->params[0].attr = TIN | NC;
	a->params[0].u.tmem.buf_ptr = buf;
	a->params[0].u.tmem.size = size;
	a->params[1].attr = VOUT;
	a->params[2].attr = TOUT;
	a->params[2].u.tmem.buf_ptr = NW.shm_pa;
	a->params[2].u.tmem.size = sizeof(got);
	ck_assert_uint_eq(nw_call(&NW, NW.arg_pa), 0);
	ck_assert_uint_eq(a->ret, 0);
	ck_assert_uint_eq(a->params[1].u.value.a, 7);
	ck_assert_uint_eq(a->params[2].u.tmem.size, 56);
	memcpy(got, NW.shm, 56);
	for (int i = 0; i < 7; i++)
		ck_assert_uint_eq(got[i], pas[i]);

	/* WRITE through the list lands in the kernel's buffer */
	a = nw_invoke_msg(&NW, SID, TEESIM_TA_MEM_CMD_WRITE, 2);
	a->params[0].attr = TIO | NC;
	a->params[0].u.tmem.buf_ptr = buf;
	a->params[0].u.tmem.size = 5000;
	a->params[1].attr = VIN;
	a->params[1].u.value.a = 1;
	ck_assert_uint_eq(nw_call(&NW, NW.arg_pa), 0);
	ck_assert_uint_eq(a->ret, 0);
	for (int i = 0; i < 5000; i++)
		ck_assert_uint_eq(b[off + i], (unsigned char) (1 + i));
	ck_assert_uint_eq(teesim_machine_violations(TH_M, NULL, 0), 0);
}
END_TEST

START_TEST(test_noncontig_two_lists)
{
	static teesim_pa_t pas[600];
	unsigned char *b = scattered(600, pas);
	uint64_t buf = nw_pagelist(&NW, pas, 600, 0x10);
	const uint64_t size = 600 * 4096 - 0x10;
	uint32_t s, f, es, ef;

	expect_sum(b + 0x10, size, &es, &ef);
	teesim_sw_count_reads(NW.sw, true);
	ck_assert_uint_eq(read_memref(TIN | NC, buf, size, &s, &f), 0);
	ck_assert_uint_eq(s, es);
	ck_assert_uint_eq(f, ef);
	/* the next pointer (slot 511) read once, the second list's entries once */
	ck_assert_uint_eq(teesim_sw_reads(NW.sw, TEESIM_SW_FIELD_PAGE_LIST, 511), 1);
	ck_assert_uint_eq(teesim_sw_reads(NW.sw, TEESIM_SW_FIELD_PAGE_LIST, 512), 1);
	ck_assert_uint_eq(teesim_sw_reads(NW.sw, TEESIM_SW_FIELD_PAGE_LIST, 512 + 88), 1);
	ck_assert_uint_eq(teesim_sw_reads(NW.sw, TEESIM_SW_FIELD_PAGE_LIST, 512 + 89), 0);
	/* over the configured limit of 1024 pages */
	ck_assert_uint_eq(read_memref(TIN | NC, buf, 1025 * 4096, &s, &f), BADP);
}
END_TEST

START_TEST(test_pagelist_rejections)
{
	const struct teesim_machine_cfg *mc = teesim_machine_cfg(TH_M);
	teesim_pa_t pas[600];
	uint32_t s, f;
	uint64_t buf, *list;
	int i;

	scattered(600, pas);
	for (i = 0; i < 10; i++) {
		uint64_t size = 3 * 4096;

		buf = nw_pagelist(&NW, pas, 600, 0);
		list = (uint64_t *) nw_host_of(&NW, buf);
		switch (i) {
		case 0:
			list[1] |= 8; /* unaligned entry */
			break;
		case 1:
			list[2] = mc->secure_base; /* entry in secure memory */
			break;
		case 2:
			list[0] = mc->ram_base + mc->ram_size; /* outside RAM */
			break;
		case 3:
			size = 0;
			break;
		case 4:
			buf |= 0x10;
			size = UINT64_MAX - 8; /* size + offset overflows */
			break;
		case 5:
			size = 600 * 4096;
			list[511] |= 0x800; /* unaligned next pointer */
			break;
		case 6:
			size = 600 * 4096;
			list[511] = mc->secure_base; /* next list page in secure memory */
			break;
		case 7:
			buf = mc->secure_base; /* list itself in secure memory */
			break;
		case 8:
			size = 600 * 4096;
			list[511] = 0x1000; /* next pointer leaves memory */
			break;
		default:
			list[0] = 0; /* page 0 is no memory */
			break;
		}
		ck_assert_msg(read_memref(TIN | NC, buf, size, &s, &f) == BADP, "case %d", i);
		ck_assert_uint_eq(s, 0xeeee); /* TA never ran */
	}
	/* checked before any access: no secure access was recorded */
	ck_assert_uint_eq(teesim_machine_violations(TH_M, NULL, 0), 0);
	ck_assert_uint_eq(nw_stats(&NW).shm_objects, 0);
}
END_TEST

/*
 * Entries are checked a whole list page at a time: a bad entry is refused
 * wherever it sits (first, middle, last slot of a list page, first slot of
 * the next one, last entry used), and the accepted range is RAM plus the
 * static pool, whose pages may be listed too, with nothing in between.
 */
START_TEST(test_pagelist_entry_positions)
{
	const struct teesim_machine_cfg *mc = teesim_machine_cfg(TH_M);
	static const size_t pos[] = {0, 1, 255, 509, 510, 511, 512, 599};
	teesim_pa_t pas[600];
	uint32_t s, f;

	scattered(600, pas);
	for (size_t i = 0; i < sizeof(pos) / sizeof(*pos); i++) {
		for (int kind = 0; kind < 6; kind++) {
			uint64_t buf = nw_pagelist(&NW, pas, 600, 0);
			uint64_t *list = (uint64_t *) nw_host_of(&NW, buf);
			uint64_t *e = &list[pos[i] / 511 * 512 + pos[i] % 511];
			uint32_t want = BADP;

			switch (kind) {
			case 0:
				*e |= 0x200; /* unaligned */
				break;
			case 1:
				*e = mc->ram_base + mc->ram_size; /* just past RAM */
				break;
			case 2:
				*e = NW.shm_pa - 4096; /* just below the static pool */
				break;
			case 3:
				*e = NW.shm_pa; /* the pool's first page */
				want = 0;
				break;
			case 4:
				*e = NW.shm_pa + NW.shm_size - 4096; /* its last page */
				want = 0;
				break;
			default:
				*e = mc->ram_base + mc->ram_size - 4096; /* RAM's last page */
				want = 0;
				break;
			}
			s = 0xeeee;
			ck_assert_msg(read_memref(TIN | NC, buf, 600 * 4096, &s, &f) == want,
				      "entry %zu kind %d", pos[i], kind);
			if (want)
				ck_assert_uint_eq(s, 0xeeee); /* TA never ran */
		}
	}
	ck_assert_uint_eq(teesim_machine_violations(TH_M, NULL, 0), 0);
	ck_assert_uint_eq(nw_stats(&NW).shm_objects, 0);
}
END_TEST

START_TEST(test_short_buffer)
{
	struct teesim_optee_msg_arg *a = nw_invoke_msg(&NW, SID, TEESIM_TA_MEM_CMD_COPY, 2);

	memset(NW.shm, 0x42, 100);
	a->params[0].attr = TIN;
	a->params[0].u.tmem.buf_ptr = NW.shm_pa;
	a->params[0].u.tmem.size = 100;
	a->params[1].attr = TOUT;
	a->params[1].u.tmem.buf_ptr = NW.shm_pa + 4096;
	a->params[1].u.tmem.size = 50;
	ck_assert_uint_eq(nw_call(&NW, NW.arg_pa), 0);
	ck_assert_uint_eq(a->ret, TEESIM_OPTEE_ERROR_SHORT_BUFFER);
	ck_assert_uint_eq(a->params[1].u.tmem.size, 100); /* the size needed, written back */
	ck_assert_uint_eq(a->params[0].u.tmem.size, 100);
	ck_assert_uint_eq(NW.shm[4096], 0);
	ck_assert_uint_eq(nw_call(&NW, NW.arg_pa), 0);
	ck_assert_uint_eq(a->ret, 0);
	ck_assert_uint_eq(NW.shm[4096 + 99], 0x42);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sw-params");
	TCase *tc = tcase_create("head");

	tcase_add_checked_fixture(tc, setup_head, teardown);
	tcase_add_test(tc, test_tmem_pool);
	tcase_add_test(tc, test_null_memref_head);
	tcase_add_test(tc, test_noncontig);
	tcase_add_test(tc, test_noncontig_two_lists);
	tcase_add_test(tc, test_pagelist_rejections);
	tcase_add_test(tc, test_pagelist_entry_positions);
	tcase_add_test(tc, test_short_buffer);
	suite_add_tcase(s, tc);
	tc = tcase_create("gen30");
	tcase_add_checked_fixture(tc, setup_30, teardown);
	tcase_add_test(tc, test_null_memref_30);
	tcase_add_test(tc, test_tmem_pool);
	tcase_add_test(tc, test_noncontig);
	suite_add_tcase(s, tc);
	return th_run(s);
}
