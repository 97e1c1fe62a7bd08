/* SPDX-License-Identifier: MIT */
/* Tee core: TEE_IOC_SHM_ALLOC, mmap, TEE_IOC_SHM_REGISTER and the id table (white box). */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "harness.h"
#include "testdrv.h"
#include "tee_private.h"

static const struct testdrv_cfg full = {.reg_mem = true, .memref_null = true, .supplicant = true};

#define ALLOC_FLAGS (TEE_SHM_MAPPED | TEE_SHM_DMA_BUF | TEE_SHM_POOL)
#define REG_FLAGS   (TEE_SHM_DMA_BUF | TEE_SHM_REGISTER | TEE_SHM_USER_MAPPED)

struct fix {
	struct testdrv *td;
	struct teesim_process *p;
	int fd;
};

static struct fix fix_new(const struct testdrv_cfg *cfg)
{
	struct fix f;

	f.td = testdrv_new(TH_M, cfg);
	f.p = tproc(TH_M);
	f.fd = teesim_open(f.p, "/dev/tee0", O_RDWR);
	ck_assert_int_eq(f.fd, 3);
	return f;
}

static void fix_done(struct fix *f)
{
	teesim_process_free(f->p);
	testdrv_free(f->td);
	th_core_clean(TH_M);
}

static uint64_t ids_in_use(struct fix *f)
{
	long n = teesim_tee_ids(f->td->g, "/dev/tee0", NULL, 0);

	ck_assert_int_ge(n, 0);
	return (uint64_t) n;
}

START_TEST(test_alloc)
{
	struct fix f = fix_new(&full);
	struct tee_ioctl_shm_alloc_data d;
	struct teesim_tee_fd_info info;
	struct teesim_tee_stats st;
	int ids[4];
	int s1, s2, s3;

	s1 = t_shm_alloc(f.p, f.fd, 100, &d);
	ck_assert_int_eq(s1, 4);
	ck_assert_int_eq(d.id, 1);
	ck_assert_uint_eq(d.size, 4096);	 /* the dma-buf manager's page granule */
	ck_assert_uint_eq(d.flags, ALLOC_FLAGS); /* 0x23: the v4.16 quirk */
	info = t_fd_info(f.p, s1);
	ck_assert_int_eq(info.kind, TEESIM_TEE_FD_SHM);
	ck_assert_int_eq(info.shm.id, 1);
	ck_assert_uint_eq(info.shm.refs, 1); /* the fd's only */
	ck_assert_uint_eq(info.ctx_refs, 2); /* the device fd and the shm */
	ck_assert_uint_eq(info.ctx_shms, 1);
	ck_assert_uint_ne(info.shm.cookie, 0);
	ck_assert_uint_eq(t_fd_info(f.p, f.fd).ctx_refs, 2);

	s2 = t_shm_alloc(f.p, f.fd, 8192, &d);
	ck_assert_int_eq(d.id, 2);
	ck_assert_uint_ne(t_fd_info(f.p, s2).shm.cookie, info.shm.cookie);
	ck_assert_int_eq(teesim_tee_ids(f.td->g, "/dev/tee0", ids, 4), 2);
	ck_assert_int_eq(ids[0], 1);
	ck_assert_int_eq(ids[1], 2);
	teesim_tee_stats(TH_M, &st);
	ck_assert_uint_eq(st.shms, 2);
	ck_assert_uint_eq(st.files, 3);

	/* closing frees the shm and its id; the smallest free id is reused */
	ck_assert_int_eq(teesim_close(f.p, s1), 0);
	ck_assert_uint_eq(ids_in_use(&f), 1);
	ck_assert_uint_eq(t_fd_info(f.p, f.fd).ctx_refs, 2);
	s3 = t_shm_alloc(f.p, f.fd, 1, &d);
	ck_assert_int_eq(s3, s1);
	ck_assert_int_eq(d.id, 1);
	ck_assert_int_eq(teesim_close(f.p, s3), 0);
	ck_assert_int_eq(teesim_close(f.p, s2), 0);
	ck_assert_uint_eq(t_fd_info(f.p, f.fd).ctx_refs, 1);
	fix_done(&f);
}
END_TEST

