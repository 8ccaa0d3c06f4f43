#include "hposync/report/series.hpp"

#include <map>

#include "hposync/report/gnuplot.hpp"

namespace hposync::report {

std::vector<Series> series_per_run(const std::vector<const Run*>& runs,
                                   const std::function<Points(const Run&)>& extract) {
    std::map<std::string, size_t> colour_of;  // config -> colour index, in order of appearance
    std::vector<Series> out;
    for (const Run* r : runs) {
        Points pts = extract(*r);
        if (pts.empty()) continue;
        bool first = !colour_of.count(r->config);
        if (first) colour_of.emplace(r->config, colour_of.size());
        Series s;
        s.colour = gp_colour(colour_of[r->config]);
        if (first) s.title = r->setting() + (r->status == "ok" ? "" : " (" + r->status + ")");
        s.points = std::move(pts);
        out.push_back(std::move(s));
    }
    return out;
}

std::string panel_of(const Run& run) {
    auto value = [&](const char* key) {
        auto it = run.job.find(key);
        return it == run.job.end() ? std::string("?") : it->second;
    };
    return "optimizer=" + value("optimizer") + " batch_size=" + value("batch_size");
}

std::vector<const Run*> runs_for_update_plot(const StudyData& data, size_t few) {
    std::vector<const Run*> with_updates, budgeted;
    for (const auto& r : data.runs) {
        if (r.train.updates.empty()) continue;
        with_updates.push_back(&r);
        if (r.job_number("time_budget_s") > 0) budgeted.push_back(&r);
    }
    if (with_updates.size() <= few || budgeted.empty()) return with_updates;
    return budgeted;
}

}  // namespace hposync::report
