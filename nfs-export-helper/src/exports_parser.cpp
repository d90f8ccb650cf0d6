#include "rpinetboot/nfs/exports_parser.h"

#include <algorithm>
#include <array>

namespace rpinetboot::nfs {

namespace {

struct Token {
    std::string text;
    int line;
};

bool isOctal(char c) {
    return c >= '0' && c <= '7';
}

// Splits the file into logical lines of tokens: whitespace and backslash-newline separate tokens,
// double quotes toggle quoting (and are dropped), '#' outside quotes starts a comment. Like
// nfs-utils' xgettok (support/nfs/xio.c), a \ooo escape below 0400 is decoded as soon as its
// fourth character is read, in EVERY token (hosts too, not only paths), and a decoded NUL ends
// the token as it ends nfs-utils' C string.
std::vector<std::vector<Token>> tokenize(std::string_view text) {
    std::vector<std::vector<Token>> lines;
    std::vector<Token> current;
    std::string tok;
    bool inTok = false, quoted = false;
    int line = 1, tokLine = 1;
    auto endToken = [&] {
        if (inTok) current.push_back({tok.substr(0, tok.find('\0')), tokLine});
        tok.clear();
        inTok = false;
    };
    auto endLine = [&] {
        endToken();
        quoted = false;
        if (!current.empty()) lines.push_back(std::move(current));
        current.clear();
    };
    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (c == '\\' && i + 1 < text.size() && text[i + 1] == '\n') {
            endToken();  // continuation: a separator, never a join (nfs-utils behaviour)
            ++i;
            ++line;
            continue;
        }
        if (c == '\n') {
            endLine();
            ++line;
            continue;
        }
        if (c == '"') {
            quoted = !quoted;
            if (!inTok) tokLine = line;
            inTok = true;
            continue;
        }
        if (!quoted && c == '#') {
            while (i + 1 < text.size() && text[i + 1] != '\n') ++i;
            continue;
        }
        if (!quoted && (c == ' ' || c == '\t' || c == '\r')) {
            endToken();
            continue;
        }
        if (!inTok) tokLine = line;
        inTok = true;
        tok += c;
        auto n = tok.size();
        if (n >= 4 && tok[n - 4] == '\\' && isOctal(tok[n - 3]) && isOctal(tok[n - 2]) &&
            isOctal(tok[n - 1])) {
            int v = (tok[n - 3] - '0') * 64 + (tok[n - 2] - '0') * 8 + (tok[n - 1] - '0');
            if (v < 256) {
                tok.resize(n - 4);
                tok += static_cast<char>(v);
            }
        }
    }
    endLine();
    return lines;
}

constexpr std::array<std::string_view, 28> kFlags = {"ro",
                                                     "rw",
                                                     "secure",
                                                     "insecure",
                                                     "sync",
                                                     "async",
                                                     "nordirplus",
                                                     "nohide",
                                                     "hide",
                                                     "crossmnt",
                                                     "nocrossmnt",
                                                     "wdelay",
                                                     "no_wdelay",
                                                     "root_squash",
                                                     "no_root_squash",
                                                     "all_squash",
                                                     "no_all_squash",
                                                     "subtree_check",
                                                     "no_subtree_check",
                                                     "auth_nlm",
                                                     "no_auth_nlm",
                                                     "secure_locks",
                                                     "insecure_locks",
                                                     "acl",
                                                     "no_acl",
                                                     "pnfs",
                                                     "no_pnfs",
                                                     "mountpoint"};
constexpr std::array<std::string_view, 10> kValued = {
    "anonuid=",    "anongid=", "squash_uids=", "squash_gids=", "fsid=",
    "mountpoint=", "mp=",      "refer=",       "replicas=",    "sec="};

}  // namespace

bool ParsedExports::hasErrors() const {
    return std::any_of(diagnostics.begin(), diagnostics.end(),
                       [](const Diagnostic& d) { return d.error; });
}

std::string unescapeOctal(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\\' && i + 3 < text.size() && isOctal(text[i + 1]) &&
            isOctal(text[i + 2]) && isOctal(text[i + 3])) {
            int v = (text[i + 1] - '0') * 64 + (text[i + 2] - '0') * 8 + (text[i + 3] - '0');
            if (v > 0 && v < 256) {
                out += static_cast<char>(v);
                i += 3;
                continue;
            }
        }
        out += text[i];
    }
    return out;
}

