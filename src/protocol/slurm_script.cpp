// Generates the sbatch script of a worker array (see slurm_script.hpp).
#include "hposync/protocol/slurm_script.hpp"

#include <sstream>
#include <vector>

#include "hposync/common/error.hpp"
#include "hposync/common/keyvalue.hpp"
#include "hposync/protocol/layout.hpp"

namespace hposync::protocol {

namespace {

[[noreturn]] void bad(const std::string& option, const std::string& message) {
    throw Error(option + ": " + message);
}

bool has_control_char(std::string_view s) {
    for (unsigned char c : s)
        if (c < 0x20 || c == 0x7f) return true;
    return false;
}

// Values that go into `#SBATCH --x=value` lines. sbatch, not the shell, reads those lines
// and has its own quoting rules, so we accept only characters that need no quoting at all.
void check_sbatch_word(const std::string& option, const std::string& value, std::string_view extra) {
    if (value.empty()) bad(option, "must not be empty");
    for (char c : value) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  extra.find(c) != std::string_view::npos;
        if (!ok) bad(option, "'" + value + "' contains '" + std::string(1, c) + "' (allowed: letters, digits and " +
                                 std::string(extra) + ")");
    }
}

// The study directory appears inside double quotes in `#SBATCH --output="..."` and
// single-quoted in the shell body. Slurm expands '%' patterns in --output (and '\' escapes
// them), and a '"' would end the quoted value: refuse those rather than guess Slurm's
// escaping. Spaces are fine.
void check_path(const std::string& option, const std::string& path) {
    if (path.empty()) bad(option, "must not be empty");
    if (path[0] != '/') bad(option, "'" + path + "' must be an absolute path (the script runs on other nodes)");
    if (has_control_char(path)) bad(option, "contains a newline or another control character");
    for (char c : {'"', '%', '\\'})
        if (path.find(c) != std::string::npos)
            bad(option, "'" + path + "' contains '" + std::string(1, c) + "', which Slurm's #SBATCH lines cannot carry safely");
}

// Worker options after `--`: any text is safe once shell-quoted, but a control character
// (a newline) is surely a mistake, and an option the script sets itself would be given
// twice (hpo-worker refuses that) or silently contradict hpo-slurm's own option.
void check_worker_args(const std::vector<std::string>& args) {
    static const std::vector<std::pair<std::string, std::string>> kSetByScript = {
        {"--dir", "hpo-slurm --dir"},           {"--id", "the array task (slurm-<job>_<task>)"},
        {"--threads", "hpo-slurm --cpus-per-task"}, {"--idle-exit", "hpo-slurm --idle-exit"},
        {"--lease-s", "hpo-slurm --lease-s"},   {"--poll-ms", "hpo-slurm --poll-ms"}};
    for (const std::string& a : args) {
        if (has_control_char(a)) bad("worker option '" + a.substr(0, 40) + "'", "contains a newline or another control character");
        const std::string name = a.substr(0, a.find('='));
        for (const auto& [option, by] : kSetByScript)
            if (name == option) bad("worker option " + option, "the script sets it from " + by + "; give it there");
    }
}

int64_t to_int(std::string_view part, std::string_view whole) {
    if (part.empty() || part.size() > 9) throw Error("--time: '" + std::string(whole) + "' is not a Slurm time limit");
    for (char c : part)
        if (c < '0' || c > '9') throw Error("--time: '" + std::string(whole) + "' is not a Slurm time limit");
    return std::stoll(std::string(part));
}

std::vector<std::string_view> split(std::string_view s, char sep) {
    std::vector<std::string_view> parts;
    size_t start = 0;
    for (size_t i = 0; i <= s.size(); ++i)
        if (i == s.size() || s[i] == sep) {
            parts.push_back(s.substr(start, i - start));
            start = i + 1;
        }
    return parts;
}

}  // namespace

int64_t parse_slurm_time(std::string_view text) {
    if (text == "UNLIMITED" || text == "INFINITE" || text == "unlimited" || text == "infinite") return -1;
    int64_t days = 0;
    std::string_view rest = text;
    const size_t dash = text.find('-');
    if (dash != std::string_view::npos) {
        days = to_int(text.substr(0, dash), text);
        rest = text.substr(dash + 1);
    }
    auto parts = split(rest, ':');
    if (parts.size() > 3) throw Error("--time: '" + std::string(text) + "' is not a Slurm time limit");
    std::vector<int64_t> v;
    for (auto p : parts) v.push_back(to_int(p, text));
    if (dash != std::string_view::npos) {
        // D-H, D-H:M, D-H:M:S
        int64_t s = days * 86400 + v[0] * 3600;
        if (v.size() > 1) s += v[1] * 60;
        if (v.size() > 2) s += v[2];
        return s;
    }
    // M, M:S, H:M:S
    if (v.size() == 1) return v[0] * 60;
    if (v.size() == 2) return v[0] * 60 + v[1];
    return v[0] * 3600 + v[1] * 60 + v[2];
}

std::string shell_quote(std::string_view text) {
    std::string out = "'";
    for (char c : text) {
        if (c == '\'')
            out += "'\\''";
        else
            out += c;
    }
    return out + "'";
}

