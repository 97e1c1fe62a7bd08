#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Write the hand-made seeds of the fuzz corpora (fuzz/corpus/fuzz-<name>/).

Each seed is a small, valid program in the target's byte code that reaches a
deep path (a session opened and used, a list registered and used, an RPC
served, a supplicant round trip ...); the fuzzer mutates from there. The
encoders below follow the parse order of the targets' C code.

    fuzz/gen-corpus.py            # rewrite the generated seeds in place
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def be32(v):
    return struct.pack('>I', v & 0xffffffff)


def be64(v):
    return struct.pack('>Q', v & 0xffffffffffffffff)


# ---------------------------------------------------------------- secure-world
# op numbers (op % 10)
SW_FAST, SW_MSG, SW_RESUME, SW_WRITE, SW_LIST, SW_REGISTER, SW_INTR, SW_CLOCK, SW_UNREG = \
    0, 1, 3, 4, 5, 6, 7, 8, 9
# attrs[] indexes in fuzz-secure-world.c
A_NONE, A_VIN, A_VOUT, A_VINOUT, A_RIN, A_ROUT, A_RINOUT, A_TIN, A_TOUT, A_TINOUT, \
    A_NCIN, A_NCOUT, A_NCINOUT, A_META = range(14)
TA_MEM, TA_RPC, TA_WAIT, TA_PANIC, TA_LOAD = 1, 2, 3, 4, 5


def gw_small(v):
    return bytes([0, v])


def gw32(v):
    return bytes([2]) + be32(v)


def p_value(a=0, b=0, c=0, attr=A_VIN):
    return bytes([attr]) + gw32(a) + gw32(b) + gw32(c)


def p_noncontig(attr, size, off=0):
    # buf_ptr: list page | offset; size: gen_word (u32); shm_ref index
    return bytes([attr, 1, off]) + bytes([0]) + gw32(size) + bytes([0])


def p_pool(attr, size, off64=0):
    return bytes([attr, 1, off64]) + bytes([0]) + gw32(size) + bytes([1])


def p_rmem(attr, offs, size, cookie_sel=0x40):
    return bytes([attr, 0]) + gw32(offs) + bytes([0]) + gw32(size) + bytes([cookie_sel])


def sw_msg(cmd, params=(), how=0x20, arg=0, func=0, sess=0, cancel=0, ta=None, login=0):
    """A message on arena page 0 (arg 0) or the pool (arg 3), driven (how 0x20).

    ta: a well-formed OPEN_SESSION of that built-in TA; how & 0x10 with cmd 4:
    a well-formed REGISTER_SHM of the last list (offset 0, cookie 0)."""
    if ta is not None:
        how |= 0x10
    out = bytes([SW_MSG, how, cmd, arg, len(params), func, sess, cancel])
    for p in params:
        out += p
    if ta is not None:
        out += bytes([ta - 1, login])
    elif cmd == 4 and how & 0x10:
        out += bytes([0, 0])
    return out


def sw_open(ta, extra=()):
    return sw_msg(0, [p_value(attr=A_NONE), p_value(attr=A_NONE)] + list(extra), ta=ta)


def sw_cfg(gen=2, threads=2, shuffle=False, pool=True, unreg=0, nodyn=False, rpc_arg=False,
           small_lists=False):
    c0 = gen % 3 | ((threads - 1) << 2) | (0x40 if shuffle else 0)
    c1 = (1 if pool else 0) | (unreg << 2) | (0x10 if nodyn else 0) | \
        (0x20 if rpc_arg else 0) | (0x40 if small_lists else 0)
    return bytes([c0, c1, 7])


def sw_list(count_idx, first=1, stride=1, hostile=False):
    return bytes([SW_LIST, count_idx | (0x40 if hostile else 0), first, stride])


