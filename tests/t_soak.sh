#!/usr/bin/env bash
# The short soak of `make test`: tests/soak.sh for 60 s (demo + replay under
# valgrind, no leaks, no invalid accesses). `make soak` runs the 600 s one.
exec bash "$(dirname "$0")/soak.sh" 60
