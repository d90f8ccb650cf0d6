// A reader for exports(5) files as nfs-utils 2.6 parses them, enough to understand files we did not
// write: quoting, \ooo octal escapes, backslash-newline continuation (it separates tokens, as in
// nfs-utils), comments, "-options" defaults, host(options) lists, and "host (options)" with a
// space, which nfs-utils reads as two clients: the host with default options and the WORLD with the
// options. See docs/nfs.md.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace rpinetboot::nfs {

struct ExportClient {
    std::string host;                  // "*" for the world (also for a bare "(opts)")
    std::vector<std::string> options;  // effective: defaults followed by its own list
    bool ownOptions = false;           // written as host(opts)
    bool worldBySpace = false;         // came from "host (opts)": almost always a mistake
};

struct ExportEntry {
    std::string path;  // unescaped
    std::vector<ExportClient> clients;
    std::string file;
    int line = 0;  // physical line where the entry starts
};

struct Diagnostic {
    std::string file;
    int line = 0;
    std::string message;
    bool error = true;  // false: a warning (nfs-utils accepts it)
};

struct ParsedExports {
    std::vector<ExportEntry> entries;
    std::vector<Diagnostic> diagnostics;
    bool hasErrors() const;
};

// Parses a whole file. Like nfs-utils, an error does not stop us from reading later lines, but it
// is reported with file and line so that the caller can say exactly what is broken.
ParsedExports parseExports(std::string_view text, const std::string& fileName);

// Splits "rw,sync,fsid=0" into options.
std::vector<std::string> splitOptions(std::string_view list);

// True if nfs-utils 2.6 knows this option keyword (value-taking ones by their "name=").
bool isKnownExportOption(std::string_view option);

// Looks up "name" or "name=value" in an option list; the last occurrence wins, as in nfs-utils.
bool hasOption(const std::vector<std::string>& options, std::string_view name);
std::string optionValue(const std::vector<std::string>& options, std::string_view name);

// Path escaping: \ooo for characters exportfs would otherwise split or misread.
std::string unescapeOctal(std::string_view text);

}  // namespace rpinetboot::nfs
