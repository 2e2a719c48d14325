#pragma once

// base.yaml under a DAG (§2.7). A field the DAG writes wins, even an explicit `false` or `0`
// (the draft records which keys were written, so "unset" and "zero" differ). `env` and
// `dotenv` are concatenated base first, so DAG entries win when evaluated in order.
// `otel.headers` and `otel.resource` merge key by key; every other `otel` field merges on its
// own. `name` and `steps` are never inherited.

#include "dag/dag_parser.h"

namespace weft::dag {

// `with_handlers`: base handler_on applies to root runs only, so a child run (and every local
// DAG, which only runs as a child) is merged without them. A DAG's own handler wins per
// handler (base `failure` + DAG `exit` gives both).
void MergeBase(const DagDraft& base, bool with_handlers, DagDraft& dag);

// `from` under `to`, field by field (headers and resource key by key); what `to` sets wins.
// Also how a child run takes its parent's tracing settings (§4, §5.1).
void MergeOtel(const OtelConfig& from, OtelConfig& to);

}  // namespace weft::dag