def sw_seeds():
    s = {}
    close = sw_msg(2)  # CLOSE_SESSION of the first session
    s['mem-read-noncontig'] = sw_cfg() + sw_list(3) + sw_open(TA_MEM) + \
        sw_msg(1, [p_noncontig(A_NCIN, 3 * 4096 - 8, 8), p_value(attr=A_VOUT)], func=1) + close
    s['mem-write-pool'] = sw_cfg() + sw_open(TA_MEM) + \
        sw_msg(1, [p_pool(A_TOUT, 256, 2), p_value(7)], func=2) + close
    s['register-rmem-unregister'] = sw_cfg() + bytes([SW_REGISTER, 2, 0x10, 3, 1, 0]) + \
        sw_open(TA_MEM) + \
        sw_msg(1, [p_rmem(A_RIN, 16, 4000), p_value(attr=A_VOUT)], func=1) + close + \
        bytes([SW_UNREG, 0x40])
    s['register-511-512-513'] = sw_cfg(small_lists=False) + \
        bytes([SW_REGISTER, 5, 0, 2, 1, 0]) + sw_list(6) + \
        sw_msg(4, [p_noncontig(A_NCOUT, 512 * 4096)], how=0x30) + sw_list(7) + \
        sw_msg(4, [p_noncontig(A_NCOUT, 513 * 4096)], how=0x30)
    s['rpc-shm-alloc'] = sw_cfg() + sw_open(TA_RPC) + \
        sw_msg(1, [p_value(attr=A_VOUT), p_value(1, 8000)], func=5) + close
    s['rpc-time-suspend-wait'] = sw_cfg() + sw_open(TA_RPC) + \
        sw_msg(1, [p_value(attr=A_VOUT)], func=0) + \
        sw_msg(1, [p_value(attr=A_VOUT), p_value(5)], func=1) + \
        sw_msg(1, [p_value(attr=A_VOUT), p_value(9)], func=3) + close
    s['rpc-pending-garbage-resume'] = sw_cfg(threads=3) + sw_open(TA_RPC) + \
        sw_msg(1, [p_value(attr=A_VOUT)], how=0, func=0) + \
        bytes([SW_RESUME, 0x00]) + bytes([0] * 24) + bytes([SW_RESUME, 0x60])
    s['wait-cancel-intr'] = sw_cfg(threads=2) + bytes([SW_INTR, 2]) + sw_open(TA_WAIT) + \
        sw_msg(1, [p_value(50)], how=0, func=0, cancel=9) + \
        sw_msg(3, [], cancel=9) + bytes([SW_CLOCK, 200, SW_RESUME, 0x60])
    # a close while a call sleeps in the session: the close waits on a wait queue
    s['close-waits-for-call'] = sw_cfg(threads=3) + sw_open(TA_WAIT) + \
        sw_msg(1, [p_value(50)], how=0, func=0) + sw_msg(2) + \
        bytes([SW_CLOCK, 200, SW_RESUME, 0x60])
    s['panic-then-close'] = sw_cfg() + sw_open(TA_PANIC) + sw_msg(1, [], func=1) + \
        sw_msg(1, [], func=0) + close
    s['load-ta'] = sw_cfg() + sw_open(TA_LOAD)
    s['fast-calls'] = sw_cfg() + b''.join(bytes([SW_FAST, i] + [0] * 7) for i in range(17))
    s['rpc-arg-call'] = sw_cfg(rpc_arg=True) + sw_open(TA_RPC) + \
        sw_msg(1, [p_value(attr=A_VOUT)], how=0x26, func=0) + close
    s['gen30-unregister-in-use'] = sw_cfg(gen=0, unreg=1) + \
        bytes([SW_REGISTER, 1, 0, 4, 1, 0]) + sw_open(TA_RPC) + \
        sw_msg(1, [p_value(attr=A_VOUT), p_value(5)], how=0, func=1) + \
        bytes([SW_UNREG, 0x40, SW_RESUME, 0x60])
    s['gen33-unregister-wait'] = sw_cfg(gen=1, unreg=2, threads=3) + \
        bytes([SW_REGISTER, 1, 0, 4, 1, 0]) + sw_open(TA_MEM) + sw_open(TA_WAIT) + \
        sw_msg(1, [p_value(20), p_rmem(A_RIN, 0, 100)], how=0, func=0, sess=1) + \
        bytes([SW_UNREG, 0x40, SW_RESUME, 0x60])
    s['hostile-list'] = sw_cfg() + sw_list(8, hostile=True) + bytes([0] * 16) + \
        sw_open(TA_MEM) + sw_msg(1, [p_noncontig(A_NCIN, 513 * 4096)], func=1)
    s['no-dynamic-shm-pool-args'] = sw_cfg(nodyn=True) + \
        sw_msg(0, [p_value(attr=A_NONE), p_value(attr=A_NONE)], arg=3, ta=TA_MEM, how=0x20)
    return s


