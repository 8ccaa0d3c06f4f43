// Internal to src/search: strategy gp (gp.cpp), a Gaussian-process surrogate with
// expected improvement and kriging-believer rounds.
#pragma once
#include <memory>

#include "hposync/search/strategy.hpp"

namespace hposync::search {

std::unique_ptr<Strategy> make_gp(const Study& study);

}  // namespace hposync::search
