// SnapshotTracker: the incremental snapshot equals a full take_snapshot after every kind
// of change, in both change-detection modes, and reports new outcomes once.
#include <algorithm>
#include <chrono>
#include <thread>
#include <sys/stat.h>

#include <doctest/doctest.h>
#include "hposync/common/atomic_file.hpp"
#include "hposync/protocol/layout.hpp"
#include "hposync/protocol/snapshot.hpp"
#include "protocol_test_dir.hpp"

using namespace hposync::protocol;
using hposync::protocol::testing::TempDir;

namespace {

void same(const Snapshot& a, const Snapshot& b) {
    CHECK(a.pending == b.pending);
    CHECK(a.done == b.done);
    CHECK(a.failed == b.failed);
    CHECK(a.quarantine == b.quarantine);
    CHECK(a.results == b.results);
    CHECK(a.running == b.running);
    CHECK(a.leases == b.leases);
    CHECK(a.orphan_leases == b.orphan_leases);
}

std::vector<std::string> sorted(std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    return v;
}

void run_changes(ChangeDetection how) {
    TempDir t;
    Layout l(t.path);
    l.create_dirs();
    for (int i = 0; i < 5; ++i) hposync::write_file_atomic(l.pending_job("j" + std::to_string(i)), "x\n");
    hposync::write_file_atomic(l.result("old"), "r\n");
    SnapshotTracker tr(l, how, 3600);
    same(tr.refresh(), take_snapshot(l));
    CHECK(tr.new_outcomes() == std::vector<std::string>{"old"});
    const int64_t listings = tr.full_listings();

    rename_if_exists(l.pending_job("j0"), l.running_job("j0", "w1"));
    hposync::write_file_atomic(l.running_lease("j0", "w1"), "lease\n");
    hposync::write_file_atomic(l.running_lease("gone", "w2"), "lease\n");  // orphan
    rename_if_exists(l.pending_job("j1"), l.done_job("j1"));
    hposync::create_file_exclusive(l.result("j1"), "r\n");
    rename_if_exists(l.pending_job("j2"), l.failed_job("j2"));
    rename_if_exists(l.pending_job("j3"), l.quarantine_job("j3"));
    hposync::write_file_atomic(l.quarantine_reason("j3"), "why\n");
    hposync::write_file_atomic(l.pending_dir() + "/.tmp-ignored", "x\n");
    // mtime mode: a change in the same second as the last listing is caught too (the
    // directory is re-listed while its mtime is recent).
    same(tr.refresh(), take_snapshot(l));
    CHECK(sorted(tr.new_outcomes()) == std::vector<std::string>{"j1", "j2", "j3"});
    same(tr.refresh(), take_snapshot(l));
    CHECK(tr.new_outcomes().empty());  // reported once

    remove_if_exists(l.result("old"));
    rename_if_exists(l.running_job("j0", "w1"), l.pending_job("j0"));  // handed back
    remove_if_exists(l.running_lease("j0", "w1"));
    same(tr.refresh(), take_snapshot(l));
    if (how == ChangeDetection::inotify) {
        CHECK(tr.uses_inotify());
        CHECK(tr.full_listings() == listings);  // nothing re-listed: events only
        CHECK(tr.events() > 0);
    }
}

}  // namespace

TEST_CASE("snapshot tracker: equals take_snapshot after every kind of change (inotify)") {
    run_changes(ChangeDetection::inotify);
}

TEST_CASE("snapshot tracker: equals take_snapshot after every kind of change (mtime checks)") {
    run_changes(ChangeDetection::mtime);
}

TEST_CASE("snapshot tracker: with mtime checks, unchanged directories are not listed again") {
    TempDir t;
    Layout l(t.path);
    l.create_dirs();
    for (int i = 0; i < 20; ++i) hposync::write_file_atomic(l.done_job("d" + std::to_string(i)), "x\n");
    SnapshotTracker tr(l, ChangeDetection::mtime, 3600);
    tr.refresh();
    // Directories modified in the last 2 s are re-listed (a same-tick change could hide);
    // after that only what changes is listed.
    std::this_thread::sleep_for(std::chrono::milliseconds(2100));
    tr.refresh();
    const int64_t before = tr.full_listings();
    tr.refresh();
    CHECK(tr.full_listings() == before);
    hposync::write_file_atomic(l.pending_job("new"), "x\n");
    CHECK(tr.refresh().pending.count("new") == 1);
    CHECK(tr.full_listings() == before + 1);  // pending/ only
}

TEST_CASE("snapshot tracker: automatic mode uses inotify on a local filesystem") {
    TempDir t;
    Layout l(t.path);
    l.create_dirs();
    CHECK(inotify_sees_all_writers(t.path));  // /tmp: ext4, tmpfs or overlay on this machine
    SnapshotTracker tr(l);
    CHECK(tr.uses_inotify());
    CHECK_FALSE(inotify_sees_all_writers(t.path + "/no-such-dir"));
}

// Issue 32, family 3: `hpo-master --force` moves jobs/ and results/ into archive/ and
// creates new ones. The watches followed the moved inodes: the tracker reported the
// archived folders and missed the new ones until its next full listing (60 s), so the
// master republished jobs it could not see, and they ran twice.
TEST_CASE("snapshot tracker (inotify): watched folders moved away and recreated are watched again at once") {
    TempDir t;
    Layout l(t.path);
    l.create_dirs();
    hposync::write_file_atomic(l.pending_job("old"), "x\n");
    SnapshotTracker tr(l, ChangeDetection::inotify, 3600);
    REQUIRE(tr.uses_inotify());
    CHECK(tr.refresh().pending == std::set<std::string>{"old"});
    const int64_t listings = tr.full_listings();

    // What --force does (Transitions::archive_study_state): the parents move, not the
    // watched folders themselves, so no IN_MOVE_SELF reaches their watches.
    ::mkdir((t.path + "/archive").c_str(), 0755);
    for (const char* sub : {"jobs", "results"}) rename_if_exists(t.path + "/" + sub, t.path + "/archive/" + sub);
    l.create_dirs();
    hposync::write_file_atomic(l.pending_job("new"), "x\n");
    hposync::create_file_exclusive(l.result("new"), "r\n");
    same(tr.refresh(), take_snapshot(l));
    CHECK(tr.refresh().pending == std::set<std::string>{"new"});
    CHECK(tr.refresh().results == std::set<std::string>{"new"});
    CHECK(tr.rearmed() == 6);  // every watched folder lives under jobs/ or results/
    CHECK(tr.full_listings() - listings == 6);  // the re-armed folders only, not a periodic full listing

    // Changes in the archived folders are no longer reported; changes in the new ones are,
    // by events (no listing).
    hposync::write_file_atomic(t.path + "/archive/jobs/pending/ghost.job", "x\n");
    hposync::write_file_atomic(l.pending_job("second"), "x\n");
    const int64_t before = tr.full_listings();
    CHECK(tr.refresh().pending == std::set<std::string>{"new", "second"});
    CHECK(tr.full_listings() == before);

    // A watched folder itself renamed away and another put in its place.
    rename_if_exists(l.pending_dir(), t.path + "/archive/pending2");
    ::mkdir(l.pending_dir().c_str(), 0755);
    hposync::write_file_atomic(l.pending_job("third"), "x\n");
    CHECK(tr.refresh().pending == std::set<std::string>{"third"});
    same(tr.refresh(), take_snapshot(l));
}
