#include "gensweep/report/write_all.h"

#include "gensweep/core/error.h"
#include "gensweep/report/atomic_file.h"
#include "gensweep/report/both_ways_tables.h"
#include "gensweep/report/csv.h"
#include "gensweep/report/json.h"
#include "gensweep/report/latex.h"
#include "gensweep/report/markdown.h"
#include "gensweep/report/study_tables.h"

#include <system_error>

namespace gensweep::report {

void write_all(const RunResults& results, const std::filesystem::path& out_dir,
               const TableOptions& options) {
  std::string json = to_json_text(results);
  std::string csv = to_csv(results);
  std::string markdown = markdown_report(results, options);
  std::string latex = latex_document(results, options);
  std::string both_ways = both_ways_csv(results);
  std::string rarest_overlap = rarest_overlap_csv(results);

  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  GENSWEEP_CHECK(!ec, IoError, "cannot create the output directory '{}': {}", out_dir.string(),
                 ec.message());
  // JSON last: its presence with a new created_utc is what tools take as "the run finished".
  write_file_atomically(out_dir / kCsvFileName, csv);
  write_file_atomically(out_dir / kMarkdownFileName, markdown);
  write_file_atomically(out_dir / kLatexFileName, latex);
  if (!results.studies.empty()) {
    write_file_atomically(out_dir / kStudiesCsvFileName, studies_csv(results.studies));
    write_file_atomically(out_dir / kStudyAgreementCsvFileName,
                          study_agreement_csv(results.studies));
  }
  // Only runs with a both-ways comparison have these (both_ways_tables.h).
  if (!both_ways.empty()) write_file_atomically(out_dir / kBothWaysCsvFileName, both_ways);
  if (!rarest_overlap.empty())
    write_file_atomically(out_dir / kRarestOverlapCsvFileName, rarest_overlap);
  write_file_atomically(out_dir / kJsonFileName, json);
}

}  // namespace gensweep::report
