#include "hposync/report/series.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "hposync/report/number_text.hpp"
#include "hposync/report/palette.hpp"

namespace hposync::report {

std::vector<Series> series_per_run(const std::vector<const Run*>& runs,
                                   const std::function<Points(const Run&)>& extract,
                                   const std::vector<std::string>& leave_out) {
    std::set<std::string> titled;
    std::vector<Series> out;
    for (const Run* r : runs) {
        Points pts = extract(*r);
        if (pts.empty()) continue;
        const bool first = titled.insert(r->config).second;
        Series s;
        s.colour = identity_colour(r->config);
        s.dash = identity_dash(r->config);
        if (first) s.title = r->setting(leave_out) + (r->status == RunStatus::ok ? "" : " (" + std::string(to_text(r->status)) + ")");
        s.points = std::move(pts);
        out.push_back(std::move(s));
    }
    return out;
}

std::string panel_of(const Run& run) {
    return "optimizer=" + run.job.train.opt.name + " batch_size=" + std::to_string(run.job.train.batch_size);
}

bool NaturalLess::operator()(const std::string& a, const std::string& b) const {
    size_t i = 0, j = 0;
    while (i < a.size() && j < b.size()) {
        if (std::isdigit((unsigned char)a[i]) && std::isdigit((unsigned char)b[j])) {
            size_t i_end = i, j_end = j;
            while (i_end < a.size() && std::isdigit((unsigned char)a[i_end])) ++i_end;
            while (j_end < b.size() && std::isdigit((unsigned char)b[j_end])) ++j_end;
            // Same digits without leading zeros: the shorter number is the smaller one.
            std::string x = a.substr(i, i_end - i), y = b.substr(j, j_end - j);
            x.erase(0, std::min(x.find_first_not_of('0'), x.size() - 1));
            y.erase(0, std::min(y.find_first_not_of('0'), y.size() - 1));
            if (x.size() != y.size()) return x.size() < y.size();
            if (x != y) return x < y;
            i = i_end, j = j_end;
        } else {
            if (a[i] != b[j]) return a[i] < b[j];
            ++i, ++j;
        }
    }
    if (a.size() - i != b.size() - j) return a.size() - i < b.size() - j;
    return a < b;  // "01" vs "1": still a strict order
}

std::vector<const Run*> runs_for_update_plot(const StudyData& data, size_t few) {
    std::vector<const Run*> with_updates, budgeted;
    for (const auto& r : data.runs) {
        if (r.train.updates.empty()) continue;
        with_updates.push_back(&r);
        if (r.job.train.time_budget_s > 0) budgeted.push_back(&r);
    }
    if (with_updates.size() <= few || budgeted.empty()) return with_updates;
    return budgeted;
}

}  // namespace hposync::report
