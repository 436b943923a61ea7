#include "train/checkpoint.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <set>
#include <sstream>

#include "core/error.h"
#include "core/failpoint.h"

namespace attnlab {

namespace fs = std::filesystem;
using torch::serialize::InputArchive;
using torch::serialize::OutputArchive;

namespace {

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

std::string shape_of(const torch::Tensor& t) {
  std::string out = "[";
  for (int64_t i = 0; i < t.dim(); ++i) out += (i ? "," : "") + std::to_string(t.size(i));
  return out + "]";
}

InputArchive open_archive(const std::string& path) {
  if (!fs::exists(path)) throw UserError("checkpoint not found: " + path);
  InputArchive archive;
  try {
    archive.load_from(path);
  } catch (const c10::Error& e) {
    throw UserError("checkpoint " + path + ": cannot be read (truncated or not an attnlab checkpoint): " +
                    first_line(e.what_without_backtrace()));
  }
  return archive;
}

CheckpointMeta read_meta(InputArchive& archive, const std::string& path) {
  CheckpointMeta meta;
  try {
    torch::Tensor step, tokens;
    c10::IValue config;
    archive.read("meta/step", step);
    archive.read("meta/tokens", tokens);
    archive.read("meta/config_yaml", config);
    meta.step = step.item<int64_t>();
    meta.tokens = tokens.item<int64_t>();
    meta.config_yaml = config.toStringRef();
  } catch (const c10::Error& e) {
    throw UserError("checkpoint " + path + ": not an attnlab checkpoint (no metadata): " +
                    first_line(e.what_without_backtrace()));
  }
  return meta;
}

}  // namespace

void save_checkpoint(const std::string& path, TransformerLM& model, torch::optim::Optimizer* optimizer,
                     const CheckpointMeta& meta) {
  OutputArchive archive;
  archive.write("meta/step", torch::tensor(meta.step));
  archive.write("meta/tokens", torch::tensor(meta.tokens));
  archive.write("meta/config_yaml", c10::IValue(meta.config_yaml));
  std::string names;
  for (const auto& item : model->named_parameters()) {
    archive.write("model/" + item.key(), item.value().detach());
    names += item.key() + "\n";
  }
  archive.write("meta/parameter_names", c10::IValue(names));
  for (const auto& item : model->named_buffers()) archive.write("buffer/" + item.key(), item.value());
  auto generator = at::detail::getDefaultCPUGenerator();
  {
    std::lock_guard<std::mutex> lock(generator.mutex());
    archive.write("rng/cpu", generator.get_state());
  }
  if (optimizer) {
    OutputArchive optimizer_archive;
    optimizer->save(optimizer_archive);
    archive.write("optimizer", optimizer_archive);
  }
  const std::string temporary = path + ".tmp";
  // Written through our own file handle: LibTorch's writer throws from its destructor when the disk
  // fills up (std::terminate), so a failed write is recorded here and the writer sees success.
  std::FILE* file = std::fopen(temporary.c_str(), "wb");
  if (!file) throw UserError("cannot write checkpoint " + path + ": " + std::strerror(errno));
  int write_error = 0;
  try {
    archive.save_to([&](const void* data, size_t size) -> size_t {
      if (!write_error && std::fwrite(data, 1, size, file) != size) write_error = errno ? errno : EIO;
      return size;
    });
  } catch (...) {
    std::fclose(file);
    std::error_code ignored;
    fs::remove(temporary, ignored);
    throw;
  }
  if (std::fflush(file) != 0 && !write_error) write_error = errno;
  if (std::fclose(file) != 0 && !write_error) write_error = errno;
  if (write_error) {
    // a full disk or a file-size limit: the checkpoint already on disk is left as it was
    std::error_code ignored;
    fs::remove(temporary, ignored);
    throw UserError("cannot write checkpoint " + path + ": " + std::strerror(write_error));
  }
  failpoint("checkpoint.write");
  fs::rename(temporary, path);
}

CheckpointMeta load_checkpoint(const std::string& path, TransformerLM& model, torch::optim::Optimizer* optimizer) {
  InputArchive archive = open_archive(path);
  CheckpointMeta meta = read_meta(archive, path);
  torch::NoGradGuard no_grad;
  auto restore = [&](const std::string& prefix, const std::string& name, torch::Tensor& target) {
    torch::Tensor stored;
    try {
      archive.read(prefix + name, stored);
    } catch (const c10::Error&) {
      throw UserError("checkpoint " + path + ": has no parameter '" + name +
                      "' (checkpoint of another architecture?)");
    }
    if (!stored.sizes().equals(target.sizes())) {
      throw UserError("checkpoint " + path + ": parameter '" + name + "' has shape " + shape_of(stored) +
                      ", the model expects " + shape_of(target) + " (checkpoint of another architecture?)");
    }
    target.copy_(stored);
  };
  c10::IValue stored_names;
  if (archive.try_read("meta/parameter_names", stored_names)) {
    std::set<std::string> expected;
    for (const auto& item : model->named_parameters()) expected.insert(item.key());
    std::istringstream lines(stored_names.toStringRef());
    for (std::string name; std::getline(lines, name);) {
      if (!expected.count(name)) {
        throw UserError("checkpoint " + path + ": has parameter '" + name +
                        "' that the model lacks (checkpoint of another architecture?)");
      }
    }
  }
  for (auto& item : model->named_parameters()) restore("model/", item.key(), item.value());
  for (auto& item : model->named_buffers()) restore("buffer/", item.key(), item.value());
  torch::Tensor rng_state;
  if (archive.try_read("rng/cpu", rng_state)) {
    auto generator = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(generator.mutex());
    generator.set_state(rng_state);
  }
  if (optimizer) {
    InputArchive optimizer_archive;
    if (!archive.try_read("optimizer", optimizer_archive)) {
      throw UserError("checkpoint " + path + ": has no optimizer state (weights-only checkpoint cannot resume)");
    }
    try {
      optimizer->load(optimizer_archive);
    } catch (const c10::Error& e) {
      throw UserError("checkpoint " + path + ": optimizer state does not match: " + first_line(e.what_without_backtrace()));
    }
  }
  return meta;
}

CheckpointReader::CheckpointReader(const std::string& path) : path_(path), archive_(open_archive(path)) {
  meta_ = read_meta(archive_, path);
}

torch::Tensor CheckpointReader::parameter(const std::string& name) {
  torch::Tensor stored;
  return archive_.try_read("model/" + name, stored) ? stored : torch::Tensor();
}

torch::Tensor CheckpointReader::buffer(const std::string& name) {
  torch::Tensor stored;
  return archive_.try_read("buffer/" + name, stored) ? stored : torch::Tensor();
}

std::vector<std::string> CheckpointReader::parameter_names() {
  std::vector<std::string> names;
  c10::IValue stored;
  if (!archive_.try_read("meta/parameter_names", stored)) return names;
  std::istringstream lines(stored.toStringRef());
  for (std::string name; std::getline(lines, name);) names.push_back(name);
  return names;
}

CheckpointMeta read_checkpoint_meta(const std::string& path) {
  InputArchive archive = open_archive(path);
  return read_meta(archive, path);
}

}  // namespace attnlab
