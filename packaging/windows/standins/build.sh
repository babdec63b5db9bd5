#!/usr/bin/env bash
# Builds the test-prefix stand-in DLLs from the C files here into OUT_DIR.
#
#     bash packaging/windows/standins/build.sh OUT_DIR
#
# Each NAME.c becomes NAME.dll (x86_64-w64-mingw32-gcc, from Debian's
# gcc-mingw-w64-x86-64). They fill gaps of Wine 8 that Windows 10 and 11 do not have
# (see README.md here) and go only into the system32 of the Wine prefixes that build and
# test PharmDesk: never into the bundle or the installer.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
OUT="${1:?usage: build.sh OUT_DIR}"
mkdir -p "$OUT"
for source in "$HERE"/*.c; do
    name="$(basename "$source" .c)"
    # Rebuilt when the source changed since the DLL was built.
    sum="$(sha256sum "$source" | cut -d' ' -f1)"
    if [[ ! -f "$OUT/$name.dll" || "$(cat "$OUT/$name.sha256" 2>/dev/null)" != "$sum" ]]; then
        x86_64-w64-mingw32-gcc -O2 -Wall -Wextra -Werror -shared -s \
            -o "$OUT/$name.dll" "$source" -ladvapi32
        echo "$sum" >"$OUT/$name.sha256"
    fi
    echo "$OUT/$name.dll"
done
