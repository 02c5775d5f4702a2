# SPDX-License-Identifier: MIT
# The warnings every Patron translation unit is compiled with (STYLE.md section 10).
set(PT_WARNINGS
    -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wstrict-prototypes
    -Wmissing-prototypes -Wcast-qual -Wwrite-strings -Wformat=2 -Wundef -Wvla
    -Wimplicit-fallthrough)
option(PT_WERROR "Treat warnings as errors" ON)
if(PT_WERROR)
    list(APPEND PT_WARNINGS -Werror)
endif()
