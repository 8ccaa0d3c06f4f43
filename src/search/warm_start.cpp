// map_prior: another study's runs as observations of this study's space (warm_start.hpp).
#include "hposync/search/warm_start.hpp"

#include <cstdio>

#include "space.hpp"
#include "hposync/search/strategy.hpp"
#include "strategies.hpp"

namespace hposync::search {

Prior map_prior(const Study& study, const std::vector<PriorRun>& runs) {
    Prior prior;
    for (const PriorRun& run : runs) {
        Trial t;
        bool usable = true;
        for (const Dimension& d : study.space) {
            if (!is_active(study, t.params, d)) {  // not a setting of that run (file order: parent read)
                t.params[d.key] = inactive_text(d);
                continue;
            }
            auto it = run.settings.find(d.key);
            std::string why;
            if (it == run.settings.end()) {
                ++prior.missing;
                why = run.source + ": no value of " + d.key;
            } else if (!internal_value(d, it->second)) {
                ++prior.outside;
                why = run.source + ": " + d.key + " = " + it->second + " is outside search." + d.key;
            } else {
                t.params[d.key] = it->second;
                continue;
            }
            if (prior.first_skipped.empty()) prior.first_skipped = why;
            usable = false;
            break;
        }
        if (!usable) continue;
        char id[32];
        std::snprintf(id, sizeof id, "prior%04zu", prior.observations.size());
        t.config_id = id;
        t.budget = run.budget;
        prior.observations.push_back({t, run.status, run.objective});
    }
    return prior;
}

bool takes_warm_start(const Study& study) { return takes_option(study, "warm_start"); }

}  // namespace hposync::search
