// Reading what `exportfs -ra` prints (nfs-utils 2.6): errors name "FILE:LINE:", warnings
// "FILE [LINE]:"; some errors name no file ("Failed to stat", duplicated entries).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "rpinetboot/nfs/exports_parser.h"

namespace rpinetboot::nfs {

struct ExportfsMessage {
    std::string file;  // empty when exportfs did not name one
    int line = 0;
    std::string text;  // the whole message, continuation lines joined with "; "
    bool error = true;
};

std::vector<ExportfsMessage> parseExportfsOutput(std::string_view output);

// exportfs does not count comment lines in its "FILE:LINE:" errors (measured with nfs-utils 2.6.2:
// two comment lines before a bad line 4 give "FILE:2:"), so its line can only be too small. For
// each error naming a file, takes the line of our own parser's first error in that file at or after
// it
// (`ours`: parseExports diagnostics of the files exportfs read); exportfs's text is kept.
void correctExportfsLines(std::vector<ExportfsMessage>& messages,
                          const std::vector<Diagnostic>& ours);

// Whose fault an exportfs failure is, from two runs in a private namespace: with our candidate
// file and without it (the baseline). Errors only (warnings are not passed in).
enum class ExportfsVerdict {
    Ok,             // the candidate run had no error
    OursRejected,   // the baseline is clean: our file (or its combination with others) fails
    ForeignBroken,  // the baseline already fails: another file is broken; nothing may change
};
struct ExportfsJudgement {
    ExportfsVerdict verdict = ExportfsVerdict::Ok;
    std::vector<std::string> ours;     // messages blaming our change
    std::vector<std::string> foreign;  // messages naming what is already broken, with a fix hint
};
ExportfsJudgement judgeExportfs(const std::vector<ExportfsMessage>& withOurs,
                                const std::vector<ExportfsMessage>& withoutOurs,
                                const std::string& ourFile);

// "FILE:LINE: text" or "text" for a message, as we print it.
std::string describe(const ExportfsMessage& message);

}  // namespace rpinetboot::nfs
