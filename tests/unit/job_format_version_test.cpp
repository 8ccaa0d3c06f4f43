// Format versions of job files (issue 32, family 13; docs/PROTOCOL.md "Format versions"):
// the key table of hposync-job 1 is pinned, a job of a version the reader does not know
// is a NewerJobFormat (handed back by workers, never quarantined), a typo in a known
// version stays a ParseError, and the claim filter does not claim a handed-back file again.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "hposync/common/atomic_file.hpp"
#include "hposync/common/error.hpp"
#include "hposync/protocol/job_file.hpp"
#include "hposync/trainer/claim_filter.hpp"
#include "protocol_test_dir.hpp"

using namespace hposync;
using namespace hposync::protocol;
using hposync::protocol::testing::TempDir;

TEST_CASE("job format: the key table of hposync-job 1 is pinned (a new key needs a new version)") {
    // Every key the previous release wrote under hposync-job 1. Adding a key to the job
    // schema changes what a conforming reader of this version accepts: bump kJobFormat to
    // the next version (keep reading the older ones), document the new version in
    // docs/PROTOCOL.md "Format versions", and extend this test with the new version's list.
    const std::vector<std::string_view> v1 = {
        "format", "id", "study", "study_hash", "round", "config", "repeat", "resume_from", "searched", "trainer",
        "init_weights", "dataset", "train_subset", "val_fraction", "test_subset", "model", "filters", "optimizer",
        "lr", "momentum", "beta1", "beta2", "eps", "weight_decay", "batch_size", "epochs", "time_budget_s",
        "shuffle", "seed", "record_updates", "synthetic_sleep_s", "checkpoint_every_epochs", "keep_checkpoint",
        "checkpoint_every_s", "max_attempts", "instruments", "instrument_every", "label_noise", "normalize",
        "predictions"};
    CHECK(std::string(kJobFormat) == "hposync-job 1");
    CHECK_MESSAGE(job_keys() == v1, "the job key table changed without a new format version");
}

TEST_CASE("job format: a job of a version this reader does not know is a NewerJobFormat, naming it") {
    const std::string rest = "id = r000-c0000-s0\nstudy = s\nround = 0\n";
    // A newer version, even with keys this reader has never heard of.
    try {
        parse_job(KeyValueFile::parse("format = hposync-job 3\n" + rest + "colour = blue\n", "pending/x.job"));
        FAIL("a newer version must not parse");
    } catch (const NewerJobFormat& e) {
        CHECK(std::string(e.what()) ==
              "pending/x.job:1: key 'format': 'hposync-job 3' is a version this reader does not know (it reads "
              "hposync-job 1 and hposync-job 2)");
    }
    // Not a version at all, or a key outside the table of a known version: malformed.
    for (const std::string& text : {"format = hposync-jobs 1\n" + rest, "format = 1\n" + rest,
                                    "format = hposync-job 1\n" + rest + "learning_rate = 0.1\n"}) {
        CAPTURE(text);
        bool newer = false, malformed = false;
        try {
            parse_job(KeyValueFile::parse(text, "pending/x.job"));
        } catch (const NewerJobFormat&) {
            newer = true;
        } catch (const ParseError&) {
            malformed = true;
        }
        CHECK_FALSE(newer);
        CHECK(malformed);
    }
    // A job file of the previous release: version 1 with the keys added since its first
    // publication (study_hash, trainer, resume_from, init_weights).
    const Job job = parse_job(KeyValueFile::parse("format = hposync-job 1\n" + rest +
                                                      "study_hash = 0123456789abcdef\ntrainer = hposync\n"
                                                      "resume_from = \ninit_weights = own\nmodel = synthetic:noop\n",
                                                  "old.job"));
    CHECK(job.study_hash == "0123456789abcdef");
    CHECK(job.trainer == "hposync");
}

TEST_CASE("job format: a handed-back file is not claimed again by the worker that refused it; a new file is") {
    TempDir dir;
    trainer::TrainerSet trainers;
    trainer::ClaimFilter filter(trainers);
    const std::string path = dir.path + "/r000-c0000-s0.job";
    write_file_atomic(path, "format = hposync-job 3\nid = r000-c0000-s0\nstudy = s\nround = 0\n");
    CHECK(filter.wants("r000-c0000-s0", path));  // it reads no further than the trainer key
    filter.refuse("r000-c0000-s0", path);
    CHECK_FALSE(filter.wants("r000-c0000-s0", path));
    CHECK(filter.skipped().empty());  // not a missing trainer: nothing to report as one
    // `hpo-master --force` writes a new file under the same id: looked at afresh.
    write_file_atomic(path, "format = hposync-job 1\nid = r000-c0000-s0\nstudy = s\nround = 0\n");
    CHECK(filter.wants("r000-c0000-s0", path));
}
