// Automatic diagnosis: documented rules with stated thresholds (docs/DIAGNOSIS.md) applied
// to every run of a study, each finding printed with its evidence and a suggestion.
//
// Per-run rules (rule ids): diverged, exploding, lr-too-small, dead-units, no-signal,
// raw-inputs, overfitting, train-val-gap, oscillation, same-order, still-falling.
// Study rule: dominant-parameter. A healthy run gets no finding.
#pragma once
#include <string>
#include <vector>

#include "hposync/report/study_data.hpp"

namespace hposync::report {

struct Finding {
    std::string rule;        // rule id, e.g. "overfitting" (docs/DIAGNOSIS.md)
    std::string run;         // job id; "" for a finding about the whole study
    std::string title;       // what is wrong, one line
    std::string evidence;    // the numbers that triggered the rule
    std::string suggestion;  // what to try
};

// Findings for one run, in rule order. Missing data (no instruments, no update curve,
// too few epochs) silences the rules that need it; it never produces a finding.
std::vector<Finding> diagnose_run(const Run& run);

// Study-wide findings (dominant-parameter) from the runs with status ok or diverged.
std::vector<Finding> diagnose_study(const StudyData& data);

// Every run's findings followed by the study's.
std::vector<Finding> diagnose(const StudyData& data);

// Plain text for diagnosis.txt: one block per finding (run, title, evidence, suggestion).
std::string diagnosis_text(const std::vector<Finding>& findings, size_t runs);

}  // namespace hposync::report
