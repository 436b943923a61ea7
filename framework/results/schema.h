#pragma once
/// The run-file schema shared by RunStore (write), RunReader (read) and the report:
/// value and column types, the schema version, root attribute names and the standard tables.
/// Documented for users in docs/results-schema.md. Torch-free.

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace attnlab::results {

/// Version of the layout of run.h5. Bump it when a reader of the old layout would misread a new file.
/// 2: mixer statistics moved from /sparsity (named columns) to /analysis/mixer_stats (named rows).
inline constexpr int64_t kSchemaVersion = 2;
/// The oldest layout this attnlab still reads and appends to (docs/results-schema.md, "Versions").
inline constexpr int64_t kOldestSchemaVersion = 1;
/// Whether this attnlab reads (and may append to) a file of schema `version`.
inline constexpr bool readable_schema(int64_t version) {
  return version >= kOldestSchemaVersion && version <= kSchemaVersion;
}

/// One cell or attribute value.
using Value = std::variant<int64_t, double, std::string>;

/// Element type of a table column (HDF5: little-endian int64, float64, variable-length UTF-8 string).
enum class ColumnType { Int64, Float64, String };

/// One column of a table.
struct Column {
  std::string name;
  ColumnType type;
};

/// "int64", "float64", "string": for error messages.
const char* type_name(ColumnType type);
/// The column type of the alternative a Value holds.
ColumnType type_of(const Value& value);
/// Type name of the alternative a Value holds.
const char* type_name(const Value& value);
/// The value as text: integers exactly, doubles with up to 17 significant digits, strings as is.
std::string to_string(const Value& value);

/// Root attribute names (on "/").
namespace attr {
inline constexpr const char* kAttnlabVersion = "attnlab_version";
inline constexpr const char* kSchemaVersion = "schema_version";
inline constexpr const char* kStatus = "status";
inline constexpr const char* kError = "error";
inline constexpr const char* kConfigYaml = "config_yaml";
inline constexpr const char* kOverrides = "overrides";
inline constexpr const char* kGitSha = "git_sha";
inline constexpr const char* kTorchVersion = "torch_version";
inline constexpr const char* kThreads = "threads";
inline constexpr const char* kStartedAt = "started_at";
inline constexpr const char* kFinishedAt = "finished_at";
inline constexpr const char* kSeed = "seed";
inline constexpr const char* kNParams = "n_params";
}  // namespace attr

/// Values of the `status` attribute.
namespace status {
inline constexpr const char* kRunning = "running";
inline constexpr const char* kCompleted = "completed";
inline constexpr const char* kFailed = "failed";
}  // namespace status

/// Group attribute listing a table's column names in order; marks a group as a table.
inline constexpr const char* kColumnsAttribute = "columns";

/// Standard tables created with every run.
inline constexpr const char* kTrainTable = "/train";
inline constexpr const char* kEvalTable = "/eval";
/// The `split` value of validation rows in /eval.
inline constexpr const char* kValSplit = "val";
/// The `split` of a hybrid's rows evaluated without its non-standard layers (the paper's "Skip").
inline constexpr const char* kValSkipSplit = "val_skip";

/// Tables the framework writes when they apply (columns in docs/results-schema.md).
inline constexpr const char* kEvalSlicesTable = "/eval_slices";            ///< step, split, slice, accuracy, answers
inline constexpr const char* kLogitScaleTable = "/analysis/logit_scale";   ///< step, layer, max_abs_score
inline constexpr const char* kMixerStatsTable = "/analysis/mixer_stats";   ///< step, layer, name, value
inline constexpr const char* kNonfiniteTable = "/nonfinite";              ///< step, layer, what
inline constexpr const char* kEvalBudgetTable = "/eval_budget";           ///< attnlab eval with a cache policy
inline constexpr const char* kPersistenceTable = "/analysis/persistence";  ///< layer, persistence
/// Schema 1's mixer statistics (step, layer, dropped_fraction, mean_keep); read, no longer written.
inline constexpr const char* kLegacySparsityTable = "/sparsity";
/// The `layer` of a per-layer table's row that sums up all layers (mixer statistics: their mean).
inline constexpr int64_t kAllLayers = -1;

/// /train: step, tokens, loss, lr, grad_norm, tokens_per_s, wall_s.
const std::vector<Column>& train_columns();
/// /eval: step, split, loss, ppl, bpc, accuracy, answer_loss (probe tasks' scored positions, NaN
/// for text), ar_hit_loss, other_loss, ar_hit_share (text's AR-hit split, NaN for tasks). Older
/// files have a prefix of these: the first five, or seven.
const std::vector<Column>& eval_columns();

}  // namespace attnlab::results
