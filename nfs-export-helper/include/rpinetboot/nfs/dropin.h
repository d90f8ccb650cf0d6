// The drop-in file we own (/etc/exports.d/rpi-netboot.exports). It IS the state: every entry is a
// marker comment naming the Pi's serial and NFS version, then that Pi's export line. Nothing else
// is kept anywhere, so the file can never disagree with a database.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "rpinetboot/nfs/exports_parser.h"
#include "rpinetboot/nfs/pi_export.h"

namespace rpinetboot::nfs {

struct Dropin {
    std::vector<PiExport> records;     // sorted by serial, one per serial
    std::vector<Diagnostic> problems;  // hand edits we cannot read back: we refuse to rewrite
};

// Renders the whole file, records sorted by serial; always ends in a newline.
std::string renderDropin(const std::vector<PiExport>& records);

// Reads a file written by renderDropin (an empty or missing file is an empty state).
Dropin parseDropin(std::string_view text, const std::string& fileName);

// Replaces or inserts the record with the same serial; returns false if it was identical already.
bool upsertRecord(std::vector<PiExport>& records, const PiExport& record);
bool removeRecord(std::vector<PiExport>& records, const Serial& serial);

}  // namespace rpinetboot::nfs
