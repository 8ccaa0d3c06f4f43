// Hostile input: anyone who can write the study directory can put any bytes into a job,
// result or curves file. Each must give a clear error naming file and key — never a
// crash, a path outside the directory, or an allocation of gigabytes. Inputs that once
// broke something under the fuzzer (tests/fuzz/) are repeated here as regressions.
#include <doctest/doctest.h>

#include <string>

#include "hposync/common/atomic_file.hpp"
#include "hposync/common/error.hpp"
#include "hposync/common/keyvalue.hpp"
#include "hposync/protocol/job_file.hpp"
#include "hposync/protocol/result_file.hpp"
#include "protocol_test_dir.hpp"

using namespace hposync;
using namespace hposync::protocol;

namespace {

std::string job_with(const std::string& extra, const std::string& id = "r000-c0000-s0") {
    return "format = hposync-job 1\nid = " + id + "\nstudy = s\nround = 0\n" + extra;
}

// The message of the ParseError that parsing `text` as a job throws ("" if none).
std::string job_error(const std::string& text) {
    try {
        parse_job(KeyValueFile::parse(text, "pending/x.job"));
    } catch (const ParseError& e) {
        return e.what();
    }
    return "";
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("hostile input: ids with '/', '..', NUL, spaces or over 100 characters are rejected") {
    for (std::string id : {std::string("../../etc/passwd"), std::string("a/b"), std::string(".."),
                           std::string("a..b"), std::string(".hidden"), std::string("a b"),
                           std::string(101, 'a'), std::string("-x")}) {
        CAPTURE(id);
        std::string err = job_error(job_with("", id));
        CHECK(contains(err, "pending/x.job:2: key 'id'"));
        CHECK_FALSE(is_valid_id(id));
    }
    CHECK(is_valid_id(std::string(100, 'a')));
    // A NUL anywhere in the file is refused before any key is looked at.
    std::string with_nul = job_with("") + "config = c0\0../x\n";
    with_nul[with_nul.size() - 7] = '\0';
    CHECK(contains(job_error(with_nul), "NUL byte"));
    CHECK_FALSE(is_valid_id(std::string("a\0b", 3)));
}

TEST_CASE("hostile input: huge, negative and NaN numbers give errors naming the key") {
    struct Case {
        const char* line;
        const char* key;
    };
    for (Case c : {Case{"batch_size = 1e308\n", "batch_size"}, Case{"batch_size = -64\n", "batch_size"},
                   Case{"batch_size = 0\n", "batch_size"}, Case{"batch_size = 99999999999999999999999\n", "batch_size"},
                   Case{"epochs = 1000000000000000000\n", "epochs"}, Case{"epochs = 1e18\n", "epochs"},
                   Case{"lr = nan\n", "lr"}, Case{"lr = inf\n", "lr"}, Case{"lr = -0.1\n", "lr"},
                   Case{"lr = 1e400\n", "lr"}, Case{"train_subset = -1\n", "train_subset"},
                   Case{"train_subset = 1e12\n", "train_subset"}, Case{"filters = 2147483648\n", "filters"},
                   Case{"seed = -1\n", "seed"}, Case{"seed = 18446744073709551616\n", "seed"},
                   Case{"max_attempts = 0\n", "max_attempts"}, Case{"val_fraction = 1\n", "val_fraction"},
                   Case{"time_budget_s = 1e300\n", "time_budget_s"}}) {
        CAPTURE(c.line);
        std::string err = job_error(job_with(c.line));
        CHECK(contains(err, "pending/x.job:5: key '" + std::string(c.key) + "'"));
    }
    // Bounds that keep memory sane: batch size and subset are capped here, and the engine
    // also clips both to the data set's size before allocating.
    CHECK(job_error(job_with("batch_size = 16777216\n")).empty());
    CHECK_FALSE(job_error(job_with("batch_size = 16777217\n")).empty());
}

TEST_CASE("hostile input: 10 MB lines and files are refused without reading them whole") {
    const std::string ten_mb(10u << 20, 'x');
    std::string err;
    try {
        KeyValueFile::parse("lr = " + ten_mb + "\n", "big.job");
    } catch (const ParseError& e) {
        err = e.what();
    }
    CHECK(contains(err, "big.job: file larger than"));
    // Under the file limit, a line over kMaxLine is refused with its line number.
    try {
        KeyValueFile::parse("a = 1\nlr = " + std::string(KeyValueFile::kMaxLine + 1, '1') + "\n", "long.job");
        FAIL("no error");
    } catch (const ParseError& e) {
        CHECK(contains(e.what(), "long.job:2: line longer than"));
    }
    // On disk: read stops at the limit (read_file never holds more than max_bytes + 64 KiB).
    testing::TempDir dir;
    write_file_atomic(dir.path + "/big.job", job_with("model = mlp:" + ten_mb + "\n"));
    try {
        read_job(dir.path + "/big.job");
        FAIL("no error");
    } catch (const ParseError& e) {
        CHECK(contains(e.what(), dir.path + "/big.job: file larger than"));
    }
}

TEST_CASE("hostile input: a result naming a curves file outside results/ is refused") {
    testing::TempDir dir;
    const std::string head =
        "format = hposync-result 1\nid = r000-c0000-s0\nstudy = s\nround = 0\nconfig = c0\nrepeat = 0\nstatus = ok\n";
    for (std::string curves : {std::string("../../etc/passwd"), std::string("/etc/passwd"), std::string(".hidden.csv"), std::string()}) {
        CAPTURE(curves);
        write_file_atomic(dir.path + "/r.result", head + "curves = " + curves + "\ncurves_rows = 0\n");
        CHECK_THROWS_WITH_AS(read_result(dir.path + "/r.result", true), doctest::Contains("key 'curves'"), ParseError);
    }
}

TEST_CASE("hostile input: results and curves cut short are detected (torn writes)") {
    testing::TempDir dir;
    const std::string csv = "kind,index,t,metric,value\nupdate,1,0.1,loss,2\nupdate,2,0.2,loss,1\n";
    const std::string result =
        "format = hposync-result 1\nid = r000-c0000-s0\nstudy = s\nround = 0\nconfig = c0\nrepeat = 0\n"
        "status = ok\ncurves = r000.a1.curves.csv\ncurves_rows = 2\njob.lr = 0.01\n";
    write_file_atomic(dir.path + "/r000.a1.curves.csv", csv);
    write_file_atomic(dir.path + "/r.result", result);
    CHECK(read_result(dir.path + "/r.result", true).train.updates.size() == 2);

    // Every key present, the last value cut ("0.0" from "0.01"): still refused.
    write_file_atomic(dir.path + "/r.result", result.substr(0, result.size() - 2));
    CHECK_THROWS_WITH_AS(read_result(dir.path + "/r.result", false), doctest::Contains("truncated"), ParseError);
    write_file_atomic(dir.path + "/r.result", "");
    CHECK_THROWS_WITH_AS(read_result(dir.path + "/r.result", false), doctest::Contains("truncated"), ParseError);

    // The CSV cut at a line end (one row lost) and in mid-line.
    write_file_atomic(dir.path + "/r.result", result);
    write_file_atomic(dir.path + "/r000.a1.curves.csv", csv.substr(0, csv.rfind("update")));
    CHECK_THROWS_WITH_AS(read_result(dir.path + "/r.result", true), doctest::Contains("torn or truncated"), ParseError);
    write_file_atomic(dir.path + "/r000.a1.curves.csv", csv.substr(0, csv.size() - 3));
    CHECK_THROWS_WITH_AS(read_result(dir.path + "/r.result", true), doctest::Contains("truncated"), ParseError);
}

TEST_CASE("hostile input: malformed curves rows give errors with the line, not crashes") {
    engine::TrainResult tr;
    const std::string header = "kind,index,t,metric,value\n";
    for (std::string row : {std::string("update,1,0.1,loss\n"), std::string("update,x,0.1,loss,1\n"), std::string("update,1,nan,loss,1\n"),
                            std::string("epoch,1,0.1,bogus,1\n"), std::string("update,99999999999999999999,0.1,loss,1\n"),
                            "update,1,0.1,loss," + std::string(100, '9') + "\n"}) {
        CAPTURE(row);
        CHECK_THROWS_WITH_AS(parse_curves_csv(header + row, "c.csv", tr), doctest::Contains("c.csv:2"), ParseError);
    }
    CHECK_THROWS_WITH_AS(parse_curves_csv("kind,index\n", "c.csv", tr), doctest::Contains("c.csv:1"), ParseError);
}
