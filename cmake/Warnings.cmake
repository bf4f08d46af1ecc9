# The project's warning set (style.md), as errors, on our targets only. Third-party headers are SYSTEM.
set(RUSTSOCKS_WARNINGS
    -Wall -Wextra -Wpedantic -Werror -Wshadow -Wconversion -Wsign-conversion -Wold-style-cast
    -Wnon-virtual-dtor -Woverloaded-virtual -Wimplicit-fallthrough -Wformat=2 -Wcast-qual -Wundef
    # GCC 12 false positive: Asio's awaitable frames pair their own operator new (aligned_alloc)
    # and operator delete, which -Wmismatched-new-delete misreads once inlined (seen at -O2 and
    # under ASan on coroutine lambdas).
    -Wno-mismatched-new-delete)
function(rustsocks_warnings target)
  target_compile_options(${target} PRIVATE ${RUSTSOCKS_WARNINGS})
endfunction()
