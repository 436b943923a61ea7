#include "results/run_store.h"

#include <fmt/format.h>
#include <sys/resource.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iostream>
#include <limits>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <map>
#include <stdexcept>

#include "core/build_info.h"
#include "core/error.h"
#include "results/h5_util.h"

namespace attnlab::results {
namespace {

constexpr hsize_t kChunkRows = 512;
// Room a flush must find before it writes: HDF5 that runs out of space mid-write leaves a file whose
// superblock promises more bytes than exist, which no reader opens. One chunk per column of a few
// tables plus metadata is well under this.
constexpr uint64_t kFlushReserveBytes = 1 << 20;

/// Bytes `path` (or a new file at `path`) may still grow by: the file system's free space for
/// unprivileged users, capped by the process's file-size limit (ulimit -f).
uint64_t room_to_grow(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code error;
  const fs::path target(path);
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  uint64_t room = std::numeric_limits<uint64_t>::max();
  if (const fs::space_info space = fs::space(dir, error); !error) room = space.available;
  rlimit limit{};
  if (getrlimit(RLIMIT_FSIZE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY) {
    const uint64_t size = fs::exists(target, error) ? fs::file_size(target, error) : 0;
    const uint64_t allowed = static_cast<uint64_t>(limit.rlim_cur);
    room = std::min(room, allowed > size ? allowed - size : 0);
  }
  return room;
}

std::string now_iso8601() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

std::string normalise(const std::string& group_path) {
  std::string path = group_path.empty() || group_path[0] != '/' ? "/" + group_path : group_path;
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

std::string describe(const std::vector<Column>& columns) {
  std::vector<std::string> parts;
  for (const auto& column : columns) parts.push_back(column.name + ":" + type_name(column.type));
  return "(" + join(parts) + ")";
}

bool same_columns(const std::vector<Column>& a, const std::vector<Column>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i].name != b[i].name || a[i].type != b[i].type) return false;
  return true;
}

struct Table {
  std::vector<Column> columns;
  std::vector<H5::DataSet> datasets;
  hsize_t rows_on_disk = 0;
  std::vector<std::vector<Value>> pending;
};

void write_column(H5::DataSet& dataset, ColumnType type, hsize_t first, size_t index,
                  const std::vector<std::vector<Value>>& rows) {
  const hsize_t n = rows.size();
  const hsize_t extent = first + n;
  dataset.extend(&extent);
  H5::DataSpace file_space = dataset.getSpace();
  file_space.selectHyperslab(H5S_SELECT_SET, &n, &first);
  const H5::DataSpace memory_space(1, &n);
  switch (type) {
    case ColumnType::Int64: {
      std::vector<int64_t> values;
      for (const auto& row : rows) values.push_back(std::get<int64_t>(row[index]));
      dataset.write(values.data(), H5::PredType::NATIVE_INT64, memory_space, file_space);
      break;
    }
    case ColumnType::Float64: {
      std::vector<double> values;
      for (const auto& row : rows) {
        const Value& v = row[index];
        values.push_back(std::holds_alternative<double>(v) ? std::get<double>(v)
                                                           : static_cast<double>(std::get<int64_t>(v)));
      }
      dataset.write(values.data(), H5::PredType::NATIVE_DOUBLE, memory_space, file_space);
      break;
    }
    case ColumnType::String: {
      std::vector<const char*> values;
      for (const auto& row : rows) values.push_back(std::get<std::string>(row[index]).c_str());
      dataset.write(values.data(), h5::utf8_string(), memory_space, file_space);
      break;
    }
  }
}

}  // namespace

struct RunStore::State {
  std::string path;
  H5::H5File file;
  std::map<std::string, Table> tables;

  /// Runs `fn`, turning HDF5 exceptions into one-line errors; a write refused by the system (disk
  /// full, file-size limit, quota, read-only) is a UserError naming the system's reason.
  template <typename Fn>
  auto guarded(const char* what, Fn fn) {
    errno = 0;
    try {
      return fn();
    } catch (const H5::Exception& e) {
      const int reason = errno;
      if (reason == ENOSPC || reason == EFBIG || reason == EDQUOT || reason == EROFS || reason == EACCES) {
        throw UserError(fmt::format("{}: cannot write the run file while {}: {}", path, what, std::strerror(reason)));
      }
      throw std::runtime_error(fmt::format("{}: HDF5 error while {}: {}", path, what, h5::message(e)));
    }
  }

