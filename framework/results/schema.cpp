#include "results/schema.h"

#include <fmt/format.h>

namespace attnlab::results {

const char* type_name(ColumnType type) {
  switch (type) {
    case ColumnType::Int64: return "int64";
    case ColumnType::Float64: return "float64";
    case ColumnType::String: return "string";
  }
  return "?";
}

ColumnType type_of(const Value& value) {
  static constexpr ColumnType kTypes[] = {ColumnType::Int64, ColumnType::Float64, ColumnType::String};
  return kTypes[value.index()];
}

const char* type_name(const Value& value) { return type_name(type_of(value)); }

std::string to_string(const Value& value) {
  struct Visitor {
    std::string operator()(int64_t v) const { return std::to_string(v); }
    std::string operator()(double v) const { return fmt::format("{}", v); }
    std::string operator()(const std::string& v) const { return v; }
  };
  return std::visit(Visitor{}, value);
}

const std::vector<Column>& train_columns() {
  static const std::vector<Column> columns = {
      {"step", ColumnType::Int64},         {"tokens", ColumnType::Int64},
      {"loss", ColumnType::Float64},       {"lr", ColumnType::Float64},
      {"grad_norm", ColumnType::Float64},  {"tokens_per_s", ColumnType::Float64},
      {"wall_s", ColumnType::Float64}};
  return columns;
}

const std::vector<Column>& eval_columns() {
  static const std::vector<Column> columns = {
      {"step", ColumnType::Int64}, {"split", ColumnType::String}, {"loss", ColumnType::Float64},
      {"ppl", ColumnType::Float64}, {"bpc", ColumnType::Float64}, {"accuracy", ColumnType::Float64},
      {"answer_loss", ColumnType::Float64}, {"ar_hit_loss", ColumnType::Float64},
      {"other_loss", ColumnType::Float64}, {"ar_hit_share", ColumnType::Float64}};
  return columns;
}

}  // namespace attnlab::results
