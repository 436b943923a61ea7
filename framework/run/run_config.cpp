#include "run/run_config.h"

#include <fmt/format.h>

#include "config/map_reader.h"

namespace attnlab {

RunConfig RunConfig::from_config(const cfg::Node& root) {
  RunConfig c;
  cfg::MapReader r(root, "");
  const cfg::Node empty;
  auto section = [&](const std::string& key) -> const cfg::Node& {
    const cfg::Node* node = r.child(key);
    return node ? *node : empty;
  };
  c.model = ModelOptions::from_config(section("model"));
  const cfg::Node* mixer = r.child("mixer");
  if (!mixer || mixer->is_null()) cfg::fail_at(root.source(), "missing key 'mixer' (choose one with mixer=<name>)");
  c.mixer = *mixer;
  c.hybrid = section("hybrid");
  c.data = data::DataOptions::from_config(section("data"));
  c.train = TrainOptions::from_config(section("train"));
  c.eval = EvalOptions::from_config(section("eval"));
  c.seed = r.integer("seed", c.seed);
  c.device = r.choice("device", c.device, {"auto", "cpu", "cuda"});
  c.threads = r.integer("threads", c.threads);
  c.out_dir = r.string("out_dir", c.out_dir);
  c.init_from = r.optional_string("init_from").value_or("");
  if (const cfg::Node* node = r.child("distributed"); node && !node->is_null()) {
    cfg::MapReader d(*node, "distributed");
    c.distributed.nproc = d.integer("nproc", c.distributed.nproc);
    c.distributed.timeout_s = d.number("timeout_s", c.distributed.timeout_s);
    d.finish();
  }
  r.ignore("launcher");  // how a sweep runs, not what a run does: read by run/sweep_launcher.h
  r.finish();
  auto where = [&](const char* section, const char* key) {
    const cfg::Node* parent = section ? root.find(section) : &root;
    const cfg::Node* node = parent ? parent->find(key) : nullptr;
    return node ? node->source() : root.source();
  };
  if (c.threads < 0) cfg::fail_at(where(nullptr, "threads"), fmt::format("threads: must be >= 0 (0 = one per core), got {}", c.threads));
  if (c.distributed.nproc < 1 || c.distributed.nproc > 1024)
    cfg::fail_at(where("distributed", "nproc"), fmt::format("distributed.nproc: must be 1 to 1024, got {}", c.distributed.nproc));
  if (!(c.distributed.timeout_s > 0))
    cfg::fail_at(where("distributed", "timeout_s"), fmt::format("distributed.timeout_s: must be > 0, got {}", c.distributed.timeout_s));
  if (c.train.batch_size % (c.distributed.nproc * c.train.grad_accum) != 0)
    cfg::fail_at(where("distributed", "nproc"),
                 fmt::format("train.batch_size: {} rows cannot be split into distributed.nproc = {} ranks x train.grad_accum "
                             "= {} micro-batches (the global batch must be a multiple of {})",
                             c.train.batch_size, c.distributed.nproc, c.train.grad_accum,
                             c.distributed.nproc * c.train.grad_accum));
  // ctx is the model's context: Q/K streams, caches and evaluation windows are sized by it.
  if (c.train.seq_len > c.model.ctx)
    cfg::fail_at(where("train", "seq_len"), fmt::format("train.seq_len: {} is longer than model.ctx {} (a model trains on "
                                                        "windows of at most its context; raise model.ctx)",
                                                        c.train.seq_len, c.model.ctx));
  if (c.train.trainable == "new" && c.init_from.empty()) {
    const cfg::Node* train = root.find("train");
    const cfg::Node* key = train ? train->find("trainable") : nullptr;
    cfg::fail_at(key ? key->source() : root.source(),
                 "train.trainable: 'new' trains only what init_from did not provide, but init_from is not set");
  }
  return c;
}

}  // namespace attnlab