START_TEST(test_alloc_errors)
{
	struct fix f = fix_new(&full);
	struct tee_ioctl_shm_alloc_data *ro;
	struct tee_ioctl_shm_alloc_data d;
	struct teesim_tee_stats st;
	uint64_t pool = (2ull << 20) - 4 * 4096; /* the dma-buf part of the carve-out */

	/* flags must be 0 on input */
	{
		struct tee_ioctl_shm_alloc_data *u =
		    teesim_process_mmap(f.p, 4096, TEESIM_PROT_READ | TEESIM_PROT_WRITE);

		u->size = 4096;
		u->flags = 1;
		th_assert_err(teesim_ioctl(f.p, f.fd, TEE_IOC_SHM_ALLOC, u), -EINVAL);
		ck_assert_int_eq(teesim_process_munmap(f.p, u, 4096), 0);
	}
	th_assert_err(teesim_ioctl(f.p, f.fd, TEE_IOC_SHM_ALLOC, NULL), -EFAULT);
	th_assert_err(teesim_ioctl(f.p, f.fd, TEE_IOC_SHM_ALLOC, (void *) 8), -EFAULT);
	/* the pool: nothing for 0 bytes, nor for more than it has */
	th_assert_err(t_shm_alloc(f.p, f.fd, 0, NULL), -ENOMEM);
	th_assert_err(t_shm_alloc(f.p, f.fd, pool + 1, NULL), -ENOMEM);
	th_assert_err(t_shm_alloc(f.p, f.fd, UINT64_MAX, NULL), -ENOMEM);
	ck_assert_int_ge(t_shm_alloc(f.p, f.fd, pool, &d), 3);
	th_assert_err(t_shm_alloc(f.p, f.fd, 1, NULL), -ENOMEM);
	ck_assert_int_eq(teesim_close(f.p, 4), 0);
	/* the copy back fails: -EFAULT and the shm is gone at once */
	ro = teesim_process_mmap(f.p, 4096, TEESIM_PROT_READ);
	ck_assert_ptr_nonnull(ro);
	th_assert_err(teesim_ioctl(f.p, f.fd, TEE_IOC_SHM_ALLOC, ro), -ENOMEM); /* size 0 */
	ck_assert_int_eq(teesim_process_munmap(f.p, ro, 4096), 0);
	{
		struct tee_ioctl_shm_alloc_data *u =
		    teesim_process_mmap(f.p, 4096, TEESIM_PROT_READ | TEESIM_PROT_WRITE);
		int before;

		u->size = 4096;
		/* read-only host page holding the argument */
		ro = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		ck_assert_ptr_ne(ro, MAP_FAILED);
		ro->size = 4096;
		ck_assert_int_eq(mprotect(ro, 4096, PROT_READ), 0);
		before = (int) ids_in_use(&f);
		th_assert_err(teesim_ioctl(f.p, f.fd, TEE_IOC_SHM_ALLOC, ro), -EFAULT);
		ck_assert_int_eq((int) ids_in_use(&f), before);
		teesim_tee_stats(TH_M, &st);
		ck_assert_uint_eq(st.shms, 0);
		ck_assert_uint_eq(st.files, 1);
		ck_assert_int_eq(munmap(ro, 4096), 0);
		ck_assert_int_eq(teesim_process_munmap(f.p, u, 4096), 0);
	}
	/* a shm fd has no ioctl */
	ck_assert_int_eq(t_shm_alloc(f.p, f.fd, 4096, &d), 4);
	th_assert_err(teesim_ioctl(f.p, 4, TEE_IOC_VERSION, &d), -ENOTTY);
	ck_assert_int_eq(teesim_close(f.p, 4), 0);
	(void) d;
	fix_done(&f);
}
END_TEST

