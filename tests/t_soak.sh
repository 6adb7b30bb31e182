#!/usr/bin/env bash
# The short soak of `make test`: tests/soak.sh for 30 s (demo + replay under
# valgrind, no leaks, no invalid accesses). The same checks as the long one;
# soak.sh speeds the replay up so the whole recording still plays under
# valgrind in the shorter time. `make soak` runs 600 s.
exec bash "$(dirname "$0")/soak.sh" "${SOAK_SECONDS:-30}"
