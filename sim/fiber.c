/* SPDX-License-Identifier: MIT */
/*
 * Fibers (see fiber.h). A fiber is a mapped stack plus two saved contexts:
 * its own, stored when it yields, and its resumer's, stored afresh by every
 * resume. Because the resumer's context is captured per resume, a fiber
 * yields back to whichever host thread (or enclosing fiber) resumed it last.
 *
 * The switch is hand-written for x86-64 and AArch64: it pushes the
 * callee-saved registers on the current stack, stores the stack pointer,
 * loads the other one and pops. Everything the ABI lets a call clobber is
 * already assumed clobbered by the C compiler at the call. Other
 * architectures, and x86-64 builds with shadow stacks (CET), where a `ret`
 * into a fresh stack would trip the shadow stack, use ucontext.
 *
 * ASan, TSan and Valgrind are told about every switch; each annotation is
 * compiled in only when the tool is present.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "alloc.h"
#include "fiber.h"

#ifndef __has_feature
#define __has_feature(x) 0
#endif
#ifndef __has_include
#define __has_include(x) 0
#endif

#if defined(__SANITIZE_ADDRESS__) || __has_feature(address_sanitizer)
#define TSIM_FIBER_ASAN 1
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#else
#define TSIM_FIBER_ASAN 0
#endif

#if defined(__SANITIZE_THREAD__) || __has_feature(thread_sanitizer)
#define TSIM_FIBER_TSAN 1
#include <sanitizer/tsan_interface.h>
#else
#define TSIM_FIBER_TSAN 0
#endif

#if __has_include(<valgrind/valgrind.h>)
#define TSIM_FIBER_VALGRIND 1
#include <valgrind/valgrind.h>
#else
#define TSIM_FIBER_VALGRIND 0
#endif

/* Which switch: hand-written assembly, or ucontext. TSIM_FIBER_FORCE_UCONTEXT
 * selects the fallback on any architecture (to test it). */
#if defined(TSIM_FIBER_FORCE_UCONTEXT)
#define TSIM_FIBER_ASM 0
#elif defined(__x86_64__) && !(defined(__CET__) && (__CET__ & 2))
#define TSIM_FIBER_ASM 1
#elif defined(__aarch64__)
#define TSIM_FIBER_ASM 1
#else
#define TSIM_FIBER_ASM 0
#endif

#if !TSIM_FIBER_ASM
#include <ucontext.h>
#endif

/*
 * Instrumented builds need deeper stacks: ASan pads every frame with
 * redzones and its interceptors (printf family, string functions) run on the
 * fiber's stack too; TSan's runtime is also heavier than libc's.
 */
#if TSIM_FIBER_ASAN
#define TSIM_FIBER_DEFAULT_STACK ((size_t) 256 * 1024)
#elif TSIM_FIBER_TSAN
#define TSIM_FIBER_DEFAULT_STACK ((size_t) 128 * 1024)
#else
#define TSIM_FIBER_DEFAULT_STACK ((size_t) 64 * 1024)
#endif

/*
 * A small stack (what a secure world made per fuzz input asks for) comes
 * from the heap, which hands it back without a system call or a page fault:
 * a canary below it stands for the guard page, checked whenever the fiber
 * gives the CPU back and when it is freed. Bigger stacks (the default
 * included) are mapped with a PROT_NONE guard page below.
 */
#define TSIM_FIBER_HEAP_STACK_MAX ((size_t) 32 * 1024)
#define TSIM_FIBER_CANARY	  ((size_t) 64) /* bytes, a multiple of 8 */
#define TSIM_FIBER_CANARY_WORD	  0xc5c5c5c5c5c5c5c5ull

struct tsim_fiber {
#if TSIM_FIBER_ASM
	void *sp;	 /* the fiber's stack pointer while it is suspended */
	void *caller_sp; /* the resumer's stack pointer while the fiber runs */
#else
	ucontext_t ctx;
	ucontext_t caller_ctx;
#endif
	tsim_fiber_fn fn;
	void *arg;
	atomic_bool done;

