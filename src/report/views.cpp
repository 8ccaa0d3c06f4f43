// write_views: the trials table, run pages, live section and the page script.
#include "hposync/report/views.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

#include "hposync/common/atomic_file.hpp"
#include "hposync/common/error.hpp"
#include "hposync/common/ids.hpp"
#include "hposync/common/keyvalue.hpp"
#include "hposync/protocol/layout.hpp"
#include "hposync/report/cockpit.hpp"
#include "hposync/report/dashboard.hpp"
#include "hposync/report/gnuplot.hpp"
#include "hposync/report/html.hpp"
#include "hposync/report/number_text.hpp"
#include "hposync/report/palette.hpp"
#include "hposync/report/svg.hpp"
#include "hposync/report/timeline.hpp"

namespace hposync::report {
namespace {

std::string cell(const std::string& text, const std::string& sort_value = "") {
    return "<td" + (sort_value.empty() ? "" : " data-v=\"" + html_escape(sort_value) + "\"") + ">" + html_escape(text) + "</td>";
}

std::string number_cell(double v, const char* fmt = "%.4g") {
    if (!std::isfinite(v)) return "<td data-v=\"\">-</td>";
    char buf[48];
    std::snprintf(buf, sizeof buf, fmt, v);
    return "<td data-v=\"" + format_double(v) + "\">" + buf + "</td>";
}

// The job file as the worker read it: jobs/done/<id>.job when it is a regular file,
// else the job keys the result repeats.
std::string job_text(const StudyData& data, const Run& run) {
    protocol::Layout layout(data.dir);
    try {
        return read_file(layout.done_job(run.id), 256 * 1024);
    } catch (const Error&) {
    }
    std::string t = "# from the result (jobs/done/" + run.id + ".job is not readable)\n";
    for (const auto& [k, v] : protocol::job_entries(run.job)) t += k + " = " + v + "\n";  // file order
    return t;
}

std::vector<SvgSeries> epoch_series(const Run& run, int which) {
    SvgSeries a, b;
    for (const auto& e : run.train.epochs) {
        if (which == 0) a.points.push_back({double(e.epoch), e.train_loss}), b.points.push_back({double(e.epoch), e.val_loss});
        else a.points.push_back({double(e.epoch), e.val_error});
    }
    a.colour = "#1f77b4", b.colour = "#d62728";
    if (which == 0) {
        a.name = "training loss", b.name = "validation loss";
        return {a, b};
    }
    a.name = "validation error";
    return {a};
}

void write_run_page(const StudyData& data, const Run& run, PlotSink& sink, const InsightOutput& insight,
                    const std::map<std::string, std::vector<const Finding*>>& findings) {
    std::string h = "<p><a href=\"index.html\">back to the report</a></p>\n<h1>Run " + html_escape(run.id) + "</h1>\n";
    std::vector<Finding> mine;
    if (auto it = findings.find(run.id); it != findings.end())
        for (const Finding* f : it->second) mine.push_back(*f);
    h += "<p>" + html_escape(run.setting()) + ". " + html_escape(run_verdict(run, mine)) + ".</p>\n<table>";
    auto row = [&](const std::string& k, const std::string& v) { h += "<tr><th>" + html_escape(k) + "</th><td>" + html_escape(v) + "</td></tr>"; };
    const double obj = data.objective_value(run);
    row("objective (" + data.objective + ")", std::isfinite(obj) ? show_number(obj) : "no value (" + std::string(to_text(run.status)) + ")");
    row("final validation error", show_number(run.train.final_val_error));
    row("final validation loss", show_number(run.train.final_val_loss));
    row("final training loss", show_number(run.train.final_train_loss));
    row("test accuracy", show_number(run.train.test_accuracy));
    row("epochs / updates", std::to_string(run.train.epochs_done) + " / " + std::to_string(run.train.steps));
    row("training time (s)", show_number(run.train.train_seconds));
    row("worker / host / attempt", run.worker + " / " + run.host + " / " + std::to_string(run.attempt));
    row("started / finished", run.started + " / " + run.finished);
    h += "</table>\n";
    auto page = insight.cockpit_of.find(run.id);
    if (page != insight.cockpit_of.end())
        h += "<p>Cockpit (instrument panels and findings): <a href=\"" + html_escape(page->second) + "\">" +
             html_escape(page->second) + "</a></p>\n";
    if (!mine.empty()) {
        h += "<h2>Findings</h2>\n";
        for (const auto& f : mine)
            h += "<p><b>[" + html_escape(f.rule) + "] " + html_escape(f.title) + "</b><br>evidence: " +
                 html_escape(f.evidence) + "<br>suggestion: " + html_escape(f.suggestion) + "</p>\n";
    }
    h += "<h2>Curves</h2>\n";
    h += svg_line_chart("loss per epoch", "epoch", "cross-entropy", epoch_series(run, 0), true);
    h += svg_line_chart("validation error per epoch", "epoch", "validation error", epoch_series(run, 1));
    if (!run.train.updates.empty()) {
        SvgSeries u;
        u.colour = "#555";
        const size_t stride = std::max<size_t>(1, run.train.updates.size() / 600);
        for (size_t i = 0; i < run.train.updates.size(); i += stride)
            u.points.push_back({double(run.train.updates[i].step), run.train.updates[i].loss});
        h += svg_line_chart("batch loss per update", "update step", "batch loss", {u}, true);
    }
    h += "<h2>Job file</h2>\n<pre>" + html_escape(job_text(data, run)) + "</pre>\n";
    write_file_atomic(sink.out + "/run-" + run.id + ".html", html_page("run " + run.id, h, views_script()), Durability::cached);
}

std::string live_html(const StudyData& data) {
    if (data.open_jobs.empty()) return "";
    std::string h = "<h2 id=\"live\">Pending and running jobs</h2>\n<table id=\"open-jobs\"><tr><th>job</th><th>setting</th><th>state</th>"
                    "<th>worker</th><th>elapsed (s)</th><th>epochs so far</th><th>last val error</th></tr>\n";
    std::vector<SvgSeries> curves;
    std::set<std::string> repeats_seen;
    for (const auto& j : data.open_jobs) {
        h += "<tr>" + cell(j.id) + cell(j.setting) + cell(protocol::to_text(j.state)) + cell(j.worker) + number_cell(j.elapsed_s, "%.0f") +
             number_cell(j.progress.empty() ? NAN : double(j.progress.size()), "%.0f") +
             number_cell(j.progress.empty() ? NAN : j.progress.back().val_error) + "</tr>\n";
        if (j.progress.empty()) continue;
        // The configuration's colour (palette.hpp), as in the plots and the GIF; repeats of
        // one setting running at once differ by dash.
        SvgSeries s;
        // The legend names the setting first (the chart cuts names at 40 characters).
        s.name = (j.setting.empty() ? "" : j.setting + " | ") + j.id + " (" + j.worker + ")";
        s.colour = identity_colour(config_of_job(j.id));
        s.dashed = !repeats_seen.insert(s.colour).second;
        for (const auto& e : j.progress) s.points.push_back({double(e.epoch), e.val_error});
        curves.push_back(s);
    }
    h += "</table>\n";
    if (!curves.empty()) {
        h += "<div id=\"inflight\">" +
             svg_line_chart("in-flight runs: validation error per epoch so far (from results/<id>.progress)", "epoch",
                            "validation error", curves) +
             "</div>\n";
    }
    return h;
}

}  // namespace

std::string trials_table_html(const StudyData& data) {
    std::vector<const Run*> rows;
    for (const auto& r : data.runs) rows.push_back(&r);
    return trials_table_html(data, rows, nullptr, true);
}

std::string trials_table_html(const StudyData& data, const std::vector<const Run*>& rows,
                              const std::set<std::string>* has_page, bool with_unfinished) {
    return trials_table_html(data, data.searched_keys(), rows, has_page, with_unfinished);
}

std::string trials_table_html(const StudyData& data, const std::vector<std::string>& keys,
                              const std::vector<const Run*>& rows, const std::set<std::string>* has_page,
                              bool with_unfinished) {
    std::string h = "<h2 id=\"trials-view\">Trials</h2>\n<p>Every run; click a column header to sort, type to filter. "
                    "Objective: " + html_escape(data.objective_label()) + " (lower is better; - = no value).</p>\n"
                    "<input id=\"trials-filter\" placeholder=\"filter rows\" size=\"40\">\n"
                    "<table id=\"trials\"><thead><tr><th class=\"sort\" data-col=\"id\">job</th>";
    for (const auto& k : keys) h += "<th class=\"sort\" data-col=\"" + html_escape(k) + "\">" + html_escape(k) + "</th>";
    h += "<th class=\"sort\" data-col=\"objective\">" + html_escape(data.objective) + "</th>";
    for (const char* c : {"status", "epochs", "steps", "time_s", "worker", "round", "attempt", "resumes"})
        h += std::string("<th class=\"sort\" data-col=\"") + c + "\">" + c + "</th>";
    h += "</tr></thead><tbody>\n";
    for (const Run* rp : rows) {
        const Run& r = *rp;
        const bool linked = !has_page || has_page->count(r.id);
        h += "<tr><td data-v=\"" + html_escape(r.id) + "\">" +
             (linked ? "<a href=\"run-" + html_escape(r.id) + ".html\">" + html_escape(r.id) + "</a>" : html_escape(r.id)) +
             "</td>";
        for (const auto& k : keys) {
            const std::string v(r.job_text.find(k).value_or(""));
            const double x = r.job_number(k, NAN);
            h += cell(show_value(v), std::isfinite(x) ? format_double(x) : v);
        }
        h += number_cell(data.objective_value(r)) + cell(to_text(r.status)) + number_cell(double(r.train.epochs_done), "%.0f") +
             number_cell(double(r.train.steps), "%.0f") + number_cell(r.train.train_seconds, "%.1f") + cell(r.worker) +
             number_cell(double(r.round), "%.0f") + number_cell(double(r.attempt), "%.0f") +
             number_cell(double(std::max<int64_t>(0, r.train.segments - 1)), "%.0f") + "</tr>\n";
    }
    if (with_unfinished)
        for (const UnfinishedJob& job : data.unfinished) {
            h += "<tr>" + cell(job.id, job.id);
            for (size_t i = 0; i < keys.size(); ++i) h += "<td data-v=\"\"></td>";
            h += "<td data-v=\"\">-</td>" + cell(state_text(job)) + "<td data-v=\"\"></td><td data-v=\"\"></td><td data-v=\"\"></td><td></td><td data-v=\"\"></td>"
                 "<td data-v=\"\"></td><td data-v=\"\"></td></tr>\n";
        }
    return h + "</tbody></table>\n";
}

std::string views_script() {
    // Hand-written, inline: works from file:// with no network and no library. Errors of
    // the page (script errors, images that fail to load) are written into #page-errors.
    return R"JS(<script>
(function () {
  var errors = [];
  function record(text) {
    errors.push(text);
    var box = document.getElementById('page-errors');
    if (box) { box.textContent = errors.join('\n'); box.style.display = 'block'; }
  }
  window.addEventListener('error', function (e) {
    var t = e.target;
    if (t && t !== window && (t.src || t.href)) record('missing resource: ' + (t.src || t.href));
    else record('script error: ' + e.message);
  }, true);
  // Images that did not load (a broken <img> raises no error event in every browser).
  window.addEventListener('load', function () {
    Array.prototype.forEach.call(document.images, function (img) {
      if (!img.complete || img.naturalWidth === 0) record('image did not load: ' + img.getAttribute('src'));
    });
    document.body.setAttribute('data-images-checked', String(document.images.length));
  });
  function value(row, col) {
    var c = row.cells[col];
    return c ? (c.hasAttribute('data-v') ? c.getAttribute('data-v') : c.textContent) : '';
  }
  function sortTable(table, col, descending) {
    var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = value(a, col), y = value(b, col), nx = parseFloat(x), ny = parseFloat(y);
      var ex = x === '', ey = y === '';
      if (ex || ey) return ex === ey ? 0 : ex ? 1 : -1;  // no value: always last
      var d = (!isNaN(nx) && !isNaN(ny) && String(nx) !== 'NaN') ? nx - ny : (x < y ? -1 : x > y ? 1 : 0);
      return descending ? -d : d;
    });
    rows.forEach(function (r) { body.appendChild(r); });
    table.setAttribute('data-sorted', table.tHead.rows[0].cells[col].getAttribute('data-col') + (descending ? ' desc' : ' asc'));
  }
  document.addEventListener('DOMContentLoaded', function () {
    var box = document.createElement('pre');
    box.id = 'page-errors';
    box.style.display = errors.length ? 'block' : 'none';
    box.className = 'warn';
    box.textContent = errors.join('\n');
    document.body.insertBefore(box, document.body.firstChild);
    var table = document.getElementById('trials');
    if (!table) return;
    var heads = table.tHead.rows[0].cells;
    Array.prototype.forEach.call(heads, function (th, i) {
      th.addEventListener('click', function () {
        var desc = table.getAttribute('data-sorted') === th.getAttribute('data-col') + ' asc';
        sortTable(table, i, desc);
      });
    });
    var filter = document.getElementById('trials-filter');
    filter.addEventListener('input', function () {
      var q = filter.value.toLowerCase();
      Array.prototype.forEach.call(table.tBodies[0].rows, function (r) {
        r.style.display = r.textContent.toLowerCase().indexOf(q) >= 0 ? '' : 'none';
      });
    });
    var m = /[#&]sort=([^&]+)/.exec(location.hash);  // e.g. index.html#sort=objective
    if (m) Array.prototype.forEach.call(heads, function (th, i) {
      if (th.getAttribute('data-col') === decodeURIComponent(m[1])) sortTable(table, i, false);
    });
  });
})();
</script>
)JS";
}