  Table& table(const std::string& group_path) {
    const auto it = tables.find(normalise(group_path));
    if (it != tables.end()) return it->second;
    std::vector<std::string> names;
    for (const auto& entry : tables) names.push_back(entry.first);
    throw std::invalid_argument(fmt::format("{}: no table '{}'{}; defined tables: {}", path, group_path,
                                            did_you_mean(normalise(group_path), names), join(names)));
  }

  void load_existing_tables(const H5::Group& group, const std::string& group_path) {
    const hsize_t n = group.getNumObjs();
    for (hsize_t i = 0; i < n; ++i) {
      if (group.getObjTypeByIdx(i) != H5G_GROUP) continue;
      const std::string name = group.getObjnameByIdx(i);
      const std::string child_path = (group_path == "/" ? "" : group_path) + "/" + name;
      const H5::Group child = group.openGroup(name);
      if (child.attrExists(kColumnsAttribute)) load_table(child, child_path);
      load_existing_tables(child, child_path);
    }
  }

  void load_table(const H5::Group& group, const std::string& group_path) {
    Table table;
    hsize_t shortest = 0;
    bool first = true;
    for (const auto& name : h5::read_string_list(group, kColumnsAttribute)) {
      H5::DataSet dataset = group.openDataSet(name);
      const auto type = h5::column_type(dataset.getDataType());
      if (!type) throw UserError(fmt::format("{}: column {}/{} has an unsupported type", path, group_path, name));
      table.columns.push_back({name, *type});
      const hsize_t rows = static_cast<hsize_t>(dataset.getSpace().getSimpleExtentNpoints());
      shortest = first ? rows : std::min(shortest, rows);
      first = false;
      table.datasets.push_back(dataset);
    }
    for (auto& dataset : table.datasets) dataset.extend(&shortest);
    table.rows_on_disk = shortest;
    tables[group_path] = std::move(table);
  }

  bool group_exists(const std::string& group_path) const {
    std::string prefix;
    size_t start = 1;
    while (start <= group_path.size()) {
      const size_t end = std::min(group_path.find('/', start), group_path.size());
      prefix += "/" + group_path.substr(start, end - start);
      if (!file.nameExists(prefix)) return false;
      start = end + 1;
    }
    return true;
  }

  void create_table(const std::string& group_path, const std::vector<Column>& columns) {
    H5::LinkCreatPropList lcpl;
    H5Pset_create_intermediate_group(lcpl.getId(), 1);
    H5::Group group = group_exists(group_path) ? file.openGroup(group_path) : file.createGroup(group_path, lcpl);
    Table table;
    table.columns = columns;
    std::vector<std::string> names;
    for (const auto& column : columns) {
      const hsize_t zero = 0, unlimited = H5S_UNLIMITED;
      const H5::DataSpace space(1, &zero, &unlimited);
      H5::DSetCreatPropList dcpl;
      dcpl.setChunk(1, &kChunkRows);
      table.datasets.push_back(group.createDataSet(column.name, h5::storage_type(column.type), space, dcpl));
      names.push_back(column.name);
    }
    h5::write_string_list(group, kColumnsAttribute, names);
    tables[group_path] = std::move(table);
  }

  /// UserError unless the file can grow by `needed` bytes (checked before every write to disk).
  void require_room(const std::string& file_path, uint64_t needed) const {
    const uint64_t room = room_to_grow(file_path);
    if (room >= needed) return;
    throw UserError(fmt::format("{}: not enough room to write the run file safely ({} KiB left on the disk or under "
                                "the file-size limit, {} KiB needed); what is on disk so far is intact",
                                path, room / 1024, needed / 1024));
  }

  /// Bytes the buffered rows will add, with the flush reserve.
  uint64_t bytes_to_flush() const {
    uint64_t bytes = kFlushReserveBytes;
    for (const auto& [name, table] : tables) bytes += table.pending.size() * table.columns.size() * 16;
    return bytes;
  }

