/* SPDX-License-Identifier: MIT */
/* Tee core: devices, contexts, the fd table and TEE_IOC_VERSION (white box). */
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>

#include "harness.h"
#include "testdrv.h"
#include "tee_private.h"

static const struct testdrv_cfg full = {.reg_mem = true, .memref_null = true, .supplicant = true};

START_TEST(test_device_names_and_open)
{
	struct testdrv *td = testdrv_new(TH_M, &full);
	struct teesim_process *p = tproc(TH_M);
	struct teesim_tee_device_info di;
	int fd, fd2;

	ck_assert_str_eq(tee_device_name(td->teedev), "tee0");
	ck_assert_str_eq(tee_device_name(td->supp_teedev), "teepriv0");
	ck_assert_ptr_eq(tee_get_drvdata(td->teedev), td);
	th_core_clean_expect(TH_M, 2);

	th_assert_err(teesim_open(p, "/dev/tee1", O_RDWR), -ENOENT);
	th_assert_err(teesim_open(p, "tee0", O_RDWR), -ENOENT);
	th_assert_err(teesim_open(p, NULL, O_RDWR), -ENOENT);
	fd = teesim_open(p, "/dev/tee0", O_RDWR);
	ck_assert_int_eq(fd, 3); /* the lowest fd above stdio */
	fd2 = teesim_open(p, "/dev/tee0", O_RDWR);
	ck_assert_int_eq(fd2, 4);
	ck_assert_int_eq(teesim_tee_device_info(td->g, "/dev/tee0", &di), 0);
	ck_assert_uint_eq(di.users, 3); /* registration + two contexts */
	ck_assert_uint_eq(di.contexts, 2);
	ck_assert(!di.privileged);
	ck_assert_uint_eq(td->opens, 2);
	ck_assert_uint_eq(t_fd_info(p, fd).ctx_refs, 1);
	ck_assert_str_eq(t_fd_info(p, fd).device, "tee0");
	ck_assert_int_eq(t_fd_info(p, fd).kind, TEESIM_TEE_FD_DEVICE);

	/* closing frees the lowest fd for the next open */
	ck_assert_int_eq(teesim_close(p, fd), 0);
	th_assert_err(teesim_close(p, fd), -EBADF);
	ck_assert_uint_eq(td->releases, 1);
	ck_assert_int_eq(teesim_open(p, "/dev/tee0", O_RDWR), 3);
	ck_assert_int_eq(teesim_close(p, 3), 0);
	ck_assert_int_eq(teesim_close(p, fd2), 0);
	th_assert_err(teesim_close(p, 99), -EBADF);
	th_assert_err(teesim_close(p, -1), -EBADF);
	ck_assert_int_eq(teesim_tee_device_info(td->g, "/dev/tee0", &di), 0);
	ck_assert_uint_eq(di.users, 1);
	ck_assert_uint_eq(di.contexts, 0);
	th_core_clean_expect(TH_M, 2);
	teesim_process_free(p);
	testdrv_free(td);
	th_core_clean(TH_M);
	th_assert_err(teesim_tee_device_info(teesim_machine_guest(TH_M, 0), "/dev/tee0", &di),
		      -ENOENT);
}
END_TEST

START_TEST(test_version_caps)
{
	const struct testdrv_cfg cfgs[] = {
	    {.supplicant = true},
	    {.reg_mem = true, .supplicant = true},
	    {.reg_mem = true, .memref_null = true, .supplicant = true},
	};

	for (size_t i = 0; i < sizeof(cfgs) / sizeof(cfgs[0]); i++) {
		struct testdrv *td = testdrv_new(TH_M, &cfgs[i]);
		struct teesim_process *p = tproc(TH_M);
		struct tee_ioctl_version_data v;
		uint32_t caps = TEE_GEN_CAP_GP | (cfgs[i].reg_mem ? TEE_GEN_CAP_REG_MEM : 0) |
				(cfgs[i].memref_null ? TEE_GEN_CAP_MEMREF_NULL : 0);
		int fd = teesim_open(p, "/dev/tee0", O_RDWR);
		int sfd = teesim_open(p, "/dev/teepriv0", O_RDWR);

		ck_assert_int_ge(fd, 3);
		ck_assert_int_ge(sfd, 3);
		ck_assert_int_eq(t_version(p, fd, &v), 0);
		ck_assert_uint_eq(v.impl_id, TEE_IMPL_ID_OPTEE);
		ck_assert_uint_eq(v.impl_caps, TEE_OPTEE_CAP_TZ);
		ck_assert_uint_eq(v.gen_caps, caps);
		/* the privileged twin: the core adds PRIVILEGED */
		ck_assert_int_eq(t_version(p, sfd, &v), 0);
		ck_assert_uint_eq(v.gen_caps, caps | TEE_GEN_CAP_PRIVILEGED);
		teesim_process_free(p);
		testdrv_free(td);
		th_core_clean(TH_M);
	}
}
END_TEST