namespace {

// A big study (more rows than kTrialsPerPage): the rows best first by the objective (runs
// without a value after them, unfinished jobs last), kTrialsPerPage per page; page 1 in
// index.html, the others in trials-<k>.html with the same sorting and filtering. Run pages
// are written for the runs of page 1 and for every run with a finding or a cockpit page;
// the other rows are not links (their data is in summary.csv and curves.csv). 100,000
// run pages would be ~1 GB of HTML that nobody opens one by one.
std::string paged_trials(const StudyData& data, PlotSink& sink, const InsightOutput& insight,
                         const std::map<std::string, std::vector<const Finding*>>& findings,
                         std::vector<std::string>& files) {
    std::vector<const Run*> order = data.ranked();
    std::set<const Run*> ranked(order.begin(), order.end());
    for (const auto& r : data.runs)
        if (!ranked.count(&r)) order.push_back(&r);
    std::set<std::string> has_page;
    auto page_for = [&](const Run& r) {
        if (!is_valid_id(r.id) || !has_page.insert(r.id).second) return;
        write_run_page(data, r, sink, insight, findings);
        files.push_back("run-" + r.id + ".html");
    };
    for (size_t i = 0; i < order.size() && i < kTrialsPerPage; ++i) page_for(*order[i]);
    for (const auto& r : data.runs)
        if (findings.count(r.id) || insight.cockpit_of.count(r.id)) page_for(r);
    const size_t rows = order.size() + data.unfinished.size();
    const size_t pages = (rows + kTrialsPerPage - 1) / kTrialsPerPage;
    auto page_name = [](size_t k) { return k == 1 ? std::string("index.html#trials-view") : "trials-" + std::to_string(k) + ".html"; };
    auto nav = [&](size_t current) {
        std::string n = "<p class=\"pages\">" + std::to_string(rows) + " rows, best first by " + html_escape(data.objective) +
                        ", " + std::to_string(kTrialsPerPage) + " per page (summary.csv has every run); page:";
        for (size_t k = 1; k <= pages; ++k)
            n += k == current ? " <b>" + std::to_string(k) + "</b>"
                              : " <a href=\"" + page_name(k) + "\">" + std::to_string(k) + "</a>";
        return n + "</p>\n";
    };
    auto slice = [&](size_t k) {
        const size_t lo = (k - 1) * kTrialsPerPage, hi = std::min(order.size(), k * kTrialsPerPage);
        return lo < hi ? std::vector<const Run*>(order.begin() + long(lo), order.begin() + long(hi))
                       : std::vector<const Run*>();
    };
    // The unfinished jobs go on the last page, after the last runs.
    const std::vector<std::string> keys = data.searched_keys();  // once, not once per page
    for (size_t k = 2; k <= pages; ++k) {
        std::string body = "<p><a href=\"index.html\">back to the report</a></p>\n" + nav(k) +
                           trials_table_html(data, keys, slice(k), &has_page, k == pages);
        const std::string file = "trials-" + std::to_string(k) + ".html";
        write_file_atomic(sink.out + "/" + file, html_page("trials, page " + std::to_string(k), body, views_script()),
                          Durability::cached);
        files.push_back(file);
    }
    return trials_table_html(data, keys, slice(1), &has_page, pages == 1) + nav(1);
}

}  // namespace

