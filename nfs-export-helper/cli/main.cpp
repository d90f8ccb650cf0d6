// rpi-nfs-exports: the program's entry point; the command line is declared and parsed in
// command_line.cpp.
#include <iostream>
#include <string>
#include <vector>

#include "command_line.h"

int main(int argc, char** argv) {
    return rpinetboot::nfs::runCommandLine(std::vector<std::string>(argv + 1, argv + argc),
                                           std::cout, std::cerr);
}
