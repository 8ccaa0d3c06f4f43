// logbook.md: see logbook.hpp. Generated blocks are replaced, the rest is kept.
#include "hposync/report/logbook.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

#include "hposync/report/html.hpp"

namespace hposync::report {
namespace {

const std::string kBegin = "<!-- hposync:begin ", kEnd = "<!-- hposync:end ", kClose = " -->";

std::string num(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.4g", v);
    return buf;
}

std::string block(const std::string& key, const std::string& body) {
    return kBegin + key + kClose + "\n" + body + kEnd + key + kClose + "\n";
}

// Best and worst ok runs of a round by the study's objective.
std::pair<const Run*, const Run*> best_worst(const StudyData& d, const std::vector<const Run*>& runs) {
    const Run *best = nullptr, *worst = nullptr;
    for (const Run* r : runs) {
        const double v = d.objective_value(*r);
        if (!std::isfinite(v)) continue;
        if (!best || v < d.objective_value(*best)) best = r;
        if (!worst || v > d.objective_value(*worst)) worst = r;
    }
    return {best, worst};
}

// Values from result files are data: markup in them is escaped, so a viewer that renders
// HTML inside Markdown shows it as text.
std::string md(const std::string& text) { return html_escape(text); }

std::string describe(const StudyData& d, const Run* r) {
    return "`" + r->id + "` (" + md(r->setting()) + "): " + d.objective_label() + " " +
           num(d.objective_value(*r));
}

std::string observation(const StudyData& d, int64_t round, const std::vector<const Run*>& runs, const std::vector<Finding>& findings) {
    std::map<std::string, int> status;
    for (const Run* r : runs) ++status[to_text(r->status)];
    std::string s = "**Observation** (from the data, rewritten by hpo-report): " + std::to_string(runs.size()) + " run(s)";
    for (auto& [st, n] : status) s += ", " + std::to_string(n) + " " + st;
    s += ".\n";
    auto [best, worst] = best_worst(d, runs);
    if (best) s += "- best: " + describe(d, best) + "\n";
    if (worst && worst != best) s += "- worst: " + describe(d, worst) + "\n";
    std::set<std::string> ids;
    for (const Run* r : runs) ids.insert(r->id);
    int shown = 0, total = 0;
    for (const auto& f : findings) {
        if (!ids.count(f.run)) continue;
        ++total;
        if (shown < 8) s += "- finding [" + f.rule + "] `" + f.run + "`: " + md(f.title) + "\n", ++shown;
    }
    if (total > shown) s += "- ... " + std::to_string(total - shown) + " more finding(s) in diagnosis.txt\n";
    if (total == 0) s += "- no diagnosis rule fired in round " + std::to_string(round) + "\n";
    return s;
}

std::string result(const StudyData& d, int64_t round, const std::vector<const Run*>& here, const std::vector<const Run*>* next) {
    if (!next) return "**Result**: (waiting for round " + std::to_string(round + 1) + ")\n";
    auto [best_here, w1] = best_worst(d, here);
    auto [best_next, w2] = best_worst(d, *next);
    std::string s = "**Result** (round " + std::to_string(round + 1) + ", rewritten by hpo-report): " +
                    std::to_string(next->size()) + " run(s)";
    if (best_next) s += "; best " + describe(d, best_next);
    if (best_here && best_next) {
        const double diff = d.objective_value(*best_next) - d.objective_value(*best_here);
        s += diff < 0 ? "; better than round " + std::to_string(round) + " by " + num(-diff)
                      : "; not better than round " + std::to_string(round) + " (" + num(diff) + " worse)";
    }
    return s + "\n";
}

std::string entry(int64_t round, const std::map<std::string, std::string>& blocks) {
    const std::string r = "r" + std::to_string(round);
    return "\n## Round " + std::to_string(round) + "\n\n" + block("observation " + r, blocks.at("observation " + r)) +
           "\n**Hypothesis** (yours: what do you expect from the next round, and why?):\n\n\n" +
           block("result " + r, blocks.at("result " + r));
}

}  // namespace

std::string logbook_md(const StudyData& data, const std::vector<Finding>& findings, const std::string& previous) {
    std::map<int64_t, std::vector<const Run*>> rounds;
    for (const auto& r : data.runs) rounds[r.round].push_back(&r);
    std::map<std::string, std::string> blocks;  // key -> fresh body
    for (auto it = rounds.begin(); it != rounds.end(); ++it) {
        const std::string r = "r" + std::to_string(it->first);
        auto next = std::next(it);
        blocks["observation " + r] = observation(data, it->first, it->second, findings);
        blocks["result " + r] = result(data, it->first, it->second, next == rounds.end() ? nullptr : &next->second);
    }

    std::string out;
    std::set<std::string> seen;
    if (previous.empty()) {
        const std::string name = data.study ? data.study->name : data.dir;
        out = "# Logbook: study " + md(name) + "\n\nOne entry per round. hpo-report rewrites only the text between the "
              "`hposync:begin` / `hposync:end` markers; write your hypotheses (and anything else) outside them: "
              "it is kept when the report is regenerated.\n";
    } else {
        // Copy the old text, replacing the body of every generated block we have news for.
        size_t pos = 0;
        while (pos < previous.size()) {
            const size_t b = previous.find(kBegin, pos);
            if (b == std::string::npos) {
                out += previous.substr(pos);
                break;
            }
            const size_t key_end = previous.find(kClose, b);
            const std::string key = key_end == std::string::npos ? "" : previous.substr(b + kBegin.size(), key_end - b - kBegin.size());
            const std::string end_marker = kEnd + key + kClose;
            const size_t e = key.empty() ? std::string::npos : previous.find(end_marker, key_end);
            if (e == std::string::npos) {  // a damaged marker: keep the text as it is
                out += previous.substr(pos);
                break;
            }
            size_t after = e + end_marker.size();
            if (after < previous.size() && previous[after] == '\n') ++after;
            out += previous.substr(pos, b - pos);
            auto fresh = blocks.find(key);
            out += fresh != blocks.end() ? block(key, fresh->second) : previous.substr(b, after - b);
            seen.insert(key);
            pos = after;
        }
    }
    for (auto& [round, runs] : rounds)
        if (!seen.count("observation r" + std::to_string(round))) {
            if (!out.empty() && out.back() != '\n') out += '\n';
            out += entry(round, blocks);
        }
    return out;
}

}  // namespace hposync::report
