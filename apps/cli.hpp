// The command-line front shared by every hpo-* binary: parse the options, answer --help
// (options, then examples), and turn a usage error into exit status 2 with a pointer to
// --help. Boost.Program_options does the parsing.
#pragma once
#include <iostream>
#include <optional>
#include <string>

#include <boost/program_options.hpp>

namespace hposync::cli {

// Parses argv into `vm` and runs notify (required options, stored values). Returns the
// exit status when main should stop now — 0 after printing --help, 2 after a usage
// error — or std::nullopt to go on.
inline std::optional<int> parse(int argc, char** argv, const boost::program_options::options_description& desc,
                                const std::string& program, const std::string& help_tail,
                                boost::program_options::variables_map& vm) {
    namespace po = boost::program_options;
    try {
        po::store(po::command_line_parser(argc, argv).options(desc).run(), vm);
        if (vm.count("help")) {
            std::cout << desc << help_tail;
            return 0;
        }
        po::notify(vm);
    } catch (const po::error& e) {
        std::cerr << program << ": " << e.what() << "\n(see " << program << " --help)\n";
        return 2;
    }
    return std::nullopt;
}

}  // namespace hposync::cli
