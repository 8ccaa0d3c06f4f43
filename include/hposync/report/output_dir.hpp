// The report's output folder. hpo-report deletes or overwrites only what it wrote itself:
//
//  * Every report folder holds a manifest, .hposync-report-manifest, listing the files
//    and folders hpo-report wrote there. A rerun may replace or remove only entries of
//    that list, and only regular files (never a symlink, a FIFO, a folder of the user,
//    and never through a symlink: every path is opened component by component with
//    O_NOFOLLOW). Files the user added beside the report are kept.
//  * A target that is a symlink, not a folder, or a non-empty folder without our
//    manifest (a folder of the user's, or one an earlier release wrote with only the
//    .hposync-report marker) is refused before anything is written: the error names the
//    folder and says what to do. The report never goes elsewhere silently.
//  * A target inside, equal to, or holding one of the study's protocol folders (jobs/,
//    results/, rounds/, checkpoints/, workers/, ... as protocol/layout names them), the
//    study folder itself, or a folder above it, is refused (check_report_target).
//
// How a report is written: everything goes into a fresh private folder beside the target
// (mkdtemp: nobody else can plant a symlink in it). A new target is that folder renamed
// into place (one rename: a reader sees no report or a whole one). An existing report
// folder is updated file by file under flock(2) of the folder (two hpo-reports into one
// folder take turns): each new file is renamed over its old version (a reader sees the
// old file or the new one, never half of one; index.html last), the old report's files
// that the new one lacks are removed, and the manifest is rewritten. The manifest lists
// the union of old and new entries while files move, so a crash in between leaves
// nothing that a rerun would refuse as foreign.
#pragma once
#include <string>

namespace hposync::report {

// Throws Error naming `target` if a report for the study in `study_dir` must not be
// written there: the study folder itself or a folder above it, or a path equal to, inside
// or above a protocol folder or file of the study (symlinks resolved for the comparison).
void check_report_target(const std::string& target, const std::string& study_dir);

class FreshOutput {
public:
    // Checks the target (check_report_target when `study_dir` is given, then the rules
    // above) and creates <parent>/.<name>.new.XXXXXX; throws Error naming the target when
    // the report may not be written there. Nothing is changed in the target before commit.
    explicit FreshOutput(std::string target, const std::string& study_dir = "");
    ~FreshOutput();  // removes the fresh folder unless committed
    FreshOutput(const FreshOutput&) = delete;
    FreshOutput& operator=(const FreshOutput&) = delete;

    const std::string& path() const { return fresh_; }      // write here
    const std::string& target() const { return target_; }

    // A file of the old report (e.g. logbook.md), read only if it is a regular file
    // reached without following any symlink; "" otherwise or when absent.
    std::string read_previous(const std::string& name, size_t max_bytes = 4u << 20) const;

    // Puts the fresh report in place (see above). Throws Error naming the first path it
    // may not replace (a file the manifest does not list, a symlink where a file of ours
    // was): the check comes before any change, so the target is then as it was.
    void commit();

private:
    void merge_into_target();

    std::string target_, fresh_;
    bool committed_ = false;
};

// The manifest of files hpo-report wrote into a report folder.
inline constexpr const char* kReportManifest = ".hposync-report-manifest";
// The marker an earlier release put into its report folders (no list of files): such a
// folder is refused like any other folder without a manifest.
inline constexpr const char* kReportMarker = ".hposync-report";

}  // namespace hposync::report
