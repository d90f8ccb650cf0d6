// The ganesha backend's include file: one EXPORT {} block per Pi, each after a marker comment
// holding the typed record (serial, version, Export_Id and the record as an exports(5) line).
// As with the knfsd drop-in, the file is the state; a block that differs from what we would render
// from its marker was edited by hand and makes us refuse to rewrite the file.
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "rpinetboot/nfs/exports_parser.h"
#include "rpinetboot/nfs/pi_export.h"

namespace rpinetboot::nfs {

struct GaneshaEntry {
    PiExport record;
    int exportId = 0;
};

struct GaneshaOptions {
    std::string fsal = "VFS";
    // Gets metadata-only, all-squashed access so that a MOUNT EXPORT call from the server itself
    // lists the export: ganesha lists an export only to clients allowed to use it
    // (docs/nfs.md). Empty: no such client, and live verification cannot see the export.
    std::string verifyClient = "127.0.0.1";
};

struct GaneshaFile {
    std::vector<GaneshaEntry> entries;
    std::vector<Diagnostic> problems;
};

// Export_Id values used in a ganesha config text ('#' comments ignored).
std::set<int> scanExportIds(std::string_view text);
// %include targets named in a ganesha config text, in order.
std::vector<std::string> scanIncludes(std::string_view text);

// The smallest free id >= 100 (0 is ganesha's pseudo-root, low ids are the examples' favourites).
int allocateExportId(const std::set<int>& used);

std::string renderGaneshaBlock(const GaneshaEntry& entry, const GaneshaOptions& options);
std::string renderGaneshaInclude(const std::vector<GaneshaEntry>& entries,
                                 const GaneshaOptions& options);
GaneshaFile parseGaneshaInclude(std::string_view text, const std::string& fileName,
                                const GaneshaOptions& options);

}  // namespace rpinetboot::nfs
