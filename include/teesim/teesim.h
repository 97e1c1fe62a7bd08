/* SPDX-License-Identifier: MIT */
/**
 * @file teesim/teesim.h
 * @brief Everything teesim offers, in one include.
 */
#ifndef TEESIM_TEESIM_H
#define TEESIM_TEESIM_H

#include <teesim/common.h>
#include <teesim/machine.h>
#include <teesim/guest.h>
#include <teesim/process.h>
#include <teesim/clock.h>
#include <teesim/smc.h>
#include <teesim/tee.h>
#include <teesim/optee_abi.h>
#include <teesim/secure_world.h>
#include <teesim/ta.h>
#include <teesim/supplicant.h>
#include <teesim/mediator.h>
#include <teesim/optee.h>
#include <teesim/fault.h>
#include <teesim/check.h>

#endif /* TEESIM_TEESIM_H */
