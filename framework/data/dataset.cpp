#include "data/dataset.h"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

#include "config/map_reader.h"
#include "core/error.h"
#include "data/ar_hits.h"
#include "data/batcher.h"

namespace attnlab::data {

namespace {

class TextDataset : public Dataset {
 public:
  explicit TextDataset(const TokenData& tokens) : tokens_(tokens) {}
  int64_t vocab_size() const override { return tokens_.tokenizer ? tokens_.tokenizer->vocab_size() : 0; }
  int64_t fixed_seq_len() const override { return 0; }
  std::pair<torch::Tensor, torch::Tensor> train_batch(int64_t batch, int64_t seq_len, uint64_t seed,
                                                      int64_t step) const override {
    return sample_batch(tokens_.train, batch, seq_len, seed, step);
  }
  EvalSet eval_set(int64_t seq_len, int64_t max_windows) const override {
    EvalSet set;
    std::tie(set.x, set.y) = validation_windows(tokens_.val, seq_len, max_windows);
    set.ar_hits = ar_hit_mask(set.x, set.y);
    set.chars_per_token = static_cast<double>(tokens_.val_chars) / static_cast<double>(tokens_.val.size());
    return set;
  }
  std::vector<int64_t> train_prefix(int64_t n) const override {
    if (static_cast<int64_t>(tokens_.train.size()) < n)
      throw UserError(fmt::format("a fixed Q/K stream needs {} training tokens, the train split has {}", n, tokens_.train.size()));
    std::vector<int64_t> prefix(static_cast<size_t>(n));
    tokens_.train.read(0, n, prefix.data());
    return prefix;
  }
  std::string summary() const override {
    return fmt::format("{} tokens train, {} val, tokenizer {} (vocab {})", tokens_.train.size(), tokens_.val.size(),
                       tokens_.tokenizer ? tokens_.tokenizer->name() : "none", vocab_size());
  }

