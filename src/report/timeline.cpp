#include "hposync/report/timeline.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <map>

#include "hposync/report/dashboard.hpp"
#include "hposync/report/html.hpp"
#include "hposync/report/svg.hpp"

namespace hposync::report {

double parse_utc(const std::string& stamp) {
    int y, mo, d, h, mi, s;
    char z = 0;
    if (std::sscanf(stamp.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%c", &y, &mo, &d, &h, &mi, &s, &z) != 7 || z != 'Z') return NAN;
    std::tm tm{};
    tm.tm_year = y - 1900, tm.tm_mon = mo - 1, tm.tm_mday = d, tm.tm_hour = h, tm.tm_min = mi, tm.tm_sec = s;
    return double(::timegm(&tm));
}

namespace {

std::string lane_of(const Run& r) { return r.worker + (r.host.empty() ? "" : " @ " + r.host); }

const char* status_colour(RunStatus status) {
    return status == RunStatus::ok ? "#4c9a2a" : status == RunStatus::diverged ? "#e08214" : "#c51b1b";
}

}  // namespace

TimelineView timeline_view(const StudyData& data) {
    TimelineView view;
    double t0 = INFINITY, t1 = -INFINITY;
    for (const auto& r : data.runs) {
        const double a = parse_utc(r.started), b = parse_utc(r.finished);
        if (!std::isfinite(a) || !std::isfinite(b)) continue;
        view.bars.push_back({&r, lane_of(r), a, std::max(b, a + 0.5)});
        t0 = std::min(t0, a), t1 = std::max(t1, std::max(b, a + 0.5));
    }
    if (view.bars.empty()) return view;
    // The master's requeues, "2026-11-24T15:04:05Z <why>" each (protocol/attempts_file).
    for (const auto& [id, reasons] : data.requeues)
        for (const auto& line : reasons) {
            const double at = parse_utc(line.substr(0, line.find(' ')));
            if (!std::isfinite(at)) continue;
            view.requeues.push_back({id, line.find(' ') == std::string::npos ? "" : line.substr(line.find(' ') + 1), at});
            t0 = std::min(t0, at), t1 = std::max(t1, at);
        }
    view.t0 = t0, view.span = std::max(1.0, t1 - t0);
    for (auto& b : view.bars) {
        b.from -= t0, b.to -= t0;
        if (std::find(view.lanes.begin(), view.lanes.end(), b.lane) == view.lanes.end()) view.lanes.push_back(b.lane);
    }
    for (auto& e : view.requeues) e.at -= t0;
    std::sort(view.lanes.begin(), view.lanes.end());
    return view;
}

std::string timeline_svg(const StudyData& data) {
    const TimelineView view = timeline_view(data);
    if (view.bars.empty()) return "";
    const int L = 170, R = 20, T = 30, lane_h = 22, W = 1100;
    const int H = T + lane_h * int(view.lanes.size()) + 45;
    const double pw = W - L - R;
    auto X = [&](double t) { return L + t / view.span * pw; };
    std::string out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(W) + "\" height=\"" +
                      std::to_string(H) + "\" font-family=\"sans-serif\" font-size=\"11\">\n";
    out += "<text x=\"" + std::to_string(W / 2) + "\" y=\"16\" text-anchor=\"middle\" font-size=\"13\">jobs per worker over time "
           "(green ok, orange diverged, red failed; black outline: a retry after a requeue; white dot: resumed after a "
           "hand-back; grey dashes: requeues)</text>\n";
    char buf[256];
    std::map<std::string, int> lane_y;
    for (const auto& name : view.lanes) {
        const int y = T + lane_h * int(lane_y.size());
        lane_y[name] = y;
        out += "<text x=\"" + std::to_string(L - 6) + "\" y=\"" + std::to_string(y + 15) + "\" text-anchor=\"end\">" +
               html_escape(name) + "</text>\n";
    }
    for (const auto& b : view.bars) {
        const Run& r = *b.run;
        const int y = lane_y[b.lane];
        const bool retried = r.attempt > 1 || data.requeues.count(r.id);
        std::snprintf(buf, sizeof buf,
                      "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\" stroke=\"%s\" stroke-width=\"%s\">",
                      X(b.from), y + 3, std::max(1.0, X(b.to) - X(b.from)), lane_h - 6, status_colour(r.status),
                      retried ? "#000" : "#fff", retried ? "2" : "0.5");
        out += buf;
        out += "<title>" + html_escape(r.id + " " + to_text(r.status) + ", attempt " + std::to_string(r.attempt) +
                                       (r.train.segments > 1 ? ", resumed " + std::to_string(r.train.segments - 1) + "x" : "") +
                                       ", " + r.started + " .. " + r.finished) +
               "</title></rect>\n";
        if (r.train.segments > 1) {
            std::snprintf(buf, sizeof buf, "<circle cx=\"%.1f\" cy=\"%d\" r=\"3\" fill=\"#fff\" stroke=\"#000\"/>\n", X(b.from) + 4,
                          y + lane_h / 2);
            out += buf;
        }
    }
    for (const auto& e : view.requeues) {
        std::snprintf(buf, sizeof buf, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" stroke=\"#666\" stroke-dasharray=\"3,3\">",
                      X(e.at), X(e.at), T, H - 45);
        out += buf;
        out += "<title>" + html_escape("requeue of " + e.job + ": " + e.why) + "</title></line>\n";
    }
    for (int k = 0; k <= 5; ++k) {
        const double t = view.span * k / 5;
        std::snprintf(buf, sizeof buf, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">+%s s</text>\n", X(t), H - 25,
                      svg_num(t).c_str());
        out += buf;
    }
    out += "<text x=\"" + std::to_string(L + int(pw / 2)) + "\" y=\"" + std::to_string(H - 8) +
           "\" text-anchor=\"middle\">wall-clock time since the first job started (from the results' started / finished)</text>\n";
    return out + "</svg>\n";
}

std::string timeline_html(const StudyData& data) {
    std::string h = "<h2 id=\"timeline\">Timeline</h2>\n";
    if (timeline_svg(data).empty()) return h + "<p>No result carries start and finish times yet.</p>\n";
    h += "<p>Where did the time go? One lane per worker and host; hover a bar for the job. "
         "<a href=\"timeline.svg\">timeline.svg</a></p>\n<img src=\"timeline.svg\" alt=\"timeline\">\n";
    size_t failed = 0;
    for (const UnfinishedJob& job : data.unfinished) failed += job.state == protocol::JobState::failed;
    if (!data.requeues.empty()) {
        h += "<p>Requeues and hand-backs recorded by the master (jobs/attempts):</p><ul>\n";
        for (const auto& [id, reasons] : data.requeues)
            for (const auto& why : reasons) h += "<li>" + html_escape(id) + ": " + html_escape(why) + "</li>\n";
        h += "</ul>\n";
    }
    if (failed) h += "<p class=\"warn\">" + std::to_string(failed) + " job(s) failed (the master gave up on them): see the trials table.</p>\n";
    return h;
}

}  // namespace hposync::report
