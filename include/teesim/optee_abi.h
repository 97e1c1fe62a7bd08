/* SPDX-License-Identifier: MIT */
/**
 * @file teesim/optee_abi.h
 * @brief OP-TEE's wire ABI: SMC function ids, return codes, capabilities,
 * the message format (optee_msg_arg / optee_msg_param), page lists, RPC
 * functions and RPC commands.
 *
 * These are facts of the protocol between the Linux OP-TEE driver and
 * OP-TEE OS (optee_smc.h, optee_msg.h, optee_rpc_cmd.h and the GP TEE
 * result codes), written down under the TEESIM_OPTEE_ prefix. Both sides of
 * the model use this one header: the fake secure world and the normal-world
 * driver model. Every structure is bit-exact and checked at compile time.
 *
 * Conventions of the SMC ABI: every register is 32 bits wide (SMC32), and a
 * 64-bit value (a physical address, a cookie) travels in two registers with
 * the upper half in the lower-numbered one: value = (a1 << 32) | a2.
 */
#ifndef TEESIM_OPTEE_ABI_H
#define TEESIM_OPTEE_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#define TEESIM_OPTEE_STATIC_ASSERT static_assert
#else
#define TEESIM_OPTEE_STATIC_ASSERT _Static_assert
#endif

/* ======================================================================== */
/** @name SMC function id encoding (SMC Calling Convention) */

#define TEESIM_OPTEE_SMC_32	   0x00000000u /**< SMC32 calling convention */
#define TEESIM_OPTEE_SMC_64	   0x40000000u /**< SMC64 calling convention */
#define TEESIM_OPTEE_SMC_FAST_CALL 0x80000000u /**< bit 31: fast (atomic) call */
#define TEESIM_OPTEE_SMC_STD_CALL  0x00000000u /**< bit 31 clear: yielding call */

#define TEESIM_OPTEE_SMC_OWNER_MASK  0x3Fu
#define TEESIM_OPTEE_SMC_OWNER_SHIFT 24u
#define TEESIM_OPTEE_SMC_FUNC_MASK   0xFFFFu

#define TEESIM_OPTEE_SMC_OWNER_ARCH		 0u
#define TEESIM_OPTEE_SMC_OWNER_CPU		 1u
#define TEESIM_OPTEE_SMC_OWNER_SIP		 2u
#define TEESIM_OPTEE_SMC_OWNER_OEM		 3u
#define TEESIM_OPTEE_SMC_OWNER_STANDARD		 4u
#define TEESIM_OPTEE_SMC_OWNER_TRUSTED_APP	 48u
#define TEESIM_OPTEE_SMC_OWNER_TRUSTED_OS	 50u
#define TEESIM_OPTEE_SMC_OWNER_TRUSTED_OS_OPTEED 62u
#define TEESIM_OPTEE_SMC_OWNER_TRUSTED_OS_API	 63u

/** True for a fast call. */
#define TEESIM_OPTEE_SMC_IS_FAST_CALL(v) (((v) &TEESIM_OPTEE_SMC_FAST_CALL) != 0)
/** True for an SMC64 call. */
#define TEESIM_OPTEE_SMC_IS_64(v) (((v) &TEESIM_OPTEE_SMC_64) != 0)
/** Function number of a function id. */
#define TEESIM_OPTEE_SMC_FUNC_NUM(v) ((v) &TEESIM_OPTEE_SMC_FUNC_MASK)
/** Owner of a function id. */
#define TEESIM_OPTEE_SMC_OWNER_NUM(v)                                                              \
	(((v) >> TEESIM_OPTEE_SMC_OWNER_SHIFT) & TEESIM_OPTEE_SMC_OWNER_MASK)

/** Build a function id. */
#define TEESIM_OPTEE_SMC_CALL_VAL(type, conv, owner, func)                                         \
	((uint32_t) ((type) | (conv) |                                                             \
		     (((owner) &TEESIM_OPTEE_SMC_OWNER_MASK) << TEESIM_OPTEE_SMC_OWNER_SHIFT) |    \
		     ((func) &TEESIM_OPTEE_SMC_FUNC_MASK)))
/** A yielding Trusted-OS call: 0x32000000 | func. */
#define TEESIM_OPTEE_SMC_STD_CALL_VAL(func)                                                        \
	TEESIM_OPTEE_SMC_CALL_VAL(TEESIM_OPTEE_SMC_32, TEESIM_OPTEE_SMC_STD_CALL,                  \
				  TEESIM_OPTEE_SMC_OWNER_TRUSTED_OS, (func))
/** A fast Trusted-OS call: 0xB2000000 | func. */
#define TEESIM_OPTEE_SMC_FAST_CALL_VAL(func)                                                       \
	TEESIM_OPTEE_SMC_CALL_VAL(TEESIM_OPTEE_SMC_32, TEESIM_OPTEE_SMC_FAST_CALL,                 \
				  TEESIM_OPTEE_SMC_OWNER_TRUSTED_OS, (func))
/** A fast Trusted-OS "API" call (owner 63): 0xBF000000 | func. */
#define TEESIM_OPTEE_SMC_FAST_API_CALL_VAL(func)                                                   \
	TEESIM_OPTEE_SMC_CALL_VAL(TEESIM_OPTEE_SMC_32, TEESIM_OPTEE_SMC_FAST_CALL,                 \
				  TEESIM_OPTEE_SMC_OWNER_TRUSTED_OS_API, (func))

/* ======================================================================== */
/** @name SMC function numbers */