 private:
  const TokenData& tokens_;
};

const std::vector<std::string> kCommonKeys = {"name", "seed", "loss", "train_examples", "test_examples"};

uint64_t example_hash(const TaskExample& e) {
  uint64_t h = 1469598103934665603ULL;
  auto mix = [&](int32_t v) { h = (h ^ static_cast<uint32_t>(v)) * 1099511628211ULL; };
  for (int32_t v : e.inputs) mix(v);
  mix(-7);
  for (int32_t v : e.labels) mix(v);
  return h;
}

/// A task that breaks its contract is a bug in the task, not bad input.
void check_example(const Task& task, const TaskExample& e) {
  const auto L = static_cast<size_t>(task.seq_len());
  const int64_t V = task.vocab_size(), n_slices = static_cast<int64_t>(task.slice_names().size());
  if (e.inputs.size() != L || e.labels.size() != L || (!e.slices.empty() && e.slices.size() != L))
    throw std::logic_error(fmt::format("task example of the wrong length: {} inputs, {} labels, L = {}", e.inputs.size(),
                                       e.labels.size(), L));
  for (size_t t = 0; t < L; ++t) {
    if (e.inputs[t] < 0 || e.inputs[t] >= V) throw std::logic_error(fmt::format("task input {} out of [0, {})", e.inputs[t], V));
    const bool scored = e.labels[t] != kIgnore;
    if (scored && (e.labels[t] < 0 || e.labels[t] >= V)) throw std::logic_error(fmt::format("task label {} out of [0, {})", e.labels[t], V));
    if (!e.slices.empty() && (scored ? e.slices[t] < 0 || e.slices[t] >= n_slices : e.slices[t] != -1))
      throw std::logic_error(fmt::format("task slice {} at position {} (scored: {})", e.slices[t], t, scored));
  }
}

}  // namespace

std::shared_ptr<Dataset> text_dataset(const TokenData& tokens) { return std::make_shared<TextDataset>(tokens); }

TaskOptions TaskOptions::from_config(const cfg::Node& node) {
  TaskOptions o;
  cfg::MapReader r(node, "data.task");
  o.name = r.choice("name", "", task_registry().names());
  if (o.name.empty()) cfg::fail_at(node.source(), "data.task.name: missing (attnlab list tasks shows the tasks)");
  const int64_t seed = r.integer("seed", 0);
  if (seed < 0) cfg::fail_at(node.find("seed")->source(), "data.task.seed: must be >= 0, got " + std::to_string(seed));
  o.seed = static_cast<uint64_t>(seed);
  o.loss = r.choice("loss", o.loss, {"answers", "all"});
  o.train_examples = r.integer("train_examples", o.train_examples);
  o.test_examples = r.integer("test_examples", o.test_examples);
  if (o.train_examples < 0)
    cfg::fail_at(node.find("train_examples")->source(), "data.task.train_examples: must be >= 0 (0: a fresh example every time), got " + std::to_string(o.train_examples));
  if (o.test_examples < 1)
    cfg::fail_at(node.find("test_examples")->source(), "data.task.test_examples: must be >= 1, got " + std::to_string(o.test_examples));
  return o;
}

cfg::MapReader TaskContext::reader() const {
  cfg::MapReader r(options, "data.task");
  for (const auto& key : kCommonKeys) r.ignore(key);
  return r;
}

void TaskContext::fail(const std::string& key, const std::string& message) const {
  const cfg::Node* node = options.find(key);
  cfg::fail_at(node ? node->source() : options.source(), "data.task." + key + ": " + message);
}

Registry<TaskFactory>& task_registry() {
  static Registry<TaskFactory> registry("task");
  return registry;
}

std::shared_ptr<TaskDataset> TaskDataset::create(const DataOptions& data) {
  TaskOptions options = TaskOptions::from_config(data.task);
  TaskContext context{data.task, options.seed, data};
  std::shared_ptr<Task> task = task_registry().get(options.name)(context);
  return std::make_shared<TaskDataset>(std::move(task), std::move(options));
}

TaskDataset::TaskDataset(std::shared_ptr<Task> task, TaskOptions options)
    : task_(std::move(task)), options_(std::move(options)) {
  constexpr int kTest = 1;
  test_.reserve(static_cast<size_t>(options_.test_examples));
  for (int64_t i = 0; i < options_.test_examples; ++i) {
    TaskRng rng(options_.seed, kTest, static_cast<uint64_t>(i));
    test_.push_back(task_->generate(rng));
    check_example(*task_, test_.back());
    test_hashes_.push_back(example_hash(test_.back()));
  }
  std::sort(test_hashes_.begin(), test_hashes_.end());
  train_.reserve(static_cast<size_t>(options_.train_examples));
  for (int64_t i = 0; i < options_.train_examples; ++i) train_.push_back(draw_train(i, &redrawn_));
}

TaskExample TaskDataset::draw_train(int64_t index, int64_t* redrawn) const {
  constexpr int kTrain = 0;
  constexpr int kMaxAttempts = 1000;
  for (uint64_t attempt = 0; attempt < kMaxAttempts; ++attempt) {
    TaskRng rng(options_.seed, kTrain, static_cast<uint64_t>(index), attempt);
    TaskExample e = task_->generate(rng);
    check_example(*task_, e);
    if (!std::binary_search(test_hashes_.begin(), test_hashes_.end(), example_hash(e))) return e;
    if (redrawn) ++*redrawn;
  }
  throw UserError(fmt::format("data.task: {} cannot draw a training example that is not in its test set after {} tries "
                              "(the task has too few distinct examples: lower data.task.test_examples)",
                              options_.name, kMaxAttempts));
}

TaskExample TaskDataset::example(int split, int64_t index) const {
  if (split == 1) return test_.at(static_cast<size_t>(index));
  if (options_.train_examples > 0) return train_.at(static_cast<size_t>(index));
  return draw_train(index, nullptr);
}

namespace {

/// Loss targets: the labels (loss: answers), or every next input with the answer where scored (all).
void fill_targets(const TaskExample& e, bool all, int64_t* y) {
  const size_t L = e.inputs.size();
  for (size_t t = 0; t < L; ++t) {
    if (e.labels[t] != kIgnore || !all) y[t] = e.labels[t];
    else y[t] = t + 1 < L ? e.inputs[t + 1] : kIgnore;
  }
}

}  // namespace

std::pair<torch::Tensor, torch::Tensor> TaskDataset::train_batch(int64_t batch, int64_t /*seq_len*/, uint64_t seed,
                                                                 int64_t step) const {
  const int64_t L = task_->seq_len();
  auto x = torch::empty({batch, L}, torch::kInt64);  // [B, L]
  auto y = torch::empty({batch, L}, torch::kInt64);  // [B, L]
  const uint64_t stream = splitmix64(splitmix64(seed) ^ static_cast<uint64_t>(step));
  const auto n = static_cast<uint64_t>(options_.train_examples);
  for (int64_t b = 0; b < batch; ++b) {
    TaskExample fresh;
    const TaskExample* e;
    if (n > 0) {
      const uint64_t r = splitmix64(stream + static_cast<uint64_t>(b));
      e = &train_[static_cast<size_t>((static_cast<unsigned __int128>(r) * n) >> 64)];
    } else {
      fresh = draw_train(step * batch + b, nullptr);  // an endless stream: example k is the k-th drawn
      e = &fresh;
    }
    std::copy(e->inputs.begin(), e->inputs.end(), x.data_ptr<int64_t>() + b * L);
    fill_targets(*e, options_.loss == "all", y.data_ptr<int64_t>() + b * L);
  }
  return {x, y};
}

EvalSet TaskDataset::eval_set(int64_t /*seq_len*/, int64_t /*max_windows*/) const {
  const auto n = static_cast<int64_t>(test_.size());
  const int64_t L = task_->seq_len();
  EvalSet set;
  set.x = torch::empty({n, L}, torch::kInt64);
  set.y = torch::empty({n, L}, torch::kInt64);
  set.labels = torch::empty({n, L}, torch::kInt64);
  set.slice_names = task_->slice_names();
  if (!set.slice_names.empty()) set.slices = torch::full({n, L}, -1, torch::kInt64);
  for (int64_t i = 0; i < n; ++i) {
    const TaskExample& e = test_[static_cast<size_t>(i)];
    std::copy(e.inputs.begin(), e.inputs.end(), set.x.data_ptr<int64_t>() + i * L);
    fill_targets(e, options_.loss == "all", set.y.data_ptr<int64_t>() + i * L);
    std::copy(e.labels.begin(), e.labels.end(), set.labels.data_ptr<int64_t>() + i * L);
    if (set.slices.defined() && !e.slices.empty()) std::copy(e.slices.begin(), e.slices.end(), set.slices.data_ptr<int64_t>() + i * L);
  }
  return set;
}

std::vector<int64_t> TaskDataset::train_prefix(int64_t n) const {
  std::vector<int64_t> out;
  for (int64_t i = 0; static_cast<int64_t>(out.size()) < n; ++i) {
    const TaskExample e = example(0, options_.train_examples > 0 ? i % options_.train_examples : i);
    out.insert(out.end(), e.inputs.begin(), e.inputs.end());
  }
  out.resize(static_cast<size_t>(n));
  return out;
}

std::string TaskDataset::summary() const {
  return fmt::format("task {} ({}), {} train examples{}, {} test, loss on {}, vocab {}, L {}", options_.name,
                     task_->summary(), options_.train_examples, options_.train_examples ? "" : " (fresh every step)",
                     options_.test_examples, options_.loss == "all" ? "every next token" : "the answers", vocab_size(),
                     task_->seq_len());
}

std::shared_ptr<Dataset> make_dataset(const DataOptions& data, const TokenData* tokens) {
  if (!data.task.is_null()) return TaskDataset::create(data);
  if (!tokens) throw std::logic_error("make_dataset: a text dataset needs its tokens");
  return text_dataset(*tokens);
}

}  // namespace attnlab::data
