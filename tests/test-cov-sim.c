/* SPDX-License-Identifier: MIT */
/*
 * White box: parts of the machine the other suites leave unexercised.
 * - The stage-2 permutation for more than 2^32 frames (the Feistel network;
 *   smaller machines use the affine map), and the affine map's bijection
 *   over whole small domains.
 * - Host-page pins judged without /proc (mincore: mapped or not, no
 *   permissions), with /proc/self/maps opened as fd 0, and after a fork.
 * - The tee core's observation calls on a machine that has no tee core.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "internal.h"

#define PG ((uint64_t) TEESIM_PAGE_SIZE)

/* ---- the permutation ---- */

/* Every x of [0, n) maps into [0, n), no two alike, and back. (Plain
 * checks in the loops: a Check assertion per element costs a system call.) */
static void assert_bijection(uint64_t n, uint64_t seed)
{
	struct tsim_perm p;
	uint8_t *seen = calloc((size_t) n, 1);
	uint64_t moved = 0, bad = 0;

	ck_assert_ptr_nonnull(seen);
	tsim_perm_init(&p, n, seed, true);
	for (uint64_t x = 0; x < n; x++) {
		uint64_t y = tsim_perm_fwd(&p, x);

		if (y >= n || seen[y] || tsim_perm_inv(&p, y) != x) {
			bad++;
			continue;
		}
		seen[y] = 1;
		moved += y != x;
	}
	free(seen);
	ck_assert_msg(bad == 0, "n %llu seed %llu: %llu elements out of range, twice or not back",
		      (unsigned long long) n, (unsigned long long) seed, (unsigned long long) bad);
	if (n > 4)
		ck_assert_uint_ge(moved, n / 4); /* a shuffle, not the identity */
}

START_TEST(test_perm_small_domains)
{
	static const uint64_t ns[] = {2, 3, 5, 16, 64, 97, 1000, 4096, 65537};

	for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++)
		for (uint64_t seed = 0; seed < 3; seed++)
			assert_bijection(ns[i], seed);
}
END_TEST

START_TEST(test_perm_identity)
{
	struct tsim_perm p;

	tsim_perm_init(&p, 1000, 7, false);
	for (uint64_t x = 0; x < 1000; x += 37) {
		ck_assert_uint_eq(tsim_perm_fwd(&p, x), x);
		ck_assert_uint_eq(tsim_perm_inv(&p, x), x);
	}
	tsim_perm_init(&p, 1, 7, true); /* one frame: nothing to shuffle */
	ck_assert_uint_eq(tsim_perm_fwd(&p, 0), 0);
	ck_assert_uint_eq(tsim_perm_inv(&p, 0), 0);
}
END_TEST

/* Above 2^32 frames: the Feistel network with cycle walking. Sampled, since
 * the domain is too large to walk: every sample stays inside [0, n), comes
 * back, and no two samples collide; the same seed gives the same map. */
START_TEST(test_perm_feistel)
{
	static const uint64_t ns[] = {
	    (UINT64_C(1) << 32),	 /* 32 bits: even */
	    (UINT64_C(1) << 33) + 12345, /* 34 bits with cycle walking */
	    (UINT64_C(1) << 40) - 1,	 /* just below a power of two */
	    (UINT64_C(1) << 63) + 1,	 /* 64 bits: the halves are 32 bits */
	};
	enum { SAMPLES = 4096 };
	uint64_t *ys = malloc(SAMPLES * sizeof(*ys));

	ck_assert_ptr_nonnull(ys);
	for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
		struct tsim_perm p, q, r;
		uint64_t n = ns[i], step = n / SAMPLES, same = 0, differ = 0;

		tsim_perm_init(&p, n, 42, true);
		tsim_perm_init(&q, n, 42, true);
		tsim_perm_init(&r, n, 43, true);
		ck_assert(!p.identity);
		ck_assert(!p.affine);
		uint64_t bad = 0, dup = 0;

		for (uint64_t k = 0; k < SAMPLES; k++) {
			/* spread over the domain, both ends included */
			uint64_t x = k == SAMPLES - 1 ? n - 1 : k * step + (k & 7);

			ys[k] = tsim_perm_fwd(&p, x);
			bad += ys[k] >= n || tsim_perm_inv(&p, ys[k]) != x ||
			       tsim_perm_fwd(&q, x) != ys[k];
			differ += tsim_perm_fwd(&r, x) != ys[k];
			same += ys[k] == x;
		}
		for (uint64_t k = 1; k < SAMPLES; k++)
			for (uint64_t j = k % 7; j < k; j += 7)
				dup += ys[k] == ys[j];
		ck_assert_msg(bad == 0,
			      "n %#llx: %llu samples out of range, not back or not seeded",
			      (unsigned long long) n, (unsigned long long) bad);
		ck_assert_uint_eq(dup, 0);
		ck_assert_uint_gt(differ, SAMPLES / 2); /* another seed, another map */
		ck_assert_uint_lt(same, 8);
	}
	free(ys);
}
END_TEST