#define TEESIM_OPTEE_SMC_FUNCID_CALLS_COUNT	      0xFF00u
#define TEESIM_OPTEE_SMC_FUNCID_CALLS_UID	      0xFF01u
#define TEESIM_OPTEE_SMC_FUNCID_CALLS_REVISION	      0xFF03u
#define TEESIM_OPTEE_SMC_FUNCID_GET_OS_UUID	      0u
#define TEESIM_OPTEE_SMC_FUNCID_GET_OS_REVISION	      1u
#define TEESIM_OPTEE_SMC_FUNCID_RETURN_FROM_RPC	      3u
#define TEESIM_OPTEE_SMC_FUNCID_CALL_WITH_ARG	      4u
#define TEESIM_OPTEE_SMC_FUNCID_GET_SHM_CONFIG	      7u
#define TEESIM_OPTEE_SMC_FUNCID_L2CC_MUTEX	      8u
#define TEESIM_OPTEE_SMC_FUNCID_EXCHANGE_CAPABILITIES 9u
#define TEESIM_OPTEE_SMC_FUNCID_DISABLE_SHM_CACHE     10u
#define TEESIM_OPTEE_SMC_FUNCID_ENABLE_SHM_CACHE      11u
#define TEESIM_OPTEE_SMC_FUNCID_BOOT_SECONDARY	      12u
#define TEESIM_OPTEE_SMC_FUNCID_VM_CREATED	      13u
#define TEESIM_OPTEE_SMC_FUNCID_VM_DESTROYED	      14u
#define TEESIM_OPTEE_SMC_FUNCID_GET_THREAD_COUNT      15u
#define TEESIM_OPTEE_SMC_FUNCID_ENABLE_ASYNC_NOTIF    16u
#define TEESIM_OPTEE_SMC_FUNCID_GET_ASYNC_NOTIF_VALUE 17u
#define TEESIM_OPTEE_SMC_FUNCID_CALL_WITH_RPC_ARG     18u
#define TEESIM_OPTEE_SMC_FUNCID_CALL_WITH_REGD_ARG    19u
#define TEESIM_OPTEE_SMC_FUNCID_GET_PROTMEM_CONFIG    20u

/** @name SMC function ids (a0 of a call) */

/** 0xBF00FF00: number of functions (SMCCC). */
#define TEESIM_OPTEE_SMC_CALLS_COUNT                                                               \
	TEESIM_OPTEE_SMC_FAST_API_CALL_VAL(TEESIM_OPTEE_SMC_FUNCID_CALLS_COUNT)
/** 0xBF00FF01: API UID in a0..a3. */
#define TEESIM_OPTEE_SMC_CALLS_UID                                                                 \
	TEESIM_OPTEE_SMC_FAST_API_CALL_VAL(TEESIM_OPTEE_SMC_FUNCID_CALLS_UID)
/** 0xBF00FF03: API revision, a0 major, a1 minor. */
#define TEESIM_OPTEE_SMC_CALLS_REVISION                                                            \
	TEESIM_OPTEE_SMC_FAST_API_CALL_VAL(TEESIM_OPTEE_SMC_FUNCID_CALLS_REVISION)
/** 0xB2000000: OS UUID in a0..a3. */
#define TEESIM_OPTEE_SMC_CALL_GET_OS_UUID                                                          \
	TEESIM_OPTEE_SMC_FAST_CALL_VAL(TEESIM_OPTEE_SMC_FUNCID_GET_OS_UUID)
/** 0xB2000001: OS revision, a0 major, a1 minor, a2 build id. */
#define TEESIM_OPTEE_SMC_CALL_GET_OS_REVISION                                                      \
	TEESIM_OPTEE_SMC_FAST_CALL_VAL(TEESIM_OPTEE_SMC_FUNCID_GET_OS_REVISION)
/** 0x32000003: resume a thread suspended in an RPC (thread id in a3). */
#define TEESIM_OPTEE_SMC_CALL_RETURN_FROM_RPC                                                      \
	TEESIM_OPTEE_SMC_STD_CALL_VAL(TEESIM_OPTEE_SMC_FUNCID_RETURN_FROM_RPC)
/** 0x32000004: yielding call with the PA of an optee_msg_arg in a1 (hi) / a2 (lo). */
#define TEESIM_OPTEE_SMC_CALL_WITH_ARG                                                             \
	TEESIM_OPTEE_SMC_STD_CALL_VAL(TEESIM_OPTEE_SMC_FUNCID_CALL_WITH_ARG)
/** 0x32000012: as CALL_WITH_ARG, with an RPC optee_msg_arg right after the argument. */
#define TEESIM_OPTEE_SMC_CALL_WITH_RPC_ARG                                                         \
	TEESIM_OPTEE_SMC_STD_CALL_VAL(TEESIM_OPTEE_SMC_FUNCID_CALL_WITH_RPC_ARG)
/** 0x32000013: argument in registered shm: cookie in a1/a2, offset in a3. */
#define TEESIM_OPTEE_SMC_CALL_WITH_REGD_ARG                                                        \
	TEESIM_OPTEE_SMC_STD_CALL_VAL(TEESIM_OPTEE_SMC_FUNCID_CALL_WITH_REGD_ARG)
/** 0xB2000007: static shm pool, a1 PA, a2 size, a3 cache settings. */
#define TEESIM_OPTEE_SMC_GET_SHM_CONFIG                                                            \
	TEESIM_OPTEE_SMC_FAST_CALL_VAL(TEESIM_OPTEE_SMC_FUNCID_GET_SHM_CONFIG)
/** 0xB2000008: L2 cache controller mutex (arm32 platforms only). */
#define TEESIM_OPTEE_SMC_L2CC_MUTEX                                                                \
	TEESIM_OPTEE_SMC_FAST_CALL_VAL(TEESIM_OPTEE_SMC_FUNCID_L2CC_MUTEX)
/** 0xB2000009: a1 normal-world caps in; a1 secure caps, a2, a3 out. */
#define TEESIM_OPTEE_SMC_EXCHANGE_CAPABILITIES                                                     \
	TEESIM_OPTEE_SMC_FAST_CALL_VAL(TEESIM_OPTEE_SMC_FUNCID_EXCHANGE_CAPABILITIES)
