# The project's warning set (style.md), as errors, on our targets only. Third-party headers are SYSTEM.
set(RUSTSOCKS_WARNINGS
    -Wall -Wextra -Wpedantic -Werror -Wshadow -Wconversion -Wsign-conversion -Wold-style-cast
    -Wnon-virtual-dtor -Woverloaded-virtual -Wimplicit-fallthrough -Wformat=2 -Wcast-qual -Wundef)
function(rustsocks_warnings target)
  target_compile_options(${target} PRIVATE ${RUSTSOCKS_WARNINGS})
endfunction()
