// The events whose renderings boot_event_golden_test.cpp recorded: one of each source and step
// kind, every optional field, escapes, invalid UTF-8 and the largest numbers.
#pragma once
#include <cstdint>
#include <vector>
#include "rpinetboot/boot_event.h"
namespace rpinetboot::golden {
inline std::vector<BootEvent> events() {
    std::vector<BootEvent> v;
    BootEvent d;
    d.step = BootStep::Discover;
    d.timestampUs = 1796497318163410;
    d.source = "kea-hook";
    d.serial = "1a2b3c04";
    d.mac = "dc:a6:32:01:36:c2";
    d.model = "pi4";
    v.push_back(d);
    BootEvent ack = d;
    ack.step = BootStep::Ack;
    ack.address = "192.0.2.10";
    ack.phase = "os";
    v.push_back(ack);
    BootEvent held = d;
    held.step = BootStep::OfferHeld;
    held.serial.clear();
    held.model = "pi3";
    held.outcome = Outcome::Failed;
    held.error = "serial 1a2b3c04 is not in allow-serials";
    v.push_back(held);
    BootEvent t;
    t.step = BootStep::TftpFile;
    t.timestampUs = 1796497318163411;
    t.source = "rpi-tftpd";
    t.serial = "1a2b3c04";
    t.address = "192.0.2.10";
    t.file = "1a2b3c04/start4.elf";
    t.bytes = 2250000;
    t.durationUs = 120500;
    t.outcome = Outcome::Ok;
    v.push_back(t);
    BootEvent f = t;
    f.file = "1a2b3c04/missing \"x\".dtb";
    f.bytes = 0;
    f.durationUs = 999;
    f.outcome = Outcome::Failed;
    f.error = "File not found";
    f.text = "two\nlines\tand\r\\";
    v.push_back(f);
    BootEvent n;
    n.step = BootStep::NetconsoleLine;
    n.timestampUs = 1;
    n.source = "rpi-netconsoled";
    n.mac = "dc:a6:32:01:36:c2";
    n.address = "198.51.100.7";
    // Control bytes, an escape sequence, valid UTF-8 of 2, 3 and 4 bytes, then invalid ones: a
    // lone lead byte, a cut sequence, bytes never valid, an overlong, a surrogate, above U+10FFFF,
    // and a lead byte at the very end.
    static const char kText[] =
        "ctl \x01\x1f\x7f esc \x1b[0m utf8 \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80 bad \xc3 "
        "\xe2\x82 \xff\xfe \xc0\xaf \xed\xa0\x80 \xf4\x90\x80\x80 end\xe2";
    n.text = std::string(kText, sizeof kText - 1);
    v.push_back(n);
    BootEvent z;  // everything empty but the step
    z.step = BootStep::NfsMount;
    v.push_back(z);
    BootEvent big;
    big.step = BootStep::BootFilesDone;
    big.timestampUs = UINT64_MAX;
    big.bytes = UINT64_MAX;
    big.durationUs = UINT64_MAX;
    big.source = std::string("nul\0in", 6);
    big.model = "pi5";
    big.file = "a/b/c";
    big.outcome = Outcome::Ok;
    v.push_back(big);
    return v;
}
}  // namespace rpinetboot::golden