	struct teesim_machine *m; /* allocated the struct and the map */
	void *map;		  /* guard page (heap: canary) + stack */
	size_t map_len;
	bool heap;	/* map is heap memory with a canary, not a mapping */
	void *stack_lo; /* lowest usable byte of the stack */
	size_t stack_len;

#if TSIM_FIBER_ASAN
	/* the resumer's stack, learnt on every arrival in the fiber */
	const void *caller_stack_lo;
	size_t caller_stack_len;
#endif
#if TSIM_FIBER_TSAN
	void *tsan_self;
	void *tsan_caller; /* fetched at every resume: resumers change threads */
#endif
#if TSIM_FIBER_VALGRIND
	unsigned vg_stack_id;
#endif
};

/* ---- the raw switch ---- */

#if TSIM_FIBER_ASM

/*
 * Save the callee-saved state on the current stack, store the stack pointer
 * in *@save, continue on @to. Returns when someone switches back to *@save.
 */
__attribute__((visibility("hidden"))) void tsim_fiber_switch(void **save, void *to);
/* The first code a fiber runs, called by the entry trampoline with the fiber. */
__attribute__((visibility("hidden"))) void tsim_fiber_start(struct tsim_fiber *f);
/* The entry trampoline (an assembly-local label), for the initial frames. */
__attribute__((visibility("hidden"))) extern const char
    tsim_fiber_entry_addr[] __asm__("tsim_fiber_entry");

#if defined(__x86_64__)
/*
 * Frame (from the saved rsp up): MXCSR (4 bytes) and x87 control word (2
 * bytes, padded to 8), then r15 r14 r13 r12 rbx rbp and the return address.
 * Both control registers are callee-saved in the SysV ABI; the status flags
 * they share a register with are not, but restoring them is harmless.
 */
__asm__(".text\n"
	".globl tsim_fiber_switch\n"
	".hidden tsim_fiber_switch\n"
	".type tsim_fiber_switch, @function\n"
	".p2align 4\n"
	"tsim_fiber_switch:\n"
	"	.cfi_startproc\n"
	"	pushq %rbp\n"
	"	pushq %rbx\n"
	"	pushq %r12\n"
	"	pushq %r13\n"
	"	pushq %r14\n"
	"	pushq %r15\n"
	"	subq $8, %rsp\n"
	"	stmxcsr (%rsp)\n"
	"	fnstcw 4(%rsp)\n"
	"	movq %rsp, (%rdi)\n"
	"	movq %rsi, %rsp\n"
	"	ldmxcsr (%rsp)\n"
	"	fldcw 4(%rsp)\n"
	"	addq $8, %rsp\n"
	"	popq %r15\n"
	"	popq %r14\n"
	"	popq %r13\n"
	"	popq %r12\n"
	"	popq %rbx\n"
	"	popq %rbp\n"
	"	ret\n"
	"	.cfi_endproc\n"
	".size tsim_fiber_switch, .-tsim_fiber_switch\n"
	/* Reached by the first switch's ret, with the fiber in r12 and rsp
	 * 16-byte aligned; rip undefined ends every unwind here. */
	".type tsim_fiber_entry, @function\n"
	".p2align 4\n"
	"tsim_fiber_entry:\n"
	"	.cfi_startproc\n"
	"	.cfi_undefined rip\n"
	"	movq %r12, %rdi\n"
	"	call tsim_fiber_start\n"
	"	ud2\n"
	"	.cfi_endproc\n"
	".size tsim_fiber_entry, .-tsim_fiber_entry\n");

#define TSIM_FIBER_FRAME_WORDS 10 /* csr, 6 registers, return, 2 of padding */

