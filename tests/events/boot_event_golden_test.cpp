// Byte-identity of the boot event renderers: lines recorded from the renderer before it was
// rewritten to write into reserved room (rpi-netboot-timeline and the tests parse these lines),
// and every escape of the JSON strings against a plain byte-by-byte reference.
#include <catch2/catch.hpp>
#include <cstdio>
#include <string>
#include <vector>

#include "golden_events.h"
#include "rpinetboot/boot_event.h"

using namespace rpinetboot;
using namespace std::string_literals;

namespace {

// What each of golden::events() renders to, recorded.
const char* const kJsonLines[] = {
    "{\"timestamp_us\":1796497318163410,\"step\":\"DISCOVER\",\"source\":\"kea-hook\",\"serial\":"
    "\"1a2b3c04\",\"mac\":\"dc:a6:32:01:36:c2\",\"model\":\"pi4\",\"message\":\"DISCOVER 1a2b3c04 "
    "dc:a6:32:01:36:c2\"}",
    "{\"timestamp_us\":1796497318163410,\"step\":\"ACK\",\"source\":\"kea-hook\",\"serial\":"
    "\"1a2b3c04\",\"mac\":\"dc:a6:32:01:36:c2\",\"address\":\"192.0.2.10\",\"model\":\"pi4\","
    "\"phase\":\"os\",\"message\":\"ACK 1a2b3c04 dc:a6:32:01:36:c2 192.0.2.10\"}",
    "{\"timestamp_us\":1796497318163410,\"step\":\"OFFER_HELD\",\"source\":\"kea-hook\",\"mac\":"
    "\"dc:a6:32:01:36:c2\",\"model\":\"pi3\",\"outcome\":\"failed\",\"error\":\"serial 1a2b3c04 is "
    "not in allow-serials\",\"message\":\"OFFER_HELD dc:a6:32:01:36:c2 failed (serial 1a2b3c04 is "
    "not in allow-serials)\"}",
    "{\"timestamp_us\":1796497318163411,\"step\":\"TFTP_FILE\",\"source\":\"rpi-tftpd\",\"serial\":"
    "\"1a2b3c04\",\"address\":\"192.0.2.10\",\"file\":\"1a2b3c04/"
    "start4.elf\",\"bytes\":2250000,\"duration_us\":120500,\"outcome\":\"ok\",\"message\":\"TFTP_"
    "FILE 1a2b3c04 192.0.2.10 1a2b3c04/start4.elf 2250000 bytes 120 ms ok\"}",
    "{\"timestamp_us\":1796497318163411,\"step\":\"TFTP_FILE\",\"source\":\"rpi-tftpd\",\"serial\":"
    "\"1a2b3c04\",\"address\":\"192.0.2.10\",\"file\":\"1a2b3c04/missing "
    "\\\"x\\\".dtb\",\"bytes\":0,\"duration_us\":999,\"outcome\":\"failed\",\"error\":\"File not "
    "found\",\"text\":\"two\\nlines\\tand\\r\\\\\",\"message\":\"TFTP_FILE 1a2b3c04 192.0.2.10 "
    "1a2b3c04/missing \\\"x\\\".dtb 0 bytes 0 ms failed (File not found) | "
    "two\\nlines\\tand\\r\\\\\"}",
    "{\"timestamp_us\":1,\"step\":\"NETCONSOLE_LINE\",\"source\":\"rpi-netconsoled\",\"mac\":\"dc:"
    "a6:32:01:36:c2\",\"address\":\"198.51.100.7\",\"text\":\"ctl \\u0001\\u001f\\u007f esc "
    "\\u001b[0m utf8 \xc3"
    "\xa9"
    "\xe2"
    "\x82"
    "\xac"
    "\xf0"
    "\x9f"
    "\x98"
    "\x80"
    " bad \\ufffd \\ufffd\\ufffd \\ufffd\\ufffd \\ufffd\\ufffd \\ufffd\\ufffd\\ufffd "
    "\\ufffd\\ufffd\\ufffd\\ufffd end\\ufffd\",\"message\":\"NETCONSOLE_LINE dc:a6:32:01:36:c2 "
    "198.51.100.7 | ctl \\u0001\\u001f\\u007f esc \\u001b[0m utf8 \xc3"
    "\xa9"
    "\xe2"
    "\x82"
    "\xac"
    "\xf0"
    "\x9f"
    "\x98"
    "\x80"
    " bad \\ufffd \\ufffd\\ufffd \\ufffd\\ufffd \\ufffd\\ufffd \\ufffd\\ufffd\\ufffd "
    "\\ufffd\\ufffd\\ufffd\\ufffd end\\ufffd\"}",
    "{\"timestamp_us\":0,\"step\":\"NFS_MOUNT\",\"message\":\"NFS_MOUNT\"}",
    "{\"timestamp_us\":18446744073709551615,\"step\":\"BOOT_FILES_DONE\",\"source\":"
    "\"nul\\u0000in\",\"model\":\"pi5\",\"file\":\"a/b/"
    "c\",\"bytes\":18446744073709551615,\"duration_us\":18446744073709551615,\"outcome\":\"ok\","
    "\"message\":\"BOOT_FILES_DONE a/b/c 18446744073709551615 bytes 18446744073709551 ms ok\"}",
};

// Each event's journal fields, "NAME=value\n" each, recorded.
const std::string kJournal[] = {
    // std::string: one holds a NUL
    "MESSAGE=DISCOVER 1a2b3c04 dc:a6:32:01:36:c2\x0a"
    "MESSAGE_ID=4c0a6b1e9d2f4e3a8b57c1d0e2f3a4b5\x0a"
    "PRIORITY=6\x0a"
    "SYSLOG_IDENTIFIER=kea-hook\x0a"
    "RPI_STEP=DISCOVER\x0a"
    "RPI_TIMESTAMP_US=1796497318163410\x0a"
    "RPI_SOURCE=kea-hook\x0a"
    "RPI_SERIAL=1a2b3c04\x0a"
    "RPI_MAC=dc:a6:32:01:36:c2\x0a"
    "RPI_MODEL=pi4\x0a"s,
    "MESSAGE=ACK 1a2b3c04 dc:a6:32:01:36:c2 192.0.2.10\x0a"
    "MESSAGE_ID=4c0a6b1e9d2f4e3a8b57c1d0e2f3a4b5\x0a"
    "PRIORITY=6\x0a"
    "SYSLOG_IDENTIFIER=kea-hook\x0a"
    "RPI_STEP=ACK\x0a"
    "RPI_TIMESTAMP_US=1796497318163410\x0a"
    "RPI_SOURCE=kea-hook\x0a"
    "RPI_SERIAL=1a2b3c04\x0a"
    "RPI_MAC=dc:a6:32:01:36:c2\x0a"
    "RPI_ADDRESS=192.0.2.10\x0a"
    "RPI_MODEL=pi4\x0a"
    "RPI_PHASE=os\x0a"s,
    "MESSAGE=OFFER_HELD dc:a6:32:01:36:c2 failed (serial 1a2b3c04 is not in allow-serials)\x0a"
    "MESSAGE_ID=4c0a6b1e9d2f4e3a8b57c1d0e2f3a4b5\x0a"
    "PRIORITY=4\x0a"
    "SYSLOG_IDENTIFIER=kea-hook\x0a"
    "RPI_STEP=OFFER_HELD\x0a"
    "RPI_TIMESTAMP_US=1796497318163410\x0a"
    "RPI_SOURCE=kea-hook\x0a"
    "RPI_MAC=dc:a6:32:01:36:c2\x0a"
    "RPI_MODEL=pi3\x0a"
    "RPI_OUTCOME=failed\x0a"
    "RPI_ERROR=serial 1a2b3c04 is not in allow-serials\x0a"s,
    "MESSAGE=TFTP_FILE 1a2b3c04 192.0.2.10 1a2b3c04/start4.elf 2250000 bytes 120 ms ok\x0a"
    "MESSAGE_ID=4c0a6b1e9d2f4e3a8b57c1d0e2f3a4b5\x0a"
    "PRIORITY=6\x0a"
    "SYSLOG_IDENTIFIER=rpi-tftpd\x0a"
    "RPI_STEP=TFTP_FILE\x0a"
    "RPI_TIMESTAMP_US=1796497318163411\x0a"
    "RPI_SOURCE=rpi-tftpd\x0a"
    "RPI_SERIAL=1a2b3c04\x0a"
    "RPI_ADDRESS=192.0.2.10\x0a"
    "RPI_FILE=1a2b3c04/start4.elf\x0a"
    "RPI_BYTES=2250000\x0a"
    "RPI_DURATION_US=120500\x0a"
    "RPI_OUTCOME=ok\x0a"s,
    "MESSAGE=TFTP_FILE 1a2b3c04 192.0.2.10 1a2b3c04/missing \"x\".dtb 0 bytes 0 ms failed (File "
    "not found) | two\x0a"
    "lines\x09"
    "and\x0d"
    "\\\x0a"
    "MESSAGE_ID=4c0a6b1e9d2f4e3a8b57c1d0e2f3a4b5\x0a"
    "PRIORITY=4\x0a"
    "SYSLOG_IDENTIFIER=rpi-tftpd\x0a"
    "RPI_STEP=TFTP_FILE\x0a"
    "RPI_TIMESTAMP_US=1796497318163411\x0a"
    "RPI_SOURCE=rpi-tftpd\x0a"
    "RPI_SERIAL=1a2b3c04\x0a"
    "RPI_ADDRESS=192.0.2.10\x0a"
    "RPI_FILE=1a2b3c04/missing \"x\".dtb\x0a"
    "RPI_BYTES=0\x0a"
    "RPI_DURATION_US=999\x0a"
    "RPI_OUTCOME=failed\x0a"
    "RPI_ERROR=File not found\x0a"
    "RPI_TEXT=two\x0a"
    "lines\x09"
    "and\x0d"
    "\\\x0a"s,
    "MESSAGE=NETCONSOLE_LINE dc:a6:32:01:36:c2 198.51.100.7 | ctl \x01"
    "\x1f"
    "\x7f"
    " esc \x1b"
    "[0m utf8 \xc3"
    "\xa9"
    "\xe2"
    "\x82"
    "\xac"
    "\xf0"
    "\x9f"
    "\x98"
    "\x80"
    " bad \xc3"
    " \xe2"
    "\x82"
    " \xff"
    "\xfe"
    " \xc0"
    "\xaf"
    " \xed"
    "\xa0"
    "\x80"
    " \xf4"
    "\x90"
    "\x80"
    "\x80"
    " end\xe2"
    "\x0a"
    "MESSAGE_ID=4c0a6b1e9d2f4e3a8b57c1d0e2f3a4b5\x0a"
    "PRIORITY=6\x0a"
    "SYSLOG_IDENTIFIER=rpi-netconsoled\x0a"
    "RPI_STEP=NETCONSOLE_LINE\x0a"
    "RPI_TIMESTAMP_US=1\x0a"
    "RPI_SOURCE=rpi-netconsoled\x0a"
    "RPI_MAC=dc:a6:32:01:36:c2\x0a"
    "RPI_ADDRESS=198.51.100.7\x0a"
    "RPI_TEXT=ctl \x01"
    "\x1f"
    "\x7f"
    " esc \x1b"
    "[0m utf8 \xc3"
    "\xa9"
    "\xe2"
    "\x82"
    "\xac"
    "\xf0"
    "\x9f"
    "\x98"
    "\x80"
    " bad \xc3"
    " \xe2"
    "\x82"
    " \xff"
    "\xfe"
    " \xc0"
    "\xaf"
    " \xed"
    "\xa0"
    "\x80"
    " \xf4"
    "\x90"
    "\x80"
    "\x80"
    " end\xe2"
    "\x0a"s,
    "MESSAGE=NFS_MOUNT\x0a"
    "MESSAGE_ID=4c0a6b1e9d2f4e3a8b57c1d0e2f3a4b5\x0a"
    "PRIORITY=6\x0a"
    "RPI_STEP=NFS_MOUNT\x0a"
    "RPI_TIMESTAMP_US=0\x0a"s,
    "MESSAGE=BOOT_FILES_DONE a/b/c 18446744073709551615 bytes 18446744073709551 ms ok\x0a"
    "MESSAGE_ID=4c0a6b1e9d2f4e3a8b57c1d0e2f3a4b5\x0a"
    "PRIORITY=6\x0a"
    "SYSLOG_IDENTIFIER=nul\x00"
    "in\x0a"
    "RPI_STEP=BOOT_FILES_DONE\x0a"
    "RPI_TIMESTAMP_US=18446744073709551615\x0a"
    "RPI_SOURCE=nul\x00"
    "in\x0a"
    "RPI_MODEL=pi5\x0a"
    "RPI_FILE=a/b/c\x0a"
    "RPI_BYTES=18446744073709551615\x0a"
    "RPI_DURATION_US=18446744073709551615\x0a"
    "RPI_OUTCOME=ok\x0a"s,
};

// RFC 8259, section 7, the simple way: one byte at a time, for printable ASCII and control
// characters (UTF-8 is checked by the recorded lines and boot_event_test.cpp).
std::string referenceEscape(const std::string& s) {
    std::string out;
    for (const char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        if (c == '"') {
            out += "\\\"";
        } else if (c == '\\') {
            out += "\\\\";
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '\r') {
            out += "\\r";
        } else if (c == '\t') {
            out += "\\t";
        } else if (c < 0x20 || c == 0x7f) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            out += buf;
        } else {
            out += ch;
        }
    }
    return out;
}

}  // namespace