/* ---- host pins: how host VMAs are judged ---- */

/* Three host pages, the middle one unmapped and the last read-only. */
static uint8_t *host_pages(void)
{
	uint8_t *h = mmap(NULL, 3 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ck_assert_ptr_ne(h, MAP_FAILED);
	ck_assert_int_eq(munmap(h + PG, PG), 0);
	ck_assert_int_eq(mprotect(h + 2 * PG, PG, PROT_READ), 0);
	return h;
}

static void unpin(struct teesim_machine *m, const teesim_ipa_t *ipa, long n)
{
	if (n > 0)
		ck_assert_int_eq(teesim_guest_unpin(teesim_machine_guest(m, 0), ipa, (size_t) n),
				 0);
}

/* Without /proc (no descriptor can be had: every fd below the limit is
 * taken) the pins fall back on mincore(), which knows mapped from unmapped
 * only: a read-only page pins for writing there, as documented. */
START_TEST(test_pin_without_proc)
{
	struct teesim_process *p = teesim_process_new(teesim_machine_guest(TH_M, 0));
	struct rlimit old, low;
	teesim_ipa_t ipa[3];
	int fds[256], nfds = 0, fd;
	uint8_t *h = host_pages();
	long n, ro_write;

	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &old), 0);
	low = old;
	low.rlim_cur = 64;
	if (setrlimit(RLIMIT_NOFILE, &low) != 0)
		goto out; /* cannot lower it here (a tool's limits): nothing to test */
	while (nfds < 256 && (fd = dup(2)) >= 0)
		fds[nfds++] = fd;
	ck_assert_int_eq(errno, EMFILE);

	/* the first page is mapped, the second is not */
	n = teesim_process_pin(p, (uintptr_t) h, 3, TEESIM_PIN_WRITE, ipa);
	ck_assert_int_eq(n, 1);
	ck_assert_int_lt(TH_M->maps_fd, 0);
	unpin(TH_M, ipa, n);
	th_assert_err(teesim_process_pin(p, (uintptr_t) h + PG, 1, 0, ipa), -EFAULT);
	/* read-only, pinned for writing: mincore cannot tell */
	ro_write = teesim_process_pin(p, (uintptr_t) h + 2 * PG, 1, TEESIM_PIN_WRITE, ipa);
	unpin(TH_M, ipa, ro_write);

	while (nfds > 0)
		close(fds[--nfds]);
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &old), 0);
	ck_assert_int_eq(ro_write, 1);
	/* with /proc again, the same write pin is refused */
	th_assert_err(teesim_process_pin(p, (uintptr_t) h + 2 * PG, 1, TEESIM_PIN_WRITE, ipa),
		      -EFAULT);
	ck_assert_int_gt(TH_M->maps_fd, 0);
out:
	ck_assert_int_eq(munmap(h, PG), 0);
	ck_assert_int_eq(munmap(h + 2 * PG, PG), 0);
	teesim_process_free(p);
}
END_TEST

/* /proc/self/maps opened while fd 0 is free: fd 0 is left free (0 means
 * "not open" in the machine), and the pins still judge VMAs. */
START_TEST(test_pin_maps_fd_zero)
{
	struct teesim_process *p = teesim_process_new(teesim_machine_guest(TH_M, 0));
	teesim_ipa_t ipa[3];
	uint8_t *h = host_pages();
	int saved = dup(0);
	long n;

	ck_assert_ptr_nonnull(p);
	ck_assert_int_ge(saved, 0);
	close(0);
	n = teesim_process_pin(p, (uintptr_t) h, 1, TEESIM_PIN_WRITE, ipa);
	ck_assert_int_gt(TH_M->maps_fd, 0);
	ck_assert_int_eq(fcntl(0, F_GETFD), -1); /* still free */
	ck_assert_int_eq(dup2(saved, 0), 0);
	close(saved);
	ck_assert_int_eq(n, 1);
	unpin(TH_M, ipa, n);
	th_assert_err(teesim_process_pin(p, (uintptr_t) h + 2 * PG, 1, TEESIM_PIN_WRITE, ipa),
		      -EFAULT);
	ck_assert_int_eq(munmap(h, PG), 0);
	ck_assert_int_eq(munmap(h + 2 * PG, PG), 0);
	teesim_process_free(p);
}
END_TEST

