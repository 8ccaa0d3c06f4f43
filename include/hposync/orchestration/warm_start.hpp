// warm_start = DIR (search/warm_start.hpp): hpo-master reads the finished study in DIR
// through the protocol readers, read-only: nothing is written into DIR.
#pragma once
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "hposync/protocol/layout.hpp"
#include "hposync/search/strategy.hpp"
#include "hposync/search/study.hpp"

namespace hposync::orchestration {

// The prior observations of a study with warm_start, nullopt without it. DIR's
// results/<id>.result files, regular files only, in name order; one that cannot be read
// is skipped with a warning naming it; runs the space cannot hold are skipped and
// counted in one warning. A DIR that is not a directory, or is the study's own
// directory `own`, is an error naming the study file and key.
std::optional<std::vector<search::Observation>> read_warm_start(const search::Study& study,
                                                                const protocol::Layout& own,
                                                                const std::function<void(const std::string&)>& warn);

}  // namespace hposync::orchestration