START_TEST(test_mmap)
{
	struct fix f = fix_new(&full);
	struct tee_ioctl_shm_alloc_data d;
	struct teesim_tee_fd_info info;
	struct teesim_tee_shm_info si;
	unsigned char buf[16];
	unsigned char *u, *u2;
	int s = t_shm_alloc(f.p, f.fd, 3 * 4096, &d);

	ck_assert_int_eq(s, 4);
	u = teesim_mmap(f.p, s, 3 * 4096, TEESIM_PROT_READ | TEESIM_PROT_WRITE, 0);
	ck_assert_ptr_nonnull(u);
	ck_assert_uint_eq(t_fd_info(f.p, s).shm.refs, 2); /* fd + mapping */
	/* the bytes written there are the bytes at the shm's physical address */
	memcpy(u + 4096 + 5, "zero copy", 10);
	info = t_fd_info(f.p, s);
	ck_assert_int_eq(teesim_phys_read(TH_M, info.shm.paddr + 4096 + 5, buf, 10, TEESIM_ACC_NS),
			 0);
	ck_assert_str_eq((char *) buf, "zero copy");
	/* user copies accept the mapping: an ioctl argument may live there */
	ck_assert_int_eq(teesim_ioctl(f.p, f.fd, TEE_IOC_VERSION, u + 100), 0);
	ck_assert_uint_eq(((struct tee_ioctl_version_data *) (u + 100))->impl_id,
			  TEE_IMPL_ID_OPTEE);
	/* a window at an offset */
	u2 = teesim_mmap(f.p, s, 4096, TEESIM_PROT_READ, 2 * 4096);
	ck_assert_ptr_eq(u2, u + 2 * 4096);

	/* closing the fd: the mappings keep the shm and its id */
	ck_assert_int_eq(teesim_close(f.p, s), 0);
	ck_assert_int_eq(teesim_tee_shm_info(f.td->g, "/dev/tee0", d.id, &si), 0);
	ck_assert_uint_eq(si.refs, 2);
	ck_assert_int_eq(teesim_munmap(f.p, u2, 4096), 0);
	th_assert_err(teesim_munmap(f.p, u2, 4096), -EINVAL);
	th_assert_err(teesim_munmap(f.p, u, 4096), -EINVAL); /* not the whole mapping */
	ck_assert_int_eq(teesim_tee_shm_info(f.td->g, "/dev/tee0", d.id, &si), 0);
	ck_assert_uint_eq(si.refs, 1);
	ck_assert_int_eq(teesim_munmap(f.p, u, 3 * 4096 - 1), 0); /* unrounded length is fine */
	th_assert_err(teesim_tee_shm_info(f.td->g, "/dev/tee0", d.id, &si), -ENOENT);
	ck_assert_uint_eq(t_fd_info(f.p, f.fd).ctx_refs, 1);
	fix_done(&f);
}
END_TEST

START_TEST(test_mmap_errors)
{
	struct fix f = fix_new(&full);
	struct tee_ioctl_shm_alloc_data d;
	int s = t_shm_alloc(f.p, f.fd, 2 * 4096, &d);
	const unsigned rw = TEESIM_PROT_READ | TEESIM_PROT_WRITE;

	errno = 0;
	ck_assert_ptr_null(teesim_mmap(f.p, 99, 4096, rw, 0));
	ck_assert_int_eq(errno, EBADF);
	ck_assert_ptr_null(teesim_mmap(f.p, f.fd, 4096, rw, 0));
	ck_assert_int_eq(errno, ENODEV);
	ck_assert_ptr_null(teesim_mmap(f.p, s, 3 * 4096, rw, 0));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_null(teesim_mmap(f.p, s, 4096, rw, 2 * 4096));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_null(teesim_mmap(f.p, s, 4096, rw, 100));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_null(teesim_mmap(f.p, s, 0, rw, 0));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_null(teesim_mmap(f.p, s, 4096, 8, 0));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_null(teesim_mmap(f.p, s, 4096, rw, UINT64_MAX & ~4095ull));
	ck_assert_int_eq(errno, EINVAL);
	th_assert_err(teesim_munmap(f.p, NULL, 0), -EINVAL);
	ck_assert_uint_eq(t_fd_info(f.p, s).shm.refs, 1);
	/* a read-only mapping takes no copy_to_user */
	{
		void *ro = teesim_mmap(f.p, s, 4096, TEESIM_PROT_READ, 0);

		ck_assert_ptr_nonnull(ro);
		th_assert_err(teesim_ioctl(f.p, f.fd, TEE_IOC_VERSION, ro), -EFAULT);
		ck_assert_int_eq(teesim_munmap(f.p, ro, 4096), 0);
	}
	/* exit with a mapping and no fd: exit_mm drops the last reference */
	ck_assert_ptr_nonnull(teesim_mmap(f.p, s, 4096, rw, 4096));
	ck_assert_int_eq(teesim_close(f.p, s), 0);
	fix_done(&f);
}
END_TEST