/** 0xB200000A: hand back one cached shm cookie in a1/a2 and disable the cache. */
#define TEESIM_OPTEE_SMC_DISABLE_SHM_CACHE                                                         \
	TEESIM_OPTEE_SMC_FAST_CALL_VAL(TEESIM_OPTEE_SMC_FUNCID_DISABLE_SHM_CACHE)
/** 0xB200000B: enable the shm cache. */
#define TEESIM_OPTEE_SMC_ENABLE_SHM_CACHE                                                          \
	TEESIM_OPTEE_SMC_FAST_CALL_VAL(TEESIM_OPTEE_SMC_FUNCID_ENABLE_SHM_CACHE)
/** 0xB200000C: release a secondary core. */
#define TEESIM_OPTEE_SMC_BOOT_SECONDARY                                                            \
	TEESIM_OPTEE_SMC_FAST_CALL_VAL(TEESIM_OPTEE_SMC_FUNCID_BOOT_SECONDARY)
/** 0xB200000D: hypervisor: a guest was created (client id in a1). */
#define TEESIM_OPTEE_SMC_VM_CREATED                                                                \
	TEESIM_OPTEE_SMC_FAST_CALL_VAL(TEESIM_OPTEE_SMC_FUNCID_VM_CREATED)
/** 0xB200000E: hypervisor: a guest was destroyed (client id in a1). */
#define TEESIM_OPTEE_SMC_VM_DESTROYED                                                              \
	TEESIM_OPTEE_SMC_FAST_CALL_VAL(TEESIM_OPTEE_SMC_FUNCID_VM_DESTROYED)
/** 0xB200000F: number of secure threads in a1. */
#define TEESIM_OPTEE_SMC_GET_THREAD_COUNT                                                          \
	TEESIM_OPTEE_SMC_FAST_CALL_VAL(TEESIM_OPTEE_SMC_FUNCID_GET_THREAD_COUNT)
/** 0xB2000010: normal world can take asynchronous notifications. */
#define TEESIM_OPTEE_SMC_ENABLE_ASYNC_NOTIF                                                        \
	TEESIM_OPTEE_SMC_FAST_CALL_VAL(TEESIM_OPTEE_SMC_FUNCID_ENABLE_ASYNC_NOTIF)
/** 0xB2000011: fetch a pending notification value. */
#define TEESIM_OPTEE_SMC_GET_ASYNC_NOTIF_VALUE                                                     \
	TEESIM_OPTEE_SMC_FAST_CALL_VAL(TEESIM_OPTEE_SMC_FUNCID_GET_ASYNC_NOTIF_VALUE)
/** 0xB2000014: static protected memory config. */
#define TEESIM_OPTEE_SMC_GET_PROTMEM_CONFIG                                                        \
	TEESIM_OPTEE_SMC_FAST_CALL_VAL(TEESIM_OPTEE_SMC_FUNCID_GET_PROTMEM_CONFIG)

/** Sub-operations of L2CC_MUTEX (a1). */
#define TEESIM_OPTEE_SMC_L2CC_MUTEX_GET_ADDR 0u
#define TEESIM_OPTEE_SMC_L2CC_MUTEX_SET_ADDR 1u
#define TEESIM_OPTEE_SMC_L2CC_MUTEX_ENABLE   2u
#define TEESIM_OPTEE_SMC_L2CC_MUTEX_DISABLE  3u

/** Cache settings: normal cached memory (GET_SHM_CONFIG a3, CALL_WITH_ARG a3). */
#define TEESIM_OPTEE_SMC_SHM_CACHED 1u

/** GET_ASYNC_NOTIF_VALUE a2 bits. */
#define TEESIM_OPTEE_SMC_ASYNC_NOTIF_VALID   0x1u
#define TEESIM_OPTEE_SMC_ASYNC_NOTIF_PENDING 0x2u
/** Notification value asking for a DO_BOTTOM_HALF call. */
#define TEESIM_OPTEE_SMC_ASYNC_NOTIF_VALUE_DO_BOTTOM_HALF 0u

/* ======================================================================== */
/** @name UIDs and revisions */

#define TEESIM_OPTEE_MSG_UID_0 0x384fb3e0u /**< API UID 384fb3e0-e7f8-11e3-af63-0002a5d5c51b */
#define TEESIM_OPTEE_MSG_UID_1 0xe7f811e3u
#define TEESIM_OPTEE_MSG_UID_2 0xaf630002u
#define TEESIM_OPTEE_MSG_UID_3 0xa5d5c51bu

#define TEESIM_OPTEE_MSG_REVISION_MAJOR 2u /**< API revision 2.0 */
#define TEESIM_OPTEE_MSG_REVISION_MINOR 0u

#define TEESIM_OPTEE_MSG_OS_OPTEE_UUID_0                                                           \
	0x486178e0u /**< OS UUID 486178e0-e7f8-11e3-bc5e-0002a5d5c51b */
#define TEESIM_OPTEE_MSG_OS_OPTEE_UUID_1 0xe7f811e3u
#define TEESIM_OPTEE_MSG_OS_OPTEE_UUID_2 0xbc5e0002u
#define TEESIM_OPTEE_MSG_OS_OPTEE_UUID_3 0xa5d5c51bu

/** UID of TF-A's image-load service (OP-TEE not loaded yet). */
#define TEESIM_OPTEE_MSG_IMAGE_LOAD_UID_0 0xa3fbeab1u
#define TEESIM_OPTEE_MSG_IMAGE_LOAD_UID_1 0x1246315du
#define TEESIM_OPTEE_MSG_IMAGE_LOAD_UID_2 0xc7c406b9u
#define TEESIM_OPTEE_MSG_IMAGE_LOAD_UID_3 0xc03cbea4u

/* ======================================================================== */
/** @name SMC return codes (a0) */