# -------------------------------------------------------------------- pagelist
def pagelist_seeds():
    # flags: 1 shuffle, 2/4 register (4: and RMEM), 8 scatter, 0x40 small limit
    s = {}
    s['register-1page'] = bytes([0x02, 0, 0, 0, 0, 0])
    s['register-511-identity'] = bytes([0x02, 5, 0, 0, 1, 0])
    s['register-512-offset'] = bytes([0x02, 6, 0x0a, 0x08, 0, 0])
    s['register-513-shuffled'] = bytes([0x03, 7, 0, 0x10, 3, 7])
    s['tmem-1022-shuffled'] = bytes([0x01, 9, 0, 0, 1, 9])
    s['tmem-1023-offset'] = bytes([0x00, 10, 0x0f, 0xf8, 1, 0])
    s['both-1024-scattered'] = bytes([0x0f, 11, 0, 0x40, 0, 3] +
                                     [1, 2, 3, 4, 5, 6, 7, 8, 200, 9, 100, 50])
    s['over-limit-1025'] = bytes([0x46, 12, 0, 0, 0, 0])
    s['rmem-510-scattered'] = bytes([0x0d, 4, 1, 0, 1, 1, 9, 8, 7, 6, 5, 4, 3, 2])
    return s


# ------------------------------------------------------------------------ uapi
U_OPEN, U_CLOSE, U_IOCTL, U_MMAP, U_EXIT = 0, 1, 2, 5, 7
IO_VERSION, IO_SHM_ALLOC, IO_SHM_REGISTER, IO_OPEN, IO_INVOKE, IO_CANCEL, IO_CLOSE, \
    IO_RECV, IO_SEND, IO_RAW = range(10)


def u_open(path=0, proc=0):
    return bytes([U_OPEN | proc << 7, path, 2])


def u_ioctl(kind, slot=0, proc=0):
    return bytes([U_IOCTL | proc << 7, kind, slot])


def up_value(a=0, attr=1):
    return bytes([attr]) + be32(a) + be32(0) + be32(0)


def up_memref(attr=5, offs=0, size=64, idsel=0x02):
    # attr index 4..6 (MEMREF_*), offset byte * 8, size byte << shift, shm id of an fd
    return bytes([attr, offs, size, 0, idsel])


def u_buf(n, fields, params, tail=bytes([0, 0, 0, 1])):
    # b (n params), fields, params, pick_ptr, buf_len byte (<0x80: exact), adjust, ioctl ptr
    return bytes([n]) + fields + b''.join(params) + tail


def uapi_seeds():
    s = {}
    base = bytes([0x01])  # reg_mem
    alloc = u_ioctl(IO_SHM_ALLOC, 0) + bytes([0, 1, 12]) + be32(0) + bytes([0])
    open_sess = u_ioctl(IO_OPEN, 0) + u_buf(1, bytes([0x12, 0, 0, 0]), [up_value()])
    mmap = bytes([U_MMAP, 0, 1, 0, 3, 0])  # map slot 0: the shm fd in slot 1, a page, rw
    s['version-alloc-mmap-close'] = base + u_open() + u_ioctl(IO_VERSION, 0) + bytes([0]) + \
        alloc + mmap + bytes([U_MMAP, 0]) + bytes([U_CLOSE, 1]) + bytes([U_CLOSE, 0])
    s['register-open-invoke-close'] = base + u_open() + \
        u_ioctl(IO_SHM_REGISTER, 0) + bytes([0, 4, 40]) + bytes([0]) + open_sess + \
        u_ioctl(IO_INVOKE, 0) + u_buf(2, bytes([1, 0, 0, 0]),
                                      [up_memref(5, 0, 32), up_value(attr=2)]) + \
        u_ioctl(IO_CLOSE, 0) + bytes([0])
    s['supplicant-recv-send'] = base + u_open(1) + \
        u_ioctl(IO_RECV, 0) + bytes([1, 1, 5, 1, 3]) + u_buf(2, b'', [up_value(attr=7),
                                                                    up_value(attr=0)]) + \
        u_ioctl(IO_SEND, 0) + u_buf(2, bytes([1]), [up_value(1, attr=7), up_value(attr=3)])
    s['two-procs-exit-open'] = base + u_open() + u_open(0, 1) + alloc + mmap + \
        bytes([U_EXIT | 0x70]) + bytes([U_EXIT | 0x70 | 0x80])
    s['raw-ioctls'] = base + u_open() + b''.join(
        u_ioctl(IO_RAW, 0) + bytes([1, k]) + bytes([0] * 32) + bytes([0])
        for k in range(0, 12))
    s['kmem-pool-memref-null'] = bytes([0x06]) + u_open() + alloc + \
        u_ioctl(IO_OPEN, 0) + u_buf(2, bytes([0x12, 0, 0, 0]),
                                   [up_memref(6, 0, 0, 0x10 | 0x02), up_memref(4, 0, 8)])
    return s


