// Client-supplied strings made safe for a log line.
#pragma once

#include <string>
#include <string_view>

namespace rpinetboot::tftpd {

// Printable ASCII is kept; quotes, backslashes and every other byte become \xHH; the result is
// cut at `maxInput` input bytes with "..." so one request cannot flood the log.
std::string sanitize(std::string_view text, std::size_t maxInput = 160);

}  // namespace rpinetboot::tftpd
