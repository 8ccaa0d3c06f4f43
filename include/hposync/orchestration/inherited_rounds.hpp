// The rounds a grown study keeps (issue 29). Strategies random, tpe and gp draw each
// round from the space given the history, so a widened range or a search key added
// moves every draw: none of the old study's jobs would come again, and nothing could be
// reused. Their grown study instead keeps the old study's complete rounds as its own
// first rounds (same configurations, repeats and seeds; an added key at the value the
// old jobs had), whose results result_reuse.hpp then installs, and the strategy
// proposes the rounds after them from the whole history. Grid and the bracket
// strategies keep their own rounds: their proposals do not move with the space that way.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "hposync/protocol/layout.hpp"
#include "hposync/search/strategy.hpp"
#include "hposync/search/study.hpp"

namespace hposync::orchestration {

// The kept rounds, round 0 first; empty without a growth archive. From the newest
// archive/<stamp>.grown: its round manifests in order while every job of the round has
// an archived result that ended ok or diverged, every searched value is one the grown
// space holds, and the round has samples x repeats jobs as the grown study's rounds.
// A file that cannot be read ends the kept rounds there, `warn` naming it.
std::vector<std::vector<search::Trial>> inherited_rounds(const protocol::Layout& layout, const search::Study& study,
                                                         const std::function<void(const std::string&)>& warn);

}  // namespace hposync::orchestration
