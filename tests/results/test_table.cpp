#include <catch2/catch.hpp>

#include "analysis/table.h"

using namespace attnlab::analysis;

namespace {

Table sample() {
  Table table;
  table.name = "t";
  table.title = "Perplexity_1 & more";
  table.columns = {"variant", "val ppl", "Δ ppl"};
  table.rows = {{Cell::text_cell("mixer=soft|max"), Cell::mean_std(11, 1.41421356, 2, 2), Cell{"baseline", 0.0, {}}},
                {Cell::text_cell("a, \"b\""), Cell::mean_std(15, 0, 1, 2), Cell::delta(4, 2)},
                {Cell::text_cell("x"), Cell::empty(), Cell::empty()}};
  table.note = "a note";
  return table;
}

}  // namespace

TEST_CASE("cells format numbers, spreads, deltas and counts", "[table]") {
  CHECK(Cell::mean_std(11, 1.41421356, 2, 2).text == "11.00 ± 1.41");
  CHECK(Cell::mean_std(11, 0, 1, 2).text == "11.00");
  CHECK(Cell::mean_std(0, 0, 0, 2).text == "—");
  CHECK(Cell::delta(4, 2).text == "+4.00");
  CHECK(Cell::delta(-0.5, 2).text == "-0.50");
  CHECK(Cell::count(812345).text == "812.3k");
  CHECK(Cell::count(70e6).text == "70.00M");
  CHECK(Cell::number(std::nan(""), 2).text == "—");
}

TEST_CASE("markdown, csv, latex and html renderings", "[table]") {
  const Table table = sample();
  const std::string md = to_markdown(table);
  CHECK_THAT(md, Catch::Contains("### Perplexity_1 & more"));
  CHECK_THAT(md, Catch::Contains("| variant | val ppl | Δ ppl |"));
  CHECK_THAT(md, Catch::Contains("| mixer=soft\\|max | 11.00 ± 1.41 | baseline |"));
  Table piped = table;
  piped.columns[1] = "max |s|";  // a header with pipes (Table 1's logit-scale columns) stays one column
  CHECK_THAT(to_markdown(piped), Catch::Contains("| variant | max \\|s\\| | Δ ppl |"));

  const std::string csv = to_csv(table);
  CHECK(csv ==
        "variant,val ppl,val ppl std,Δ ppl\n"
        "mixer=soft|max,11,1.41421356,0\n"
        "\"a, \"\"b\"\"\",15,,4\n"
        "x,,,\n");

  const std::string tex = to_latex(table);
  CHECK_THAT(tex, Catch::Contains("\\caption{Perplexity\\_1 \\& more}"));
  CHECK_THAT(tex, Catch::Contains("11.00 $\\pm$ 1.41"));
  CHECK_THAT(tex, Catch::Contains("\\toprule"));
  CHECK_THAT(tex, Catch::Contains("x & -- & -- \\\\"));

  const std::string html = to_html(table);
  CHECK_THAT(html, Catch::Contains("<caption>Perplexity_1 &amp; more</caption>"));
  CHECK_THAT(html, Catch::Contains("<td>a, &quot;b&quot;</td>"));
  CHECK_THAT(html, Catch::StartsWith("<div class=\"wide\"><table>") && Catch::Contains("</table></div>"));
}