START_TEST(test_ioctl_errors)
{
	struct testdrv *td = testdrv_new(TH_M, &full);
	struct teesim_process *p = tproc(TH_M);
	struct tee_ioctl_version_data *ro;
	int fd = teesim_open(p, "/dev/tee0", O_RDWR);

	th_assert_err(teesim_ioctl(p, 77, TEE_IOC_VERSION, NULL), -EBADF);
	/* VERSION only fails on the copy out */
	th_assert_err(teesim_ioctl(p, fd, TEE_IOC_VERSION, NULL), -EFAULT);
	ro = teesim_process_mmap(p, 4096, TEESIM_PROT_READ);
	ck_assert_ptr_nonnull(ro);
	th_assert_err(teesim_ioctl(p, fd, TEE_IOC_VERSION, ro), -EFAULT);
	ck_assert_uint_eq(ro->gen_caps, 0);
	/* unknown requests, and known numbers with another size or direction */
	th_assert_err(teesim_ioctl(p, fd, 0, ro), -EINVAL);
	th_assert_err(teesim_ioctl(p, fd, TEE_IOC_VERSION + 1, ro), -EINVAL);
	th_assert_err(teesim_ioctl(p, fd, (TEE_IOC_VERSION & ~0xc0000000u) | 0x40000000u, ro),
		      -EINVAL);
	th_assert_err(teesim_ioctl(p, fd, _IOR(TEE_IOC_MAGIC, 8, struct tee_ioctl_buf_data), ro),
		      -EINVAL);
	ck_assert_int_eq(teesim_process_munmap(p, ro, 4096), 0);
	ck_assert_int_eq(teesim_close(p, fd), 0);
	teesim_process_free(p);
	testdrv_free(td);
	th_core_clean(TH_M);
}
END_TEST

START_TEST(test_supplicant_exclusive)
{
	struct testdrv *td = testdrv_new(TH_M, &full);
	struct teesim_process *p = tproc(TH_M), *q = tproc(TH_M);
	int s = teesim_open(p, "/dev/teepriv0", O_RDWR);

	ck_assert_int_eq(s, 3);
	th_assert_err(teesim_open(q, "/dev/teepriv0", O_RDWR), -EBUSY);
	ck_assert_uint_eq(td->opens, 1);
	ck_assert_ptr_nonnull(td->supp_ctx);
	/* once the supplicant is gone, another may open */
	ck_assert_int_eq(teesim_close(p, s), 0);
	ck_assert_ptr_null(td->supp_ctx);
	s = teesim_open(q, "/dev/teepriv0", O_RDWR);
	ck_assert_int_eq(s, 3);
	teesim_process_free(q); /* exit closes it */
	ck_assert_ptr_null(td->supp_ctx);
	teesim_process_free(p);
	testdrv_free(td);
	th_core_clean(TH_M);
}
END_TEST

START_TEST(test_open_failure_from_driver)
{
	struct testdrv *td = testdrv_new(TH_M, &full);
	struct teesim_process *p = tproc(TH_M);
	struct teesim_tee_device_info di;

	td->ctx_open_rc = -ENOMEM;
	th_assert_err(teesim_open(p, "/dev/tee0", O_RDWR), -ENOMEM);
	ck_assert_int_eq(teesim_tee_device_info(td->g, "/dev/tee0", &di), 0);
	ck_assert_uint_eq(di.users, 1); /* the failed open gave its user back */
	th_core_clean_expect(TH_M, 2);
	td->ctx_open_rc = 0;
	teesim_process_free(p);
	testdrv_free(td);
	th_core_clean(TH_M);
}
END_TEST

/* several processes: fds are per process */
START_TEST(test_processes_have_own_fds)
{
	struct testdrv *td = testdrv_new(TH_M, &full);
	struct teesim_process *p = tproc(TH_M), *q = tproc(TH_M);
	struct teesim_tee_stats st;
	int a = teesim_open(p, "/dev/tee0", O_RDWR);
	int b = teesim_open(q, "/dev/tee0", O_RDWR);

	ck_assert_int_eq(a, 3);
	ck_assert_int_eq(b, 3);
	teesim_tee_stats(TH_M, &st);
	ck_assert_uint_eq(st.files, 2);
	ck_assert_uint_eq(st.contexts, 2);
	ck_assert_int_eq(teesim_close(p, a), 0);
	th_assert_err(teesim_ioctl(p, a, TEE_IOC_VERSION, NULL), -EBADF);
	th_assert_err(teesim_ioctl(q, b, TEE_IOC_VERSION, NULL), -EFAULT); /* q's fd still works */
	/* a process that exits closes its fds */
	teesim_process_free(q);
	teesim_tee_stats(TH_M, &st);
	ck_assert_uint_eq(st.files, 0);
	ck_assert_uint_eq(st.contexts, 0);
	ck_assert_uint_eq(td->releases, 2);
	teesim_process_free(p);
	testdrv_free(td);
	th_core_clean(TH_M);
}
END_TEST