#define TEESIM_OPTEE_SMC_RETURN_OK		 0x0u
#define TEESIM_OPTEE_SMC_RETURN_ETHREAD_LIMIT	 0x1u
#define TEESIM_OPTEE_SMC_RETURN_EBUSY		 0x2u
#define TEESIM_OPTEE_SMC_RETURN_ERESUME		 0x3u
#define TEESIM_OPTEE_SMC_RETURN_EBADADDR	 0x4u
#define TEESIM_OPTEE_SMC_RETURN_EBADCMD		 0x5u
#define TEESIM_OPTEE_SMC_RETURN_ENOMEM		 0x6u
#define TEESIM_OPTEE_SMC_RETURN_ENOTAVAIL	 0x7u
#define TEESIM_OPTEE_SMC_RETURN_UNKNOWN_FUNCTION 0xFFFFFFFFu

/** @name RPC requests returned in a0 (0xFFFF0000 | func) */

#define TEESIM_OPTEE_SMC_RETURN_RPC_PREFIX_MASK 0xFFFF0000u
#define TEESIM_OPTEE_SMC_RETURN_RPC_PREFIX	0xFFFF0000u
#define TEESIM_OPTEE_SMC_RETURN_RPC_FUNC_MASK	0x0000FFFFu

/** True when a0 asks the normal world to serve an RPC. */
#define TEESIM_OPTEE_SMC_RETURN_IS_RPC(r)                                                          \
	((r) != TEESIM_OPTEE_SMC_RETURN_UNKNOWN_FUNCTION &&                                        \
	 ((r) &TEESIM_OPTEE_SMC_RETURN_RPC_PREFIX_MASK) == TEESIM_OPTEE_SMC_RETURN_RPC_PREFIX)
/** The RPC function of an RPC return. */
#define TEESIM_OPTEE_SMC_RETURN_GET_RPC_FUNC(r) ((r) &TEESIM_OPTEE_SMC_RETURN_RPC_FUNC_MASK)
/** The a0 value of RPC function @p func. */
#define TEESIM_OPTEE_SMC_RPC_VAL(func) ((uint32_t) ((func) | TEESIM_OPTEE_SMC_RETURN_RPC_PREFIX))

#define TEESIM_OPTEE_SMC_RPC_FUNC_ALLOC	       0u /**< a1 size; reply a1/a2 PA, a4/a5 cookie */
#define TEESIM_OPTEE_SMC_RPC_FUNC_FREE	       2u /**< a1/a2 cookie */
#define TEESIM_OPTEE_SMC_RPC_FUNC_FOREIGN_INTR 4u /**< nothing to do but resume */
#define TEESIM_OPTEE_SMC_RPC_FUNC_CMD	       5u /**< a1/a2 cookie of an optee_msg_arg */

#define TEESIM_OPTEE_SMC_RETURN_RPC_ALLOC TEESIM_OPTEE_SMC_RPC_VAL(TEESIM_OPTEE_SMC_RPC_FUNC_ALLOC)
#define TEESIM_OPTEE_SMC_RETURN_RPC_FREE  TEESIM_OPTEE_SMC_RPC_VAL(TEESIM_OPTEE_SMC_RPC_FUNC_FREE)
#define TEESIM_OPTEE_SMC_RETURN_RPC_FOREIGN_INTR                                                   \
	TEESIM_OPTEE_SMC_RPC_VAL(TEESIM_OPTEE_SMC_RPC_FUNC_FOREIGN_INTR)
#define TEESIM_OPTEE_SMC_RETURN_RPC_CMD TEESIM_OPTEE_SMC_RPC_VAL(TEESIM_OPTEE_SMC_RPC_FUNC_CMD)

/* ======================================================================== */
/** @name Capabilities (EXCHANGE_CAPABILITIES) */

/** Normal world: uniprocessor. The only normal-world bit OP-TEE accepts. */
#define TEESIM_OPTEE_SMC_NSEC_CAP_UNIPROCESSOR (1u << 0)

#define TEESIM_OPTEE_SMC_SEC_CAP_HAVE_RESERVED_SHM (1u << 0) /**< static shm pool exists */
#define TEESIM_OPTEE_SMC_SEC_CAP_UNREGISTERED_SHM  (1u << 1) /**< defined, never set by OP-TEE */
#define TEESIM_OPTEE_SMC_SEC_CAP_DYNAMIC_SHM                                                       \
	(1u << 2) /**< REGISTER_SHM, args anywhere in NS RAM                                       \
		   */
#define TEESIM_OPTEE_SMC_SEC_CAP_VIRTUALIZATION	 (1u << 3) /**< built for a hypervisor */
#define TEESIM_OPTEE_SMC_SEC_CAP_MEMREF_NULL	 (1u << 4) /**< NULL memrefs (buf_ptr 0) */
#define TEESIM_OPTEE_SMC_SEC_CAP_ASYNC_NOTIF	 (1u << 5) /**< a2 = max notification value */
#define TEESIM_OPTEE_SMC_SEC_CAP_RPC_ARG	 (1u << 6) /**< a3[7:0] = RPC params per RPC arg */
#define TEESIM_OPTEE_SMC_SEC_CAP_RPMB_PROBE	 (1u << 7) /**< in-kernel RPMB probing */
#define TEESIM_OPTEE_SMC_SEC_CAP_PROTMEM	 (1u << 8) /**< static protected memory */
#define TEESIM_OPTEE_SMC_SEC_CAP_DYNAMIC_PROTMEM (1u << 9) /**< dynamic protected memory */

/* ======================================================================== */
/** @name Message parameter attributes (optee_msg_param.attr) */

#define TEESIM_OPTEE_MSG_ATTR_TYPE_NONE		0x0u
#define TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_INPUT	0x1u
#define TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_OUTPUT 0x2u
#define TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_INOUT	0x3u
#define TEESIM_OPTEE_MSG_ATTR_TYPE_RMEM_INPUT	0x5u
#define TEESIM_OPTEE_MSG_ATTR_TYPE_RMEM_OUTPUT	0x6u
#define TEESIM_OPTEE_MSG_ATTR_TYPE_RMEM_INOUT	0x7u
#define TEESIM_OPTEE_MSG_ATTR_TYPE_FMEM_INPUT                                                      \
	TEESIM_OPTEE_MSG_ATTR_TYPE_RMEM_INPUT /**< FF-A alias */