static void *initial_frame(struct tsim_fiber *f, uintptr_t top)
{
	uint64_t *w = (uint64_t *) (top & ~(uintptr_t) 15) - TSIM_FIBER_FRAME_WORDS;
	uint32_t mxcsr;
	uint16_t fpucw;

	/* start with the creator's rounding and exception masks, not its
	 * sticky exception flags */
	__asm__ volatile("stmxcsr %0" : "=m"(mxcsr));
	__asm__ volatile("fnstcw %0" : "=m"(fpucw));
	w[0] = (uint64_t) (mxcsr & ~0x3fu) | (uint64_t) fpucw << 32;
	w[1] = 0;					     /* r15 */
	w[2] = 0;					     /* r14 */
	w[3] = 0;					     /* r13 */
	w[4] = (uint64_t) (uintptr_t) f;		     /* r12 */
	w[5] = 0;					     /* rbx */
	w[6] = 0;					     /* rbp: ends frame-pointer walks */
	w[7] = (uint64_t) (uintptr_t) tsim_fiber_entry_addr; /* ret */
	w[8] = 0;					     /* rsp after ret: 16-aligned */
	w[9] = 0;
	return w;
}

#elif defined(__aarch64__)
/*
 * Frame (160 bytes from the saved sp up): x19..x28, x29 (fp), x30 (lr),
 * d8..d15. FPCR is global state in AAPCS64, not callee-saved.
 */
__asm__(".text\n"
	".globl tsim_fiber_switch\n"
	".hidden tsim_fiber_switch\n"
	".type tsim_fiber_switch, %function\n"
	".p2align 4\n"
	"tsim_fiber_switch:\n"
	"	.cfi_startproc\n"
	"	sub sp, sp, #160\n"
	"	stp x19, x20, [sp, #0]\n"
	"	stp x21, x22, [sp, #16]\n"
	"	stp x23, x24, [sp, #32]\n"
	"	stp x25, x26, [sp, #48]\n"
	"	stp x27, x28, [sp, #64]\n"
	"	stp x29, x30, [sp, #80]\n"
	"	stp d8, d9, [sp, #96]\n"
	"	stp d10, d11, [sp, #112]\n"
	"	stp d12, d13, [sp, #128]\n"
	"	stp d14, d15, [sp, #144]\n"
	"	mov x9, sp\n"
	"	str x9, [x0]\n"
	"	mov sp, x1\n"
	"	ldp x19, x20, [sp, #0]\n"
	"	ldp x21, x22, [sp, #16]\n"
	"	ldp x23, x24, [sp, #32]\n"
	"	ldp x25, x26, [sp, #48]\n"
	"	ldp x27, x28, [sp, #64]\n"
	"	ldp x29, x30, [sp, #80]\n"
	"	ldp d8, d9, [sp, #96]\n"
	"	ldp d10, d11, [sp, #112]\n"
	"	ldp d12, d13, [sp, #128]\n"
	"	ldp d14, d15, [sp, #144]\n"
	"	add sp, sp, #160\n"
	"	ret\n"
	"	.cfi_endproc\n"
	".size tsim_fiber_switch, .-tsim_fiber_switch\n"
	/* Reached by the first switch's ret, with the fiber in x19. */
	".type tsim_fiber_entry, %function\n"
	".p2align 4\n"
	"tsim_fiber_entry:\n"
	"	.cfi_startproc\n"
	"	.cfi_undefined x30\n"
	"	mov x0, x19\n"
	"	bl tsim_fiber_start\n"
	"	brk #0\n"
	"	.cfi_endproc\n"
	".size tsim_fiber_entry, .-tsim_fiber_entry\n");

#define TSIM_FIBER_FRAME_WORDS 20

static void *initial_frame(struct tsim_fiber *f, uintptr_t top)
{
	uint64_t *w = (uint64_t *) (top & ~(uintptr_t) 15) - TSIM_FIBER_FRAME_WORDS;

	for (int i = 0; i < TSIM_FIBER_FRAME_WORDS; i++)
		w[i] = 0;
	w[0] = (uint64_t) (uintptr_t) f;		      /* x19 */
	w[10] = 0;					      /* x29: ends fp walks */
	w[11] = (uint64_t) (uintptr_t) tsim_fiber_entry_addr; /* x30 */
	return w;
}
#endif

static void raw_switch_to_fiber(struct tsim_fiber *f)
{
	tsim_fiber_switch(&f->caller_sp, f->sp);
}

