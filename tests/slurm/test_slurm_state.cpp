// Reading Slurm's own reports: scontrol (live records) and sacct (accounting), and what
// index.yaml records for each final state.
#include <stdexcept>

#include "run/slurm_state.h"
#include "support/catch.h"

using namespace attnlab::slurm;

namespace {

// Captured from `scontrol -o show job 1` on Slurm 22.05 (Debian 12) during a 6-task array with
// %2: task 0 completed, 1 exited 3, 2 cancelled while running (scancel 1_2), 3 killed by
// SIGKILL, 4 running, 5 pending (trimmed after Reason/ExitCode; records are one line each).
const char* kScontrol =
    "JobId=1 ArrayJobId=1 ArrayTaskId=5%2 ArrayTaskThrottle=2 JobName=job.sh UserId=root(0) "
    "JobState=PENDING Reason=JobArrayTaskLimit Dependency=(null) Requeue=1 Restarts=0 BatchFlag=1 Reboot=0 "
    "ExitCode=0:0 RunTime=00:00:00 TimeLimit=00:01:00 Command=/tmp/job.sh WorkDir=/tmp Power= \n"
    "JobId=6 ArrayJobId=1 ArrayTaskId=4 ArrayTaskThrottle=2 JobName=job.sh JobState=RUNNING Reason=None "
    "ExitCode=0:0 RunTime=00:00:01\n"
    "JobId=5 ArrayJobId=1 ArrayTaskId=3 ArrayTaskThrottle=2 JobName=job.sh JobState=FAILED "
    "Reason=JobLaunchFailure ExitCode=0:9\n"
    "JobId=4 ArrayJobId=1 ArrayTaskId=2 ArrayTaskThrottle=2 JobName=job.sh JobState=CANCELLED Reason=None "
    "ExitCode=0:15\n"
    "JobId=3 ArrayJobId=1 ArrayTaskId=1 ArrayTaskThrottle=2 JobName=job.sh JobState=FAILED "
    "Reason=NonZeroExitCode ExitCode=3:0\n"
    "JobId=2 ArrayJobId=1 ArrayTaskId=0 ArrayTaskThrottle=2 JobName=job.sh JobState=COMPLETED Reason=None "
    "ExitCode=0:0\n";

}  // namespace

TEST_CASE("array index expressions", "[slurm]") {
  CHECK(parse_array_indices("3") == std::vector<int>{3});
  CHECK(parse_array_indices("2-5") == std::vector<int>{2, 3, 4, 5});
  CHECK(parse_array_indices("2-5%2") == std::vector<int>{2, 3, 4, 5});
  CHECK(parse_array_indices("[0,2-3]") == std::vector<int>{0, 2, 3});
  CHECK(parse_array_indices("0-9:3") == std::vector<int>{0, 3, 6, 9});
  CHECK_THROWS_AS(parse_array_indices(""), std::invalid_argument);
  CHECK_THROWS_AS(parse_array_indices("5-2"), std::invalid_argument);
  CHECK_THROWS_AS(parse_array_indices("x"), std::invalid_argument);
}

TEST_CASE("scontrol records: one per task, pending tasks as a range", "[slurm]") {
  const auto states = parse_scontrol(kScontrol, "1");
  REQUIRE(states.size() == 6);
  CHECK(states.at(0).state == "COMPLETED");
  CHECK(states.at(1).state == "FAILED");
  CHECK(states.at(1).exit_code == 3);
  CHECK(states.at(2).state == "CANCELLED");
  CHECK(states.at(2).signal == 15);
  CHECK(states.at(3).signal == 9);
  CHECK(states.at(4).state == "RUNNING");
  CHECK(states.at(5).state == "PENDING");
  CHECK(parse_scontrol(kScontrol, "12").empty());  // another array
  const auto pending = parse_scontrol("JobId=7 ArrayJobId=7 ArrayTaskId=1-3%2 JobState=PENDING ExitCode=0:0\n", "7");
  CHECK(pending.size() == 3);
  CHECK(pending.count(2) == 1);
}

TEST_CASE("sacct rows: tasks, ranges, 'CANCELLED by uid', steps skipped", "[slurm]") {
  const auto states = parse_sacct(
      "1234_0|COMPLETED|0:0\n"
      "1234_0.batch|COMPLETED|0:0\n"
      "1234_1|FAILED|1:0\n"
      "1234_2|CANCELLED by 0|0:15\n"
      "1234_[3-5%2]|PENDING|0:0\n"
      "99_1|COMPLETED|0:0\n",
      "1234");
  REQUIRE(states.size() == 6);
  CHECK(states.at(0).state == "COMPLETED");
  CHECK(states.at(1).exit_code == 1);
  CHECK(states.at(2).state == "CANCELLED");
  CHECK(states.at(2).signal == 15);
  CHECK(states.at(4).state == "PENDING");
  CHECK(parse_sacct("", "1234").empty());
}

TEST_CASE("final states", "[slurm]") {
  for (const char* state : {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "OUT_OF_MEMORY", "NODE_FAIL", "PREEMPTED"}) {
    CHECK(is_final(state));
  }
  for (const char* state : {"PENDING", "RUNNING", "COMPLETING", "CONFIGURING", "SUSPENDED", "REQUEUED", ""}) {
    CHECK_FALSE(is_final(state));
  }
}

TEST_CASE("what index.yaml records for an ended task", "[slurm]") {
  CHECK(task_outcome({"COMPLETED", 0, 0}, "7_0", "").completed);
  const TaskOutcome own_error = task_outcome({"FAILED", 2, 0}, "7_1", "data.path: file not found: missing.txt");
  CHECK_FALSE(own_error.completed);
  CHECK(own_error.error == "data.path: file not found: missing.txt");
  CHECK_FALSE(own_error.process_died);
  CHECK(task_outcome({"FAILED", 3, 0}, "7_1", "").error == "exit code 3");
  const TaskOutcome killed = task_outcome({"FAILED", 0, 9}, "7_3", "");
  CHECK(killed.error == "killed by signal 9 (Killed)");
  CHECK(killed.process_died);
  const TaskOutcome cancelled = task_outcome({"CANCELLED", 0, 15}, "7_2", "");
  CHECK(cancelled.error == "Slurm job 7_2 CANCELLED (scancel, or an administrator)");
  CHECK(cancelled.process_died);
  CHECK(task_outcome({"TIMEOUT", 0, 1}, "7_4", "").error == "Slurm job 7_4 TIMEOUT (reached its time limit: launcher.time)");
  CHECK(task_outcome({"OUT_OF_MEMORY", 0, 9}, "7_5", "").error.find("launcher.mem") != std::string::npos);
}