#define TEESIM_OPTEE_MSG_ATTR_TYPE_FMEM_OUTPUT TEESIM_OPTEE_MSG_ATTR_TYPE_RMEM_OUTPUT
#define TEESIM_OPTEE_MSG_ATTR_TYPE_FMEM_INOUT  TEESIM_OPTEE_MSG_ATTR_TYPE_RMEM_INOUT
#define TEESIM_OPTEE_MSG_ATTR_TYPE_TMEM_INPUT  0x9u
#define TEESIM_OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT 0xau
#define TEESIM_OPTEE_MSG_ATTR_TYPE_TMEM_INOUT  0xbu
#define TEESIM_OPTEE_MSG_ATTR_TYPE_MASK	       0xffu

/** Parameter consumed by OP-TEE itself (the two OPEN_SESSION meta values); meta ones come first. */
#define TEESIM_OPTEE_MSG_ATTR_META (1u << 8)
/** With TMEM: buf_ptr is the PA of a page list, its low 12 bits the offset into the first page. */
#define TEESIM_OPTEE_MSG_ATTR_NONCONTIG (1u << 9)

#define TEESIM_OPTEE_MSG_ATTR_CACHE_SHIFT      16u /**< cache field, bits 18:16 */
#define TEESIM_OPTEE_MSG_ATTR_CACHE_MASK       0x7u
#define TEESIM_OPTEE_MSG_ATTR_CACHE_PREDEFINED 0u

/* ======================================================================== */
/** @name Logins (OPEN_SESSION param[1].value.c; the GP TEE_LOGIN_* values) */

#define TEESIM_OPTEE_MSG_LOGIN_PUBLIC		 0x00000000u
#define TEESIM_OPTEE_MSG_LOGIN_USER		 0x00000001u
#define TEESIM_OPTEE_MSG_LOGIN_GROUP		 0x00000002u
#define TEESIM_OPTEE_MSG_LOGIN_APPLICATION	 0x00000004u
#define TEESIM_OPTEE_MSG_LOGIN_APPLICATION_USER	 0x00000005u
#define TEESIM_OPTEE_MSG_LOGIN_APPLICATION_GROUP 0x00000006u
#define TEESIM_OPTEE_MSG_LOGIN_REE_KERNEL	 0x80000000u

/* ======================================================================== */
/** @name Page lists (TMEM with NONCONTIG) */

/** Granule of page-list entries and size of one list page. */
#define TEESIM_OPTEE_MSG_NONCONTIG_PAGE_SIZE 4096u
/** Data entries per list page; slot 511 holds the PA of the next list page. */
#define TEESIM_OPTEE_MSG_PAGELIST_ENTRIES_PER_PAGE                                                 \
	(TEESIM_OPTEE_MSG_NONCONTIG_PAGE_SIZE / sizeof(uint64_t) - 1)
/** Index of the next-list-page pointer inside a list page. */
#define TEESIM_OPTEE_MSG_PAGELIST_NEXT_SLOT TEESIM_OPTEE_MSG_PAGELIST_ENTRIES_PER_PAGE
/** Mask of the first-page offset carried in the low bits of buf_ptr. */
#define TEESIM_OPTEE_MSG_PAGELIST_OFFSET_MASK (TEESIM_OPTEE_MSG_NONCONTIG_PAGE_SIZE - 1)

/** FF-A global id meaning "no memory". */
#define TEESIM_OPTEE_MSG_FMEM_INVALID_GLOBAL_ID 0xffffffffffffffffull

/* ======================================================================== */
/** @name Message structures */

/** Temporary memory reference: by physical address (or page list). */
struct teesim_optee_msg_param_tmem {
	uint64_t buf_ptr; /**< PA of the buffer, or of a page list | first-page offset */
	uint64_t size;	  /**< size in bytes */
	uint64_t shm_ref; /**< normal-world cookie */
};

/** Registered memory reference: offset into memory registered under a cookie. */
struct teesim_optee_msg_param_rmem {
	uint64_t offs;	  /**< offset into the registered buffer */
	uint64_t size;	  /**< size in bytes */
	uint64_t shm_ref; /**< cookie given at REGISTER_SHM */
};

/** FF-A memory reference (FF-A conduit only). */
struct teesim_optee_msg_param_fmem {
	uint32_t offs_low;	/**< lower bits of the offset */
	uint16_t offs_high;	/**< upper bits of the offset */
	uint16_t internal_offs; /**< offset into the first page */
	uint64_t size;		/**< size in bytes */
	uint64_t global_id;	/**< FF-A global handle */
};

/** Opaque values. */
struct teesim_optee_msg_param_value {
	uint64_t a;
	uint64_t b;
	uint64_t c;
};

/** One message parameter: 32 bytes. */
struct teesim_optee_msg_param {
	uint64_t attr; /**< TEESIM_OPTEE_MSG_ATTR_* */
	union {
		struct teesim_optee_msg_param_tmem tmem;
		struct teesim_optee_msg_param_rmem rmem;
		struct teesim_optee_msg_param_fmem fmem;
		struct teesim_optee_msg_param_value value;
		uint8_t octets[24]; /**< e.g. the client UUID */
	} u;
};