static void raw_switch_to_caller(struct tsim_fiber *f)
{
	tsim_fiber_switch(&f->sp, f->caller_sp);
}

#else /* ucontext */

static void tsim_fiber_start(struct tsim_fiber *f);

/* makecontext passes int arguments only: the pointer travels in halves */
static void ucontext_entry(unsigned int hi, unsigned int lo)
{
	uintptr_t p = (uintptr_t) (((uint64_t) hi << 32) | lo);

	tsim_fiber_start((struct tsim_fiber *) p);
}

static int ucontext_prepare(struct tsim_fiber *f)
{
	uint64_t p = (uint64_t) (uintptr_t) f;

	if (getcontext(&f->ctx) != 0)
		return -1;
	f->ctx.uc_stack.ss_sp = f->stack_lo;
	f->ctx.uc_stack.ss_size = f->stack_len;
	f->ctx.uc_link = NULL; /* the start function never returns */
	makecontext(&f->ctx, (void (*)(void)) ucontext_entry, 2, (unsigned int) (p >> 32),
		    (unsigned int) p);
	return 0;
}

static void raw_switch_to_fiber(struct tsim_fiber *f)
{
	swapcontext(&f->caller_ctx, &f->ctx);
}

static void raw_switch_to_caller(struct tsim_fiber *f)
{
	swapcontext(&f->ctx, &f->caller_ctx);
}

#endif

/* ---- annotated switches ---- */

/* From the resumer onto the fiber's stack, and back when it yields. */
static void switch_in(struct tsim_fiber *f)
{
#if TSIM_FIBER_ASAN
	void *fake_stack = NULL;

	__sanitizer_start_switch_fiber(&fake_stack, f->stack_lo, f->stack_len);
#endif
#if TSIM_FIBER_TSAN
	/* the resumer may be a different thread (or fiber) every time */
	f->tsan_caller = __tsan_get_current_fiber();
	__tsan_switch_to_fiber(f->tsan_self, 0);
#endif
	raw_switch_to_fiber(f);
#if TSIM_FIBER_ASAN
	__sanitizer_finish_switch_fiber(fake_stack, NULL, NULL);
#endif
}

/* From the fiber back to its resumer; @last: the fiber has finished and its
 * stack will never run again. Returns on the next resume (unless @last). */
static void switch_out(struct tsim_fiber *f, bool last)
{
#if TSIM_FIBER_ASAN
	void *fake_stack = NULL;

	/* a NULL save slot tells ASan to drop the fiber's fake stack */
	__sanitizer_start_switch_fiber(last ? NULL : &fake_stack, f->caller_stack_lo,
				       f->caller_stack_len);
#else
	(void) last;
#endif
#if TSIM_FIBER_TSAN
	__tsan_switch_to_fiber(f->tsan_caller, 0);
#endif
	raw_switch_to_caller(f);
#if TSIM_FIBER_ASAN
	/* arrived from a new resume: remember that resumer's stack */
	__sanitizer_finish_switch_fiber(fake_stack, &f->caller_stack_lo, &f->caller_stack_len);
#endif
}

#if TSIM_FIBER_ASM
void tsim_fiber_start(struct tsim_fiber *f)
#else
static void tsim_fiber_start(struct tsim_fiber *f)
#endif
{
#if TSIM_FIBER_ASAN
	__sanitizer_finish_switch_fiber(NULL, &f->caller_stack_lo, &f->caller_stack_len);
#endif
	f->fn(f, f->arg);
	atomic_store_explicit(&f->done, true, memory_order_release);
	/* resume checks done first, so this switch is the last; the loop only
	 * guarantees the stack is never returned from */
	for (;;)
		switch_out(f, true);
}

/* ---- API ---- */

/* A heap stack's canary must be intact: anything else is a stack overflow,
 * which a guard page would have stopped with a fault. */
