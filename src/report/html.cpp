#include "gensweep/report/html.h"

#include "gensweep/report/study_tables.h"

#include "gensweep/report/csv.h"
#include "gensweep/report/plot.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>

namespace gensweep::report {
namespace {

constexpr std::string_view kStyle = R"(
body { font-family: "DejaVu Sans", sans-serif; margin: 2em; color: #222; max-width: 80em; }
h1 { font-size: 1.5em; } h2 { font-size: 1.25em; margin-top: 2em; } h3 { font-size: 1.05em; }
table { border-collapse: collapse; margin: 0.5em 0 1em 0; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; }
td.number { text-align: right; font-variant-numeric: tabular-nums; }
td.best { font-weight: bold; }
th { background: #f3f3f3; }
table.sortable th { cursor: pointer; }
table.sortable th[aria-sort=ascending]::after { content: " \25B2"; }
table.sortable th[aria-sort=descending]::after { content: " \25BC"; }
.spread, .note { color: #666; }
figure { margin: 1em 0; } figure img { max-width: 100%; border: 1px solid #eee; }
code { font-size: 0.9em; word-break: break-all; }
)";

// Sorts a table's body rows by the clicked column: numbers by data-value (NaN and missing cells
// last), text otherwise; a second click reverses.
constexpr std::string_view kScript = R"(
document.querySelectorAll('table.sortable th').forEach(function (th) {
  th.addEventListener('click', function () {
    var table = th.closest('table'), body = table.tBodies[0];
    var column = Array.prototype.indexOf.call(th.parentNode.children, th);
    var ascending = th.getAttribute('aria-sort') !== 'ascending';
    table.querySelectorAll('th').forEach(function (h) { h.removeAttribute('aria-sort'); });
    th.setAttribute('aria-sort', ascending ? 'ascending' : 'descending');
    function key(row) {
      var cell = row.cells[column], v = cell.getAttribute('data-value');
      return v === null ? cell.textContent : v;
    }
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = key(a), y = key(b), nx = parseFloat(x), ny = parseFloat(y), c;
      if (!isNaN(nx) && !isNaN(ny)) c = nx - ny;
      else if (!isNaN(nx)) return -1;
      else if (!isNaN(ny)) return 1;
      else c = x.localeCompare(y);
      return ascending ? c : -c;
    });
    rows.forEach(function (row) { body.appendChild(row); });
  });
});
)";

// " ± std" or " [low, high]" as results.tex shows it; "" when the entry has no spread.
std::string spread_text(const MetricEntry& e, int decimals) {
  const auto& d = e.diagnostics;
  auto number = [&](const char* key) -> std::optional<double> {
    if (!d.is_object() || !d.contains(key) || !d[key].is_number()) return std::nullopt;
    return d[key].get<double>();
  };
  // A KID computed once on all pairs ("full") has no spread: its std of 0 says nothing.
  const bool single_estimate =
      d.is_object() && d.contains("full") && d["full"].is_boolean() && d["full"].get<bool>();
  if (auto std_dev = number("std"); std_dev && !single_estimate)
    return " ± " + format_fixed(*std_dev, decimals);
  auto low = number("ci_low"), high = number("ci_high");
  if (low && high)
    return fmt::format(" [{}, {}]", format_fixed(*low, decimals), format_fixed(*high, decimals));
  return "";
}

void append_table(std::string& out, const ResultTable& table, const TableOptions& options) {
  const Better better = options.better_for(table.metric);
  const int decimals = options.decimals_for(table.metric);
  out +=
      fmt::format("<h3 id=\"table-{0}-{1}\">{0} ({2}), reference: {1}</h3>\n",
                  html_escape(table.metric), html_escape(table.reference), direction_words(better));
  out += "<table class=\"sortable results\">\n<thead><tr><th>evaluated</th>";
  for (const auto& column : table.columns)
    out += "<th>" + html_escape(column) + "</th>";
  out += "</tr></thead>\n<tbody>\n";
  // The best cell of each column (rank 0), bold as in results.tex.
  std::vector<std::vector<int>> ranks;
  for (std::size_t c = 0; c < table.columns.size(); ++c) {
    std::vector<double> values(table.rows.size(), NAN);
    for (std::size_t r = 0; r < table.rows.size(); ++r)
      if (const MetricEntry* e = table.at(r, c)) values[r] = e->value;
    ranks.push_back(plot::ranks_within(values, better));
  }
  std::vector<std::string> notes;
  for (std::size_t r = 0; r < table.rows.size(); ++r) {
    out += "<tr><td>" + html_escape(table.rows[r]) + "</td>";
    for (std::size_t c = 0; c < table.columns.size(); ++c) {
      const MetricEntry* e = table.at(r, c);
      if (e == nullptr) {
        out += "<td class=\"number\">—</td>";
        continue;
      }
      const std::string fallback = fallback_note(*e);
      if (!fallback.empty())
        notes.push_back(fmt::format("{} in {}: {}", e->evaluated, e->backbone, fallback));
      const std::string spread = options.show_spread ? spread_text(*e, decimals) : "";
      out += fmt::format("<td class=\"number{}\" data-value=\"{}\">{}{}{}</td>",
                         ranks[c][r] == 0 ? " best" : "", csv_number(e->value),
                         format_fixed(e->value, decimals), fallback.empty() ? "" : "†",
                         spread.empty() ? "" : "<span class=\"spread\">" + spread + "</span>");
    }
    out += "</tr>\n";
  }
  out += "</tbody>\n</table>\n";
  for (const auto& note : notes)
    out += "<p class=\"note\">† " + html_escape(note) + "</p>\n";
}

void append_fact(std::string& out, std::string_view name, std::string_view value) {
  out += fmt::format("<tr><th>{}</th><td><code>{}</code></td></tr>\n", name, html_escape(value));
}

void append_links(std::string& out, std::string_view title, const std::vector<std::string>& files) {
  if (files.empty()) return;
  out += fmt::format("<h3>{}</h3>\n<ul>\n", title);
  for (const auto& file : files)
    out += fmt::format("<li><a href=\"{0}\">{0}</a></li>\n", html_escape(file));
  out += "</ul>\n";
}

// A study: per (backbone, metric) the factors by levels with mean and rank, then the agreement
// of the feature spaces' rankings (the same grids as results.md, study_tables.h).
void append_study(std::string& out, const StudyResults& study, const TableOptions& options) {
  out += fmt::format(
      "<h3 id=\"study-{0}\">Study {0}: {1} of {2} by {3} and {4}, reference: "
      "{5}</h3>\n",
      html_escape(study.id), html_escape(fmt::format("{}", fmt::join(study.metrics, ", "))),
      html_escape(study.base), html_escape(study.factor_name), html_escape(study.level_name),
      html_escape(study.reference));
  for (const auto& grid : study_grids(study)) {
    const int decimals = options.decimals_for(grid.metric);
    out += fmt::format(
        "<h4>{} in {}{}</h4>\n", html_escape(grid.metric), html_escape(grid.backbone),
        std::isnan(grid.base) ? std::string()
                              : fmt::format(" ({} uncorrupted: {})", html_escape(study.base),
                                            format_fixed(grid.base, decimals)));
    out += "<table class=\"sortable results\">\n<thead><tr><th>" + html_escape(study.factor_name) +
           "</th>";
    for (double level : grid.levels)
      out += fmt::format("<th>{} {}</th>", html_escape(study.level_name), level_text(level));
    out += "<th>mean</th><th>rank</th></tr></thead>\n<tbody>\n";
    for (std::size_t r = 0; r < grid.factors.size(); ++r) {
      out += "<tr><td>" + html_escape(grid.factors[r]) + "</td>";
      for (std::size_t c = 0; c < grid.levels.size(); ++c) {
        const std::size_t k = r * grid.levels.size() + c;
        out += fmt::format("<td class=\"number\">{}{}</td>", format_fixed(grid.values[k], decimals),
                           grid.stds[k] ? " ± " + format_fixed(*grid.stds[k], decimals) : "");
      }
      out += fmt::format("<td class=\"number\">{}</td><td class=\"number\">{}</td></tr>\n",
                         std::isnan(grid.means[r]) ? "—" : format_fixed(grid.means[r], decimals),
                         grid.ranks[r] ? std::to_string(grid.ranks[r]) : "—");
    }
    out += "</tbody>\n</table>\n";
  }
  for (const auto& a : study.agreements) {
    const std::size_t n = a.backbones.size();
    out += fmt::format(
        "<h4>Agreement of the feature spaces' rankings by {}: Kendall's tau-b / Spearman's "
        "rho</h4>\n<table>\n<thead><tr><th></th>",
        html_escape(a.metric));
    for (const auto& b : a.backbones)
      out += "<th>" + html_escape(b) + "</th>";
    out += "</tr></thead>\n<tbody>\n";
    for (std::size_t i = 0; i < n; ++i) {
      out += "<tr><td>" + html_escape(a.backbones[i]) + "</td>";
      for (std::size_t j = 0; j < n; ++j)
        out += fmt::format("<td class=\"number\">{} / {}</td>",
                           format_fixed(agreement_at(a.kendall_tau, n, i, j), 3),
                           format_fixed(agreement_at(a.spearman_rho, n, i, j), 3));
      out += "</tr>\n";
    }
    out += "</tbody>\n</table>\n";
  }
}

}  // namespace

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string base64(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const unsigned v = static_cast<unsigned char>(bytes[i]) << 16 |
                       static_cast<unsigned char>(bytes[i + 1]) << 8 |
                       static_cast<unsigned char>(bytes[i + 2]);
    out += {kAlphabet[v >> 18], kAlphabet[(v >> 12) & 63], kAlphabet[(v >> 6) & 63],
            kAlphabet[v & 63]};
  }
  const std::size_t left = bytes.size() - i;
  if (left > 0) {
    unsigned v = static_cast<unsigned char>(bytes[i]) << 16;
    if (left == 2) v |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += left == 2 ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string html_report(const RunResults& results, const TableOptions& options,
                        std::span<const HtmlFigure> figures, const HtmlLinks& links) {
  std::string out;
  out += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  out += fmt::format("<title>gensweep: {}</title>\n", html_escape(results.job_name));
  out += fmt::format("<style>{}</style>\n</head>\n<body>\n", kStyle);
  out += fmt::format("<h1>gensweep results: {}</h1>\n", html_escape(results.job_name));
  out += fmt::format("<p>Created {} by gensweep {} on {} rank(s) in {:.1f} s.</p>\n",
                     html_escape(results.created_utc), html_escape(results.tool_version),
                     results.ranks, results.seconds);

  out += "<h2 id=\"results\">Results</h2>\n";
  out +=
      "<p class=\"note\">Click a column header to sort by it. Bold: the best value of each "
      "column by the metric's direction.</p>\n";
  const std::vector<ResultTable> tables = build_tables(results);
  if (tables.empty()) out += "<p>No metric was computed.</p>\n";
  for (const auto& table : tables)
    append_table(out, table, options);
  if (!results.studies.empty()) {
    out += "<h2 id=\"studies\">Studies</h2>\n";
    for (const auto& study : results.studies)
      append_study(out, study, options);
  }

  if (!figures.empty()) {
    out += "<h2 id=\"figures\">Figures</h2>\n";
    for (const auto& f : figures) {
      out += fmt::format(
          "<figure id=\"figure-{0}\"><img alt=\"{1}\" src=\"data:image/svg+xml;base64,{2}\">"
          "<figcaption>{1} (figures/{0}.pdf, .svg, .png)</figcaption></figure>\n",
          html_escape(f.stem), html_escape(f.title), base64(f.svg));
    }
  }

  out += "<h2 id=\"warnings\">Warnings</h2>\n";
  if (results.warnings.empty()) {
    out += "<p>None.</p>\n";
  } else {
    out += "<ul>\n";
    for (const auto& w : results.warnings)
      out += "<li>" + html_escape(w) + "</li>\n";
    out += "</ul>\n";
  }

  out += "<h2 id=\"diagnostics\">Diagnostics</h2>\n";
  out +=
      "<table class=\"sortable\">\n<thead><tr><th>reference</th><th>evaluated</th>"
      "<th>backbone</th><th>metric</th><th>diagnostics</th></tr></thead>\n<tbody>\n";
  for (const auto& e : results.entries) {
    out += fmt::format(
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td>"
        "</tr>\n",
        html_escape(e.reference), html_escape(e.evaluated), html_escape(e.backbone),
        html_escape(e.metric),
        html_escape(e.diagnostics.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)));
  }
  out += "</tbody>\n</table>\n";

  out += "<h2 id=\"provenance\">Provenance</h2>\n<table>\n";
  append_fact(out, "job", results.job_name);
  append_fact(out, "job file", results.job_file);
  append_fact(out, "config hash", results.config_hash);
  append_fact(out, "gensweep version", results.tool_version);
  append_fact(out, "git commit", results.git_commit);
  append_fact(out, "created (UTC)", results.created_utc);
  append_fact(out, "ranks", std::to_string(results.ranks));
  out +=
      "</table>\n<h3>Datasets</h3>\n<table class=\"sortable\">\n<thead><tr><th>id</th>"
      "<th>source</th><th>images</th><th>valid</th><th>failed</th><th>fingerprint</th></tr>"
      "</thead>\n<tbody>\n";
  for (const auto& d : results.datasets) {
    out += fmt::format(
        "<tr><td>{}</td><td>{}</td><td class=\"number\">{}</td>"
        "<td class=\"number\">{}</td><td class=\"number\">{}</td><td><code>{}</code>"
        "</td></tr>\n",
        html_escape(d.id), html_escape(d.source), d.images, d.valid, d.failed,
        html_escape(d.fingerprint));
  }
  out +=
      "</tbody>\n</table>\n<h3>Backbones</h3>\n<table class=\"sortable\">\n<thead><tr>"
      "<th>id</th><th>kind</th><th>dim</th><th>identity</th><th>preprocessing</th></tr>"
      "</thead>\n<tbody>\n";
  for (const auto& b : results.backbones) {
    out += fmt::format(
        "<tr><td>{}</td><td>{}</td><td class=\"number\">{}</td><td><code>{}</code>"
        "</td><td><code>{}</code></td></tr>\n",
        html_escape(b.id), html_escape(b.kind), b.dim, html_escape(b.identity),
        html_escape(b.preprocessing));
  }
  out += "</tbody>\n</table>\n";
  if (!links.rankings.empty() || !links.contact_sheets.empty()) {
    out += "<h2 id=\"files\">Per-image files</h2>\n";
    append_links(out, "Contact sheets", links.contact_sheets);
    append_links(out, "Rankings", links.rankings);
  }
  out += fmt::format("<script>{}</script>\n</body>\n</html>\n", kScript);
  return out;
}

}  // namespace gensweep::report