START_TEST(test_kmem_pool)
{
	const struct testdrv_cfg cfg = {.reg_mem = true, .kmem_pool = true, .pool_pages = 16};
	struct fix f = fix_new(&cfg);
	struct tee_ioctl_shm_alloc_data d;
	struct teesim_tee_fd_info info;
	unsigned char *u;
	int s = t_shm_alloc(f.p, f.fd, 4096, &d);

	ck_assert_int_eq(s, 4);
	u = teesim_mmap(f.p, s, 4096, TEESIM_PROT_READ | TEESIM_PROT_WRITE, 0);
	ck_assert_ptr_nonnull(u);
	memcpy(u, "kmem", 5);
	info = t_fd_info(f.p, s);
	ck_assert_str_eq(teesim_guest_ipa_host(f.td->g, info.shm.paddr), "kmem");
	/* kernel memory mapped into the process cannot be registered (a PFN map) */
	th_assert_err(t_shm_register(f.p, f.fd, (uintptr_t) u, 4096, NULL), -EFAULT);
	ck_assert_int_eq(teesim_munmap(f.p, u, 4096), 0);
	ck_assert_int_eq(teesim_close(f.p, s), 0);
	fix_done(&f);
}
END_TEST

START_TEST(test_register)
{
	struct fix f = fix_new(&full);
	struct tee_ioctl_shm_register_data r;
	struct teesim_machine_stats ms;
	struct teesim_tee_fd_info info;
	struct teesim_tee_stats st;
	unsigned char *u = teesim_process_mmap(f.p, 5 * 4096, TEESIM_PROT_READ | TEESIM_PROT_WRITE);
	int s;

	ck_assert_ptr_nonnull(u);
	/* 3 pages plus 100 bytes from offset 100 of the first page: 4 pages */
	s = t_shm_register(f.p, f.fd, (uintptr_t) u + 100, 3 * 4096 + 100, &r);
	ck_assert_int_eq(s, 4);
	ck_assert_int_eq(r.id, 1);
	ck_assert_uint_eq(r.length, 3 * 4096 + 100); /* not rounded */
	ck_assert_uint_eq(r.flags, REG_FLAGS);	     /* 0x1a */
	ck_assert_uint_eq(f.td->registered, 1);
	ck_assert_uint_eq(f.td->last_reg_pages, 4);
	ck_assert_uint_eq(f.td->last_reg_start, (uintptr_t) u);
	ck_assert_uint_eq(f.td->last_reg_offset, 100);
	info = t_fd_info(f.p, s);
	ck_assert_uint_eq(info.shm.pinned_pages, 4);
	ck_assert_uint_eq(info.shm.page_offset, 100);
	ck_assert_uint_eq(info.shm.refs, 1);
	ck_assert_uint_eq(info.ctx_refs, 2);
	teesim_machine_stats(TH_M, &ms);
	ck_assert_uint_eq(ms.pins, 4);
	teesim_tee_stats(TH_M, &st);
	ck_assert_uint_eq(st.pinned_pages, 4);
	/* a registered buffer is not mapped again through its fd */
	errno = 0;
	ck_assert_ptr_null(teesim_mmap(f.p, s, 4096, TEESIM_PROT_READ, 0));
	ck_assert_int_eq(errno, EINVAL);
	/* unmapping the memory keeps the pinned pages until the shm goes */
	ck_assert_int_eq(teesim_process_munmap(f.p, u, 5 * 4096), 0);
	teesim_machine_stats(TH_M, &ms);
	ck_assert_uint_eq(ms.user_pages, 4);
	ck_assert_int_eq(teesim_close(f.p, s), 0);
	ck_assert_uint_eq(f.td->unregistered, 1);
	teesim_machine_stats(TH_M, &ms);
	ck_assert_uint_eq(ms.pins, 0);
	ck_assert_uint_eq(ms.user_pages, 0);
	fix_done(&f);
}
END_TEST

