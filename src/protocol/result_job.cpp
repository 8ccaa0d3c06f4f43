// answered_job: a result's job.<key> entries read back through parse_job (result_file.hpp).
#include "hposync/common/error.hpp"
#include "hposync/common/keyvalue.hpp"
#include "hposync/protocol/result_file.hpp"

namespace hposync::protocol {

Job answered_job(const Result& result, const std::string& source) {
    // The entries are one key = value line each, in file order: written out again, they
    // are the job file the worker ran, and line N of that text is entry N.
    KeyValueWriter text;
    for (const auto& [key, value] : result.job) text.add(key, value);
    try {
        return parse_job(KeyValueFile::parse(text.text(), source + " job.*"));
    } catch (const ParseError& e) {
        // parse_job names the key without its "job." prefix; say which entries it read.
        throw ParseError(std::string(e.what()) + " (the result's job.<key> entries)");
    }
}

}  // namespace hposync::protocol