std::vector<std::string> splitOptions(std::string_view list) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start <= list.size()) {
        auto comma = list.find(',', start);
        auto piece =
            list.substr(start, comma == std::string_view::npos ? list.npos : comma - start);
        if (!piece.empty()) out.emplace_back(piece);
        if (comma == std::string_view::npos) break;
        start = comma + 1;
    }
    return out;
}

bool isKnownExportOption(std::string_view option) {
    if (option == "mp") return true;
    for (auto f : kFlags)
        if (option == f) return true;
    for (auto v : kValued)
        if (option.substr(0, v.size()) == v) return true;
    return false;
}

bool hasOption(const std::vector<std::string>& options, std::string_view name) {
    for (const auto& o : options)
        if (o == name || (o.size() > name.size() && o.compare(0, name.size(), name) == 0 &&
                          o[name.size()] == '='))
            return true;
    return false;
}

std::string optionValue(const std::vector<std::string>& options, std::string_view name) {
    std::string value;
    for (const auto& o : options)
        if (o.size() > name.size() && o.compare(0, name.size(), name) == 0 && o[name.size()] == '=')
            value = o.substr(name.size() + 1);
    return value;
}

ParsedExports parseExports(std::string_view text, const std::string& fileName) {
    ParsedExports result;
    auto diag = [&](int line, std::string msg, bool error = true) {
        result.diagnostics.push_back({fileName, line, std::move(msg), error});
    };
    auto checkOptions = [&](int line, const std::vector<std::string>& opts) {
        bool ok = true;
        for (const auto& o : opts)
            if (!isKnownExportOption(o)) {
                diag(line, "unknown export option \"" + o + "\"");
                ok = false;
            }
        return ok;
    };
    for (const auto& toks : tokenize(text)) {
        ExportEntry entry;
        entry.file = fileName;
        entry.line = toks.front().line;
        entry.path = toks.front().text;  // already unescaped by the tokenizer
        if (entry.path.empty() || entry.path.front() != '/') {
            diag(entry.line, "export path \"" + entry.path + "\" is not absolute");
            continue;
        }
        std::vector<std::string> defaults;
        std::size_t i = 1;
        if (i < toks.size() && !toks[i].text.empty() && toks[i].text.front() == '-') {
            defaults = splitOptions(std::string_view(toks[i].text).substr(1));
            checkOptions(toks[i].line, defaults);
            ++i;
        }
        bool bad = false;
        if (i == toks.size()) {
            // A path alone exports to the world with the defaults.
            diag(entry.line, "no client given for " + entry.path + ": exported to the world",
                 false);
            entry.clients.push_back({"*", defaults, false, false});
        }
        for (; i < toks.size(); ++i) {
            const std::string& t = toks[i].text;
            ExportClient client;
            client.options = defaults;
            auto open = t.find('(');
            if (open == std::string::npos) {
                if (t.find(')') != std::string::npos) {
                    diag(toks[i].line, "bad option list \"" + t + "\"");
                    bad = true;
                    continue;
                }
                client.host = t;
                entry.clients.push_back(std::move(client));
                continue;
            }
            if (t.back() != ')' || t.find(')') != t.size() - 1 || t.find('(', open + 1) != t.npos) {
                diag(toks[i].line, "bad option list \"" + t + "\"");
                bad = true;
                continue;
            }
            auto own = splitOptions(std::string_view(t).substr(open + 1, t.size() - open - 2));
            if (!checkOptions(toks[i].line, own)) bad = true;
            client.options.insert(client.options.end(), own.begin(), own.end());
            client.ownOptions = true;
            if (open == 0) {
                client.host = "*";
                if (!entry.clients.empty() && !entry.clients.back().ownOptions) {
                    client.worldBySpace = true;
                    diag(toks[i].line,
                         "space before \"" + t + "\" after \"" + entry.clients.back().host +
                             "\": nfs-utils exports " + entry.path + " to the world with " + t,
                         false);
                } else {
                    diag(toks[i].line, "no host before \"" + t + "\": exported to the world",
                         false);
                }
            } else {
                client.host = t.substr(0, open);
            }
            entry.clients.push_back(std::move(client));
        }
        if (!bad) result.entries.push_back(std::move(entry));
    }
    return result;
}

}  // namespace rpinetboot::nfs