# ------------------------------------------------------------------ supplicant
FS, LOAD_TA, PLUGIN = 0, 3, 4  # funcs[] indexes


def val0(sub, fd=0, c=0):
    return bytes([1, sub, fd, c])  # value in: FS sub-operation, fd / handle, small c


def mref(attr, k, size, name):
    return bytes([attr, k, size, name])  # memref over buffer k, filled with names[name]


def vout():
    return bytes([2, 0, 0, 0])


def req(func, params):
    return bytes([func, len(params)]) + b''.join(params)


def supplicant_seeds():
    s = {}
    hdr = bytes([0, 0])  # no TA image, default limits
    s['fs-create-write-read-remove'] = hdr + \
        req(FS, [val0(1), mref(5, 0, 8, 1), vout()]) + \
        req(FS, [val0(4, 0, 0), mref(5, 1, 16, 3)]) + \
        req(FS, [val0(3, 0, 0), mref(6, 2, 16, 3)]) + \
        req(FS, [val0(2, 0)]) + \
        req(FS, [val0(8), mref(5, 0, 4, 0), vout()]) + \
        req(FS, [val0(10, 0), mref(6, 2, 64, 3)]) + \
        req(FS, [val0(9, 0)]) + \
        req(FS, [val0(6), mref(5, 0, 8, 1)])
    s['fs-rename-truncate'] = hdr + \
        req(FS, [val0(1), mref(5, 0, 9, 3), vout()]) + \
        req(FS, [val0(5, 0, 100)]) + \
        req(FS, [val0(7, 1), mref(5, 0, 9, 3), mref(5, 1, 2, 4)]) + \
        req(FS, [val0(0), mref(5, 1, 2, 4), vout()])
    s['load-ta'] = bytes([1, 3, 9, 9, 9, 9, 0]) + req(LOAD_TA, [bytes([1]), mref(6, 0, 200, 0xc1)])
    s['plugin'] = hdr + req(PLUGIN, [bytes([1]), bytes([1, 5]), bytes([1, 3, 0, 0]),
                                     bytes([7, 0, 32, 0xe0, 4, 1, 2, 3, 4])])
    s['knobs'] = hdr + bytes([0xf0, 2, 0x05, 0xf1, 1, FS, 0, 0xf1, 2, FS, 0, 0xf1, 0])
    return s


# ------------------------------------------------------------------ optee-uapi
# fuzz-uapi's program against the whole stack; the configuration byte is
# fuzz-optee-uapi.c's (bits 0-1 OP-TEE generation, 0x04 the v4.16 driver,
# 0x08 no dynamic shm, 0x10 the program plays the supplicant, 0x20 one
# secure thread, 0x40 no RPC_ARG, 0x80 no shm cache); the OPEN_SESSION UUID
# byte picks a built-in TA (mem, rpc, wait, panic, load).
TA_IDX_MEM, TA_IDX_RPC, TA_IDX_WAIT, TA_IDX_PANIC, TA_IDX_LOAD = range(5)


def ou_open_sess(ta, params=()):
    return u_ioctl(IO_OPEN, 0) + u_buf(len(params), bytes([ta, 0, 0, 0]), list(params))


def ou_invoke(func, params=(), slot=0):
    return u_ioctl(IO_INVOKE, 0) + u_buf(len(params), bytes([func, 0, slot, 0]), list(params))


def ou_value(a=0, b=0, attr=1):
    return bytes([attr]) + be32(a) + be32(b) + be32(0)


