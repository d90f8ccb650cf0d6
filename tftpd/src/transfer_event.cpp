#include "transfer_event.h"

#include "rpinetboot/mac.h"
#include "rpinetboot/serial.h"
#include "sanitize.h"

namespace rpinetboot::tftpd {

BootEvent tftpFileEvent(std::string_view request, std::string address) {
    BootEvent e;
    e.step = BootStep::TftpFile;
    e.timestampUs = nowMicros();
    e.source = "rpi-tftpd";
    e.address = std::move(address);
    e.file = sanitize(std::string(request));
    std::string_view path = request;
    if (!path.empty() && path.front() == '/') path.remove_prefix(1);
    const auto slash = path.find('/');
    if (slash == std::string_view::npos) return e;  // no directory: no identity in the name
    const auto dir = path.substr(0, slash);
    if (auto serial = Serial::parse(dir)) {
        e.serial = serial->str();
    } else if (dir.size() == 17 && dir[2] == '-') {  // only the dashed TFTP_PREFIX=2 form
        if (auto mac = MacAddress::parse(dir)) e.mac = mac->str();
    }
    return e;
}

}  // namespace rpinetboot::tftpd
