// The report's output folder, written so that a reader never sees half a report and no
// file of an older report lingers: everything is written into a fresh private folder
// beside the target (mkdtemp: nobody else can plant a symlink in it), which then
// replaces the target by rename(2); the old folder is moved aside first and removed.
//
// The target must be absent, an empty folder, or a folder an earlier hpo-report wrote
// (it holds the marker file .hposync-report, or an index.html): the report never
// replaces a folder it did not make. A symlink as the target is refused.
#pragma once
#include <string>

namespace hposync::report {

class FreshOutput {
public:
    // Checks the target and creates <parent>/.<name>.new.XXXXXX; throws Error naming
    // the target when it cannot be replaced.
    explicit FreshOutput(std::string target);
    ~FreshOutput();  // removes the fresh folder unless committed
    FreshOutput(const FreshOutput&) = delete;
    FreshOutput& operator=(const FreshOutput&) = delete;

    const std::string& path() const { return fresh_; }      // write here
    const std::string& target() const { return target_; }

    // A file of the old report (e.g. logbook.md), read only if it is a regular file
    // reached without following any symlink; "" otherwise or when absent.
    std::string read_previous(const std::string& name, size_t max_bytes = 4u << 20) const;

    // Moves the old report aside, renames the fresh one into place, removes the old one.
    void commit();

private:
    std::string target_, fresh_;
    bool committed_ = false;
};

// Marker file name inside every report folder.
inline constexpr const char* kReportMarker = ".hposync-report";

}  // namespace hposync::report