def optee_uapi_seeds():
    s = {}
    reg = u_ioctl(IO_SHM_REGISTER, 0) + bytes([0, 4, 40]) + bytes([0])
    s['mem-ta-registered-read-write'] = bytes([0x00]) + u_open() + reg + \
        ou_open_sess(TA_IDX_MEM) + \
        ou_invoke(1, [up_memref(4, 0, 32), ou_value(attr=2)]) + \
        ou_invoke(2, [up_memref(5, 1, 16), ou_value(7)]) + u_ioctl(IO_CLOSE, 0) + bytes([0])
    s['rpc-ta-time-suspend-shm-alloc'] = bytes([0x00]) + u_open() + \
        ou_open_sess(TA_IDX_RPC) + ou_invoke(0, [ou_value(attr=2)]) + \
        ou_invoke(1, [ou_value(attr=2), ou_value(3)]) + \
        ou_invoke(5, [ou_value(attr=2), ou_value(1, 8000)]) + \
        ou_invoke(5, [ou_value(attr=2), ou_value(0, 5000)]) + \
        ou_invoke(3, [ou_value(attr=2), ou_value(9)]) + ou_invoke(2, [ou_value(attr=2), ou_value(9)])
    s['load-ta-through-supplicant'] = bytes([0x00]) + u_open() + ou_open_sess(TA_IDX_LOAD) + \
        ou_invoke(0)
    s['wait-ta-foreign-intr'] = bytes([0x20]) + u_open() + bytes([U_EXIT, 0]) + \
        ou_open_sess(TA_IDX_WAIT) + ou_invoke(0, [ou_value(30)]) + \
        u_ioctl(IO_CANCEL, 0) + bytes([0, 0])
    # caught the checker counting only live sessions (a panicked TA's session stays, dead)
    s['regress-panic-dead-session-checker'] = bytes([0x01]) + u_open() + ou_open_sess(TA_IDX_PANIC) + \
        ou_invoke(1) + ou_invoke(0)
    # v4.16 over the static pool: an SHM_ALLOC buffer, mapped, handed as TMEM
    s['v416-pool-memref'] = bytes([0x06]) + u_open() + \
        u_ioctl(IO_SHM_ALLOC, 0) + bytes([0, 1, 12]) + be32(0) + bytes([0]) + \
        bytes([U_MMAP, 0, 1, 0, 0, 3, 0]) + ou_open_sess(TA_IDX_MEM) + \
        ou_invoke(3, [up_memref(5, 0, 64), ou_value(0x5a)])
    # caught the checker missing the page pool's registrations of supplicant buffers
    s['regress-supplicant-pool-shm-registered'] = bytes([0x10]) + u_open(1) + \
        u_ioctl(IO_SHM_ALLOC, 0) + bytes([0, 1, 12]) + be32(0) + bytes([0]) + \
        u_ioctl(IO_VERSION, 0) + bytes([0])
    # the program is the supplicant: its /dev/teepriv0 takes the LOAD_TA requests
    s['program-as-supplicant'] = bytes([0x10]) + u_open(1) + u_open() + \
        u_ioctl(IO_OPEN, 1) + u_buf(0, bytes([TA_IDX_LOAD, 0, 0, 0]), []) + bytes([1]) + \
        u_buf(3, b'', [ou_value(attr=7), ou_value(attr=0), ou_value(attr=0)]) + \
        u_buf(3, bytes([1]), [ou_value(1, attr=7), ou_value(attr=3), ou_value(attr=0)])
    return s


# ------------------------------------------------------------------ driver-rpc
# The script's bytes come in the order the driver makes its SMCs; see
# fuzz-driver-rpc.c. Probe of the later driver (RPC_ARG): UID, REVISION,
# OS_REVISION, EXCHANGE_CAPABILITIES, DISABLE_SHM_CACHE; v4.16 with the shm
# cache: UID, REVISION, OS_REVISION, EXCHANGE_CAPABILITIES, GET_SHM_CONFIG,
# ENABLE_SHM_CACHE.
DR_PROBE = bytes(5)
DR_PROBE_V416 = bytes(6)
DR_OPEN, DR_CLOSE, DR_ALLOC, DR_REG, DR_OPEN_SESS, DR_INVOKE, DR_CANCEL, DR_CLOSE_SESS = \
    0, 1, 2, 3, 4, 5, 7, 8
DR_END = 0xff  # the client stops; the rest answers the teardown (remove's DISABLE_SHM_CACHE)
# build_cmd's command table indexes
DC_TIME, DC_WQ, DC_SUSPEND, DC_SHM_ALLOC, DC_SHM_FREE, DC_LOAD_TA, DC_FS = range(7)


def dr_call(*steps, start=0, end=0):
    """One yielding call: the byte that lets a thread take it, the thread's
    steps (each an RPC and what it needs), 0 to complete, the answer byte."""
    return bytes([start]) + b''.join(steps) + bytes([0, end])


def dr_cmd(idx, body=b'', hostile=0):
    return bytes([4, idx]) + body + bytes([hostile])


def dr_val(kind, a=0):
    # a value param of gen_params: kind 1..3 (in, out, inout), a, b (4 bytes)
    return bytes([kind, a]) + be32(0)


