#include "rpinetboot/probe/findings.h"

#include <algorithm>

namespace rpinetboot::probe {

namespace {

using F = FindingId;
constexpr Verdict kOk = Verdict::Ok, kInfo = Verdict::Info, kWarn = Verdict::Warn,
                  kFail = Verdict::Fail;

// Why each matters, in short, beside the text. Sources: raspberrypi/documentation boot-net.adoc
// (option 43 and its padding, option 66, the serial prefix), RFC 2131 (option 54, REQUEST/ACK),
// RFC 2347-2349 (OACK), raspberrypi/firmware#1012 (no OACK: config.txt ignored), rpi-eeprom#720
// (block counter), the Linux nfsroot documentation (root=/dev/nfs, nfsroot=, ip=).
const std::vector<FindingSpec> kTable = {
    {F::NoOffer, "no-offer", kFail,
     "No DHCP server answered the {} DISCOVER on {}. Check that a DHCP server serves this network "
     "(or a relay forwards to it), that it accepts UDP with checksum 0, and that it has addresses "
     "left."},
    // The EEPROM bootloader drops replies with a wrong UDP checksum.
    {F::BadUdpChecksum, "bad-udp-checksum", kFail,
     "The OFFER from {} arrived with a wrong UDP checksum; the Pi 4 EEPROM bootloader drops such "
     "replies."},
    {F::NotAnOffer, "not-an-offer", kFail, "The reply is not a DHCPOFFER."},
    {F::NoOption43, "no-option-43", kFail,
     "The OFFER from {} has no option 43, so the Pi will not network-boot from it. The DHCP server "
     "must send the PXE vendor options with the text \"Raspberry Pi Boot\" to Pis."},
    {F::NoPiBootText, "no-pi-boot-text", kFail,
     "Option 43 does not carry the menu text \"Raspberry Pi Boot\"{}; the Pi ignores the OFFER. It "
     "is probably another vendor's option 43."},
    {F::NoRomPadding, "no-rom-padding", kFail,
     "Option 43's menu text is not padded with three spaces; the Pi 3B boot ROM miscounts its "
     "length and will not boot. Send \"Raspberry Pi Boot   \" to it."},
    {F::Option43, "option-43", kOk, "Option 43 carries \"{}\"."},
    {F::NoOption54, "no-option-54", kWarn,
     "The OFFER from {} has no server identifier (option 54), which RFC 2131 requires; a Pi 4 or 5 "
     "names it in its DHCPREQUEST and, without option 66, fetches from it."},
    {F::NoOption60, "no-option-60", kWarn,
     "The OFFER has no option 60 \"PXEClient\"; dnsmasq and the Pi documentation send it."},
    {F::ProxyOffer, "proxy-offer", kInfo,
     "The OFFER from {} carries no address (a proxyDHCP reply); the Pi needs another server's "
     "OFFER for its address."},
    {F::Option66Nul, "option66-nul", kWarn,
     "Option 66 ends in a NUL byte; some Pi firmware mis-reads it. Send the address without a "
     "terminator."},
    // The Pi has no resolver: option 66 must be dotted-quad text.
    {F::Option66Binary, "option66-binary", kFail,
     "Option 66 holds binary bytes, not text. The Pi reads option 66 as dotted-quad text such as "
     "\"192.0.2.1\"; configure it as a string."},
    {F::Option66Hostname, "option66-hostname", kFail,
     "Option 66 is \"{}\", which is not a dotted-quad address; the Pi has no DNS resolver. Use the "
     "TFTP server's IPv4 address."},
    {F::NoOption66, "no-option-66", kInfo,
     "No option 66: the Pi will use {} ({}) as its TFTP server."},
    {F::SiaddrIgnored, "siaddr-ignored", kWarn,
     "next-server (siaddr) is {} but the Pi ignores it and will use {}; set option 66 instead."},
    {F::PadOptions, "pad-options", kWarn,
     "The OFFER contains pad options; Pi 4 EEPROMs released before 2020-01 drop such replies."},
    {F::AddressOffer, "address-offer", kInfo,
     "The Pi takes its address {} from {} and its boot options from the proxyDHCP reply."},
    {F::OfferIgnored, "offer-ignored", kInfo, "The Pi ignores the OFFER from {} ({})."},
    {F::ProxyWithoutAddress, "proxy-without-address", kFail,
     "Only a proxyDHCP server answered (boot options, no address); no DHCP server offered the Pi "
     "an address."},
    {F::DhcpNak, "dhcp-nak", kFail,
     "The server {} refused (DHCPNAK) the address {} it had offered."},
    {F::NoAck, "no-ack", kFail,
     "The server {} offered {} but did not acknowledge the Pi's DHCPREQUEST; the Pi retries and "
     "does not boot."},
    {F::RouteElsewhere, "route-elsewhere", kFail, "Not {}: {}."},
    {F::TftpUnreachable, "tftp-unreachable", kFail,
     "Nothing answers TFTP on {} ({}). Check that the TFTP server runs and listens on that "
     "address, and that no firewall drops UDP port 69."},
    {F::SerialDirMissing, "serial-dir-missing", kFail,
     "\"{}/{}\" does not exist, so the Pi falls back to the TFTP root and boots whatever is there "
     "instead of its own tree. Create the directory \"{}/\" (or a symlink to a shared tree) in the "
     "TFTP root."},
    {F::FileMissing, "file-missing", kFail,
     "The {} file \"{}\" is not on {} (TFTP error: {}); the Pi cannot boot without it."},
    // Ubuntu installs kernels with mode 0600.
    {F::FileUnreadable, "file-unreadable", kFail,
     "The {} file \"{}\" exists but the TFTP server may not read it (TFTP error: {}). Make it "
     "readable by the TFTP daemon's user, e.g. chmod a+r (Ubuntu kernels are installed with mode "
     "0600)."},
    {F::TftpErrorRequired, "tftp-error", kFail,
     "Requesting \"{}\" from {} failed with TFTP error: {}."},
    {F::TftpErrorOptional, "tftp-error", kWarn,
     "Requesting \"{}\" from {} failed with TFTP error: {}."},
    {F::TftpTimeout, "tftp-timeout", kFail,
     "The TFTP server {} stopped answering for \"{}\" ({})."},
    {F::TftpProtocol, "tftp-protocol", kFail,
     "The TFTP server's answer for \"{}\" breaks the protocol: {}."},
    {F::NoOackEeprom, "no-oack", kFail,
     "The TFTP server answered \"{}\" {}; a Pi 4 then silently ignores config.txt "
     "(raspberrypi/firmware#1012). Use a TFTP server that acknowledges tsize and blksize (RFC "
     "2347-2349)."},
    {F::NoOackFirmware, "no-oack", kWarn,
     "The TFTP server answered \"{}\" {}; the firmware falls back to 512-byte blocks and no size. "
     "Use a TFTP server that acknowledges tsize and blksize (RFC 2347-2349)."},
    // Pi 2/3 firmware cannot be updated past the limit, Pi 4/5 EEPROMs can.
    {F::KernelTooManyBlocksFirmware, "kernel-too-many-blocks", kFail,
     "\"{}\" is {} bytes: {} blocks of {} bytes, more than the 65535 a TFTP block counter holds. "
     "Pi firmware and bootloaders before 2025-09-23 cannot roll the counter over and stop at "
     "block 65535 (rpi-eeprom#720). Use a smaller (compressed) file."},
    {F::KernelTooManyBlocksEeprom, "kernel-too-many-blocks", kWarn,
     "\"{}\" is {} bytes: {} blocks of {} bytes, more than the 65535 a TFTP block counter holds. "
     "Pi firmware and bootloaders before 2025-09-23 cannot roll the counter over and stop at "
     "block 65535 (rpi-eeprom#720). Use a smaller (compressed) file or update the bootloader."},
    {F::FileTooManyBlocksFirmware, "file-too-many-blocks", kFail,
     "\"{}\" is {} bytes: {} blocks of {} bytes, more than the 65535 a TFTP block counter holds. "
     "Pi firmware and bootloaders before 2025-09-23 cannot roll the counter over and stop at "
     "block 65535 (rpi-eeprom#720). Use a smaller (compressed) file."},
    {F::FileTooManyBlocksEeprom, "file-too-many-blocks", kWarn,
     "\"{}\" is {} bytes: {} blocks of {} bytes, more than the 65535 a TFTP block counter holds. "
     "Pi firmware and bootloaders before 2025-09-23 cannot roll the counter over and stop at "
     "block 65535 (rpi-eeprom#720). Use a smaller (compressed) file or update the bootloader."},
    {F::NotNfsRoot, "not-nfs-root", kInfo,
     "cmdline.txt does not use an NFS root (root={}); nothing to check over NFS."},
    {F::CmdlineNoNfsroot, "cmdline-no-nfsroot", kFail,
     "cmdline.txt says root=/dev/nfs but has no nfsroot=SERVER:/path."},
    {F::CmdlineBadNfsroot, "cmdline-bad-nfsroot", kFail,
     "nfsroot={} is not of the form SERVER:/path."},
    {F::CmdlineBadVers, "cmdline-bad-vers", kFail,
     "nfsroot has an unreadable {}; the Linux NFS client takes vers=3, 4, 4.0, 4.1 or 4.2 "
     "(nfs(5))."},
    // Debian 12's nfs-kernel-server no longer offers NFSv2.
    {F::CmdlineNoVers, "cmdline-no-vers", kFail,
     "nfsroot= has no vers= option; the kernel may try NFSv2, which Debian 12's server no longer "
     "offers. Add vers=3 or vers=4."},
    {F::CmdlineNoIp, "cmdline-no-ip", kWarn,
     "cmdline.txt has no ip=dhcp; the kernel needs an address before it can mount the NFS root."},
    {F::NfsServerNotAddress, "nfs-server-not-address", kFail,
     "nfsroot= names the server \"{}\"; the kernel mounts the root before any resolver runs, so it "
     "must be an IPv4 address."},
    {F::NfsUnreachable, "nfs-unreachable", kFail,
     "The NFS server {} did not list its exports ({}). Check that rpcbind and rpc.mountd "
     "(nfs-kernel-server or nfs-ganesha) run there."},
    {F::NfsNotExported, "nfs-not-exported", kFail,
     "{} does not export {} to {} (the Pi's address): {}. The kernel's NFS mount will be refused; "
     "export the root to the Pi's address (rpi-nfs-exports does it per Pi)."},
    // From a real Pi's boot events (rpi-netboot-timeline). Each text names the step the Pi
    // stopped after and what usually causes it there.
    {F::BootNoOffer, "boot-no-offer", kFail,
     "DISCOVER seen {}, no OFFER sent: the hook did not serve this Pi (not allowed, or no "
     "address left); see kea-dhcp4's log."},
    {F::BootNoAck, "boot-no-ack", kFail,
     "REQUEST seen {}, no ACK sent: kea-dhcp4 refused or ignored the address the Pi asked "
     "for; see its log."},
    // The Pi has no resolver and ignores siaddr (raspberrypi/firmware#801): option 66 decides.
    {F::BootNoTftp, "boot-no-tftp", kFail,
     "OFFER sent {}, no TFTP request: check option 66 / firewall (UDP port 69 to the TFTP "
     "server must reach it)."},
    {F::BootFileMissing, "boot-file-missing", kFail,
     "stopped after {}: {} missing (TFTP error: {}); put it in the Pi's boot tree."},
    {F::BootFileFailed, "boot-file-failed", kFail, "stopped after {}: fetching {} failed ({})."},
    {F::BootStalled, "boot-stalled", kFail,
     "stopped after {}: no further TFTP request within {} s; check that file (config.txt's "
     "kernel= and initramfs lines) and the Pi's NETCONSOLE log."},
    {F::BootNoNfsMount, "boot-no-nfs-mount", kFail,
     "kernel fetched, no NFS mount within {} s: check cmdline.txt nfsroot (server address, path, "
     "vers=) and that the root is exported to {}."},
    {F::BootNfsRefused, "boot-nfs-refused", kFail,
     "kernel fetched, NFS mount of {} refused ({}): check cmdline.txt nfsroot and that the root "
     "is exported to {} (rpi-nfs-exports list)."},
    // The hook's allow-serials / allow-macs / allow-pairs (README.md, "Hook parameters").
    {F::BootNotAllowed, "boot-not-allowed", kFail,
     "the hook refused this Pi ({}): add its serial to allow-serials (or its MAC to allow-macs, "
     "or the pair to allow-pairs) if it should boot."},
};

}  // namespace

const char* verdictName(Verdict v) {
    switch (v) {
        case Verdict::Ok:
            return "ok";
        case Verdict::Info:
            return "info";
        case Verdict::Warn:
            return "warn";
        case Verdict::Fail:
            return "fail";
    }
    return "fail";
}

const std::vector<FindingSpec>& findingTable() {
    return kTable;
}

const FindingSpec& findingSpec(FindingId id) {
    // The table is in enum order (probe_checks_test checks), so this is an index.
    return kTable.at(static_cast<std::size_t>(id));
}

Finding makeFinding(FindingId id, std::initializer_list<std::string> args) {
    const FindingSpec& spec = findingSpec(id);
    Finding f{id, spec.verdict, spec.code, {}};
    auto arg = args.begin();
    std::string_view text = spec.text;
    for (auto hole = text.find("{}"); hole != std::string_view::npos; hole = text.find("{}")) {
        f.message.append(text.substr(0, hole));
        f.message.append(arg != args.end() ? *arg++ : std::string("{}"));
        text.remove_prefix(hole + 2);
    }
    f.message.append(text);
    return f;
}

bool fromBootEvents(FindingId id) {
    return static_cast<int>(id) >= static_cast<int>(FindingId::BootNoOffer);
}

bool sound(const std::vector<Finding>& findings) {
    return std::none_of(findings.begin(), findings.end(),
                        [](const Finding& f) { return f.verdict == Verdict::Fail; });
}

}  // namespace rpinetboot::probe
