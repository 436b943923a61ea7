#include <cmath>

#include "pruning/alpha_schedule.h"
#include "support/catch.h"

using namespace attnlab;

TEST_CASE("alpha schedule: cosine from start to end, constant after", "[pruning][schedule]") {
  AlphaSchedule schedule;  // reference defaults: 1 -> 8 over 25000 steps
  CHECK(schedule.at(0) == 1.0);
  CHECK(schedule.at(25000) == 8.0);
  CHECK(schedule.at(1000000) == 8.0);
  CHECK(schedule.at(-5) == 1.0);
  CHECK(schedule.at(12500) == Approx(4.5).margin(1e-12));
  CHECK(schedule.at(6250) == Approx(8.0 - 7.0 * 0.5 * (1.0 + std::cos(M_PI / 4))).margin(1e-12));
  double previous = schedule.at(0);
  for (int64_t step = 1; step <= 25000; ++step) {
    const double alpha = schedule.at(step);
    REQUIRE(alpha >= previous);
    previous = alpha;
  }
  CHECK(schedule.at(1) > 1.0);  // leaves the sigmoid at once, however slowly
}

TEST_CASE("alpha schedule with custom endpoints and a degenerate length", "[pruning][schedule]") {
  AlphaSchedule down{4.0, 2.0, 10};
  CHECK(down.at(0) == 4.0);
  CHECK(down.at(10) == 2.0);
  CHECK(down.at(5) == Approx(3.0).margin(1e-12));
  for (int64_t step = 1; step <= 10; ++step) CHECK(down.at(step) < down.at(step - 1));
  AlphaSchedule none{1.0, 8.0, 0};
  CHECK(none.at(0) == 8.0);
  CHECK(none.at(7) == 8.0);
}