ViewsOutput write_views(const StudyData& data, PlotSink& sink, const InsightOutput& insight, bool live,
                        StageClock* clock) {
    StageClock unused;
    StageClock& stages = clock ? *clock : unused;
    ViewsOutput out;
    out.head = views_script();
    std::map<std::string, std::vector<const Finding*>> findings;  // run id -> its findings
    for (const auto& f : insight.findings) findings[f.run].push_back(&f);
    std::string& h = out.html_top;
    if (live || !data.finished) h += live_html(data);
    const size_t rows = data.runs.size() + data.unfinished.size();
    if (rows <= kTrialsPerPage) {
        for (const auto& r : data.runs) {
            if (!is_valid_id(r.id)) continue;  // load_study admits only valid ids; never a path part otherwise
            write_run_page(data, r, sink, insight, findings);
            out.files.push_back("run-" + r.id + ".html");
        }
        h += trials_table_html(data);
    } else {
        h += paged_trials(data, sink, insight, findings, out.files);
    }
    stages.mark("views: trials table and run pages");
    const ImportanceView importance = importance_view(data);  // a forest of 64 trees: fitted once
    h += importance_html(data, importance);
    stages.mark("views: importance (fANOVA)");
    const std::string pc = parallel_coordinates_svg(data);
    if (!pc.empty()) {
        write_file_atomic(sink.out + "/parallel_coordinates.svg", pc, Durability::cached);
        out.files.push_back("parallel_coordinates.svg");
        h += "<h2 id=\"parallel\">Parallel coordinates</h2>\n<p>Which regions of the space give good results? One line "
             "per run through its parameter values to its objective. <a href=\"parallel_coordinates.svg\">SVG</a></p>\n"
             "<img src=\"parallel_coordinates.svg\" alt=\"parallel coordinates\">\n";
    }
    const std::string tl = timeline_svg(data);
    if (!tl.empty()) {
        write_file_atomic(sink.out + "/timeline.svg", tl, Durability::cached);
        out.files.push_back("timeline.svg");
    }
    h += timeline_html(data);
    stages.mark("views: parallel coordinates and timeline");
    // The dashboard pages (dashboard.hpp), linked near the top of the index.
    std::set<std::string> has_page;
    for (const auto& f : out.files)
        if (f.rfind("run-", 0) == 0) has_page.insert(f.substr(4, f.size() - 4 - 5));
    const std::vector<std::string> pages = write_dashboard(data, sink.out, has_page, importance);
    out.files.insert(out.files.end(), pages.begin(), pages.end());
    h = dashboard_index_html() + h;
    stages.mark("views: dashboard pages");
    return out;
}

}  // namespace hposync::report
