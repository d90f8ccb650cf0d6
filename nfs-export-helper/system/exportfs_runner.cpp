#include "exportfs_runner.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "files.h"

namespace rpinetboot::nfs {

namespace {
constexpr auto kExportfsTimeout = std::chrono::seconds(60);

ExportfsRun finish(ProcessResult p) {
    ExportfsRun r;
    if (p.exitCode == 126 || p.exitCode == 127) {
        // The child never became exportfs: its message says why (namespace setup, exec).
        p.error = p.output;
        while (!p.error.empty() && p.error.back() == '\n') p.error.pop_back();
        p.output.clear();
    }
    r.messages = parseExportfsOutput(p.output);
    r.process = std::move(p);
    return r;
}

bool isDir(const char* path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}
}  // namespace

bool ExportfsRun::ok() const {
    return process.exitCode == 0 && errors().empty();
}

std::vector<ExportfsMessage> ExportfsRun::errors() const {
    std::vector<ExportfsMessage> out;
    for (const auto& m : messages)
        if (m.error) out.push_back(m);
    if (out.empty() && process.exitCode != 0) {
        ExportfsMessage m;
        m.text = process.error.empty()
                     ? "exportfs exited with status " + std::to_string(process.exitCode)
                     : process.error;
        out.push_back(m);
    }
    return out;
}

ExportfsRun runExportfsLive(const std::string& exportfs) {
    return finish(runProcess({exportfs, "-ra"}, kExportfsTimeout));
}

ExportfsRun runExportfsIsolated(const std::string& exportfs, const std::string& exportsDir,
                                const std::map<std::string, std::string>& files) {
    std::string base = isDir("/run") ? "/run" : "/tmp";
    std::string tmpl = base + "/rpi-nfs-exports.XXXXXX";
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    if (!mkdtemp(buf.data())) throw SystemError(std::string("mkdtemp: ") + std::strerror(errno));
    std::string stage(buf.data());
    chmod(stage.c_str(), 0755);
    struct Cleanup {
        std::string dir;
        std::vector<std::string> names;
        ~Cleanup() {
            for (const auto& n : names) unlink((dir + "/" + n).c_str());
            rmdir(dir.c_str());
        }
    } cleanup{stage, {}};
    for (const auto& [name, content] : files) {
        cleanup.names.push_back(name);
        replaceFile(stage, name, content);
    }
    auto setup = [&]() -> std::string {
        if (unshare(CLONE_NEWNS) != 0)
            return std::string("unshare(CLONE_NEWNS): ") + std::strerror(errno);
        if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
            return std::string("make / private: ") + std::strerror(errno);
        if (mount(stage.c_str(), exportsDir.c_str(), nullptr, MS_BIND, nullptr) != 0)
            return "bind " + stage + " over " + exportsDir + ": " + std::strerror(errno);
        if (mount("tmpfs", "/var/lib/nfs", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") != 0)
            return std::string("tmpfs over /var/lib/nfs: ") + std::strerror(errno);
        for (const char* k : {"/proc/fs/nfsd", "/proc/net/rpc"})
            if (isDir(k) && mount("tmpfs", k, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0555") != 0)
                return std::string("tmpfs over ") + k + ": " + std::strerror(errno);
        return "";
    };
    return finish(runProcess({exportfs, "-ra"}, kExportfsTimeout, setup));
}

}  // namespace rpinetboot::nfs
