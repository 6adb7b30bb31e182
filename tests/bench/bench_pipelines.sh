#!/usr/bin/env bash
# CI payload parse cost (engine/ci/gitlab.c, engine/ci/github.c) on the recorded
# GitHub runs page and a 32-job GitLab pipeline.
set -u
cd "$(dirname "$0")/../.."
. tests/bench/build.sh
bench_build bench_pipelines || exit 1
"$B/bench_pipelines" "${BENCH_REPS:-20}"