static void check_canary(const struct tsim_fiber *f)
{
	uint64_t w[TSIM_FIBER_CANARY / 8], diff = 0;

	if (!f->heap)
		return;
	memcpy(w, f->map, sizeof(w));
	for (size_t i = 0; i < TSIM_FIBER_CANARY / 8; i++)
		diff |= w[i] ^ TSIM_FIBER_CANARY_WORD;
	if (diff) {
		fprintf(stderr, "teesim: fiber stack overflow (stack of %zu bytes at %p)\n",
			f->stack_len, f->stack_lo);
		abort();
	}
}

static void release_stack(struct tsim_fiber *f)
{
	if (f->heap)
		tsim_free(f->m, f->map);
	else
		tsim_munmap(f->m, f->map, f->map_len);
}

struct tsim_fiber *tsim_fiber_new(struct teesim_machine *m, size_t stack_size, tsim_fiber_fn fn,
				  void *arg)
{
	long pg = sysconf(_SC_PAGESIZE);
	size_t page = pg > 0 ? (size_t) pg : 4096;
	struct tsim_fiber *f;
	size_t len;

	if (!fn || stack_size > TSIM_FIBER_MAX_STACK) {
		errno = EINVAL;
		return NULL;
	}
	if (stack_size == 0)
		stack_size = TSIM_FIBER_DEFAULT_STACK;
	len = (stack_size + page - 1) & ~(page - 1);

	f = tsim_calloc(m, 1, sizeof(*f));
	if (!f) {
		errno = ENOMEM;
		return NULL;
	}
	f->m = m;
	f->fn = fn;
	f->arg = arg;
	atomic_init(&f->done, false);
	f->heap = len <= TSIM_FIBER_HEAP_STACK_MAX;
	if (f->heap) {
		f->map_len = len + TSIM_FIBER_CANARY;
		f->map = tsim_malloc(m, f->map_len);
		if (!f->map)
			goto err_free;
		memset(f->map, TSIM_FIBER_CANARY_WORD & 0xff, TSIM_FIBER_CANARY);
		f->stack_lo = (char *) f->map + TSIM_FIBER_CANARY;
	} else {
		f->map_len = len + page;
		f->map = tsim_mmap(m, f->map_len, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_NORESERVE | MAP_STACK);
		if (!f->map)
			goto err_free;
		if (mprotect(f->map, page, PROT_NONE) != 0)
			goto err_unmap;
		f->stack_lo = (char *) f->map + page;
	}
	f->stack_len = len;
#if TSIM_FIBER_ASM
	f->sp = initial_frame(f, (uintptr_t) f->stack_lo + len);
#else
	if (ucontext_prepare(f) != 0)
		goto err_unmap;
#endif
#if TSIM_FIBER_TSAN
	f->tsan_self = __tsan_create_fiber(0);
#endif
#if TSIM_FIBER_VALGRIND
	f->vg_stack_id = VALGRIND_STACK_REGISTER(f->stack_lo, (char *) f->stack_lo + len);
#endif
	return f;

err_unmap:
	release_stack(f);
err_free:
	tsim_free(m, f);
	errno = ENOMEM;
	return NULL;
}

void tsim_fiber_free(struct tsim_fiber *f)
{
	if (!f)
		return;
#if TSIM_FIBER_VALGRIND
	VALGRIND_STACK_DEREGISTER(f->vg_stack_id);
#endif
#if TSIM_FIBER_TSAN
	__tsan_destroy_fiber(f->tsan_self);
#endif
#if TSIM_FIBER_ASAN
	/* frames left on the stack keep their redzones poisoned; clear them
	 * before the pages can come back from another mmap */
	ASAN_UNPOISON_MEMORY_REGION(f->stack_lo, f->stack_len);
#endif
	check_canary(f);
	release_stack(f);
	tsim_free(f->m, f);
}

bool tsim_fiber_resume(struct tsim_fiber *f)
{
	if (atomic_load_explicit(&f->done, memory_order_acquire))
		return true;
	switch_in(f);
	check_canary(f);
	return atomic_load_explicit(&f->done, memory_order_acquire);
}

void tsim_fiber_yield(struct tsim_fiber *self)
{
	switch_out(self, false);
}

bool tsim_fiber_done(const struct tsim_fiber *f)
{
	return atomic_load_explicit(&f->done, memory_order_acquire);
}