  void write_pending() {
    for (auto& [group_path, table] : tables) {
      if (table.pending.empty()) continue;
      for (size_t i = 0; i < table.columns.size(); ++i)
        write_column(table.datasets[i], table.columns[i].type, table.rows_on_disk, i, table.pending);
      table.rows_on_disk += table.pending.size();
      table.pending.clear();
    }
  }
};

RunStore::RunStore(std::unique_ptr<State> state) : state_(std::move(state)) {}
RunStore::RunStore(RunStore&&) noexcept = default;
RunStore& RunStore::operator=(RunStore&&) noexcept = default;

RunStore::~RunStore() {
  if (!state_) return;
  // HDF5's C++ destructors print to std::cerr when a close fails (after a full disk, each dataset
  // reports it); the write that hit the failure already raised the one error worth showing.
  std::streambuf* const stderr_buffer = std::cerr.rdbuf(nullptr);
  try {
    state_->guarded("closing", [&] {
      // with too little room left, buffered rows are dropped rather than risk the file
      if (room_to_grow(state_->file.getFileName()) >= state_->bytes_to_flush()) state_->write_pending();
      state_->file.close();
    });
  } catch (const std::exception&) {
  }
  state_.reset();
  std::cerr.rdbuf(stderr_buffer);
  std::cerr.clear();
}

RunStore RunStore::create(const std::string& path, const RunInfo& info) {
  h5::silence_errors();
  if (std::filesystem::exists(path))
    throw UserError(fmt::format("{}: already exists (a run file is never overwritten)", path));
  // Built under a temporary name and renamed once its attributes and tables are on disk, so a
  // process killed while creating it leaves no run file rather than an unreadable one.
  const std::string part = path + ".part";
  std::error_code ignored;
  std::filesystem::remove(part, ignored);  // a creation killed before its rename
  auto state = std::make_unique<State>();
  state->path = path;
  state->require_room(part, kFlushReserveBytes);
  try {
    state->file = H5::H5File(part, H5F_ACC_EXCL, H5::FileCreatPropList::DEFAULT, h5::file_access());
  } catch (const H5::Exception& e) {
    throw UserError(fmt::format("{}: cannot create run file ({})", path, h5::message(e)));
  }
  RunStore store(std::move(state));
  store.state_->guarded("writing the root attributes", [&] {
    const std::pair<const char*, Value> attributes[] = {
        {attr::kAttnlabVersion, std::string(ATTNLAB_VERSION)},
        {attr::kSchemaVersion, kSchemaVersion},
        {attr::kStatus, std::string(status::kRunning)},
        {attr::kError, std::string()},
        {attr::kConfigYaml, info.config_yaml},
        {attr::kOverrides, info.overrides_yaml},
        {attr::kGitSha, info.git_sha.empty() ? std::string(ATTNLAB_GIT_SHA) : info.git_sha},
        {attr::kTorchVersion, info.torch_version},
        {attr::kThreads, info.threads},
        {attr::kStartedAt, info.started_at.empty() ? now_iso8601() : info.started_at},
        {attr::kFinishedAt, std::string()},
        {attr::kSeed, info.seed},
        {attr::kNParams, info.n_params}};
    H5::Group root = store.state_->file.openGroup("/");
    for (const auto& [name, value] : attributes) h5::write_attribute(root, name, value);
  });
  store.define_table(kTrainTable, train_columns());
  store.define_table(kEvalTable, eval_columns());
  store.flush();
  std::error_code error;
  std::filesystem::rename(part, path, error);
  if (error) throw UserError(fmt::format("{}: cannot create run file ({})", path, error.message()));
  return store;
}

RunStore RunStore::open(const std::string& path) {
  h5::silence_errors();
  if (!std::filesystem::exists(path)) throw UserError(fmt::format("{}: no such run file", path));
  auto state = std::make_unique<State>();
  state->path = path;
  try {
    state->file = H5::H5File(path, H5F_ACC_RDWR, H5::FileCreatPropList::DEFAULT, h5::file_access());
  } catch (const H5::Exception& e) {
    throw UserError(fmt::format("{}: cannot open run file for writing ({})", path, h5::message(e)));
  }
  RunStore store(std::move(state));
  State& s = *store.state_;
  s.guarded("reading the run file", [&] {
    H5::Group root = s.file.openGroup("/");
    const auto version = h5::read_attribute(root, attr::kSchemaVersion);
    if (!version) throw UserError(fmt::format("{}: not an attnlab run file", path));
    if (!std::holds_alternative<int64_t>(*version) || !readable_schema(std::get<int64_t>(*version)))
      throw UserError(fmt::format("{}: schema version {}, this attnlab appends to {}-{}", path, to_string(*version),
                                  kOldestSchemaVersion, kSchemaVersion));
    s.load_existing_tables(root, "/");
  });
  store.set_attribute(attr::kStatus, std::string(status::kRunning));
  store.set_attribute(attr::kError, std::string());
  store.set_attribute(attr::kFinishedAt, std::string());
  store.flush();
  return store;
}

void RunStore::define_table(const std::string& group_path, const std::vector<Column>& columns) {
  State& s = *state_;
  const std::string key = normalise(group_path);
  if (columns.empty()) throw std::invalid_argument(fmt::format("{}: table {} needs at least one column", s.path, key));
  const auto it = s.tables.find(key);
  if (it != s.tables.end()) {
    if (same_columns(it->second.columns, columns)) return;
    throw std::invalid_argument(fmt::format("{}: table {} exists with columns {}, not {}", s.path, key,
                                            describe(it->second.columns), describe(columns)));
  }
  s.guarded("defining a table", [&] { s.create_table(key, columns); });
}

void RunStore::append(const std::string& group_path, const std::vector<Value>& row) {
  Table& table = state_->table(group_path);
  if (row.size() != table.columns.size())
    throw std::invalid_argument(fmt::format("{}: {} has {} columns {}, got a row of {} values", state_->path,
                                            normalise(group_path), table.columns.size(), describe(table.columns),
                                            row.size()));
  for (size_t i = 0; i < row.size(); ++i) {
    const ColumnType expected = table.columns[i].type;
    const bool promotable = expected == ColumnType::Float64 && std::holds_alternative<int64_t>(row[i]);
    if (type_of(row[i]) != expected && !promotable)
      throw std::invalid_argument(fmt::format("{}: {}/{} is {}, got {} {}", state_->path, normalise(group_path),
                                              table.columns[i].name, type_name(expected), type_name(row[i]),
                                              to_string(row[i])));
  }
  table.pending.push_back(row);
}

void RunStore::set_attribute(const std::string& name, const Value& value) {
  state_->guarded("writing an attribute", [&] {
    H5::Group root = state_->file.openGroup("/");
    h5::write_attribute(root, name, value);
  });
}

std::optional<Value> RunStore::attribute(const std::string& name) const {
  return state_->guarded("reading an attribute", [&] { return h5::read_attribute(state_->file.openGroup("/"), name); });
}

void RunStore::flush() {
  state_->require_room(state_->file.getFileName(), state_->bytes_to_flush());
  state_->guarded("flushing", [&] {
    state_->write_pending();
    state_->file.flush(H5F_SCOPE_GLOBAL);
  });
}

void RunStore::mark_completed() {
  state_->require_room(state_->file.getFileName(), state_->bytes_to_flush());  // before dirtying metadata
  set_attribute(attr::kStatus, std::string(status::kCompleted));
  set_attribute(attr::kFinishedAt, now_iso8601());
  flush();
}

void RunStore::mark_failed(const std::string& error) {
  state_->require_room(state_->file.getFileName(), state_->bytes_to_flush());  // before dirtying metadata
  set_attribute(attr::kStatus, std::string(status::kFailed));
  set_attribute(attr::kError, error);
  set_attribute(attr::kFinishedAt, now_iso8601());
  flush();
}

size_t RunStore::discard_rows_after(int64_t step) {
  State& s = *state_;
  size_t dropped = 0;
  s.guarded("dropping rows after a resume point", [&] {
    for (auto& [group_path, table] : s.tables) {
      const auto column = std::find_if(table.columns.begin(), table.columns.end(), [](const Column& c) {
        return c.name == "step" && c.type == ColumnType::Int64;
      });
      if (column == table.columns.end()) continue;
      const size_t index = static_cast<size_t>(column - table.columns.begin());
      const auto before = table.pending.size();
      table.pending.erase(std::remove_if(table.pending.begin(), table.pending.end(),
                                         [&](const auto& row) { return std::get<int64_t>(row[index]) > step; }),
                          table.pending.end());
      dropped += before - table.pending.size();
      if (table.rows_on_disk == 0) continue;
      std::vector<int64_t> steps(table.rows_on_disk);
      table.datasets[index].read(steps.data(), H5::PredType::NATIVE_INT64);
      hsize_t keep = 0;
      while (keep < steps.size() && steps[keep] <= step) ++keep;
      if (keep == table.rows_on_disk) continue;
      for (auto& dataset : table.datasets) dataset.extend(&keep);
      dropped += table.rows_on_disk - keep;
      table.rows_on_disk = keep;
    }
    s.file.flush(H5F_SCOPE_GLOBAL);
  });
  return dropped;
}

const std::string& RunStore::path() const { return state_->path; }

const std::vector<Column>& RunStore::columns(const std::string& group_path) const {
  return state_->table(group_path).columns;
}

bool RunStore::has_table(const std::string& group_path) const {
  return state_->tables.count(normalise(group_path)) > 0;
}

size_t RunStore::rows(const std::string& group_path) const {
  const Table& table = state_->table(group_path);
  return table.rows_on_disk + table.pending.size();
}

}  // namespace attnlab::results
