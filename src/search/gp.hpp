// Internal to src/search: strategy gp (gp.cpp), a Gaussian-process surrogate with
// expected improvement and rounds chosen by q-batch EI (or the kriging believer).
#pragma once
#include <memory>

#include "hposync/search/strategy.hpp"

namespace hposync::search {

std::unique_ptr<Strategy> make_gp(const Study& study);

}  // namespace hposync::search
