#include <H5Cpp.h>
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "results/run_reader.h"
#include "results/run_store.h"
#include "temp_dir.h"

using namespace attnlab;
using namespace attnlab::results;

namespace {

void write_valid_run(const std::string& path) {
  RunStore store = RunStore::create(path, RunInfo{});
  for (int64_t step = 0; step < 2000; ++step) store.append("/train", {step, step, 1.0, 1.0, 1.0, 1.0, 1.0});
  store.mark_completed();
}

}  // namespace

TEST_CASE("a file that is not HDF5 is a one-line error", "[run_reader]") {
  test::TempDir dir;
  const std::string path = dir.file("run.h5");
  std::ofstream(path) << "step,loss\n1,2.0\n";
  CHECK_THROWS_MATCHES(RunReader(path), UserError, Catch::Message(path + ": not an HDF5 file"));
  CHECK_THROWS_MATCHES(RunReader(dir.file("none.h5")), UserError, Catch::Message(dir.file("none.h5") + ": no such file"));
}

TEST_CASE("a truncated file is a one-line error", "[run_reader]") {
  test::TempDir dir;
  const std::string valid = dir.file("valid.h5"), truncated = dir.file("run.h5");
  write_valid_run(valid);
  std::filesystem::copy_file(valid, truncated);
  std::filesystem::resize_file(truncated, std::filesystem::file_size(valid) / 2);
  try {
    RunReader reader(truncated);
    FAIL("no error for a truncated file");
  } catch (const UserError& e) {
    const std::string message = e.what();
    CHECK_THAT(message, Catch::StartsWith(truncated + ": truncated or corrupt HDF5 file"));
    CHECK(message.find('\n') == std::string::npos);
  }
}

TEST_CASE("an HDF5 file without the schema attribute is not a run file", "[run_reader]") {
  test::TempDir dir;
  const std::string path = dir.file("other.h5");
  { H5::H5File file(path, H5F_ACC_TRUNC); }
  CHECK_THROWS_MATCHES(RunReader(path), UserError, Catch::Message(path + ": not an attnlab run file (no 'schema_version' attribute)"));
}

TEST_CASE("a run file of another schema version is refused; version 1 is still read and appended to", "[run_reader]") {
  test::TempDir dir;
  const std::string path = dir.file("run.h5");
  {
    RunStore store = RunStore::create(path, RunInfo{});
    store.set_attribute("schema_version", int64_t(3));
  }
  CHECK_THROWS_MATCHES(RunReader(path), UserError, Catch::Message(path + ": schema version 3, this attnlab reads 1-2"));
  CHECK_THROWS_WITH(RunStore::open(path), Catch::Contains("schema version 3"));
  const std::string old = dir.file("old.h5");
  {
    RunStore store = RunStore::create(old, RunInfo{});
    store.set_attribute("schema_version", int64_t(1));
  }
  CHECK_NOTHROW(RunReader(old));
  CHECK_NOTHROW(RunStore::open(old));
}

TEST_CASE("unknown tables and columns name the closest match", "[run_reader]") {
  test::TempDir dir;
  const std::string path = dir.file("run.h5");
  write_valid_run(path);
  RunReader reader(path);
  CHECK_THROWS_WITH(reader.doubles("/trian", "loss"), Catch::Contains("did you mean '/train'"));
  CHECK_THROWS_WITH(reader.doubles("/train", "los"), Catch::Contains("did you mean 'loss'"));
  CHECK_THROWS_WITH(reader.ints("/train", "loss"), Catch::Contains("not an int64 column"));
  CHECK_THROWS_WITH(reader.doubles("/eval", "split"), Catch::Contains("holds strings"));
  CHECK(reader.has_table("/train"));
  CHECK_FALSE(reader.has_table("/sparsity"));
}
