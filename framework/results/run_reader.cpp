#include "results/run_reader.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

#include "core/error.h"
#include "results/h5_util.h"

namespace attnlab::results {
namespace {

std::string normalise(const std::string& group) {
  std::string path = group.empty() || group[0] != '/' ? "/" + group : group;
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

void collect_tables(const H5::Group& group, const std::string& group_path, std::vector<std::string>& out) {
  const hsize_t n = group.getNumObjs();
  for (hsize_t i = 0; i < n; ++i) {
    if (group.getObjTypeByIdx(i) != H5G_GROUP) continue;
    const std::string name = group.getObjnameByIdx(i);
    const std::string child_path = (group_path == "/" ? "" : group_path) + "/" + name;
    const H5::Group child = group.openGroup(name);
    if (child.attrExists(kColumnsAttribute)) out.push_back(child_path);
    collect_tables(child, child_path, out);
  }
}

}  // namespace

struct RunReader::State {
  std::string path;
  H5::H5File file;

  template <typename Fn>
  auto guarded(const std::string& what, Fn fn) const {
    try {
      return fn();
    } catch (const H5::Exception& e) {
      throw UserError(fmt::format("{}: corrupt run file (reading {}: {})", path, what, h5::message(e)));
    }
  }

  std::vector<std::string> tables() const {
    return guarded("the table list", [&] {
      std::vector<std::string> out;
      collect_tables(file.openGroup("/"), "/", out);
      return out;
    });
  }

  H5::Group table(const std::string& group) const {
    const std::string key = normalise(group);
    const std::vector<std::string> names = tables();
    if (std::find(names.begin(), names.end(), key) == names.end())
      throw UserError(fmt::format("{}: no table '{}'{}; tables: {}", path, group, did_you_mean(key, names),
                                  join(names)));
    return guarded(key, [&] { return file.openGroup(key); });
  }

  size_t rows(const H5::Group& table, const std::string& key) const {
    return guarded(key, [&] {
      size_t shortest = 0;
      bool first = true;
      for (const auto& name : h5::read_string_list(table, kColumnsAttribute)) {
        const size_t n = static_cast<size_t>(table.openDataSet(name).getSpace().getSimpleExtentNpoints());
        shortest = first ? n : std::min(shortest, n);
        first = false;
      }
      return shortest;
    });
  }

  /// The dataset of a column and the table's row count.
  std::pair<H5::DataSet, size_t> column(const std::string& group, const std::string& name) const {
    const H5::Group table_group = table(group);
    const std::string key = normalise(group);
    const std::vector<std::string> names = guarded(key, [&] { return h5::read_string_list(table_group, kColumnsAttribute); });
    if (std::find(names.begin(), names.end(), name) == names.end())
      throw UserError(fmt::format("{}: table {} has no column '{}'{}; columns: {}", path, key, name,
                                  did_you_mean(name, names), join(names)));
    return {guarded(key + "/" + name, [&] { return table_group.openDataSet(name); }), rows(table_group, key)};
  }

