#include "rpinetboot/nfs/exportfs_output.h"
#include "rpinetboot/util/decimal.h"

#include <cctype>
#include <set>
#include <sstream>

namespace rpinetboot::nfs {

namespace {

// A line number as exportfs prints it: digits only, at most nine of them.
std::optional<int> lineNumber(std::string_view s) {
    const auto v = s.size() <= 9 ? parseDecimal(s, UINT64_MAX) : std::nullopt;
    if (!v) return std::nullopt;
    return static_cast<int>(*v);
}

bool knownWarning(std::string_view text) {
    for (auto w : {"No options for ", "No host name given", "Neither 'subtree_check'"})
        if (text.find(w) != std::string_view::npos) return true;
    return false;
}

}  // namespace

std::vector<ExportfsMessage> parseExportfsOutput(std::string_view output) {
    std::vector<ExportfsMessage> out;
    std::istringstream in{std::string(output)};
    std::string raw;
    constexpr std::string_view kPrefix = "exportfs: ";
    while (std::getline(in, raw)) {
        std::string_view line = raw;
        if (line.empty()) continue;
        bool continuation = line.substr(0, kPrefix.size()) != kPrefix ||
                            (line.size() > kPrefix.size() && line[kPrefix.size()] == '\t');
        if (continuation) {
            auto body = line.substr(line.substr(0, kPrefix.size()) == kPrefix ? kPrefix.size() : 0);
            auto first = body.find_first_not_of(" \t");
            if (!out.empty() && first != std::string_view::npos)
                out.back().text += "; " + std::string(body.substr(first));
            continue;
        }
        std::string_view body = line.substr(kPrefix.size());
        ExportfsMessage m;
        // "FILE:LINE: text" (error) or "FILE [LINE]: text" (warning); FILE is absolute.
        if (!body.empty() && body.front() == '/') {
            auto colon = body.find(':');
            auto bracket = body.find(" [");
            if (colon != std::string_view::npos &&
                (bracket == std::string_view::npos || colon < bracket)) {
                auto next = body.find(':', colon + 1);
                const auto lineNo = next == std::string_view::npos
                                        ? std::nullopt
                                        : lineNumber(body.substr(colon + 1, next - colon - 1));
                if (lineNo) {
                    m.file = std::string(body.substr(0, colon));
                    m.line = *lineNo;
                    auto t = body.substr(next + 1);
                    m.text = std::string(t.substr(t.find_first_not_of(' ') == std::string_view::npos
                                                      ? t.size()
                                                      : t.find_first_not_of(' ')));
                    m.error = true;
                    out.push_back(std::move(m));
                    continue;
                }
            }
            if (bracket != std::string_view::npos) {
                auto close = body.find("]:", bracket);
                const auto lineNo = close == std::string_view::npos
                                        ? std::nullopt
                                        : lineNumber(body.substr(bracket + 2, close - bracket - 2));
                if (lineNo) {
                    m.file = std::string(body.substr(0, bracket));
                    m.line = *lineNo;
                    m.text = std::string(body.substr(close + 3));
                    m.error = false;
                    out.push_back(std::move(m));
                    continue;
                }
            }
        }
        m.text = std::string(body);
        m.error = !knownWarning(body);
        out.push_back(std::move(m));
    }
    return out;
}

void correctExportfsLines(std::vector<ExportfsMessage>& messages,
                          const std::vector<Diagnostic>& ours) {
    for (auto& m : messages) {
        if (!m.error || m.file.empty()) continue;
        const Diagnostic* best = nullptr;
        for (const auto& d : ours)
            if (d.error && d.file == m.file && d.line >= m.line && (!best || d.line < best->line))
                best = &d;
        if (best) m.line = best->line;
    }
}

ExportfsJudgement judgeExportfs(const std::vector<ExportfsMessage>& withOurs,
                                const std::vector<ExportfsMessage>& withoutOurs,
                                const std::string& ourFile) {
    ExportfsJudgement j;
    if (withOurs.empty()) return j;
    std::set<std::string> before;
    for (const auto& m : withoutOurs) before.insert(describe(m));
    for (const auto& m : withOurs) {
        if (m.file == ourFile)
            j.ours.push_back("our entry is rejected by exportfs: " + describe(m));
        else if (!before.count(describe(m)))
            j.ours.push_back("exportfs fails with our change: " + describe(m));
    }
    if (withoutOurs.empty()) {
        j.verdict = ExportfsVerdict::OursRejected;
        if (j.ours.empty()) j.ours.push_back("exportfs rejects the candidate");
        return j;
    }
    j.verdict = ExportfsVerdict::ForeignBroken;
    for (const auto& m : withoutOurs)
        j.foreign.push_back(
            "foreign exports already broken: " + describe(m) +
            (m.file.empty() ? "" : " (fix " + m.file + " line " + std::to_string(m.line) + ")"));
    return j;
}

std::string describe(const ExportfsMessage& m) {
    if (m.file.empty()) return m.text;
    return m.file + ":" + std::to_string(m.line) + ": " + m.text;
}

}  // namespace rpinetboot::nfs
