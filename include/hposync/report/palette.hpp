// One colour per setting across the whole report: every PNG/SVG plot, every panel of the
// GIF, the live page's in-flight curves and the run pages. The colour is a function of
// the setting's identity alone (its config id, e.g. "c0007"; a framework or strategy
// name), never of the order in which runs happen to be listed, so a setting keeps its
// colour from one plot to the next and from one live regeneration to the next, while
// results arrive in any order.
#pragma once
#include <cstddef>
#include <string>

namespace hposync::report {

// The palette: kPaletteColours distinct colours, then (for more identities) the same
// colours with kPaletteDashes dash patterns, so two identities never look the same up to
// kPaletteColours x kPaletteDashes of them.
constexpr size_t kPaletteColours = 12, kPaletteDashes = 5;

// The palette slot of an identity: config ids "c<number>" take slot <number> (the
// strategies number their configurations 0, 1, 2, ...: neighbours differ); the known
// strategies and frameworks have fixed slots; anything else a stable hash of its text.
size_t palette_slot(const std::string& identity);

// "#rrggbb" and gnuplot dash type (1 = solid) of an identity.
std::string identity_colour(const std::string& identity);
int identity_dash(const std::string& identity);

// The configuration a job id names: "r003-c0007-s1" -> "c0007" (protocol::make_job_id);
// the id itself when it does not have that form.
std::string config_of_job(const std::string& job_id);

}  // namespace hposync::report
