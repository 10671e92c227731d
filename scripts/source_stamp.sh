#!/usr/bin/env bash
# source_stamp.sh — prints one sha256 over the sources that .gpu/java is built from (src/main, native/src,
# native/include, pom.xml), run from the repository root. package_gpu_check.sh stores it in .gpu/java/SOURCE_STAMP;
# gpu_session.sh recomputes it on the GPU machine (which has no git) and refuses a stale package.
set -euo pipefail
find src/main native/src native/include pom.xml -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1