std::string normalize_slurm_signal(std::string_view name) {
    std::string n;
    for (char c : name) n += (c >= 'a' && c <= 'z') ? char(c - 'a' + 'A') : c;
    if (n.rfind("SIG", 0) == 0) n.erase(0, 3);
    for (const char* ok : {"USR1", "USR2", "TERM", "INT"})
        if (n == ok) return n;
    bad("--signal", "'" + std::string(name).substr(0, 40) +
                        "' is not one hpo-worker hands its job back on (USR1, USR2, TERM, INT)");
}

std::string slurm_dir(const std::string& study_dir) {
    std::string d = study_dir;
    while (d.size() > 1 && d.back() == '/') d.pop_back();
    return Layout(d).slurm_dir();
}

std::string slurm_script_path(const std::string& study_dir) { return slurm_dir(study_dir) + "/workers.sbatch"; }

void validate_slurm_options(const SlurmOptions& o) {
    check_path("--dir", o.dir);
    check_path("--worker-bin", o.worker_bin);
    // Slurm's MaxArraySize defaults to 1001; a bigger cluster limit is the admin's choice,
    // so only nonsense is refused here.
    if (o.workers < 1 || o.workers > 1000000) bad("--workers", std::to_string(o.workers) + " is not in 1..1000000");
    if (o.cpus_per_task < 1 || o.cpus_per_task > 4096)
        bad("--cpus-per-task", std::to_string(o.cpus_per_task) + " is not in 1..4096");
    // Slurm keeps the warning time in 16 bits.
    normalize_slurm_signal(o.signal);
    if (!(o.lease_s >= 0) || o.lease_s > 1e6) bad("--lease-s", "must be a number of seconds >= 0 (0 = the worker's default)");
    if (o.poll_ms < 0 || o.poll_ms > 3600000) bad("--poll-ms", std::to_string(o.poll_ms) + " is not in 0..3600000");
    if (o.signal_s < 1 || o.signal_s > 65535) bad("--signal-s", std::to_string(o.signal_s) + " is not in 1..65535");
    if (!(o.idle_exit_s >= 0) || o.idle_exit_s > 1e9) bad("--idle-exit", "must be a number of seconds >= 0");
    if (!o.partition.empty()) check_sbatch_word("--partition", o.partition, "_.,-");
    if (!o.gres.empty()) check_sbatch_word("--gres", o.gres, "_.,:-");
    check_sbatch_word("--job-name", o.job_name, "_.-");
    check_worker_args(o.worker_args);
    if (!o.time.empty()) {
        check_sbatch_word("--time", o.time, ":-");
        const int64_t limit = parse_slurm_time(o.time);
        // A warning at or before the start would stop every worker at once, in a loop.
        if (limit >= 0 && o.signal_s >= limit)
            bad("--signal-s", std::to_string(o.signal_s) + " s is not shorter than the time limit --time " + o.time +
                                  " (" + std::to_string(limit) + " s): the worker would be told to stop before it starts");
    }
}

std::string make_slurm_script(const SlurmOptions& o) {
    validate_slurm_options(o);
    std::ostringstream s;
    s << "#!/bin/bash\n"
      << "# hposync worker array, written by hpo-slurm. Submit again with: sbatch " << slurm_script_path(o.dir) << "\n"
      << "# Every array task runs one hpo-worker on the study directory; see docs/CLUSTER.md.\n"
      << "#SBATCH --job-name=" << o.job_name << "\n"
      << "#SBATCH --array=0-" << (o.workers - 1) << "\n"
      << "#SBATCH --ntasks=1\n"
      << "#SBATCH --cpus-per-task=" << o.cpus_per_task << "\n";
    if (!o.time.empty()) s << "#SBATCH --time=" << o.time << "\n";
    if (!o.partition.empty()) s << "#SBATCH --partition=" << o.partition << "\n";
    if (!o.gres.empty()) s << "#SBATCH --gres=" << o.gres << "\n";
    // B: = to the batch shell only, which `exec` below turns into the worker itself. On
    // the signal the worker stops at its next update, checkpoints, hands the job back,
    // exits 0.
    s << "#SBATCH --signal=B:" << normalize_slurm_signal(o.signal) << "@" << o.signal_s << "\n";
    // A requeued task runs again under the same worker id; append keeps the first run's log.
    if (o.requeue) s << "#SBATCH --requeue\n#SBATCH --open-mode=append\n";
    s << "#SBATCH --output=\"" << slurm_dir(o.dir) << "/worker-%A_%a.out\"\n"
      << "\n"
      << "set -eu\n"
      // Workers on a shared node must not spin-wait on each other's cores (hpo-worker sets
      // this itself too; exporting it saves the worker's re-exec).
      << "export OMP_WAIT_POLICY=passive\n"
      << "exec " << shell_quote(o.worker_bin) << " --dir " << shell_quote(o.dir)
      << " --threads \"${SLURM_CPUS_PER_TASK:-" << o.cpus_per_task << "}\""
      << " --id \"slurm-${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}\""
      << " --idle-exit " << format_double(o.idle_exit_s);
    if (o.lease_s > 0) s << " --lease-s " << format_double(o.lease_s);
    if (o.poll_ms > 0) s << " --poll-ms " << o.poll_ms;
    for (const std::string& a : o.worker_args) s << " " << shell_quote(a);
    s << "\n";
    return s.str();
}

}  // namespace hposync::protocol
