// JobText: a run's job keys as text and the searched keys as numbers (report/job_text.hpp).
// It must say what a map of job_entries with parse_double on lookup said, for every key.
#include <doctest/doctest.h>

#include <cmath>
#include <map>

#include "hposync/common/error.hpp"
#include "hposync/common/keyvalue.hpp"
#include "hposync/protocol/job_file.hpp"
#include "hposync/report/job_text.hpp"
#include "report_run_job.hpp"

using namespace hposync::report;

namespace {

// What the report read before JobText: the value parse_double gives, else the fallback.
double reference_number(const std::map<std::string, std::string>& text, const std::string& key, double fallback) {
    auto it = text.find(key);
    if (it == text.end()) return fallback;
    try {
        return hposync::parse_double(it->second, key);
    } catch (const hposync::ParseError&) {
        return fallback;
    }
}

bool same_number(double a, double b) { return (std::isnan(a) && std::isnan(b)) || a == b; }

}  // namespace

TEST_CASE("job text: every key of a job gives its text and number as the job's entries do, searched or not") {
    Run run;
    // Numbers (float, integer, exponent), categories, a boolean, a list, an empty value.
    hposync::testing::set_run_job(run,
                                  {{"lr", "0.0125"}, {"batch_size", "64"}, {"optimizer", "adam"}, {"eps", "1e-08"},
                                   {"model", "mlp:32"}, {"shuffle", "false"}},
                                  {"lr", "batch_size", "optimizer", "model"});
    const auto entries = hposync::protocol::job_entries(run.job);
    std::map<std::string, std::string> reference(entries.begin(), entries.end());
    REQUIRE(run.job_text.size() == reference.size());
    size_t i = 0;
    for (const auto& [key, value] : reference) {  // key order, as the map had it
        CHECK(run.job_text.key(i) == key);
        CHECK(run.job_text.value(i) == value);
        ++i;
        REQUIRE(run.job_text.find(key));
        CHECK(*run.job_text.find(key) == value);
        CHECK(run.job_text.has(key));
        for (double fallback : {0.0, -7.0, double(NAN)})
            CHECK(same_number(run.job_number(key, fallback), reference_number(reference, key, fallback)));
    }
    CHECK(run.job_number("lr", NAN) == 0.0125);
    CHECK(run.job_number("batch_size", NAN) == 64);
    CHECK(std::isnan(run.job_number("optimizer", NAN)));  // a searched category: no number
    CHECK(run.job_number("eps", NAN) == 1e-08);           // not searched: read on demand
    CHECK(run.job_number("shuffle", -1) == -1);
    CHECK_FALSE(run.job_text.find("no_such_key"));
    CHECK_FALSE(run.job_text.has("lr2"));
    CHECK(run.job_number("no_such_key", 3) == 3);
    CHECK(JobText().size() == 0);
    CHECK_FALSE(JobText().find("lr"));
    CHECK(JobText().number("lr", 5) == 5);
}

TEST_CASE("job text: values parse_double refuses give the fallback; set replaces a value and its number") {
    // Past the job parser (which refuses most of these): the numbers still follow parse_double.
    const std::vector<std::pair<std::string, std::string>> entries = {
        {"a", " 0.5 "}, {"b", "nan"}, {"c", "inf"}, {"d", "1e999"}, {"e", "+-1"}, {"f", ""}, {"g", "+2"}, {"h", "0x10"}, {"i", "1,5"}};
    std::vector<std::string> all;
    for (const auto& e : entries) all.push_back(e.first);
    const std::map<std::string, std::string> reference(entries.begin(), entries.end());
    for (const auto& numbered : {std::vector<std::string>{}, all}) {  // read at load, or on demand
        const JobText text(entries, numbered);
        for (const auto& key : all) CHECK(same_number(text.number(key, -1), reference_number(reference, key, -1)));
    }
    JobText text(entries, {"a", "b"});
    CHECK(text.number("a", -1) == 0.5);
    text.set("a", "1,5");
    CHECK(*text.find("a") == "1,5");
    CHECK(text.number("a", -1) == -1);
    text.set("b", "2");
    CHECK(text.number("b", -1) == 2);
    text.set("zz", "3");  // a new key
    CHECK(text.number("zz", -1) == 3);
    CHECK(text.size() == entries.size() + 1);
}

TEST_CASE("job text: a key given twice keeps its last value; jobs with the same keys share one key list") {
    const JobText twice({{"lr", "0.1"}, {"batch_size", "8"}, {"lr", "0.2"}}, {"lr"});
    CHECK(twice.size() == 2);
    CHECK(*twice.find("lr") == "0.2");
    CHECK(twice.number("lr", -1) == 0.2);
    Run a, b, c;
    hposync::testing::set_run_job(a, {{"lr", "0.1"}}, {"lr"});
    hposync::testing::set_run_job(b, {{"lr", "0.3"}, {"optimizer", "adam"}}, {"lr", "optimizer"});
    c.job_text = JobText({{"lr", "0.1"}}, {});
    CHECK(&a.job_text.keys() == &b.job_text.keys());  // the same keys (defaults included): one list
    CHECK(&a.job_text.keys() != &c.job_text.keys());
    CHECK(*b.job_text.find("lr") == "0.3");
    CHECK(*a.job_text.find("lr") == "0.1");
}
