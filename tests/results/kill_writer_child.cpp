// Writer child for kill_writer_test.sh: appends deterministic /train rows (and an /eval row every
// `flush_every` rows), flushes every `flush_every` rows, and after each flush appends the number of
// flushed /train rows to `progress_file`. Runs until killed (or `max_rows`).
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <limits>
#include <string>

#include "results/run_store.h"


static const double kNaN = std::numeric_limits<double>::quiet_NaN();  // /eval accuracy of a text run

using namespace attnlab::results;

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s RUN_H5 FLUSH_EVERY PROGRESS_FILE [MAX_ROWS]\n", argv[0]);
    return 2;
  }
  const std::string path = argv[1];
  const int64_t flush_every = std::atoll(argv[2]);
  const int64_t max_rows = argc > 4 ? std::atoll(argv[4]) : INT64_MAX;
  const int progress = ::open(argv[3], O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
  RunInfo info;
  info.config_yaml = "mixer:\n  name: softmax\ntrain:\n  steps: 1000000\n";
  info.seed = 7;
  RunStore store = RunStore::create(path, info);
  for (int64_t step = 0; step < max_rows; ++step) {
    const double s = static_cast<double>(step);
    store.append("/train", {step, step * 256, 10.0 / (1.0 + s), 1e-3, 1.0 + s, 1000.0 + s, 0.01 * s});
    if ((step + 1) % flush_every == 0) {
      store.append("/eval", {step, std::string("val"), 10.0 / (1.0 + s), 1.0 + s, 2.0 / (1.0 + s), kNaN, kNaN, kNaN, kNaN, kNaN});
      store.flush();
      const std::string line = std::to_string(step + 1) + "\n";
      if (::write(progress, line.data(), line.size()) < 0) return 1;
    }
  }
  store.mark_completed();
  return 0;
}
