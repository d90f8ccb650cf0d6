// Reading what `exportfs -ra` prints (nfs-utils 2.6): errors name "FILE:LINE:", warnings
// "FILE [LINE]:"; some errors name no file ("Failed to stat", duplicated entries).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace rpinetboot::nfs {

struct ExportfsMessage {
    std::string file;  // empty when exportfs did not name one
    int line = 0;
    std::string text;  // the whole message, continuation lines joined with "; "
    bool error = true;
};

std::vector<ExportfsMessage> parseExportfsOutput(std::string_view output);

// "FILE:LINE: text" or "text" for a message, as we print it.
std::string describe(const ExportfsMessage& message);

}  // namespace rpinetboot::nfs
