#include "train/warm_start.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "config/yaml_loader.h"
#include "core/error.h"
#include "train/checkpoint.h"

namespace attnlab {

namespace fs = std::filesystem;

namespace {

std::string preview(const std::vector<std::string>& names) {
  if (names.empty()) return "0";
  std::string out = fmt::format("{} ({}", names.size(), names.front());
  if (names.size() > 1) out += names.size() > 2 ? ", ..." : ", " + names.back();
  return out + ")";
}

/// The first data option that changes the tokenizer or the token stream, as "key: 'a' vs 'b'".
std::string data_difference(const data::DataOptions& ours, const data::DataOptions& theirs) {
  auto differ = [](const std::string& key, const auto& a, const auto& b) {
    return a == b ? std::string() : fmt::format("data.{} is '{}' here, '{}' in the checkpoint's run", key, a, b);
  };
  auto task_name = [](const data::DataOptions& o) {
    const cfg::Node* name = o.task.is_null() ? nullptr : o.task.find("name");
    return name && name->is_scalar() ? name->text() : std::string("none (text)");
  };
  std::string d = differ("task.name", task_name(ours), task_name(theirs));
  if (d.empty() && !ours.task.is_null()) return d;  // a task's vocabulary is its own; shapes are checked on loading
  if (d.empty()) d = differ("path", join(ours.path), join(theirs.path));
  if (d.empty() && ours.path.empty()) d = differ("corpus", ours.corpus, theirs.corpus);
  if (d.empty()) d = differ("tokenizer", ours.tokenizer, theirs.tokenizer);
  if (d.empty() && ours.tokenizer == "bpe") d = differ("vocab_size", ours.vocab_size, theirs.vocab_size);
  if (d.empty()) d = differ("train_fraction", ours.train_fraction, theirs.train_fraction);
  return d;
}

}  // namespace

std::string WarmStart::summary() const {
  return fmt::format("loaded {} tensors from {}; new: {}; unused: {}", loaded.size(), checkpoint, preview(fresh),
                     preview(unused));
}

std::string resolve_init_checkpoint(const std::string& init_from) {
  const fs::path path(init_from);
  if (fs::is_directory(path)) {
    const fs::path checkpoint = path / "checkpoint.pt";
    if (!fs::exists(checkpoint)) {
      throw UserError("init_from: " + init_from + " is a directory without checkpoint.pt (not a finished run?)");
    }
    return checkpoint.string();
  }
  if (!fs::exists(path)) throw UserError("init_from: " + init_from + " does not exist (give a run directory or a checkpoint)");
  return path.string();
}

WarmStart warm_start(TransformerLM& model, const std::string& init_from, const data::DataOptions& data, bool copy) {
  WarmStart warm;
  warm.checkpoint = resolve_init_checkpoint(init_from);
  CheckpointReader reader(warm.checkpoint);
  const std::string where = "init_from: checkpoint " + warm.checkpoint;

  const cfg::Node source_config = cfg::parse_yaml(reader.meta().config_yaml, warm.checkpoint + " (config)");
  const cfg::Node* source_data = source_config.find("data");
  const std::string difference =
      data_difference(data, data::DataOptions::from_config(source_data ? *source_data : cfg::Node()));
  if (!difference.empty()) {
    throw UserError(where + ": trained on other data (" + difference +
                    "); fine-tuning needs the same data config, which fixes the tokenizer");
  }

  torch::NoGradGuard no_grad;
  auto take = [&](const std::string& name, torch::Tensor stored, torch::Tensor& target) {
    if (!stored.sizes().equals(target.sizes())) {
      throw UserError(fmt::format("{}: '{}' has shape {}, this model's has {} (another architecture?)", where, name,
                                  c10::str(stored.sizes()), c10::str(target.sizes())));
    }
    if (copy) target.copy_(stored);
    warm.loaded.push_back(name);
  };
  std::set<std::string> ours;
  for (auto& item : model->named_parameters()) {
    ours.insert(item.key());
    torch::Tensor stored = reader.parameter(item.key());
    if (stored.defined()) {
      take(item.key(), stored, item.value());
    } else {
      warm.fresh.push_back(item.key());
    }
  }
  for (auto& item : model->named_buffers()) {
    torch::Tensor stored = reader.buffer(item.key());
    if (stored.defined()) take(item.key(), stored, item.value());
  }
  for (const auto& name : reader.parameter_names()) {
    if (!ours.count(name)) warm.unused.push_back(name);
  }
  if (warm.loaded.empty()) throw UserError(where + ": shares no parameter name with this model");
  return warm;
}

void freeze_all_but_fresh(TransformerLM& model, const WarmStart& warm) {
  if (warm.fresh.empty()) {
    throw UserError("train.trainable: 'new' but init_from (" + warm.checkpoint +
                    ") provides every parameter of this model: nothing would train");
  }
  const std::set<std::string> fresh(warm.fresh.begin(), warm.fresh.end());
  for (auto& item : model->named_parameters()) item.value().set_requires_grad(fresh.count(item.key()) > 0);
}

}  // namespace attnlab
