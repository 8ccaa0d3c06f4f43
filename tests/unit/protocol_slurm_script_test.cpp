// The sbatch script of hpo-slurm: the lines Slurm reads, the worker command line, and
// refusal of values that would break the script. (tests/slurm/run.sh submits it for real.)
#include <doctest/doctest.h>

#include <string>

#include "hposync/common/error.hpp"
#include "hposync/protocol/slurm_script.hpp"

using namespace hposync;
using namespace hposync::protocol;

namespace {

SlurmOptions base_options() {
    SlurmOptions o;
    o.dir = "/shared/study one";
    o.workers = 4;
    o.cpus_per_task = 2;
    o.worker_bin = "/opt/hposync/bin/hpo-worker";
    return o;
}

bool contains(const std::string& text, const std::string& line) { return text.find(line) != std::string::npos; }

// The error message of make_slurm_script for `o`, "" if it did not throw.
std::string error_of(const SlurmOptions& o) {
    try {
        make_slurm_script(o);
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("slurm script: array, resources, signal and output lines") {
    SlurmOptions o = base_options();
    o.time = "2:00:00";
    o.partition = "gpu-short";
    o.gres = "gpu:1";
    o.signal_s = 300;
    const std::string s = make_slurm_script(o);
    CHECK(s.rfind("#!/bin/bash\n", 0) == 0);
    CHECK(contains(s, "\n#SBATCH --array=0-3\n"));
    CHECK(contains(s, "\n#SBATCH --cpus-per-task=2\n"));
    CHECK(contains(s, "\n#SBATCH --time=2:00:00\n"));
    CHECK(contains(s, "\n#SBATCH --partition=gpu-short\n"));
    CHECK(contains(s, "\n#SBATCH --gres=gpu:1\n"));
    CHECK(contains(s, "\n#SBATCH --signal=B:USR1@300\n"));
    CHECK(contains(s, "\n#SBATCH --output=\"/shared/study one/slurm/worker-%A_%a.out\"\n"));
    // sbatch stops reading #SBATCH lines at the first command: all must come before it.
    CHECK(s.rfind("#SBATCH") < s.find("\nexec "));
}

TEST_CASE("slurm script: optional lines are left out when not given") {
    const std::string s = make_slurm_script(base_options());
    CHECK_FALSE(contains(s, "--time="));
    CHECK_FALSE(contains(s, "--partition="));
    CHECK_FALSE(contains(s, "--gres="));
    CHECK(contains(s, "\n#SBATCH --signal=B:USR1@120\n"));  // the default warning time
}

TEST_CASE("slurm script: the body execs the worker with quoted paths, slurm id and threads") {
    SlurmOptions o = base_options();
    o.dir = "/data/it's here";
    o.idle_exit_s = 90;
    const std::string s = make_slurm_script(o);
    CHECK(contains(s, "\nexec '/opt/hposync/bin/hpo-worker' --dir '/data/it'\\''s here'"
                      " --threads \"${SLURM_CPUS_PER_TASK:-2}\""
                      " --id \"slurm-${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}\" --idle-exit 90\n"));
    // The exec line is the last line: nothing runs after the worker, so the worker is the
    // batch shell's process and receives the B: signal.
    CHECK(s.substr(s.rfind("\n", s.size() - 2) + 1).rfind("exec ", 0) == 0);
}

TEST_CASE("slurm script: one worker is an array 0-0") {
    SlurmOptions o = base_options();
    o.workers = 1;
    CHECK(contains(make_slurm_script(o), "\n#SBATCH --array=0-0\n"));
}

TEST_CASE("slurm script: shell_quote") {
    CHECK(shell_quote("plain") == "'plain'");
    CHECK(shell_quote("") == "''");
    CHECK(shell_quote("a'b") == "'a'\\''b'");
    CHECK(shell_quote("$HOME `x` \"y\"") == "'$HOME `x` \"y\"'");
}

TEST_CASE("slurm script: paths") {
    CHECK(slurm_dir("/s/d/") == "/s/d/slurm");
    CHECK(slurm_script_path("/s/d") == "/s/d/slurm/workers.sbatch");
}

TEST_CASE("slurm time limits parse like Slurm's") {
    CHECK(parse_slurm_time("30") == 30 * 60);
    CHECK(parse_slurm_time("30:15") == 30 * 60 + 15);
    CHECK(parse_slurm_time("2:00:00") == 7200);
    CHECK(parse_slurm_time("1-12") == 86400 + 12 * 3600);
    CHECK(parse_slurm_time("1-0:30") == 86400 + 30 * 60);
    CHECK(parse_slurm_time("2-01:02:03") == 2 * 86400 + 3600 + 2 * 60 + 3);
    CHECK(parse_slurm_time("UNLIMITED") == -1);
    for (const char* bad : {"", "1h", "1:2:3:4", "-5", "1-", "::", "1.5"}) {
        CAPTURE(bad);
        CHECK_THROWS_AS(parse_slurm_time(bad), Error);
    }
}

TEST_CASE("slurm script: bad values are refused with the option named") {
    SlurmOptions o = base_options();
    o.workers = 0;
    CHECK(error_of(o).rfind("--workers:", 0) == 0);

    o = base_options();
    o.dir = "relative/dir";
    CHECK(error_of(o).rfind("--dir:", 0) == 0);

    o = base_options();
    o.dir = "/a\n#SBATCH --array=0-999";
    CHECK(error_of(o).rfind("--dir:", 0) == 0);

    o = base_options();
    o.dir = "/a/50%";
    CHECK(error_of(o).rfind("--dir:", 0) == 0);

    o = base_options();
    o.worker_bin = "/bin/x\"y";
    CHECK(error_of(o).rfind("--worker-bin:", 0) == 0);

    o = base_options();
    o.partition = "gpu\n#SBATCH --exclusive";
    CHECK(error_of(o).rfind("--partition:", 0) == 0);

    o = base_options();
    o.partition = "a b";
    CHECK(error_of(o).rfind("--partition:", 0) == 0);

    o = base_options();
    o.gres = "gpu:1;rm";
    CHECK(error_of(o).rfind("--gres:", 0) == 0);

    o = base_options();
    o.time = "2 hours";
    CHECK(error_of(o).rfind("--time:", 0) == 0);

    o = base_options();
    o.cpus_per_task = 0;
    CHECK(error_of(o).rfind("--cpus-per-task:", 0) == 0);

    o = base_options();
    o.signal_s = 0;
    CHECK(error_of(o).rfind("--signal-s:", 0) == 0);

    o = base_options();
    o.idle_exit_s = -1;
    CHECK(error_of(o).rfind("--idle-exit:", 0) == 0);
}

TEST_CASE("slurm script: the warning must come before the time limit") {
    SlurmOptions o = base_options();
    o.time = "2";  // 2 minutes
    o.signal_s = 120;
    const std::string e = error_of(o);
    CHECK(e.rfind("--signal-s:", 0) == 0);
    CHECK(contains(e, "(120 s)"));
    o.signal_s = 119;
    CHECK(error_of(o).empty());
    o.time = "UNLIMITED";
    o.signal_s = 65535;
    CHECK(error_of(o).empty());
}

TEST_CASE("slurm script: the warning signal is configurable (USR1 default; USR2, TERM, INT)") {
    SlurmOptions o = base_options();
    CHECK(contains(make_slurm_script(o), "\n#SBATCH --signal=B:USR1@120\n"));
    o.signal = "USR2";
    CHECK(contains(make_slurm_script(o), "\n#SBATCH --signal=B:USR2@120\n"));
    o.signal = "sigterm";  // Slurm's spelling varies; the script always gets the bare name
    o.signal_s = 45;
    CHECK(contains(make_slurm_script(o), "\n#SBATCH --signal=B:TERM@45\n"));
    CHECK(normalize_slurm_signal("SIGUSR2") == "USR2");
    CHECK(normalize_slurm_signal("int") == "INT");
    // Signals hpo-worker does not hand back on, and garbage, are refused by name.
    for (const char* bad : {"KILL", "HUP", "USR3", "", "10", "USR1\n#SBATCH --exclusive"}) {
        CAPTURE(bad);
        o.signal = bad;
        const std::string e = error_of(o);
        CHECK(e.rfind("--signal:", 0) == 0);
        CHECK(contains(e, "USR1, USR2, TERM, INT"));
    }
}

TEST_CASE("slurm script: --requeue adds requeue and append lines; absent by default") {
    SlurmOptions o = base_options();
    std::string s = make_slurm_script(o);
    CHECK_FALSE(contains(s, "--requeue"));
    CHECK_FALSE(contains(s, "--open-mode"));
    o.requeue = true;
    s = make_slurm_script(o);
    CHECK(contains(s, "\n#SBATCH --requeue\n#SBATCH --open-mode=append\n"));
    CHECK(s.rfind("#SBATCH") < s.find("\nexec "));
}

TEST_CASE("slurm script: worker lease and polling pass through only when set") {
    SlurmOptions o = base_options();
    std::string s = make_slurm_script(o);
    CHECK_FALSE(contains(s, "--lease-s"));
    CHECK_FALSE(contains(s, "--poll-ms"));
    o.lease_s = 3;
    o.poll_ms = 200;
    s = make_slurm_script(o);
    CHECK(contains(s, " --idle-exit 600 --lease-s 3 --poll-ms 200\n"));
    o.lease_s = -1;
    CHECK(error_of(o).rfind("--lease-s:", 0) == 0);
    o.lease_s = 0;
    o.poll_ms = -5;
    CHECK(error_of(o).rfind("--poll-ms:", 0) == 0);
}
