// The predictions grid: see predictions.hpp.
#include "hposync/report/predictions.hpp"

#include <algorithm>
#include <cstdio>

#include "hposync/common/atomic_file.hpp"
#include "hposync/common/error.hpp"
#include "hposync/data/dataset.hpp"
#include "hposync/report/gnuplot.hpp"
#include "plot_common.hpp"

namespace hposync::report {
namespace {

constexpr size_t kPerRow = 8;

constexpr size_t kTopClasses = 3;  // the classes each image's title lists, most probable first

float top_probability(const engine::Prediction& p) {
    return p.probabilities.empty() ? 0.f : *std::max_element(p.probabilities.begin(), p.probabilities.end());
}

// "8 0.91\n3 0.05\n5 0.02": the most probable classes with their probabilities, one a line
// (ties: the lower class first).
std::string top_classes(const engine::Prediction& p) {
    std::vector<int> order(p.probabilities.size());
    for (size_t c = 0; c < order.size(); ++c) order[c] = int(c);
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return p.probabilities[a] > p.probabilities[b]; });
    std::string out;
    char line[48];
    for (size_t k = 0; k < std::min(kTopClasses, order.size()); ++k) {
        std::snprintf(line, sizeof line, "%s%d %.2f", k ? "\\n" : "", order[k], double(p.probabilities[order[k]]));
        out += line;
    }
    return out;
}

}  // namespace

void plot_predictions(const StudyData& data, PlotSink& sink) {
    const Run* best = nullptr;
    for (const Run* r : data.ranked())  // best first by the study's objective
        if (!r->train.predictions.empty()) {
            best = r;
            break;
        }
    if (!best) {
        sink.skipped.push_back("predictions: no finished run saved test predictions (job key predictions = N)");
        return;
    }
    const auto& preds = best->train.predictions;
    int64_t last = 0;
    for (const auto& p : preds) last = std::max(last, p.index);
    data::DataRequest req;
    req.name = best->job.train.dataset;
    req.train_subset = 10;  // only the test images are needed; keep the rest small
    req.val_fraction = 0;
    req.test_subset = last + 1;
    req.normalize = false;  // raw pixels in [0, 1] for the picture
    data::Splits splits;
    try {
        splits = data::load_splits(req);
    } catch (const Error& e) {
        sink.skipped.push_back(std::string("predictions: cannot reload the test images: ") + e.what());
        return;
    }
    const data::Dataset& test = splits.test;
    // The indices come from a file: each must name an image of the reloaded test set.
    for (const auto& p : preds)
        if (p.index < 0 || p.index >= test.n || int64_t(test.images.size()) < test.n * test.sample_size() || p.predicted < 0 || p.label < 0) {
            sink.skipped.push_back("predictions: " + best->id + "'s predictions name test image " +
                                   std::to_string(p.index) + ", but the test set has " + std::to_string(test.n) +
                                   " images: predictions file ignored");
            return;
        }

    std::vector<const engine::Prediction*> right, wrong;
    for (const auto& p : preds) (p.predicted == p.label ? right : wrong).push_back(&p);
    auto by_confidence = [](const engine::Prediction* a, const engine::Prediction* b) {
        return top_probability(*a) > top_probability(*b) || (top_probability(*a) == top_probability(*b) && a->index < b->index);
    };
    std::sort(right.begin(), right.end(), by_confidence);
    std::sort(wrong.begin(), wrong.end(), by_confidence);  // the most confident mistakes first
    if (right.size() > kPerRow) right.resize(kPerRow);
    if (wrong.size() > kPerRow) wrong.resize(kPerRow);

    const std::string file = "predictions." + sink.format;
    std::string gp = gp_terminal(sink.format, file, 1400, 560);
    gp += "set multiplot layout 2," + std::to_string(kPerRow) + " title " +
          gp_quote("test images of " + best->id + " (" + best->setting() + "): top row right, bottom row wrong") + " noenhanced\n";
    gp += "unset xtics\nunset ytics\nunset colorbox\nunset key\nset palette gray\nset size ratio -1\n";
    gp += "set xrange [-0.5:" + std::to_string(test.w) + "-0.5]\nset yrange [" + std::to_string(test.h) + "-0.5:-0.5]\n";
    char title[128];
    auto draw_row = [&](const std::vector<const engine::Prediction*>& row, bool correct) {
        for (size_t k = 0; k < kPerRow; ++k) {
            if (k >= row.size()) {
                gp += "set title ''\nset multiplot next\n";
                continue;
            }
            const engine::Prediction& p = *row[k];
            const std::string dat = "gnuplot/prediction-" + std::to_string(p.index) + ".dat";
            std::string pixels;
            const float* img = test.images.data() + p.index * test.sample_size();  // first channel
            for (int y = 0; y < test.h; ++y) {
                for (int x = 0; x < test.w; ++x) {
                    std::snprintf(title, sizeof title, "%s%.3f", x ? " " : "", double(img[y * test.w + x]));
                    pixels += title;
                }
                pixels += "\n";
            }
            write_file_atomic(sink.out + "/" + dat, pixels, Durability::cached);
            // A double-quoted title (its \n breaks lines): only digits and words we write.
            if (correct) std::snprintf(title, sizeof title, "true %d", p.label);
            else std::snprintf(title, sizeof title, "true %d, said %d", p.label, p.predicted);
            gp += "set title \"" + std::string(title) + "\\n" + top_classes(p) + "\" font ',8'\nplot " + gp_quote(dat) +
                  " matrix with image\n";
        }
    };
    draw_row(right, true);
    draw_row(wrong, false);
    gp += "unset multiplot\n";
    char caption[256];
    std::snprintf(caption, sizeof caption,
                  "Test images of the best run %s: %zu of the first %zu classified correctly; the most confident "
                  "right (top) and wrong (bottom) answers, each with its three most probable classes and their probabilities.",
                  best->id.c_str(), preds.size() - std::count_if(preds.begin(), preds.end(), [](auto& p) { return p.predicted != p.label; }),
                  preds.size());
    run_plot_script(sink, "predictions", gp, file, caption);
}

}  // namespace hposync::report
