#include "dag/base_merge.h"

#include <string_view>

namespace weft::dag {
namespace {

// DAG-level fields taken whole from base.yaml when the DAG does not write them.
struct InheritedField {
  std::string_view key;
  void (*copy)(const Dag& from, Dag& to);
};

constexpr InheritedField kInheritedFields[] = {
    {"description", [](const Dag& from, Dag& to) { to.description = from.description; }},
    {"params", [](const Dag& from, Dag& to) { to.params = from.params; }},
    {"max_active_steps",
     [](const Dag& from, Dag& to) { to.max_active_steps = from.max_active_steps; }},
    {"timeout_sec", [](const Dag& from, Dag& to) { to.timeout_sec = from.timeout_sec; }},
    {"delay_sec", [](const Dag& from, Dag& to) { to.delay_sec = from.delay_sec; }},
    {"shell", [](const Dag& from, Dag& to) { to.shell = from.shell; }},
    {"working_dir", [](const Dag& from, Dag& to) { to.working_dir = from.working_dir; }},
    {"log_dir", [](const Dag& from, Dag& to) { to.log_dir = from.log_dir; }},
    {"preconditions", [](const Dag& from, Dag& to) { to.preconditions = from.preconditions; }},
    {"max_output_size",
     [](const Dag& from, Dag& to) { to.max_output_size = from.max_output_size; }},
    {"max_clean_up_time_sec",
     [](const Dag& from, Dag& to) { to.max_clean_up_time_sec = from.max_clean_up_time_sec; }},
    {"hist_retention_days",
     [](const Dag& from, Dag& to) { to.hist_retention_days = from.hist_retention_days; }},
    {"labels", [](const Dag& from, Dag& to) { to.labels = from.labels; }},
    {"group", [](const Dag& from, Dag& to) { to.group = from.group; }},
    {"schedule", [](const Dag& from, Dag& to) { to.schedule = from.schedule; }},
    {"secrets", [](const Dag& from, Dag& to) { to.secrets = from.secrets; }},
};

template <typename T>
void Inherit(const std::optional<T>& from, std::optional<T>& to) {
  if (!to && from) to = from;
}

template <typename Map>
void InheritKeys(const Map& from, Map& to) {
  // std::map::insert keeps the DAG's value for a key both have.
  to.insert(from.begin(), from.end());
}

void MergeHandlers(const HandlerOn& from, HandlerOn& to) {
  Inherit(from.init, to.init);
  Inherit(from.success, to.success);
  Inherit(from.failure, to.failure);
  Inherit(from.abort, to.abort);
  Inherit(from.exit, to.exit);
}

template <typename T>
void Prepend(const std::vector<T>& from, std::vector<T>& to) {
  to.insert(to.begin(), from.begin(), from.end());
}

}  // namespace

void MergeOtel(const OtelConfig& from, OtelConfig& to) {
  Inherit(from.enabled, to.enabled);
  Inherit(from.endpoint, to.endpoint);
  Inherit(from.insecure, to.insecure);
  Inherit(from.timeout, to.timeout);
  Inherit(from.protocol, to.protocol);
  Inherit(from.compression, to.compression);
  Inherit(from.certificate, to.certificate);
  Inherit(from.client_certificate, to.client_certificate);
  Inherit(from.client_key, to.client_key);
  Inherit(from.sampler, to.sampler);
  Inherit(from.propagate_exporter_env, to.propagate_exporter_env);
  InheritKeys(from.headers, to.headers);
  InheritKeys(from.resource, to.resource);
}

void MergeBase(const DagDraft& base, bool with_handlers, DagDraft& dag) {
  for (const InheritedField& field : kInheritedFields) {
    if (base.Sets(field.key) && !dag.Sets(field.key)) {
      field.copy(base.dag, dag.dag);
      dag.keys.push_back(field.key);
    }
  }
  if (!dag.declared_type) dag.declared_type = base.declared_type;
  Prepend(base.dag.env, dag.dag.env);
  Prepend(base.dag.dotenv, dag.dag.dotenv);
  MergeOtel(base.dag.otel, dag.dag.otel);
  if (with_handlers) MergeHandlers(base.dag.handler_on, dag.dag.handler_on);
}

}  // namespace weft::dag
