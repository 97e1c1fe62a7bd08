#!/bin/bash -eu
# SPDX-License-Identifier: MIT
# ClusterFuzzLite entry point: the real build is fuzz/oss-fuzz/build.sh.
exec "$SRC/teesim/fuzz/oss-fuzz/build.sh"