START_TEST(test_register_host_memory)
{
	struct fix f = fix_new(&full);
	struct tee_ioctl_shm_register_data r;
	struct teesim_machine_stats ms;
	unsigned char *h = aligned_alloc(4096, 2 * 4096);
	int s;

	ck_assert_ptr_nonnull(h);
	s = t_shm_register(f.p, f.fd, (uintptr_t) h, 2 * 4096, &r);
	ck_assert_int_eq(s, 4);
	teesim_machine_stats(TH_M, &ms);
	ck_assert_uint_eq(ms.host_pages, 2);
	ck_assert_uint_eq(t_fd_info(f.p, s).shm.pinned_pages, 2);
	/* an exiting process unpins its registrations */
	teesim_process_free(f.p);
	teesim_machine_stats(TH_M, &ms);
	ck_assert_uint_eq(ms.host_pages, 0);
	ck_assert_uint_eq(f.td->unregistered, 1);
	free(h);
	f.p = tproc(TH_M);
	fix_done(&f);
}
END_TEST

START_TEST(test_register_errors)
{
	struct fix f = fix_new(&full);
	struct teesim_machine_stats ms;
	const unsigned rw = TEESIM_PROT_READ | TEESIM_PROT_WRITE;
	unsigned char *u = teesim_process_mmap(f.p, 2 * 4096, rw);
	unsigned char *ro = teesim_process_mmap(f.p, 4096, TEESIM_PROT_READ);
	unsigned char *gone = teesim_process_mmap(f.p, 4096, rw);
	struct tee_ioctl_shm_register_data *a = teesim_process_mmap(f.p, 4096, rw);

	ck_assert_int_eq(teesim_process_munmap(f.p, gone, 4096), 0);
	/* input flags */
	a->addr = (uintptr_t) u;
	a->length = 4096;
	a->flags = 2;
	th_assert_err(teesim_ioctl(f.p, f.fd, TEE_IOC_SHM_REGISTER, a), -EINVAL);
	th_assert_err(teesim_ioctl(f.p, f.fd, TEE_IOC_SHM_REGISTER, NULL), -EFAULT);
	/* lengths: zero pins nothing, beyond the user address space fails access_ok */
	th_assert_err(t_shm_register(f.p, f.fd, (uintptr_t) u, 0, NULL), -ENOMEM);
	th_assert_err(t_shm_register(f.p, f.fd, (uintptr_t) u + 1, 0, NULL), -ENOMEM);
	th_assert_err(t_shm_register(f.p, f.fd, (uintptr_t) u, UINT64_MAX, NULL), -EFAULT);
	th_assert_err(t_shm_register(f.p, f.fd, UINT64_MAX - 4095, 4096, NULL), -EFAULT);
	th_assert_err(t_shm_register(f.p, f.fd, 1ull << 48, 1, NULL), -EFAULT);
	/* more pages than the guest could ever pin (the page array fails) */
	th_assert_err(t_shm_register(f.p, f.fd, (uintptr_t) u, 1ull << 40, NULL), -ENOMEM);
	/* unmapped memory: nothing pinned */
	th_assert_err(t_shm_register(f.p, f.fd, (uintptr_t) gone, 4096, NULL), -EFAULT);
	th_assert_err(t_shm_register(f.p, f.fd, 4096, 4096, NULL), -EFAULT);
	/* read-only memory: the pin is for writing */
	th_assert_err(t_shm_register(f.p, f.fd, (uintptr_t) ro, 4096, NULL), -EFAULT);
	/* partly mapped: the pinned pages are given back, -ENOMEM */
	th_assert_err(t_shm_register(f.p, f.fd, (uintptr_t) u + 4096, 2 * 4096, NULL), -ENOMEM);
	/* the driver refuses */
	f.td->register_rc = -EINVAL;
	th_assert_err(t_shm_register(f.p, f.fd, (uintptr_t) u, 4096, NULL), -EINVAL);
	f.td->register_rc = 0;
	teesim_machine_stats(TH_M, &ms);
	ck_assert_uint_eq(ms.pins, 0);
	ck_assert_uint_eq(ids_in_use(&f), 0);
	ck_assert_uint_eq(t_fd_info(f.p, f.fd).ctx_refs, 1);
	ck_assert_uint_eq(f.td->registered, 0);
	/* the copy back fails: unregistered and unpinned at once */
	a->flags = 0;
	ck_assert_int_eq(teesim_process_munmap(f.p, a, 4096), 0);
	{
		struct tee_ioctl_shm_register_data *h =
		    mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		ck_assert_ptr_ne(h, MAP_FAILED);
		h->addr = (uintptr_t) u;
		h->length = 4096;
		ck_assert_int_eq(mprotect(h, 4096, PROT_READ), 0);
		th_assert_err(teesim_ioctl(f.p, f.fd, TEE_IOC_SHM_REGISTER, h), -EFAULT);
		ck_assert_int_eq(munmap(h, 4096), 0);
	}
	ck_assert_uint_eq(f.td->registered, 1);
	ck_assert_uint_eq(f.td->unregistered, 1);
	teesim_machine_stats(TH_M, &ms);
	ck_assert_uint_eq(ms.pins, 0);
	ck_assert_uint_eq(ids_in_use(&f), 0);
	fix_done(&f);
}
END_TEST

