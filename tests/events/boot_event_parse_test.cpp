// Boot events read back: what toJson() and journalFields() write parses into the same event, and
// every kind of bad input is refused with a reason.
#include <catch2/catch.hpp>
#include <map>
#include <string>

#include "rpinetboot/boot_event.h"
#include "rpinetboot/boot_event_parse.h"
#include "sample_event.h"

using namespace rpinetboot;

namespace {

BootEvent fullEvent() {
    BootEvent e = sampleTftpEvent();
    e.outcome = Outcome::Failed;
    e.error = "timed out";
    e.text = "line with \"quotes\"\tand a tab";
    return e;
}

void requireSame(const BootEvent& a, const BootEvent& b) {
    CHECK(a.step == b.step);
    CHECK(a.timestampUs == b.timestampUs);
    CHECK(a.source == b.source);
    CHECK(a.serial == b.serial);
    CHECK(a.mac == b.mac);
    CHECK(a.address == b.address);
    CHECK(a.model == b.model);
    CHECK(a.file == b.file);
    CHECK(a.bytes == b.bytes);
    CHECK(a.durationUs == b.durationUs);
    CHECK(a.outcome == b.outcome);
    CHECK(a.error == b.error);
    CHECK(a.text == b.text);
}

}  // namespace

TEST_CASE("a JSON line as the sinks write it parses back into the same event", "[events][parse]") {
    const BootEvent e = fullEvent();
    std::string error;
    auto back = eventFromJson(toJson(e), error);
    REQUIRE(back);
    requireSame(*back, e);
    for (BootStep step :
         {BootStep::Discover, BootStep::OfferHeld, BootStep::OfferSent, BootStep::Request,
          BootStep::Ack, BootStep::BootFilesDone, BootStep::NfsMount, BootStep::NetconsoleLine}) {
        BootEvent minimal;
        minimal.step = step;
        minimal.timestampUs = 5;
        auto parsed = eventFromJson(toJson(minimal), error);
        REQUIRE(parsed);
        CHECK(parsed->step == step);
        CHECK_FALSE(parsed->bytes);
        CHECK(parsed->outcome == Outcome::None);
    }
}

TEST_CASE("journal fields parse back into the same event", "[events][parse]") {
    const BootEvent e = fullEvent();
    std::map<std::string, std::string> fields;
    for (const auto& [name, value] : journalFields(e)) fields[name] = value;
    std::string error;
    auto back = eventFromJournalFields(fields, error);
    REQUIRE(back);
    requireSame(*back, e);
    // Without RPI_TIMESTAMP_US the journal's own time is taken.
    fields.erase("RPI_TIMESTAMP_US");
    fields["__REALTIME_TIMESTAMP"] = "42";
    back = eventFromJournalFields(fields, error);
    REQUIRE(back);
    CHECK(back->timestampUs == 42);
}

TEST_CASE("bad JSON lines are refused with a reason", "[events][parse]") {
    const std::pair<std::string, std::string> cases[] = {
        {"", "not JSON"},
        {"{\"step\":\"DISCOVER\"", "not JSON"},
        {"[1,2]", "not a JSON object"},
        {"{\"timestamp_us\":1}", "no \"step\""},
        {"{\"timestamp_us\":1,\"step\":\"REBOOT\"}", "unknown step \"REBOOT\""},
        {"{\"step\":\"ACK\"}", "no \"timestamp_us\""},
        {"{\"step\":\"ACK\",\"timestamp_us\":-1}", "no \"timestamp_us\""},
        {"{\"step\":\"ACK\",\"timestamp_us\":\"1\"}", "no \"timestamp_us\""},
        {"{\"step\":\"ACK\",\"timestamp_us\":1,\"serial\":7}", "\"serial\" is not a string"},
        {"{\"step\":\"ACK\",\"timestamp_us\":1,\"bytes\":-3}",
         "\"bytes\" is not a non-negative integer"},
        {"{\"step\":\"ACK\",\"timestamp_us\":1,\"outcome\":\"maybe\"}",
         "\"outcome\" is neither \"ok\" nor \"failed\""},
        {"{\"step\":\"ACK\",\"timestamp_us\":1,\"file\":\"\xff\"}", "not JSON"},
    };
    for (const auto& [line, why] : cases) {
        INFO(line);
        std::string error;
        CHECK_FALSE(eventFromJson(line, error));
        CHECK(error == why);
    }
    // Unknown keys are ignored.
    std::string error;
    CHECK(eventFromJson("{\"step\":\"ACK\",\"timestamp_us\":1,\"future\":[1]}", error));
}

TEST_CASE("bad journal fields are refused with a reason", "[events][parse]") {
    using Fields = std::map<std::string, std::string>;
    const std::pair<Fields, std::string> cases[] = {
        {{}, "no RPI_STEP"},
        {{{"RPI_STEP", "NOPE"}, {"RPI_TIMESTAMP_US", "1"}}, "unknown RPI_STEP \"NOPE\""},
        {{{"RPI_STEP", "ACK"}}, "no RPI_TIMESTAMP_US"},
        {{{"RPI_STEP", "ACK"}, {"RPI_TIMESTAMP_US", "12x"}}, "no RPI_TIMESTAMP_US"},
        {{{"RPI_STEP", "ACK"}, {"RPI_TIMESTAMP_US", "1"}, {"RPI_BYTES", ""}},
         "RPI_BYTES is not a number"},
        {{{"RPI_STEP", "ACK"}, {"RPI_TIMESTAMP_US", "1"}, {"RPI_OUTCOME", "x"}},
         "RPI_OUTCOME is neither ok nor failed"},
    };
    for (const auto& [fields, why] : cases) {
        INFO(why);
        std::string error;
        CHECK_FALSE(eventFromJournalFields(fields, error));
        CHECK(error == why);
    }
}
