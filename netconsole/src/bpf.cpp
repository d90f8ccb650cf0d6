#include "rpinetboot/netconsole/bpf.h"

namespace rpinetboot::netconsole {

std::vector<sock_filter> udpPortFilter(std::uint16_t port) {
    // Jump offsets count instructions after the current one; the last two are accept and drop.
    return {
        /* 0 */ BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12),              // EtherType
        /* 1 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x0800, 0, 8),   // IPv4, else drop
        /* 2 */ BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 23),              // IP protocol
        /* 3 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 17, 0, 6),       // UDP, else drop
        /* 4 */ BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 20),              // flags + fragment offset
        /* 5 */ BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x3fff, 3, 0),  // a fragment: accept
        /* 6 */ BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 14),             // X = IP header length
        /* 7 */ BPF_STMT(BPF_LD | BPF_H | BPF_IND, 16),              // UDP dst port (14 + X + 2)
        /* 8 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, port, 0, 1),     // our port, else drop
        /* 9 */ BPF_STMT(BPF_RET | BPF_K, 0x40000),                  // accept the whole frame
        /* 10 */ BPF_STMT(BPF_RET | BPF_K, 0),                       // drop
    };
}

}  // namespace rpinetboot::netconsole