START_TEST(test_register_unsupported)
{
	const struct testdrv_cfg cfg = {.supplicant = true};
	struct fix f = fix_new(&cfg);
	unsigned char *u = teesim_process_mmap(f.p, 4096, TEESIM_PROT_READ | TEESIM_PROT_WRITE);

	/* a driver without shm_register: the kernel's ENOTSUPP (524) leaks out */
	th_assert_err(t_shm_register(f.p, f.fd, (uintptr_t) u, 4096, NULL), -ENOTSUPP);
	ck_assert_uint_eq(ids_in_use(&f), 0);
	fix_done(&f);
}
END_TEST

/* ids: one table per device, smallest free first, shared by SHM_ALLOC and SHM_REGISTER */
START_TEST(test_ids)
{
	struct fix f = fix_new(&full);
	int q = teesim_open(f.p, "/dev/tee0", O_RDWR);
	unsigned char *u = teesim_process_mmap(f.p, 4096, TEESIM_PROT_READ | TEESIM_PROT_WRITE);
	struct tee_ioctl_shm_register_data r;
	struct tee_ioctl_shm_alloc_data d;
	struct tee_context *c1, *c2;
	struct tee_shm *shm;
	int fds[5], ids[8];

	for (int i = 0; i < 5; i++) {
		fds[i] = i % 2 ? t_shm_alloc(f.p, i < 3 ? f.fd : q, 4096, &d)
			       : t_shm_register(f.p, i < 3 ? f.fd : q, (uintptr_t) u, 4096, &r);
		ck_assert_int_ge(fds[i], 3);
		ck_assert_int_eq(i % 2 ? d.id : r.id, i + 1);
	}
	ck_assert_int_eq(teesim_close(f.p, fds[1]), 0);
	ck_assert_int_eq(teesim_close(f.p, fds[3]), 0);
	ck_assert_int_eq(teesim_tee_ids(f.td->g, "/dev/tee0", ids, 8), 3);
	ck_assert_int_eq(ids[0], 1);
	ck_assert_int_eq(ids[1], 3);
	ck_assert_int_eq(ids[2], 5);
	fds[1] = t_shm_alloc(f.p, q, 4096, &d);
	ck_assert_int_eq(d.id, 2);
	/* lookup: only the owning context finds an id, and it takes a reference */
	c1 = ((struct tee_fdtable *) f.p->tee_files)->files[f.fd - 3]->ctx;
	c2 = ((struct tee_fdtable *) f.p->tee_files)->files[q - 3]->ctx;
	ck_assert_int_eq(PTR_ERR(tee_shm_get_from_id(c1, 2)), -EINVAL);
	ck_assert_int_eq(PTR_ERR(tee_shm_get_from_id(c1, 7)), -EINVAL);
	ck_assert_int_eq(PTR_ERR(tee_shm_get_from_id(c1, -1)), -EINVAL);
	ck_assert_int_eq(PTR_ERR(tee_shm_get_from_id(NULL, 1)), -EINVAL);
	shm = tee_shm_get_from_id(c2, 2);
	ck_assert(!IS_ERR(shm));
	ck_assert_uint_eq(t_fd_info(f.p, fds[1]).shm.refs, 2);
	/* the fd goes; the lookup's reference keeps the shm and its id */
	ck_assert_int_eq(teesim_close(f.p, fds[1]), 0);
	ck_assert_int_eq(teesim_tee_ids(f.td->g, "/dev/tee0", ids, 8), 4);
	ck_assert_ptr_eq(tee_shm_get_from_id(c2, 2), shm);
	tee_shm_put(shm);
	tee_shm_put(shm);
	ck_assert_int_eq(teesim_tee_ids(f.td->g, "/dev/tee0", ids, 8), 3);
	ck_assert_int_eq(PTR_ERR(tee_shm_get_from_id(c2, 2)), -EINVAL);
	ck_assert_int_eq(teesim_close(f.p, q), 0);
	fix_done(&f);
}
END_TEST

