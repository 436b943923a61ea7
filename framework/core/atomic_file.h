#pragma once
/// Whole-file writes that never leave a half-written file behind. Torch-free.

#include <filesystem>
#include <string>

namespace attnlab {

/// Writes `bytes` to `<path>.tmp.<pid>` and renames it over `path` (parent folders created), so
/// readers, and a process killed mid-write, never leave a half-written `path`. A failed write
/// (disk full, file-size limit, read-only folder) is a one-line UserError naming the file and the
/// system's reason; the temporary is removed and `path` keeps its previous content.
void write_file_atomic(const std::filesystem::path& path, const std::string& bytes);

}  // namespace attnlab
