// replaceFileAt: the new content in place, attributes as asked, no temp file left, the old file
// untouched when the replacement cannot be made.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "rpinetboot/util/atomic_file.h"
#include "rpinetboot/util/unique_fd.h"

using namespace rpinetboot;

namespace {
struct TempDir {
    std::string path;
    TempDir() {
        char tmpl[] = "/tmp/rpinetboot-atomic-XXXXXX";
        REQUIRE(mkdtemp(tmpl) != nullptr);
        path = tmpl;
    }
    ~TempDir() {
        for (const auto& n : names()) ::unlink((path + "/" + n).c_str());
        ::rmdir(path.c_str());
    }
    std::vector<std::string> names() const {
        std::vector<std::string> out;
        if (DIR* d = opendir(path.c_str())) {
            while (auto* e = readdir(d))
                if (std::string(e->d_name) != "." && std::string(e->d_name) != "..")
                    out.push_back(e->d_name);
            closedir(d);
        }
        return out;
    }
    std::string read(const std::string& name) const {
        std::ifstream in(path + "/" + name);
        std::stringstream s;
        s << in.rdbuf();
        return s.str();
    }
};
}  // namespace

TEST_CASE("replaceFileAt writes a new file and replaces an old one", "[util][atomic-file]") {
    TempDir dir;
    UniqueFd d(open(dir.path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    REQUIRE(d);
    CHECK(replaceFileAt(d.get(), "pi.exports", "first\n").empty());
    CHECK(dir.read("pi.exports") == "first\n");
    CHECK(replaceFileAt(d.get(), "pi.exports", "second\n", {0600, {}, {}}).empty());
    CHECK(dir.read("pi.exports") == "second\n");
    struct stat st;
    REQUIRE(stat((dir.path + "/pi.exports").c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0600);
    CHECK(dir.names() == std::vector<std::string>{"pi.exports"});  // no temp file left
    CHECK(tempFilePrefix("pi.exports") == ".pi.exports.tmp.");
}

TEST_CASE("replaceFileAt applies the mode whatever the umask", "[util][atomic-file]") {
    TempDir dir;
    UniqueFd d(open(dir.path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    const mode_t old = umask(077);
    const auto error = replaceFileAt(d.get(), "hostname", "pi\n");
    umask(old);
    CHECK(error.empty());
    struct stat st;
    REQUIRE(stat((dir.path + "/hostname").c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0644);
}

TEST_CASE("replaceFileAt reports a failure and leaves the old file", "[util][atomic-file]") {
    TempDir dir;
    UniqueFd d(open(dir.path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    REQUIRE(replaceFileAt(d.get(), "keep", "old\n").empty());
    // A directory of that name cannot be replaced by a file: rename(2) fails with EISDIR.
    REQUIRE(::mkdir((dir.path + "/sub").c_str(), 0755) == 0);
    const auto error = replaceFileAt(d.get(), "sub", "new\n");
    CHECK(error.rfind("rename .sub.tmp.", 0) == 0);
    ::rmdir((dir.path + "/sub").c_str());
    CHECK(dir.names() == std::vector<std::string>{"keep"});  // the temp file was removed
    CHECK(dir.read("keep") == "old\n");
    // A descriptor that is no directory: nothing is created.
    CHECK_FALSE(replaceFileAt(-1, "x", "y").empty());
}
