// rpi-netboot: prints the Pi fleet from the rpi-netboot hook's registry (fleet.h).
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <string>

#include "fleet.h"

using rpinetboot::cli::FleetOptions;

namespace {

// Sends one command on Kea's UNIX control socket and reads the answer until it parses (Kea
// may keep the connection open) or Kea closes it; bounded by a 10 s receive timeout.
nlohmann::json ask(const std::string& path, const nlohmann::json& command) {
    sockaddr_un addr{};
    if (path.size() >= sizeof addr.sun_path) throw std::runtime_error("socket path too long");
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
    struct Closer {
        int fd;
        ~Closer() { ::close(fd); }
    } closer{fd};
    timeval tv{10, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        throw std::runtime_error(path + ": " + std::strerror(errno));
    }
    const std::string request = command.dump();
    for (std::size_t sent = 0; sent < request.size();) {
        const ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) throw std::runtime_error(std::string("send: ") + std::strerror(errno));
        sent += static_cast<std::size_t>(n);
    }
    std::string answer;
    char buf[65536];
    for (int reads = 0; reads < 100000; ++reads) {
        const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n < 0) throw std::runtime_error(std::string("recv: ") + std::strerror(errno));
        if (n == 0) break;
        answer.append(buf, static_cast<std::size_t>(n));
        const auto parsed = nlohmann::json::parse(answer, nullptr, false);
        if (!parsed.is_discarded()) return parsed;
    }
    const auto parsed = nlohmann::json::parse(answer, nullptr, false);
    if (parsed.is_discarded()) throw std::runtime_error("Kea's answer is not JSON");
    return parsed;
}

}  // namespace

int main(int argc, char** argv) {
    std::string error;
    const auto opts =
        rpinetboot::cli::parseFleetArgs(std::vector<std::string>(argv + 1, argv + argc), &error);
    if (!opts) {
        std::cerr << "rpi-netboot: " << error << "\n" << rpinetboot::cli::fleetUsage();
        return 2;
    }
    if (opts->command == "version") {
        std::cout << "rpi-netboot " << RPI_NETBOOT_VERSION << "\n";
        return 0;
    }
    if (opts->command.empty()) {
        std::cout << rpinetboot::cli::fleetUsage();
        return 0;
    }
    try {
        const auto answer = ask(opts->socket, rpinetboot::cli::fleetCommand(*opts));
        std::string out;
        const int status = rpinetboot::cli::printFleetAnswer(answer, *opts, &out);
        (status == 1 ? std::cerr : std::cout) << out;
        return status;
    } catch (const std::exception& e) {
        std::cerr << "rpi-netboot: " << e.what() << "\n";
        return 1;
    }
}
