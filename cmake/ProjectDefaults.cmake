# Compiler settings shared by every target of ours. Third-party headers (Kea, Boost) are SYSTEM
# includes so that -Werror applies to our code only.

if(RPI_NETBOOT_SANITIZE)
    add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all)
    add_link_options(-fsanitize=address,undefined)
endif()

# rpinetboot_defaults(<target>): warnings as errors and the project's include conventions.
function(rpinetboot_defaults target)
    target_compile_options(${target} PRIVATE
        -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wcast-align -Wformat=2
        -Wimplicit-fallthrough -Werror)
endfunction()
