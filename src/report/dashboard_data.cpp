// The data behind the dashboard's views (dashboard.hpp): computed once, drawn as SVG and
// as JSON for the browser, and tested on its own (tests/unit/report_dashboard_test.cpp).
#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include <tbb/parallel_for.h>

#include "hposync/report/dashboard.hpp"
#include "hposync/report/plots.hpp"

namespace hposync::report {

std::set<const Run*> chart_sample(const StudyData& data) {
    std::set<const Run*> keep;
    if (data.runs.size() <= kMaxChartRuns) return keep;
    std::vector<const Run*> order = data.ranked();  // best first; runs without a value after
    std::set<const Run*> ranked(order.begin(), order.end());
    for (const auto& r : data.runs)
        if (!ranked.count(&r)) order.push_back(&r);
    const size_t best = kMaxChartRuns / 2, rest = order.size() - best;
    for (size_t i = 0; i < best; ++i) keep.insert(order[i]);
    for (size_t i = 0; i < kMaxChartRuns - best; ++i) keep.insert(order[best + i * rest / (kMaxChartRuns - best)]);
    return keep;
}

std::vector<HistoryPoint> history_points(const StudyData& data) {
    std::vector<HistoryPoint> out;
    const bool budget = data.multi_fidelity();  // successive halving / hyperband: x is epochs spent
    double x = 0, best = NAN;
    for (const Run* r : completion_order(data)) {
        HistoryPoint p;
        p.run = r;
        x = budget ? x + run_budget(*r) : x + 1;
        p.x = x;
        p.value = data.objective_value(*r);
        if (!std::isfinite(p.value)) p.value = NAN;
        else if (!(best <= p.value)) best = p.value;  // also when best is still NaN
        p.best = best;
        out.push_back(p);
    }
    return out;
}

std::string intermediate_metric(const StudyData& data) {
    if (data.objective == "val_loss") return "val_loss";
    if (data.objective == "train_loss") return "train_loss";
    return "val_error";  // val_error, and test_error (measured once, at the end: its epoch proxy)
}

std::vector<CurveLine> intermediate_curves(const StudyData& data) {
    const std::string metric = intermediate_metric(data);
    std::vector<CurveLine> out;
    for (const auto& r : data.runs) {
        CurveLine c;
        c.run = &r;
        for (const auto& e : r.train.epochs) {
            const double v = metric == "val_loss" ? e.val_loss : metric == "train_loss" ? e.train_loss : e.val_error;
            if (std::isfinite(v)) c.points.push_back({double(e.epoch), v});
        }
        if (!c.points.empty()) out.push_back(std::move(c));
    }
    return out;
}

namespace {

bool varies(const ParamAxis& a) { return a.numeric ? a.hi > a.lo : a.categories.size() > 1; }

// The value a slice shows on its x axis: the number itself, or the category's index.
double axis_value(const ParamAxis& a, const Run& r) {
    if (!a.numeric) {
        const double u = a.unit(r);
        return std::isfinite(u) ? std::round(u * double(std::max<size_t>(1, a.categories.size() - 1))) : NAN;
    }
    return r.job_number(a.key, NAN);
}

}  // namespace

std::vector<SliceView> slice_views(const StudyData& data) {
    std::vector<SliceView> out;
    for (const auto& axis : param_axes(data)) {
        if (!varies(axis)) continue;
        SliceView s;
        s.axis = axis;
        for (const auto& r : data.runs) {
            const double x = axis_value(axis, r), v = data.objective_value(r);
            if (!std::isfinite(x)) continue;
            if (!std::isfinite(v)) ++s.without_value;
            else s.points.push_back({&r, x, v});
        }
        out.push_back(std::move(s));
    }
    return out;
}

double idw_value(const std::vector<std::pair<XY, double>>& points, double u, double v) {
    double num = 0, den = 0;
    for (const auto& [p, value] : points) {
        const double d2 = (p.first - u) * (p.first - u) + (p.second - v) * (p.second - v);
        if (d2 < 1e-12) return value;  // on a run: its value
        num += value / d2, den += 1 / d2;
    }
    return den > 0 ? num / den : NAN;
}

std::vector<ContourView> contour_views(const StudyData& data) {
    std::vector<ParamAxis> axes;
    for (const auto& a : param_axes(data))
        if (varies(a)) axes.push_back(a);
    std::vector<ContourView> out;
    for (size_t i = 0; i < axes.size(); ++i)
        for (size_t j = i + 1; j < axes.size() && out.size() < kMaxContourPairs; ++j) {
            ContourView c;
            c.x = axes[i], c.y = axes[j];
            c.lo = INFINITY, c.hi = -INFINITY;
            std::vector<std::pair<XY, double>> known;
            for (const auto& r : data.runs) {
                const double u = c.x.unit(r), v = c.y.unit(r), value = data.objective_value(r);
                if (!std::isfinite(u) || !std::isfinite(v) || !std::isfinite(value)) continue;
                known.push_back({{u, v}, value});
                c.xs.push_back({&r, axis_value(c.x, r), value});
                c.ys.push_back({&r, axis_value(c.y, r), value});
                c.lo = std::min(c.lo, value), c.hi = std::max(c.hi, value);
            }
            if (known.size() < 2) continue;
            // Every cell weighs every run (576 x 100,000 per pair): rows in parallel, each
            // cell computed as alone, so the numbers do not depend on the split.
            c.cells.resize(size_t(kContourCells) * kContourCells);
            tbb::parallel_for(0, kContourCells, [&](int row) {
                for (int col = 0; col < kContourCells; ++col)
                    c.cells[size_t(row) * kContourCells + col] = idw_value(known, (col + 0.5) / kContourCells, (row + 0.5) / kContourCells);
            });
            out.push_back(std::move(c));
        }
    return out;
}

std::vector<XY> empirical_distribution(const std::vector<double>& values) {
    std::vector<double> finite;
    for (double v : values)
        if (std::isfinite(v)) finite.push_back(v);
    std::sort(finite.begin(), finite.end());
    std::vector<XY> out;
    const double n = double(values.size());
    for (size_t i = 0; i < finite.size(); ++i) {
        // Ties: one step to the fraction of values <= v.
        if (i + 1 < finite.size() && finite[i + 1] == finite[i]) continue;
        out.push_back({finite[i], double(i + 1) / n});
    }
    return out;
}

std::vector<EdfLine> edf_lines(const StudyData& data) {
    // Frameworks when the runs used several (job key `trainer`), else one line named by
    // the strategy (a study has one).
    std::map<std::string, std::vector<double>> by_framework;
    for (const auto& r : data.runs) {
        by_framework[r.job.trainer].push_back(data.objective_value(r));
    }
    std::vector<EdfLine> out;
    if (by_framework.size() > 1) {
        for (const auto& [name, values] : by_framework)
            out.push_back({name, name, empirical_distribution(values), values.size()});
        return out;
    }
    std::vector<double> all;
    for (const auto& r : data.runs) all.push_back(data.objective_value(r));
    const std::string strategy = data.study ? data.study->strategy : "study";
    if (!all.empty()) out.push_back({strategy, strategy, empirical_distribution(all), all.size()});
    return out;
}

}  // namespace hposync::report
