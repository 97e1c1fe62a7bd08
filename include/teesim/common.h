/* SPDX-License-Identifier: MIT */
/**
 * @file teesim/common.h
 * @brief Types and conventions shared by every teesim header.
 *
 * Conventions:
 * - Functions that can fail return 0 on success or a negative errno value
 *   (-EINVAL, -ENOMEM, -EFAULT, ...). Constructors that return a pointer
 *   return NULL on failure and set errno.
 * - Every object hangs off one @ref teesim_machine instance; there is no
 *   global state, so any number of machines can live in one process.
 * - Sizes and addresses are 64-bit on every host, so arithmetic on them
 *   behaves the same in 32-bit and 64-bit builds.
 */
#ifndef TEESIM_COMMON_H
#define TEESIM_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Marks a function as part of the exported API. */
#if defined(__GNUC__) || defined(__clang__)
#define TEESIM_API __attribute__((visibility("default")))
#else
#define TEESIM_API
#endif

/** Size of a physical frame and of a guest page: 4 KiB, the OP-TEE page-list granule. */
#define TEESIM_PAGE_SIZE 4096u
/** log2 of @ref TEESIM_PAGE_SIZE. */
#define TEESIM_PAGE_SHIFT 12u

/** Version of the library, as MAJOR * 10000 + MINOR * 100 + PATCH. */
TEESIM_API unsigned teesim_version(void);

/** A physical address (what the secure world sees). */
typedef uint64_t teesim_pa_t;
/** A guest-physical (intermediate physical) address: what a normal-world kernel sees. */
typedef uint64_t teesim_ipa_t;

/** Opaque simulated machine; see teesim/machine.h. */
struct teesim_machine;
/** Opaque guest (normal-world VM or the bare-metal normal world); see teesim/guest.h. */
struct teesim_guest;
/** Opaque user process address space; see teesim/process.h. */
struct teesim_process;

#ifdef __cplusplus
}
#endif

#endif /* TEESIM_COMMON_H */
