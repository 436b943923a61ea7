#include "results/h5_util.h"

#include <memory>
#include <mutex>

namespace attnlab::results::h5 {

void silence_errors() {
  static std::once_flag once;
  std::call_once(once, [] { H5::Exception::dontPrint(); });
}

H5::FileAccPropList file_access() {
  H5::FileAccPropList fapl;
  fapl.setFileLocking(false, true);
  return fapl;
}

H5::StrType utf8_string() {
  H5::StrType type(H5::PredType::C_S1, H5T_VARIABLE);
  type.setCset(H5T_CSET_UTF8);
  return type;
}

H5::DataType storage_type(ColumnType type) {
  switch (type) {
    case ColumnType::Int64: return H5::PredType::STD_I64LE;
    case ColumnType::Float64: return H5::PredType::IEEE_F64LE;
    case ColumnType::String: return utf8_string();
  }
  return H5::PredType::IEEE_F64LE;
}

std::optional<ColumnType> column_type(const H5::DataType& type) {
  switch (type.getClass()) {
    case H5T_INTEGER: return ColumnType::Int64;
    case H5T_FLOAT: return ColumnType::Float64;
    case H5T_STRING: return ColumnType::String;
    default: return std::nullopt;
  }
}

void write_attribute(H5::H5Object& object, const std::string& name, const Value& value) {
  if (object.attrExists(name)) object.removeAttr(name);
  const H5::DataSpace scalar(H5S_SCALAR);
  struct Writer {
    H5::H5Object& object;
    const std::string& name;
    const H5::DataSpace& space;
    void operator()(int64_t v) const {
      object.createAttribute(name, H5::PredType::STD_I64LE, space).write(H5::PredType::NATIVE_INT64, &v);
    }
    void operator()(double v) const {
      object.createAttribute(name, H5::PredType::IEEE_F64LE, space).write(H5::PredType::NATIVE_DOUBLE, &v);
    }
    void operator()(const std::string& v) const {
      const H5::StrType type = utf8_string();
      const char* text = v.c_str();
      object.createAttribute(name, type, space).write(type, &text);
    }
  };
  std::visit(Writer{object, name, scalar}, value);
}

std::optional<Value> read_attribute(const H5::H5Object& object, const std::string& name) {
  if (!object.attrExists(name)) return std::nullopt;
  const H5::Attribute attribute = object.openAttribute(name);
  if (attribute.getSpace().getSimpleExtentNpoints() != 1) return std::nullopt;
  switch (attribute.getTypeClass()) {
    case H5T_INTEGER: {
      int64_t v = 0;
      attribute.read(H5::PredType::NATIVE_INT64, &v);
      return Value(v);
    }
    case H5T_FLOAT: {
      double v = 0;
      attribute.read(H5::PredType::NATIVE_DOUBLE, &v);
      return Value(v);
    }
    case H5T_STRING: {
      std::string v;
      attribute.read(attribute.getStrType(), v);
      return Value(std::move(v));
    }
    default: return std::nullopt;
  }
}

void write_string_list(H5::H5Object& object, const std::string& name, const std::vector<std::string>& items) {
  if (object.attrExists(name)) object.removeAttr(name);
  const hsize_t n = items.size();
  const H5::DataSpace space(1, &n);
  std::vector<const char*> pointers;
  for (const auto& item : items) pointers.push_back(item.c_str());
  const H5::StrType type = utf8_string();
  object.createAttribute(name, type, space).write(type, pointers.data());
}

namespace {

/// Reads `n` strings with `read(memory_type, buffer)` whatever the stored string flavour.
template <typename ReadFn>
std::vector<std::string> read_string_buffer(const H5::StrType& stored, hsize_t n, ReadFn read) {
  std::vector<std::string> out;
  out.reserve(n);
  if (stored.isVariableStr()) {
    std::vector<char*> buffer(n, nullptr);
    H5::StrType memory(H5::PredType::C_S1, H5T_VARIABLE);
    memory.setCset(stored.getCset());
    read(memory, buffer.data());
    for (char* item : buffer) {
      out.emplace_back(item ? item : "");
      H5free_memory(item);
    }
  } else {
    const size_t width = stored.getSize();
    std::vector<char> buffer(n * width);
    H5::StrType memory(H5::PredType::C_S1, width);
    memory.setCset(stored.getCset());
    read(memory, buffer.data());
    for (hsize_t i = 0; i < n; ++i) {
      std::string item(buffer.data() + i * width, width);
      item.erase(item.find_last_not_of('\0') + 1);
      out.push_back(std::move(item));
    }
  }
  return out;
}

}  // namespace

std::vector<std::string> read_string_list(const H5::H5Object& object, const std::string& name) {
  if (!object.attrExists(name)) return {};
  const H5::Attribute attribute = object.openAttribute(name);
  if (attribute.getTypeClass() != H5T_STRING) return {};
  const hsize_t n = static_cast<hsize_t>(attribute.getSpace().getSimpleExtentNpoints());
  return read_string_buffer(attribute.getStrType(), n,
                            [&](const H5::StrType& memory, void* buffer) { attribute.read(memory, buffer); });
}

std::vector<std::string> read_strings(const H5::DataSet& dataset) {
  const hsize_t n = static_cast<hsize_t>(dataset.getSpace().getSimpleExtentNpoints());
  if (n == 0) return {};
  return read_string_buffer(dataset.getStrType(), n,
                            [&](const H5::StrType& memory, void* buffer) { dataset.read(buffer, memory); });
}

std::string message(const H5::Exception& e) {
  std::string text = e.getDetailMsg();
  if (!e.getFuncName().empty()) text += " (" + e.getFuncName() + ")";
  return text;
}

}  // namespace attnlab::results::h5