def dr_invoke(sess=0, func=0, params=()):
    return bytes([DR_INVOKE, 0, sess, func, 0, len(params)]) + b''.join(params)


def driver_rpc_seeds():
    s = {}
    opened = DR_PROBE + bytes([DR_OPEN_SESS, 0, 0, 0, 0]) + dr_call()
    s['session-invoke-time-close'] = bytes([0, 0]) + opened + \
        dr_invoke(0, 1, [dr_val(2)]) + dr_call(dr_cmd(DC_TIME)) + \
        bytes([DR_CLOSE_SESS, 0, 0]) + dr_call()
    s['shm-alloc-kernel-freed'] = bytes([0, 0]) + opened + dr_invoke() + \
        dr_call(dr_cmd(DC_SHM_ALLOC, bytes([0x22])), dr_cmd(DC_SUSPEND, bytes([5])))
    # SHM_ALLOC of APPL memory through the supplicant, LOAD_TA into it, freed at the end
    s['appl-alloc-load-ta'] = bytes([0, 0]) + opened + dr_invoke() + \
        dr_call(dr_cmd(DC_SHM_ALLOC, bytes([0x23])),
                dr_cmd(DC_LOAD_TA, bytes(16) + bytes([0x00, 0x00, 0x10])))
    s['fs-over-appl-buffer'] = bytes([0, 0]) + opened + dr_invoke() + \
        dr_call(dr_cmd(DC_SHM_ALLOC, bytes([0x21])),
                dr_cmd(DC_FS, bytes([1, 0, 0, 0, 0x00, 0x00, 0x08, 0])))
    s['wait-queue-wake-then-sleep'] = bytes([0, 0]) + opened + dr_invoke() + \
        dr_call(dr_cmd(DC_WQ, bytes([1, 1])), dr_cmd(DC_WQ, bytes([0, 1])))
    # ETHREAD_LIMIT with nothing else in flight: the call ends COMMUNICATION
    s['ethread-limit-then-ok'] = bytes([0, 0]) + opened + dr_invoke() + bytes([0xff]) + \
        dr_invoke() + dr_call(bytes([3]))
    # v4.16: the RPC argument comes from RPC_ALLOC, is cached, and is handed
    # back by DISABLE_SHM_CACHE at remove, after a cookie that names nothing
    s['v416-rpc-alloc-cached'] = bytes([0x01, 0]) + DR_PROBE_V416 + \
        bytes([DR_OPEN_SESS, 0, 0, 0, 0]) + dr_call(bytes([4]), dr_cmd(DC_TIME)) + \
        bytes([DR_CLOSE, 0, 0]) + dr_call() + bytes([DR_END, 0xc1]) + bytes(8)
    s['probe-garbage-shm-config'] = bytes([0x01, 0x02]) + bytes([0, 0, 0, 0, 2]) + \
        be32(0x3fff0000) + be32(0x100000)
    s['rpc-garbage-and-free-unknown'] = bytes([0, 0]) + opened + dr_invoke() + \
        dr_call(bytes([6, 4]), bytes([2 | 0x10]) + be64(0x1234), bytes([1, 40]),
                bytes([0x30]) + bytes([0x80, 0x80 | 0x40]), end=0xc9) + bytes([0x5a, 1]) + \
        be64(7) + bytes([0])
    # no RPC_ARG: an RPC_CMD whose cookie names an APPL buffer the supplicant
    # registered (no kernel mapping) must be refused, not read at address 0
    s['regress-rpc-cmd-in-registered-appl-shm'] = bytes([0x04, 0]) + bytes(6) + \
        bytes([DR_OPEN_SESS, 0, 0, 0, 0]) + dr_call() + dr_invoke() + \
        dr_call(bytes([4]), dr_cmd(DC_SHM_ALLOC, bytes([0x21])), bytes([0x14, 1, 0, 0]))
    return s


def write(target, seeds):
    d = os.path.join(HERE, 'corpus', 'fuzz-' + target)
    os.makedirs(d, exist_ok=True)
    for name, data in seeds.items():
        with open(os.path.join(d, name), 'wb') as f:
            f.write(data)


if __name__ == '__main__':
    write('secure-world', sw_seeds())
    write('pagelist', pagelist_seeds())
    write('uapi', uapi_seeds())
    write('supplicant', supplicant_seeds())
    write('driver-rpc', driver_rpc_seeds())
    write('optee-uapi', optee_uapi_seeds())