/** Header of every message (calls and RPCs): 32 bytes, 8-byte aligned, params follow. */
struct teesim_optee_msg_arg {
	uint32_t cmd;	     /**< TEESIM_OPTEE_MSG_CMD_* or TEESIM_OPTEE_RPC_CMD_* */
	uint32_t func;	     /**< TA function (INVOKE_COMMAND) */
	uint32_t session;    /**< out for OPEN_SESSION, in for the others */
	uint32_t cancel_id;  /**< identifies the request for CANCEL */
	uint32_t pad;	     /**< unused */
	uint32_t ret;	     /**< TEESIM_OPTEE_ERROR_* result */
	uint32_t ret_origin; /**< TEESIM_OPTEE_ORIGIN_* */
	uint32_t num_params; /**< number of params that follow */
	struct teesim_optee_msg_param params[];
};

/** Size of a message with @p n parameters. */
#define TEESIM_OPTEE_MSG_GET_ARG_SIZE(n)                                                           \
	(sizeof(struct teesim_optee_msg_arg) + sizeof(struct teesim_optee_msg_param) * (size_t) (n))
/** Most parameters a message can have without leaving its 4 KiB page: 127. */
#define TEESIM_OPTEE_MSG_MAX_NUM_PARAMS                                                            \
	((TEESIM_OPTEE_MSG_NONCONTIG_PAGE_SIZE - sizeof(struct teesim_optee_msg_arg)) /            \
	 sizeof(struct teesim_optee_msg_param))

/* Byte offsets, for code that reads fields from physical memory. */
#define TEESIM_OPTEE_MSG_ARG_OFF_CMD	    0u
#define TEESIM_OPTEE_MSG_ARG_OFF_FUNC	    4u
#define TEESIM_OPTEE_MSG_ARG_OFF_SESSION    8u
#define TEESIM_OPTEE_MSG_ARG_OFF_CANCEL_ID  12u
#define TEESIM_OPTEE_MSG_ARG_OFF_PAD	    16u
#define TEESIM_OPTEE_MSG_ARG_OFF_RET	    20u
#define TEESIM_OPTEE_MSG_ARG_OFF_RET_ORIGIN 24u
#define TEESIM_OPTEE_MSG_ARG_OFF_NUM_PARAMS 28u
#define TEESIM_OPTEE_MSG_ARG_OFF_PARAMS	    32u

TEESIM_OPTEE_STATIC_ASSERT(sizeof(struct teesim_optee_msg_param_tmem) == 24, "tmem is 24 bytes");
TEESIM_OPTEE_STATIC_ASSERT(sizeof(struct teesim_optee_msg_param_rmem) == 24, "rmem is 24 bytes");
TEESIM_OPTEE_STATIC_ASSERT(sizeof(struct teesim_optee_msg_param_fmem) == 24, "fmem is 24 bytes");
TEESIM_OPTEE_STATIC_ASSERT(sizeof(struct teesim_optee_msg_param_value) == 24, "value is 24 bytes");
TEESIM_OPTEE_STATIC_ASSERT(sizeof(struct teesim_optee_msg_param) == 32,
			   "optee_msg_param is 32 bytes");
TEESIM_OPTEE_STATIC_ASSERT(offsetof(struct teesim_optee_msg_param, u) == 8, "union at 8");
TEESIM_OPTEE_STATIC_ASSERT(offsetof(struct teesim_optee_msg_param, u.tmem.buf_ptr) == 8,
			   "buf_ptr at 8");
TEESIM_OPTEE_STATIC_ASSERT(offsetof(struct teesim_optee_msg_param, u.tmem.size) == 16,
			   "size at 16");
TEESIM_OPTEE_STATIC_ASSERT(offsetof(struct teesim_optee_msg_param, u.tmem.shm_ref) == 24,
			   "shm_ref at 24");
TEESIM_OPTEE_STATIC_ASSERT(offsetof(struct teesim_optee_msg_param, u.rmem.offs) == 8, "offs at 8");
TEESIM_OPTEE_STATIC_ASSERT(offsetof(struct teesim_optee_msg_param, u.rmem.shm_ref) == 24,
			   "shm_ref at 24");
TEESIM_OPTEE_STATIC_ASSERT(offsetof(struct teesim_optee_msg_param, u.fmem.offs_high) == 12,
			   "offs_high at 12");
TEESIM_OPTEE_STATIC_ASSERT(offsetof(struct teesim_optee_msg_param, u.fmem.internal_offs) == 14,
			   "internal_offs at 14");
TEESIM_OPTEE_STATIC_ASSERT(offsetof(struct teesim_optee_msg_param, u.fmem.global_id) == 24,
			   "global_id at 24");
TEESIM_OPTEE_STATIC_ASSERT(offsetof(struct teesim_optee_msg_param, u.value.c) == 24,
			   "value.c at 24");
TEESIM_OPTEE_STATIC_ASSERT(sizeof(struct teesim_optee_msg_arg) == 32,
			   "optee_msg_arg header is 32 bytes");
TEESIM_OPTEE_STATIC_ASSERT(offsetof(struct teesim_optee_msg_arg, func) ==
			       TEESIM_OPTEE_MSG_ARG_OFF_FUNC,
			   "func");
TEESIM_OPTEE_STATIC_ASSERT(offsetof(struct teesim_optee_msg_arg, session) ==
			       TEESIM_OPTEE_MSG_ARG_OFF_SESSION,
			   "session");
TEESIM_OPTEE_STATIC_ASSERT(offsetof(struct teesim_optee_msg_arg, cancel_id) ==
			       TEESIM_OPTEE_MSG_ARG_OFF_CANCEL_ID,
			   "cancel_id");
TEESIM_OPTEE_STATIC_ASSERT(offsetof(struct teesim_optee_msg_arg, pad) ==
			       TEESIM_OPTEE_MSG_ARG_OFF_PAD,
			   "pad");
TEESIM_OPTEE_STATIC_ASSERT(offsetof(struct teesim_optee_msg_arg, ret) ==
			       TEESIM_OPTEE_MSG_ARG_OFF_RET,
			   "ret");
