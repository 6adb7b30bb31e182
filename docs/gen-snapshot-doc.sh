#!/usr/bin/env bash
# Regenerates docs/snapshot.md from the schemas in the code (make docs).
# tests/t_foundation.sh fails when the checked-in page is out of date.
set -eu
lookout="${1:-./lookout}"
cat <<'HEAD'
# Snapshot and record fields

`lookout --once --json` prints one JSON object with the whole state. The
same field names are used by `--record` (one JSON line per change:
`{"t":MS,"op":"upsert"|"remove"|"append","table":NAME,"obj":{...}|"key":KEY}`)
and read back by `lookout replay`. This page is generated from the schemas in
engine/core/model.c (`lookout --schema-doc`); do not edit the tables by hand.

The document is printed whatever happened; the exit status says whether it
can be trusted: 1 when every source of a kind (every CI source, every
Kubernetes context, ...) failed to deliver, named on stderr, else 0. The
copilot's backend and alert webhooks are not counted (Lookout sends to them).
`lookout --run-for S --json` prints the state at the end of its run and exits
the same way; a run stopped early by SIGINT or SIGTERM exits 0.

Top level:

| field | meaning |
|---|---|
| `lookout` | version |
| `time` | engine time of the snapshot, ms since the epoch (simulated in the demo) |
| `simulated` | true when any source is simulated (the demo) |
| one array per table below | rows in insertion order (`summary` is one object) |
| `kevents` | the newest kernel events, oldest first |
| `kevents_total` | kernel events ever received |
| `dropped` | per table: rows refused because the table was at its cap; `kevents_evicted`: events pushed out of the ring |

Times are milliseconds since the Unix epoch (0: not yet). Numbers that have
no value (no traffic, no data) are `null`, never 0 or 100%. Strings marked
untrusted come from outside (kernel, cluster, CI, LLM) and are kept raw here:
JSON escapes them; the screen sanitises them. Every string field has a fixed
capacity and longer values are cut.

What Lookout cannot know is said, never shown as 0 or "ok": a source that
never delivered is `failed` (`stale` means it did and its rows are old);
`summary.cluster` says whether the node and pod counts are known (else they
are `null`); `summary.sources_not_reporting` counts the sources whose data
is not current, so an empty table or `open_incidents: 0` beside a non-zero
count is blindness, not quiet; an SLO with no data has `alert: nodata`,
`gate: unknown` and `exhaustion_ms` -2; kernel rates are `null` until a
whole second was measured.
HEAD
"$lookout" --schema-doc
