#include "hposync/report/timeline.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <map>

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

struct Bar {
    const Run* run;
    double from, to;
};

std::string lane_of(const Run& r) { return r.worker + (r.host.empty() ? "" : " @ " + r.host); }

const char* status_colour(RunStatus status) {
    return status == RunStatus::ok ? "#4c9a2a" : status == RunStatus::diverged ? "#e08214" : "#c51b1b";
}

}  // namespace

std::string timeline_svg(const StudyData& data) {
    std::map<std::string, std::vector<Bar>> lanes;
    double t0 = INFINITY, t1 = -INFINITY;
    for (const auto& r : data.runs) {
        const double a = parse_utc(r.started), b = parse_utc(r.finished);
        if (!std::isfinite(a) || !std::isfinite(b)) continue;
        lanes[lane_of(r)].push_back({&r, a, std::max(b, a + 0.5)});
        t0 = std::min(t0, a), t1 = std::max(t1, std::max(b, a + 0.5));
    }
    if (lanes.empty()) return "";
    const int L = 170, R = 20, T = 30, lane_h = 22, W = 1100;
    const int H = T + lane_h * int(lanes.size()) + 45;
    const double pw = W - L - R;
    auto X = [&](double t) { return L + (t - t0) / std::max(1.0, t1 - t0) * pw; };
    std::string out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(W) + "\" height=\"" +
                      std::to_string(H) + "\" font-family=\"sans-serif\" font-size=\"11\">\n";
    out += "<text x=\"" + std::to_string(W / 2) + "\" y=\"16\" text-anchor=\"middle\" font-size=\"13\">jobs per worker over time "
           "(green ok, orange diverged, red failed; black outline: ran after a requeue)</text>\n";
    char buf[256];
    int lane = 0;
    for (const auto& [name, bars] : lanes) {
        const int y = T + lane_h * lane++;
        out += "<text x=\"" + std::to_string(L - 6) + "\" y=\"" + std::to_string(y + 15) + "\" text-anchor=\"end\">" +
               html_escape(name) + "</text>\n";
        for (const auto& b : bars) {
            const bool requeued = b.run->attempt > 1 || data.requeues.count(b.run->id);
            std::snprintf(buf, sizeof buf,
                          "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\" stroke=\"%s\" stroke-width=\"%s\">",
                          X(b.from), y + 3, std::max(1.0, X(b.to) - X(b.from)), lane_h - 6, status_colour(b.run->status),
                          requeued ? "#000" : "#fff", requeued ? "2" : "0.5");
            out += buf;
            out += "<title>" + html_escape(b.run->id + " " + to_text(b.run->status) + ", attempt " + std::to_string(b.run->attempt) +
                                           ", " + b.run->started + " .. " + b.run->finished) +
                   "</title></rect>\n";
        }
    }
    for (int k = 0; k <= 5; ++k) {
        const double t = t0 + (t1 - t0) * k / 5;
        std::snprintf(buf, sizeof buf, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">+%s s</text>\n", X(t), H - 25,
                      svg_num(t - t0).c_str());
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
    for (const auto& [id, state] : data.unfinished) failed += state == "failed";
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