TEESIM_OPTEE_STATIC_ASSERT(offsetof(struct teesim_optee_msg_arg, ret_origin) ==
			       TEESIM_OPTEE_MSG_ARG_OFF_RET_ORIGIN,
			   "ret_origin");
TEESIM_OPTEE_STATIC_ASSERT(offsetof(struct teesim_optee_msg_arg, num_params) ==
			       TEESIM_OPTEE_MSG_ARG_OFF_NUM_PARAMS,
			   "num_params");
TEESIM_OPTEE_STATIC_ASSERT(offsetof(struct teesim_optee_msg_arg, params) ==
			       TEESIM_OPTEE_MSG_ARG_OFF_PARAMS,
			   "params");
TEESIM_OPTEE_STATIC_ASSERT(TEESIM_OPTEE_MSG_MAX_NUM_PARAMS == 127, "127 params fit in a page");
TEESIM_OPTEE_STATIC_ASSERT(TEESIM_OPTEE_MSG_PAGELIST_ENTRIES_PER_PAGE == 511,
			   "511 entries per list page");

/* ======================================================================== */
/** @name Commands from the normal world (optee_msg_arg.cmd of a call) */

#define TEESIM_OPTEE_MSG_CMD_OPEN_SESSION	0u /**< meta params: TA UUID, client UUID + login */
#define TEESIM_OPTEE_MSG_CMD_INVOKE_COMMAND	1u /**< func, session, TA params */
#define TEESIM_OPTEE_MSG_CMD_CLOSE_SESSION	2u /**< session */
#define TEESIM_OPTEE_MSG_CMD_CANCEL		3u /**< session, cancel_id */
#define TEESIM_OPTEE_MSG_CMD_REGISTER_SHM	4u /**< param[0] TMEM_OUTPUT|NONCONTIG page list */
#define TEESIM_OPTEE_MSG_CMD_UNREGISTER_SHM	5u /**< param[0] RMEM_INPUT with the cookie */
#define TEESIM_OPTEE_MSG_CMD_DO_BOTTOM_HALF	6u /**< async notification bottom half */
#define TEESIM_OPTEE_MSG_CMD_STOP_ASYNC_NOTIF	7u /**< normal world stops taking notifications */
#define TEESIM_OPTEE_MSG_CMD_LEND_PROTMEM	8u /**< lend protected memory */
#define TEESIM_OPTEE_MSG_CMD_RECLAIM_PROTMEM	9u /**< reclaim lent protected memory */
#define TEESIM_OPTEE_MSG_CMD_GET_PROTMEM_CONFIG 10u /**< protected memory use-case config */
#define TEESIM_OPTEE_MSG_CMD_ASSIGN_PROTMEM	11u /**< FF-A: assign a use case */

/** Protected memory use cases (LEND_PROTMEM value.a). */
#define TEESIM_OPTEE_MSG_PROTMEM_RESERVED	     0u
#define TEESIM_OPTEE_MSG_PROTMEM_SECURE_VIDEO_PLAY   1u
#define TEESIM_OPTEE_MSG_PROTMEM_TRUSTED_UI	     2u
#define TEESIM_OPTEE_MSG_PROTMEM_SECURE_VIDEO_RECORD 3u

/* ======================================================================== */
/** @name RPC commands (optee_msg_arg.cmd of an RPC_CMD) */

#define TEESIM_OPTEE_RPC_CMD_LOAD_TA	      0u /**< value[0].a-b UUID, memref[1] TA image */
#define TEESIM_OPTEE_RPC_CMD_RPMB	      1u /**< memref[0] request, memref[1] response */
#define TEESIM_OPTEE_RPC_CMD_FS		      2u /**< value[0].a = TEESIM_OPTEE_RPC_FS_* */
#define TEESIM_OPTEE_RPC_CMD_GET_TIME	      3u /**< value[0] out: a seconds, b nanoseconds */
#define TEESIM_OPTEE_RPC_CMD_WAIT_QUEUE	      4u /**< value[0].a sleep/wakeup, .b key */
#define TEESIM_OPTEE_RPC_CMD_NOTIFICATION     TEESIM_OPTEE_RPC_CMD_WAIT_QUEUE /**< later name */
#define TEESIM_OPTEE_RPC_CMD_SUSPEND	      5u /**< value[0].a milliseconds */
#define TEESIM_OPTEE_RPC_CMD_SHM_ALLOC	      6u /**< value[0] {type, size, align}; memref[0] out */
#define TEESIM_OPTEE_RPC_CMD_SHM_FREE	      7u /**< value[0] {type, cookie} */
#define TEESIM_OPTEE_RPC_CMD_SQL_FS_RESERVED  8u /**< was SQL_FS, obsolete */
#define TEESIM_OPTEE_RPC_CMD_GPROF	      9u /**< TA profiling data */
#define TEESIM_OPTEE_RPC_CMD_SOCKET	      10u /**< sockets, supplicant */
#define TEESIM_OPTEE_RPC_CMD_FTRACE	      11u /**< TA function graph data */
#define TEESIM_OPTEE_RPC_CMD_SUPP_PLUGIN      12u /**< supplicant plugins */
#define TEESIM_OPTEE_RPC_CMD_BENCH_REG	      20u /**< benchmark timestamp buffer */
#define TEESIM_OPTEE_RPC_CMD_I2C_TRANSFER     21u /**< I2C master transfer */
#define TEESIM_OPTEE_RPC_CMD_RPMB_PROBE_RESET 22u /**< restart RPMB device probing */
#define TEESIM_OPTEE_RPC_CMD_RPMB_PROBE_NEXT  23u /**< probe the next RPMB device */
#define TEESIM_OPTEE_RPC_CMD_RPMB_FRAMES      24u /**< RPMB frames, in-kernel routing */