/* processes of another guest do not see guest 0's devices: each guest is its own kernel */
START_TEST(test_devices_per_guest)
{
	struct teesim_machine_cfg cfg;
	struct teesim_machine *m;
	struct teesim_guest *g1;
	struct teesim_process *p0, *p1;
	struct testdrv *td;
	int fd;

	teesim_machine_cfg_default(&cfg);
	cfg.guest0_size = 32ull << 20;
	m = th_machine(&cfg);
	td = testdrv_new(m, &full); /* in guest 0 */
	g1 = teesim_guest_new(m, 16ull << 20);
	ck_assert_ptr_nonnull(g1);
	p0 = tproc(m);
	p1 = teesim_process_new(g1);
	ck_assert_ptr_nonnull(p1);
	th_assert_err(teesim_open(p1, "/dev/tee0", O_RDWR), -ENOENT);
	fd = teesim_open(p0, "/dev/tee0", O_RDWR);
	ck_assert_int_eq(fd, 3);
	/* guest 1's own driver: its own tee0, minors counted per guest */
	{
		const struct testdrv_cfg c1 = {.reg_mem = true, .kmem_pool = true, .guest = g1};
		struct testdrv *td1 = testdrv_new(m, &c1);
		struct teesim_tee_device_info d0, d1;
		int fd1 = teesim_open(p1, "/dev/tee0", O_RDWR);

		ck_assert_str_eq(tee_device_name(td1->teedev), "tee0");
		ck_assert_int_eq(fd1, 3);
		ck_assert_int_eq(teesim_tee_device_info(g1, "/dev/tee0", &d1), 0);
		ck_assert_int_eq(teesim_tee_device_info(td->g, "/dev/tee0", &d0), 0);
		ck_assert_uint_eq(d1.contexts, 1);
		ck_assert_uint_eq(d0.contexts, 1);
		ck_assert_uint_eq(td1->opens, 1);
		ck_assert_uint_eq(td->opens, 1);
		th_assert_err(teesim_open(p1, "/dev/teepriv0", O_RDWR), -ENOENT);
		ck_assert_int_eq(teesim_close(p1, fd1), 0);
		testdrv_free(td1);
	}
	ck_assert_int_eq(teesim_close(p0, fd), 0);
	teesim_process_free(p1);
	teesim_process_free(p0);
	ck_assert_int_eq(teesim_guest_free(g1), 0);
	testdrv_free(td);
	th_core_clean(m);
	th_machine_done(m);
}
END_TEST

START_TEST(test_device_alloc_errors)
{
	struct testdrv *td = testdrv_new(TH_M, &full);
	static const struct tee_driver_ops no_open = {.get_version = NULL};
	const struct tee_desc bad = {"bad", &no_open, 0};
	struct tee_device *devs[16];
	int n = 0;

	ck_assert_int_eq(PTR_ERR(tee_device_alloc(NULL, td->g, td->pool, NULL)), -EINVAL);
	ck_assert_int_eq(PTR_ERR(tee_device_alloc(&bad, td->g, td->pool, NULL)), -EINVAL);
	ck_assert_int_eq(PTR_ERR(tee_device_alloc(td->teedev->desc, td->g, NULL, NULL)), -EINVAL);
	/* registering twice */
	th_assert_err(tee_device_register(td->teedev), -EINVAL);
	/* 16 unprivileged minors: tee0 is taken, 15 more, then ENOMEM */
	for (;;) {
		struct tee_device *d = tee_device_alloc(td->teedev->desc, td->g, td->pool, td);

		if (IS_ERR(d)) {
			ck_assert_int_eq(PTR_ERR(d), -ENOMEM);
			break;
		}
		ck_assert_int_lt(n, 16);
		devs[n++] = d;
	}
	ck_assert_int_eq(n, 15);
	ck_assert_str_eq(tee_device_name(devs[14]), "tee15");
	/* an allocated device that was never registered cannot be opened */
	{
		struct teesim_process *p = tproc(TH_M);

		th_assert_err(teesim_open(p, "/dev/tee15", O_RDWR), -ENOENT);
		teesim_process_free(p);
	}
	while (n)
		tee_device_unregister(devs[--n]);
	testdrv_free(td);
	th_core_clean(TH_M);
}
END_TEST

