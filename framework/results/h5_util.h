#pragma once
/// Internal HDF5 helpers shared by RunStore and RunReader (not part of the public API):
/// type mapping, typed attributes, string-list attributes, file access without locks.

#include <H5Cpp.h>

#include <optional>
#include <string>
#include <vector>

#include "results/schema.h"

namespace attnlab::results::h5 {

/// Turns off HDF5's automatic error-stack printing (errors become exceptions with our messages).
void silence_errors();

/// File access properties: no file locking, so h5py and `attnlab report` can read a live run.
H5::FileAccPropList file_access();

/// Variable-length UTF-8 string type.
H5::StrType utf8_string();
/// Storage type of a column: little-endian int64, float64, or utf8_string().
H5::DataType storage_type(ColumnType type);
/// Column type of a stored dataset; nullopt for a type attnlab does not write.
std::optional<ColumnType> column_type(const H5::DataType& type);

/// Writes a scalar attribute, replacing one of the same name.
void write_attribute(H5::H5Object& object, const std::string& name, const Value& value);
/// Reads a scalar int/float/string attribute; nullopt when absent or of another shape.
std::optional<Value> read_attribute(const H5::H5Object& object, const std::string& name);

/// Writes a 1-D attribute of strings, replacing one of the same name.
void write_string_list(H5::H5Object& object, const std::string& name, const std::vector<std::string>& items);
/// Reads a 1-D (or scalar) string attribute.
std::vector<std::string> read_string_list(const H5::H5Object& object, const std::string& name);

/// Reads a whole 1-D string dataset (variable or fixed length).
std::vector<std::string> read_strings(const H5::DataSet& dataset);

/// "detail (function)" from an HDF5 exception, for one-line errors.
std::string message(const H5::Exception& e);

}  // namespace attnlab::results::h5
