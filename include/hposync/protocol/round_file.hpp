// rounds/r000.round: the manifest of a round, written by the master after all of the
// round's jobs are in place. Readers (status, reports) learn which jobs form a round.
//
//   format = hposync-round 1
//   round = 0
//   study = lr-sgd
//   count = 2
//   job.0 = r000-c0000-s0
//   job.1 = r000-c0001-s0
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace hposync::protocol {

struct RoundManifest {
    int64_t round = 0;
    std::string study;
    std::vector<std::string> jobs;
};

std::string round_to_text(const RoundManifest& m);
// Throws ParseError naming the file and key (count mismatch, invalid id, ...).
RoundManifest read_round(const std::string& path);

}  // namespace hposync::protocol
