// The directory layout: names, running/ file names, listing that skips temporaries.
#include <doctest/doctest.h>

#include "hposync/common/atomic_file.hpp"
#include "hposync/protocol/layout.hpp"
#include "protocol_test_dir.hpp"

using namespace hposync;
using namespace hposync::protocol;

TEST_CASE("protocol layout: paths") {
    Layout l("/s/d/");
    CHECK(l.pending_job("r000-c0001-s0") == "/s/d/jobs/pending/r000-c0001-s0.job");
    CHECK(l.running_job("r000-c0001-s0", "w1") == "/s/d/jobs/running/r000-c0001-s0.job@w1");
    CHECK(l.running_lease("r000-c0001-s0", "w1") == "/s/d/jobs/running/r000-c0001-s0.lease@w1");
    CHECK(l.round_manifest(3) == "/s/d/rounds/r003.round");
    CHECK(l.result("x") == "/s/d/results/x.result");
    CHECK(l.results_file(Layout::curves_name("x", "a1-w1")) == "/s/d/results/x.a1-w1.curves.csv");
    CHECK(l.checkpoint("x") == "/s/d/checkpoints/x.ckpt");
    CHECK(l.worker_file("w1") == "/s/d/workers/w1.worker");
}

TEST_CASE("protocol layout: running names parse, foreign names do not") {
    auto n = parse_running_name("r000-c0001-s0.job@node1-42");
    REQUIRE(n);
    CHECK(n->id == "r000-c0001-s0");
    CHECK(n->worker == "node1-42");
    CHECK_FALSE(n->is_lease);
    auto l = parse_running_name("r000-c0001-s0.lease@node1-42");
    REQUIRE(l);
    CHECK(l->is_lease);
    CHECK_FALSE(parse_running_name("r000-c0001-s0.job"));
    CHECK_FALSE(parse_running_name("r000.txt@w"));
    CHECK_FALSE(parse_running_name("r000.job@.."));
    CHECK(id_from_name("a.job", ".job") == std::optional<std::string>("a"));
    CHECK_FALSE(id_from_name(".job", ".job"));
    CHECK_FALSE(id_from_name("a..b.job", ".job"));
}

TEST_CASE("protocol layout: create_dirs and list_dir skip temporaries") {
    testing::TempDir tmp;
    Layout l(tmp.path + "/study");
    l.create_dirs();
    l.create_dirs();  // idempotent
    write_file_atomic(l.pending_job("b"), "x");
    write_file_atomic(l.pending_job("a"), "x");
    write_file_atomic(l.pending_dir() + "/.a.job.tmp.host.1.0", "x");
    CHECK(list_dir(l.pending_dir()) == std::vector<std::string>{"a.job", "b.job"});
    CHECK(list_dir(tmp.path + "/nonexistent").empty());
    CHECK(rename_if_exists(l.pending_job("a"), l.running_job("a", "w")));
    CHECK_FALSE(rename_if_exists(l.pending_job("a"), l.running_job("a", "w2")));  // someone else won
    remove_if_exists(l.pending_job("a"));
}