/* After a fork the descriptor names the parent: the child opens its own. */
START_TEST(test_pin_after_fork)
{
	struct teesim_process *p = teesim_process_new(teesim_machine_guest(TH_M, 0));
	teesim_ipa_t ipa[3];
	uint8_t *h = host_pages();
	int parent_fd, status, res[2];
	uint8_t verdict = 0xff;
	long n;
	pid_t child;

	ck_assert_ptr_nonnull(p);
	n = teesim_process_pin(p, (uintptr_t) h, 1, TEESIM_PIN_WRITE, ipa);
	ck_assert_int_eq(n, 1);
	unpin(TH_M, ipa, n);
	parent_fd = TH_M->maps_fd;
	ck_assert_int_gt(parent_fd, 0);
	ck_assert_int_eq(TH_M->maps_pid, getpid());
	ck_assert_int_eq(pipe(res), 0);
	child = fork();
	ck_assert_int_ge(child, 0);
	if (child == 0) {
		/* the child's verdict goes through the pipe (0: fine, else the
		 * failing check); it dies by SIGKILL so that no exit handler (a
		 * leak check under valgrind) judges its copy of the machine */
		long cn = teesim_process_pin(p, (uintptr_t) h, 1, TEESIM_PIN_WRITE, ipa);
		uint8_t verdict = 0;

		if (cn != 1)
			verdict = cn < 0 && cn > -100 ? (uint8_t) -cn : 100;
		else if (TH_M->maps_pid != getpid())
			verdict = 101;
		else if (teesim_process_pin(p, (uintptr_t) h + PG, 1, 0, ipa) != -EFAULT)
			verdict = 102;
		if (write(res[1], &verdict, 1) != 1)
			_exit(1);
		kill(getpid(), SIGKILL);
	}
	close(res[1]);
	ck_assert_int_eq(read(res[0], &verdict, 1), 1);
	close(res[0]);
	ck_assert_int_eq(waitpid(child, &status, 0), child);
	ck_assert_uint_eq(verdict, 0);
	/* the parent's descriptor is untouched */
	ck_assert_int_eq(TH_M->maps_fd, parent_fd);
	ck_assert_int_eq(TH_M->maps_pid, getpid());
	ck_assert_int_eq(munmap(h, PG), 0);
	ck_assert_int_eq(munmap(h + 2 * PG, PG), 0);
	teesim_process_free(p);
}
END_TEST

/* ---- the tee core's observation calls without a tee core ---- */

START_TEST(test_no_tee_core)
{
	struct teesim_guest *g = teesim_machine_guest(TH_M, 0);
	struct teesim_process *p = teesim_process_new(g);
	struct teesim_tee_stats st;
	struct teesim_tee_device_info di;
	struct teesim_tee_shm_info si;
	int ids[4];

	ck_assert_ptr_nonnull(p);
	memset(&st, 0xa5, sizeof(st));
	teesim_tee_stats(TH_M, &st);
	ck_assert_uint_eq(st.devices + st.contexts + st.shms + st.sessions + st.files +
			      st.mappings + st.pinned_pages + st.ids,
			  0);
	th_assert_err(teesim_tee_device_info(g, "/dev/tee0", &di), -ENOENT);
	th_assert_err(teesim_tee_ids(g, "/dev/tee0", ids, 4), -ENOENT);
	th_assert_err(teesim_tee_shm_info(g, "/dev/tee0", 1, &si), -ENOENT);
	ck_assert_int_eq(si.id, 0); /* cleared */
	th_assert_err(teesim_open(p, "/dev/tee0", O_RDWR), -ENOENT);
	teesim_tee_set_hook(TH_M, NULL, NULL);
	teesim_process_free(p);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cov-sim");
	TCase *perm = tcase_create("perm");
	TCase *pin = th_tcase(s, "pin");
	TCase *core = th_tcase(s, "core");

	tcase_add_test(perm, test_perm_small_domains);
	tcase_add_test(perm, test_perm_identity);
	tcase_add_test(perm, test_perm_feistel);
	suite_add_tcase(s, perm);
	tcase_add_test(pin, test_pin_without_proc);
	tcase_add_test(pin, test_pin_maps_fd_zero);
	tcase_add_test(pin, test_pin_after_fork);
	tcase_add_test(core, test_no_tee_core);
	return th_run(s);
}