  ColumnType type_of_column(const H5::DataSet& dataset, const std::string& what) const {
    const auto type = guarded(what, [&] { return h5::column_type(dataset.getDataType()); });
    if (!type) throw UserError(fmt::format("{}: column {} has a type attnlab does not write", path, what));
    return *type;
  }
};

RunReader::RunReader(const std::string& path) : state_(std::make_unique<State>()) {
  h5::silence_errors();
  state_->path = path;
  if (!std::filesystem::is_regular_file(path)) throw UserError(fmt::format("{}: no such file", path));
  if (H5Fis_hdf5(path.c_str()) <= 0) throw UserError(fmt::format("{}: not an HDF5 file", path));
  try {
    state_->file = H5::H5File(path, H5F_ACC_RDONLY, H5::FileCreatPropList::DEFAULT, h5::file_access());
  } catch (const H5::Exception& e) {
    throw UserError(fmt::format("{}: truncated or corrupt HDF5 file ({})", path, h5::message(e)));
  }
  const auto version = attribute(attr::kSchemaVersion);
  if (!version) throw UserError(fmt::format("{}: not an attnlab run file (no '{}' attribute)", path, attr::kSchemaVersion));
  if (!std::holds_alternative<int64_t>(*version) || !readable_schema(std::get<int64_t>(*version)))
    throw UserError(fmt::format("{}: schema version {}, this attnlab reads {}-{}", path, to_string(*version), kOldestSchemaVersion, kSchemaVersion));
}

RunReader::RunReader(RunReader&&) noexcept = default;
RunReader& RunReader::operator=(RunReader&&) noexcept = default;
RunReader::~RunReader() = default;

const std::string& RunReader::path() const { return state_->path; }

std::optional<Value> RunReader::attribute(const std::string& name) const {
  return state_->guarded("attribute " + name, [&] { return h5::read_attribute(state_->file.openGroup("/"), name); });
}

std::string RunReader::string_attribute(const std::string& name, const std::string& fallback) const {
  const auto value = attribute(name);
  return value && std::holds_alternative<std::string>(*value) ? std::get<std::string>(*value) : fallback;
}

int64_t RunReader::int_attribute(const std::string& name, int64_t fallback) const {
  const auto value = attribute(name);
  return value && std::holds_alternative<int64_t>(*value) ? std::get<int64_t>(*value) : fallback;
}

std::vector<std::string> RunReader::attribute_names() const {
  return state_->guarded("the attribute list", [&] {
    const H5::Group root = state_->file.openGroup("/");
    std::vector<std::string> names;
    const int n = root.getNumAttrs();
    for (int i = 0; i < n; ++i) names.push_back(root.openAttribute(static_cast<unsigned>(i)).getName());
    return names;
  });
}

std::vector<std::string> RunReader::table_names() const { return state_->tables(); }

bool RunReader::has_table(const std::string& group) const {
  const auto names = table_names();
  return std::find(names.begin(), names.end(), normalise(group)) != names.end();
}

std::vector<Column> RunReader::columns(const std::string& group) const {
  const H5::Group table = state_->table(group);
  const std::string key = normalise(group);
  std::vector<Column> out;
  for (const auto& name : state_->guarded(key, [&] { return h5::read_string_list(table, kColumnsAttribute); })) {
    const H5::DataSet dataset = state_->guarded(key + "/" + name, [&] { return table.openDataSet(name); });
    out.push_back({name, state_->type_of_column(dataset, key + "/" + name)});
  }
  return out;
}

size_t RunReader::rows(const std::string& group) const { return state_->rows(state_->table(group), normalise(group)); }

std::vector<double> RunReader::doubles(const std::string& group, const std::string& column) const {
  const auto [dataset, rows] = state_->column(group, column);
  const std::string what = normalise(group) + "/" + column;
  if (state_->type_of_column(dataset, what) == ColumnType::String)
    throw UserError(fmt::format("{}: column {} holds strings, not numbers", path(), what));
  return state_->guarded(what, [&, &dataset = dataset, rows = rows] {
    std::vector<double> values(static_cast<size_t>(dataset.getSpace().getSimpleExtentNpoints()));
    if (!values.empty()) dataset.read(values.data(), H5::PredType::NATIVE_DOUBLE);
    values.resize(rows);
    return values;
  });
}

std::vector<int64_t> RunReader::ints(const std::string& group, const std::string& column) const {
  const auto [dataset, rows] = state_->column(group, column);
  const std::string what = normalise(group) + "/" + column;
  if (state_->type_of_column(dataset, what) != ColumnType::Int64)
    throw UserError(fmt::format("{}: column {} is not an int64 column", path(), what));
  return state_->guarded(what, [&, &dataset = dataset, rows = rows] {
    std::vector<int64_t> values(static_cast<size_t>(dataset.getSpace().getSimpleExtentNpoints()));
    if (!values.empty()) dataset.read(values.data(), H5::PredType::NATIVE_INT64);
    values.resize(rows);
    return values;
  });
}

std::vector<std::string> RunReader::strings(const std::string& group, const std::string& column) const {
  const auto [dataset, rows] = state_->column(group, column);
  const std::string what = normalise(group) + "/" + column;
  if (state_->type_of_column(dataset, what) != ColumnType::String)
    throw UserError(fmt::format("{}: column {} is not a string column", path(), what));
  return state_->guarded(what, [&, &dataset = dataset, rows = rows] {
    std::vector<std::string> values = h5::read_strings(dataset);
    values.resize(rows);
    return values;
  });
}

}  // namespace attnlab::results
