#include "rpinetboot/nfs/mount_policy.h"

#include <algorithm>
#include <sstream>

namespace rpinetboot::nfs {

namespace {

bool has(const std::vector<std::string>& options, std::string_view name) {
    return std::find(options.begin(), options.end(), name) != options.end();
}

// mountinfo escapes space, tab, newline and backslash as \ooo (proc_pid_mountinfo(5)).
std::string unescape(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\\' && i + 3 < s.size() &&
            std::all_of(s.begin() + static_cast<long>(i) + 1, s.begin() + static_cast<long>(i) + 4,
                        [](char c) { return c >= '0' && c <= '7'; })) {
            out +=
                static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
            i += 3;
        } else {
            out += s[i];
        }
    }
    return out;
}

bool contains(std::string_view mountPoint, std::string_view path) {
    if (mountPoint == "/") return !path.empty() && path.front() == '/';
    return path.compare(0, mountPoint.size(), mountPoint) == 0 &&
           (path.size() == mountPoint.size() || path[mountPoint.size()] == '/');
}

}  // namespace

bool rootWritesAsRoot(const std::vector<std::string>& options) {
    return !has(options, "root_squash") && !has(options, "all_squash") && !has(options, "ro");
}

std::string plantRisk(const PiExport& record, const MountOptions& mount) {
    if (!rootWritesAsRoot(record.options) || (mount.nosuid && mount.nodev)) return "";
    std::string missing = !mount.nosuid && !mount.nodev ? "nosuid,nodev"
                          : !mount.nosuid               ? "nosuid"
                                                        : "nodev";
    return record.path + " (Pi " + record.serial.str() + ") is exported no_root_squash from " +
           mount.mountPoint + ", which is mounted without " + missing +
           ": the Pi can plant setuid-root programs or device nodes that anyone running them on "
           "this server runs as root; mount it with nosuid,nodev (a bind mount of the Pi roots "
           "will do: mount --bind DIR DIR && mount -o remount,bind,nosuid,nodev DIR)";
}

std::optional<MountOptions> mountOf(std::string_view mountinfo, std::string_view path) {
    std::optional<MountOptions> best;
    std::istringstream in{std::string(mountinfo)};
    std::string line;
    while (std::getline(in, line)) {
        // id parent major:minor root mount-point per-mount-options [optional...] - fs source super
        std::istringstream fields(line);
        std::string id, parent, dev, root, point, options;
        if (!(fields >> id >> parent >> dev >> root >> point >> options)) continue;
        point = unescape(point);
        if (!contains(point, path)) continue;
        if (best && best->mountPoint.size() > point.size()) continue;
        MountOptions m;
        m.mountPoint = point;
        std::istringstream opts(options);
        std::string o;
        while (std::getline(opts, o, ',')) {
            if (o == "nosuid") m.nosuid = true;
            if (o == "nodev") m.nodev = true;
        }
        best = m;
    }
    return best;
}

}  // namespace rpinetboot::nfs