struct unreg_arg {
	struct testdrv *td;
	_Atomic int done;
};

static void *unregister_thread(void *a)
{
	struct unreg_arg *u = a;

	tee_device_unregister(u->td->teedev);
	u->td->teedev = NULL;
	atomic_store(&u->done, 1);
	return NULL;
}

/* tee_device_unregister waits until the last context is gone; new opens fail meanwhile */
START_TEST(test_unregister_waits_for_users)
{
	struct testdrv *td = testdrv_new(TH_M, &full);
	struct teesim_process *p = tproc(TH_M);
	struct unreg_arg u = {td, 0};
	struct teesim_tee_device_info di;
	pthread_t t;
	int fd = teesim_open(p, "/dev/tee0", O_RDWR);

	ck_assert_int_ge(fd, 3);
	ck_assert_int_eq(pthread_create(&t, NULL, unregister_thread, &u), 0);
	/* the device disappears from the namespace first */
	while (teesim_tee_device_info(td->g, "/dev/tee0", &di) == 0)
		sched_yield();
	th_assert_err(teesim_open(p, "/dev/tee0", O_RDWR), -ENOENT);
	ck_assert_int_eq(atomic_load(&u.done), 0);
	/* the context still works while the device waits */
	th_assert_err(teesim_ioctl(p, fd, TEE_IOC_VERSION, NULL), -EFAULT);
	ck_assert_int_eq(teesim_close(p, fd), 0);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_int_eq(atomic_load(&u.done), 1);
	teesim_process_free(p);
	testdrv_free(td);
	th_core_clean(TH_M);
}
END_TEST

/* the machine tears the core down: fds of live processes, devices left registered */
START_TEST(test_machine_free_tears_down)
{
	struct teesim_machine *m = th_machine(NULL);
	struct testdrv *td = testdrv_new(m, &full);
	struct teesim_process *p = tproc(m);
	struct tee_ioctl_shm_alloc_data d;
	int fd = teesim_open(p, "/dev/tee0", O_RDWR);

	ck_assert_int_ge(t_shm_alloc(p, fd, 4096, &d), 3);
	/* process exit: memory, then files */
	teesim_process_free(p);
	th_core_clean_expect(m, 2);
	testdrv_free(td);
	th_machine_done(m);
}
END_TEST

/* the fd table is bounded: -EMFILE, and a SHM_ALLOC that gets no fd frees its shm */
START_TEST(test_emfile)
{
	struct testdrv *td = testdrv_new(TH_M, &full);
	struct teesim_process *p = tproc(TH_M);
	struct teesim_tee_stats st;
	int fd = teesim_open(p, "/dev/tee0", O_RDWR), last = fd;

	while (last >= 0) {
		int n = teesim_open(p, "/dev/tee0", O_RDWR);

		if (n < 0) {
			th_assert_err(n, -EMFILE);
			break;
		}
		ck_assert_int_eq(n, last + 1);
		last = n;
	}
	ck_assert_int_eq(last, TEE_FD_MAX - 1);
	teesim_tee_stats(TH_M, &st);
	ck_assert_uint_eq(st.files, TEE_FD_MAX - TEE_FD_FIRST);
	ck_assert_uint_eq(st.contexts, st.files); /* the refused open left no context */
	th_assert_err(t_shm_alloc(p, fd, 4096, NULL), -EMFILE);
	teesim_tee_stats(TH_M, &st);
	ck_assert_uint_eq(st.shms, 0);
	ck_assert_uint_eq(st.ids, 0);
	/* a freed slot is the next fd given */
	ck_assert_int_eq(teesim_close(p, 1000), 0);
	ck_assert_int_eq(t_shm_alloc(p, fd, 4096, NULL), 1000);
	teesim_process_free(p);
	testdrv_free(td);
	th_core_clean(TH_M);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("core-dev");
	TCase *tc = th_tcase(s, "core-dev");

	tcase_add_test(tc, test_device_names_and_open);
	tcase_add_test(tc, test_version_caps);
	tcase_add_test(tc, test_ioctl_errors);
	tcase_add_test(tc, test_supplicant_exclusive);
	tcase_add_test(tc, test_open_failure_from_driver);
	tcase_add_test(tc, test_processes_have_own_fds);
	tcase_add_test(tc, test_devices_per_guest);
	tcase_add_test(tc, test_device_alloc_errors);
	tcase_add_test(tc, test_unregister_waits_for_users);
	tcase_add_test(tc, test_machine_free_tears_down);
	tcase_add_test(tc, test_emfile);
	return th_run(s);
}
