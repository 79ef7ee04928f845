#pragma once
// Every report writer in one include, for the callers that produce a run's outputs (pipeline,
// CLI). Code that needs one format includes its header (json.h, csv.h, markdown.h, latex.h).

#include "gensweep/report/csv.h"
#include "gensweep/report/json.h"
#include "gensweep/report/latex.h"
#include "gensweep/report/markdown.h"
#include "gensweep/report/results.h"
#include "gensweep/report/tables.h"
#include "gensweep/report/visual_outputs.h"
#include "gensweep/report/write_all.h"