TEST_CASE("recorded JSON lines are rendered byte for byte", "[events]") {
    const auto events = golden::events();
    REQUIRE(events.size() == sizeof kJsonLines / sizeof kJsonLines[0]);
    std::string batch;
    for (std::size_t i = 0; i < events.size(); ++i) {
        INFO("event " << i);
        CHECK(toJson(events[i]) == kJsonLines[i]);
        // Appending after other lines gives the same bytes.
        appendJson(batch, events[i]);
        batch += '\n';
    }
    std::string expected;
    for (const char* line : kJsonLines) expected += std::string(line) + "\n";
    CHECK(batch == expected);
}

TEST_CASE("recorded journal fields are built byte for byte", "[events]") {
    const auto events = golden::events();
    REQUIRE(events.size() == sizeof kJournal / sizeof kJournal[0]);
    JournalEntry entry;  // reused, as the journal sink does
    for (std::size_t i = 0; i < events.size(); ++i) {
        INFO("event " << i);
        std::string all;
        for (const auto& [name, value] : journalFields(events[i])) all += name + "=" + value + "\n";
        CHECK(all == kJournal[i]);
        buildJournalEntry(events[i], entry);
        std::string fromIov;
        for (std::size_t k = 0; k < entry.count; ++k) {
            fromIov.append(static_cast<const char*>(entry.iov[k].iov_base), entry.iov[k].iov_len);
            fromIov += '\n';
        }
        CHECK(fromIov == kJournal[i]);
        // MESSAGE is the summary.
        CHECK(std::string(static_cast<const char*>(entry.iov[0].iov_base), entry.iov[0].iov_len) ==
              "MESSAGE=" + summary(events[i]));
    }
}