/* kernel-internal buffers: no id, private manager, accessors */
START_TEST(test_kernel_shm)
{
	struct fix f = fix_new(&full);
	struct tee_context *ctx = ((struct tee_fdtable *) f.p->tee_files)->files[0]->ctx;
	struct tee_shm *shm, *pub;
	uint64_t pa;
	void *va;

	ck_assert_int_eq(PTR_ERR(tee_shm_alloc(ctx, 64, 0)), -EINVAL);
	ck_assert_int_eq(PTR_ERR(tee_shm_alloc(ctx, 64, TEE_SHM_MAPPED | TEE_SHM_REGISTER)),
			 -EINVAL);
	ck_assert_int_eq(PTR_ERR(tee_shm_alloc(NULL, 64, TEE_SHM_MAPPED)), -EINVAL);
	shm = tee_shm_alloc(ctx, 100, TEE_SHM_MAPPED);
	ck_assert(!IS_ERR(shm));
	ck_assert_int_eq(tee_shm_get_id(shm), -1);
	ck_assert_uint_eq(tee_shm_get_size(shm), 104); /* the private manager's 8-byte granule */
	ck_assert_uint_eq(ids_in_use(&f), 0);
	ck_assert_uint_eq(t_fd_info(f.p, f.fd).ctx_refs, 2);
	ck_assert_int_eq(tee_shm_get_pa(shm, 8, &pa), 0);
	ck_assert_uint_eq(pa, shm->paddr + 8);
	th_assert_err(tee_shm_get_pa(shm, 104, &pa), -EINVAL);
	va = tee_shm_get_va(shm, 4);
	ck_assert_ptr_eq(va, (char *) shm->kaddr + 4);
	ck_assert(IS_ERR(tee_shm_get_va(shm, 104)));
	ck_assert_int_eq(tee_shm_va2pa(shm, va, &pa), 0);
	ck_assert_uint_eq(pa, shm->paddr + 4);
	th_assert_err(tee_shm_va2pa(shm, (char *) shm->kaddr + 104, &pa), -EINVAL);
	ck_assert_int_eq(tee_shm_pa2va(shm, shm->paddr + 4, &va), 0);
	ck_assert_ptr_eq(va, (char *) shm->kaddr + 4);
	th_assert_err(tee_shm_pa2va(shm, shm->paddr - 1, &va), -EINVAL);
	ck_assert(!tee_shm_is_registered(shm));
	th_assert_err(tee_shm_get_fd(f.p, shm), -EINVAL); /* no id, no fd */
	/* a user-visible kernel allocation gets an id and may get an fd */
	pub = tee_shm_alloc(ctx, 4096, TEE_SHM_MAPPED | TEE_SHM_DMA_BUF);
	ck_assert(!IS_ERR(pub));
	ck_assert_int_eq(tee_shm_get_id(pub), 1);
	ck_assert_int_eq(tee_shm_get_fd(f.p, pub), 4);
	tee_shm_free(pub);
	ck_assert_uint_eq(t_fd_info(f.p, 4).shm.refs, 1);
	ck_assert_int_eq(teesim_close(f.p, 4), 0);
	tee_shm_free(shm);
	/* ctx-less private buffers */
	shm = tee_shm_priv_alloc(f.td->teedev, 4096);
	ck_assert(!IS_ERR(shm));
	ck_assert_ptr_null(shm->ctx);
	tee_shm_free(shm);
	ck_assert_uint_eq(t_fd_info(f.p, f.fd).ctx_refs, 1);
	fix_done(&f);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("core-shm");
	TCase *tc = th_tcase(s, "core-shm");

	tcase_add_test(tc, test_alloc);
	tcase_add_test(tc, test_alloc_errors);
	tcase_add_test(tc, test_mmap);
	tcase_add_test(tc, test_mmap_errors);
	tcase_add_test(tc, test_kmem_pool);
	tcase_add_test(tc, test_register);
	tcase_add_test(tc, test_register_host_memory);
	tcase_add_test(tc, test_register_errors);
	tcase_add_test(tc, test_register_unsupported);
	tcase_add_test(tc, test_ids);
	tcase_add_test(tc, test_kernel_shm);
	return th_run(s);
}
