// Writes the sample results with a study and a both-ways comparison (sample_results.h) with
// write_all into the directory given as the only argument, for the schema tests that run the Python
// validator on a real results.json.

#include "gensweep/report/write_all.h"
#include "sample_results.h"

#include <exception>
#include <iostream>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: write_sample_results OUT_DIR\n";
    return 2;
  }
  try {
    gensweep::report::RunResults results = gensweep::testing::sample_results_with_both_ways();
    results.studies = gensweep::testing::sample_results_with_study().studies;
    gensweep::report::write_all(results, argv[1]);
  } catch (const std::exception& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
  return 0;
}