TEST_CASE("every ASCII byte is escaped as RFC 8259 says, wherever it falls", "[events]") {
    // Each byte at each offset of a 19-byte text: before, inside and after the eight-byte words
    // the renderer checks at once.
    for (int c = 0; c < 0x80; ++c) {
        for (std::size_t at = 0; at < 19; ++at) {
            std::string text = "abcdefghijklmnopqrs";
            text[at] = static_cast<char>(c);
            BootEvent e;
            e.step = BootStep::NetconsoleLine;
            e.text = text;
            const std::string escaped = referenceEscape(text);
            const std::string expected = R"({"timestamp_us":0,"step":"NETCONSOLE_LINE","text":")" +
                                         escaped + R"(","message":"NETCONSOLE_LINE | )" + escaped +
                                         R"("})";
            INFO("byte " << c << " at " << at);
            REQUIRE(toJson(e) == expected);
        }
    }
}

TEST_CASE("long texts of any bytes fit the room reserved for them", "[events]") {
    // Worst cases: every byte expands to six ("\u0001", "\ufffd") in every string field.
    for (const char fill : {'\x01', '\xff', '"', 'a'}) {
        BootEvent e;
        e.step = BootStep::TftpFile;
        e.timestampUs = UINT64_MAX;
        e.bytes = UINT64_MAX;
        e.durationUs = UINT64_MAX;
        e.outcome = Outcome::Failed;
        const std::string s(3000, fill);
        e.source = e.serial = e.mac = e.address = e.model = e.file = e.error = e.text = e.phase = s;
        const std::string line = toJson(e);
        INFO(static_cast<int>(static_cast<unsigned char>(fill)));
        CHECK(line.size() > 9 * 3000);
        CHECK(line.back() == '}');
        JournalEntry entry;
        buildJournalEntry(e, entry);
        CHECK(entry.count == 18);
        CHECK(summary(e).size() > 6 * 3000);
    }
}
