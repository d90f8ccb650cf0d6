// The boot event the events tests start from: one firmware file a Pi 4 fetched over TFTP.
#pragma once

#include "rpinetboot/boot_event.h"

namespace rpinetboot {

inline BootEvent sampleTftpEvent() {
    BootEvent e;
    e.step = BootStep::TftpFile;
    e.timestampUs = 1796497318163410;
    e.source = "rpi-tftpd";
    e.serial = "1a2b3c04";
    e.mac = "dc:a6:32:01:36:c2";
    e.address = "192.0.2.10";
    e.model = "pi4";
    e.file = "1a2b3c04/start4.elf";
    e.bytes = 2250000;
    e.durationUs = 120500;
    e.outcome = Outcome::Ok;
    return e;
}

}  // namespace rpinetboot