/** WAIT_QUEUE sub-operations (value[0].a). */
#define TEESIM_OPTEE_RPC_WAIT_QUEUE_SLEEP  0u
#define TEESIM_OPTEE_RPC_WAIT_QUEUE_WAKEUP 1u
/** NOTIFICATION sub-operations: the same values under their later names. */
#define TEESIM_OPTEE_RPC_NOTIFICATION_WAIT TEESIM_OPTEE_RPC_WAIT_QUEUE_SLEEP
#define TEESIM_OPTEE_RPC_NOTIFICATION_SEND TEESIM_OPTEE_RPC_WAIT_QUEUE_WAKEUP

/** SHM_ALLOC / SHM_FREE types (value[0].a). */
#define TEESIM_OPTEE_RPC_SHM_TYPE_APPL	 0u /**< visible to user space: the supplicant allocates */
#define TEESIM_OPTEE_RPC_SHM_TYPE_KERNEL 1u /**< normal-world kernel only */
#define TEESIM_OPTEE_RPC_SHM_TYPE_GLOBAL 2u /**< kernel memory exported to user space */

/** FS sub-operations (value[0].a of RPC_CMD_FS). */
#define TEESIM_OPTEE_RPC_FS_OPEN     0u
#define TEESIM_OPTEE_RPC_FS_CREATE   1u
#define TEESIM_OPTEE_RPC_FS_CLOSE    2u
#define TEESIM_OPTEE_RPC_FS_READ     3u
#define TEESIM_OPTEE_RPC_FS_WRITE    4u
#define TEESIM_OPTEE_RPC_FS_TRUNCATE 5u
#define TEESIM_OPTEE_RPC_FS_REMOVE   6u
#define TEESIM_OPTEE_RPC_FS_RENAME   7u
#define TEESIM_OPTEE_RPC_FS_OPENDIR  8u
#define TEESIM_OPTEE_RPC_FS_CLOSEDIR 9u
#define TEESIM_OPTEE_RPC_FS_READDIR  10u

/** I2C transfer modes and flags. */
#define TEESIM_OPTEE_RPC_I2C_TRANSFER_RD   0u
#define TEESIM_OPTEE_RPC_I2C_TRANSFER_WR   1u
#define TEESIM_OPTEE_RPC_I2C_FLAGS_TEN_BIT (1u << 0)

/** RPMB device types (RPMB_PROBE_NEXT value[0].a). */
#define TEESIM_OPTEE_RPC_RPMB_EMMC 0u
#define TEESIM_OPTEE_RPC_RPMB_UFS  1u
#define TEESIM_OPTEE_RPC_RPMB_NVME 2u

/** Parameters of the RPC argument OP-TEE allocates per thread (THREAD_RPC_MAX_NUM_PARAMS). */
#define TEESIM_OPTEE_RPC_MAX_NUM_PARAMS 4u
/** Size of that RPC argument: 160 bytes. */
#define TEESIM_OPTEE_RPC_ARG_SIZE TEESIM_OPTEE_MSG_GET_ARG_SIZE(TEESIM_OPTEE_RPC_MAX_NUM_PARAMS)
/** Parameters OP-TEE hands to a TA (TEE_NUM_PARAMS). */
#define TEESIM_OPTEE_TA_NUM_PARAMS 4u

/* ======================================================================== */
/** @name Results (optee_msg_arg.ret): GlobalPlatform TEE_Result values */

#define TEESIM_OPTEE_SUCCESS		    0x00000000u
#define TEESIM_OPTEE_ERROR_GENERIC	    0xFFFF0000u
#define TEESIM_OPTEE_ERROR_ACCESS_DENIED    0xFFFF0001u
#define TEESIM_OPTEE_ERROR_CANCEL	    0xFFFF0002u
#define TEESIM_OPTEE_ERROR_ACCESS_CONFLICT  0xFFFF0003u
#define TEESIM_OPTEE_ERROR_EXCESS_DATA	    0xFFFF0004u
#define TEESIM_OPTEE_ERROR_BAD_FORMAT	    0xFFFF0005u
#define TEESIM_OPTEE_ERROR_BAD_PARAMETERS   0xFFFF0006u
#define TEESIM_OPTEE_ERROR_BAD_STATE	    0xFFFF0007u
#define TEESIM_OPTEE_ERROR_ITEM_NOT_FOUND   0xFFFF0008u
#define TEESIM_OPTEE_ERROR_NOT_IMPLEMENTED  0xFFFF0009u
#define TEESIM_OPTEE_ERROR_NOT_SUPPORTED    0xFFFF000Au
#define TEESIM_OPTEE_ERROR_NO_DATA	    0xFFFF000Bu
#define TEESIM_OPTEE_ERROR_OUT_OF_MEMORY    0xFFFF000Cu
#define TEESIM_OPTEE_ERROR_BUSY		    0xFFFF000Du
#define TEESIM_OPTEE_ERROR_COMMUNICATION    0xFFFF000Eu
#define TEESIM_OPTEE_ERROR_SECURITY	    0xFFFF000Fu
#define TEESIM_OPTEE_ERROR_SHORT_BUFFER	    0xFFFF0010u
#define TEESIM_OPTEE_ERROR_EXTERNAL_CANCEL  0xFFFF0011u
#define TEESIM_OPTEE_ERROR_TIMEOUT	    0xFFFF3001u
#define TEESIM_OPTEE_ERROR_OVERFLOW	    0xFFFF300Fu
#define TEESIM_OPTEE_ERROR_TARGET_DEAD	    0xFFFF3024u
#define TEESIM_OPTEE_ERROR_STORAGE_NO_SPACE 0xFFFF3041u

/** @name Result origins (optee_msg_arg.ret_origin) */

#define TEESIM_OPTEE_ORIGIN_API		1u
#define TEESIM_OPTEE_ORIGIN_COMMS	2u
#define TEESIM_OPTEE_ORIGIN_TEE		3u
#define TEESIM_OPTEE_ORIGIN_TRUSTED_APP 4u

#ifdef __cplusplus
}
#endif

#endif /* TEESIM_OPTEE_ABI_H */
