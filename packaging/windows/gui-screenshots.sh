#!/usr/bin/env bash
# Shows the installed Windows build's window under Wine on a virtual X screen (Xvfb) and
# keeps what it shows: the sign-in and the main window, as PNG files.
#
#     bash packaging/windows/gui-screenshots.sh [OUT_DIR]   # default dist/windows/screenshots
#
# Needs dist/windows/PharmDesk-<version>-setup.exe (build.sh), Xvfb, xdotool and xwd
# (Debian: xvfb xdotool x11-apps), and a Python with PySide6 to write the PNGs ($PYTHON,
# default .venv/bin/python). It installs into a fresh prefix (user "Adébáyọ̀ Test"), makes
# the demo database with 1000 customers, starts pharmdesk.exe --demo, signs in with the
# keyboard as a person would, and stops everything at the end.
#
# Qt's Windows platform plugin needs mscms.dll's WcsCreateIccProfile, which Wine 8 lacks;
# the test-only stand-in (standins/mscms.c) is loaded for this run (mscms=n).
set -euo pipefail
source "$(dirname "$0")/common.sh"
lock_cache

OUT="${1:-$ROOT/dist/windows/screenshots}"
PYTHON="${PYTHON:-$ROOT/.venv/bin/python}"
SETUP="$(ls "$ROOT"/dist/windows/PharmDesk-*-setup.exe 2>/dev/null | tail -n 1)"
[[ -f "$SETUP" ]] || die "no dist/windows/PharmDesk-*-setup.exe: run build.sh first"
for tool in Xvfb xdotool xwd; do
    command -v "$tool" >/dev/null || die "$tool is missing (apt-get install xvfb xdotool x11-apps)"
done
"$PYTHON" -c "import PySide6" 2>/dev/null || die "$PYTHON has no PySide6 (set PYTHON)"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/pharmdesk-wine-gui.XXXXXX")"
XVFB_PID=""
cleanup() {
    wine_stop
    [[ -n "$XVFB_PID" ]] && kill "$XVFB_PID" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT
mkdir -p "$OUT"

export USER="Adébáyọ̀ Test" USERNAME="Adébáyọ̀ Test"
export WINEPREFIX="$WORK/prefix"
say "a fresh prefix, the stand-ins, setup.exe /S"
wine_new_prefix
STANDINS="$CACHE/standins"
bash "$HERE/standins/build.sh" "$STANDINS" >/dev/null
install_standins icuuc bcryptprimitives mscms
winrun cmd /c "$(winpath "$SETUP") /S" || die "setup.exe /S"
wineserver -w
CLI='C:\Program Files\PharmDesk\pharmdesk-cli.exe'
APP='C:\Program Files\PharmDesk\pharmdesk.exe'
WINEQT_QPA_PLATFORM=offscreen winrun "$CLI" demo --customers 1000 >/dev/null ||
    die "demo --customers 1000"
wine_stop

# A free display number.
display=91
while [[ -e "/tmp/.X11-unix/X$display" || -e "/tmp/.X$display-lock" ]]; do display=$((display + 1)); done
Xvfb ":$display" -screen 0 1366x768x24 -nolisten tcp >"$WORK/xvfb.log" 2>&1 &
XVFB_PID=$!
export DISPLAY=":$display"
for _ in $(seq 50); do xdotool getmouselocation >/dev/null 2>&1 && break; sleep 0.2; done

shot() { # NAME
    xwd -root -silent >"$WORK/$1.xwd"
    "$PYTHON" "$HERE/xwd2png.py" "$WORK/$1.xwd" "$OUT/$1.png"
    say "screenshot: $OUT/$1.png"
}
wait_for_window() { # TITLE-PATTERN SECONDS
    local i
    for ((i = 0; i < $2; i++)); do
        xdotool search --onlyvisible --name "$1" >/dev/null 2>&1 && return 0
        sleep 1
    done
    return 1
}

say "starting pharmdesk.exe --demo on $DISPLAY (mscms stand-in loaded)"
started=$SECONDS
# Its output goes through a pipe: Python under Wine cannot start with a regular file as
# stdout ("Failed to start embedded python interpreter!").
{
    WINEDLLOVERRIDES="mscms=n;$WINEDLLOVERRIDES" WINEDEBUG="err+all,fixme-all" \
        wine "$APP" --demo 2>&1 | cat >"$WORK/app.log"
} &
disown
if ! wait_for_window "PharmDesk" 180; then
    tail -n 30 "$WORK/app.log" >&2
    shot "windows-start-failed"
    die "no PharmDesk window within 180 s (the screen is in $OUT/windows-start-failed.png)"
fi
say "window up after $((SECONDS - started)) s"
sleep 8 # let it finish drawing
shot "windows-sign-in"

# The demo sign-in has the user name filled in and the password field focused.
xdotool type --delay 60 "pharmdesk-demo-2026"
xdotool key Return
sleep 25
shot "windows-main-window"
wine_stop
grep -E "err:|abort|unimplemented" "$WORK/app.log" | sort | uniq -c | sort -rn | head -n 15 || true
