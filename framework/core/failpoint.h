#pragma once
/// Failpoints: named places in the code where a reliability test can make the process die, as a
/// kill -9 or a crash at exactly that moment would. Inactive unless ATTNLAB_FAILPOINT is set:
///
///   ATTNLAB_FAILPOINT=<name>[:<n>[:<action>]][@<text>]
///
/// fires at the n-th time (default 1) the point `name` is reached. Actions: `kill` (SIGKILL, the
/// default), `segv` (SIGSEGV, a crash) or `abort`. With `@text` it fires only in a process whose
/// command line contains `text` (one job of a sweep: `@lr=0.1`). Names in use:
///   train.step        after an optimizer step, before its row is logged
///   eval.batch        between two evaluation batches
///   rows.flush.before a checkpoint is due, its rows not yet flushed to run.h5
///   rows.flush.after  its rows flushed, the checkpoint not yet written
///   checkpoint.write  the checkpoint's temporary file written, not yet renamed
///   checkpoint.renamed the checkpoint renamed into place
///   file.write        an atomic file's temporary (report, index.yaml) written, not yet renamed
/// Torch-free; the check is one cached branch when unset.

namespace attnlab {

/// Reached the failpoint `name`: dies here if ATTNLAB_FAILPOINT says so, else returns.
void failpoint(const char* name);

}  // namespace attnlab
