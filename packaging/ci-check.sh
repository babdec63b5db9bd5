#!/usr/bin/env bash
# CI for the installers: build the frozen bundle and the Debian package, then prove both
# run on their own, as on a front-desk PC with no Python: every run has a clean
# environment (no venv on PATH, a throwaway HOME, Qt offscreen). The .deb is never
# installed here: it is unpacked with `dpkg-deb -x` into a temporary root and run there.
#
#     bash packaging/ci-check.sh
#
# Uses .venv (made if missing) with the 'package' extra, or the Python in $PYTHON.
# Exits non-zero at the first failed check, saying which.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
started=$SECONDS

if [[ -z "${PYTHON:-}" ]]; then
    [[ -x .venv/bin/python ]] || python3 -m venv .venv
    PYTHON=.venv/bin/python
fi
# An absolute path: the checks below run from a temporary folder.
case "$PYTHON" in */*) PYTHON="$(cd "$(dirname "$PYTHON")" && pwd)/$(basename "$PYTHON")" ;; esac
"$PYTHON" -m pip install -q -e '.[package]'

PYTHON="$PYTHON" packaging/build.sh
built=$SECONDS

VERSION="$("$PYTHON" -c "import pharmdesk; print(pharmdesk.__version__)")"
APP="$ROOT/dist/pharmdesk/pharmdesk"
DEB="$(ls "$ROOT"/dist/pharmdesk_"$VERSION"_*.deb)"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/pharmdesk-ci.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/home"
cd "$WORK"

fail() {
    echo "ci-check: FAILED: $*" >&2
    exit 1
}
step() { echo "== $*"; }

# The frozen app with nothing of the build around it.
frozen() {
    env -i HOME="$WORK/home" PATH=/usr/bin:/bin LANG=C.UTF-8 QT_QPA_PLATFORM=offscreen \
        PHARMDESK_USER=admin PHARMDESK_PASSWORD="lagoon mango ferry 4471" "$@"
}

check_version() { # EXECUTABLE
    local out
    out="$(frozen "$1" --version)" || fail "$1 --version exited non-zero"
    [[ "$out" == "pharmdesk $VERSION" ]] || fail "$1 --version printed '$out', not 'pharmdesk $VERSION'"
    echo "$out"
}

check_self_test() { # EXECUTABLE LOG
    # QT_DEBUG_PLUGINS shows which Qt plugins load: the SVG icon engine must.
    if ! frozen env QT_DEBUG_PLUGINS=1 "$1" self-test >"$2.json" 2>"$2.log"; then
        grep -E '^\[(ok  |FAIL|SKIP)\]' "$2.log" >&2 || tail -n 20 "$2.log" >&2
        fail "$1 self-test"
    fi
    grep -E '^\[(ok  |FAIL|SKIP)\]' "$2.log"
    grep -q '"success": true' "$2.json" || fail "$1 self-test did not report success"
    ! grep -q '^\[SKIP\]' "$2.log" || fail "$1 self-test skipped a check (is the GUI missing?)"
    grep -q 'iconengines/[a-z]*qsvgicon[^"]*" loaded library' "$2.log" ||
        fail "$1 did not load Qt's SVG icon engine: icons would be blank"
}

expect() { # FILE TEXT
    grep -qF -- "$2" "$1" || fail "expected $2 in $(cat "$1")"
}

# -- the bundle in dist/ -----------------------------------------------------------------------
step "frozen bundle: dist/pharmdesk"
# A module that PharmDesk imports but PyInstaller left out (missing or excluded) would only
# fail at the front desk, when that screen opens.
WARNINGS="$ROOT/build/pyinstaller/pharmdesk/warn-pharmdesk.txt"
[[ -f "$WARNINGS" ]] || fail "PyInstaller wrote no $WARNINGS"
if grep -E '^(missing|excluded) module .* imported by .*\bpharmdesk[.( ]' "$WARNINGS"; then
    fail "modules that PharmDesk imports are not in the bundle (above)"
fi
check_version "$APP"
check_self_test "$APP" "$WORK/selftest-dist"

PLUGINS="$ROOT/dist/pharmdesk/_internal/PySide6/Qt/plugins"
for plugin in platforms/libqoffscreen.so platforms/libqxcb.so platforms/libqminimal.so \
    imageformats/libqsvg.so iconengines/libqsvgicon.so; do
    [[ -f "$PLUGINS/$plugin" ]] || fail "the bundle lacks the Qt plugin $plugin"
done
# Every Qt library that a bundled library links to is in the bundle (the spec leaves some out).
INTERNAL="$ROOT/dist/pharmdesk/_internal"
SEARCH="$(find "$INTERNAL" -name '*.so*' -type f -printf '%h\n' | sort -u | paste -sd:)"
find "$INTERNAL" -name '*.so*' -type f -print0 |
    xargs -0 env LD_LIBRARY_PATH="$SEARCH" ldd 2>/dev/null | grep 'libQt6[^ ]* => not found' |
    sort -u >qt-missing.txt || true
[[ ! -s qt-missing.txt ]] || fail "bundled libraries need Qt libraries left out: $(cat qt-missing.txt)"
frozen env QT_QPA_PLATFORM=minimal "$APP" self-test >/dev/null 2>&1 ||
    fail "self-test on Qt's minimal platform"
echo "Qt plugins: offscreen, xcb, minimal, SVG image and icon engine present; no Qt library missing"

step "frozen commands: init, call, settings, backup, audit, restore"
DB="$WORK/desk/pharmdesk.db"
frozen "$APP" --db "$DB" init --admin admin --full-name "CI Admin" >init.json 2>/dev/null ||
    fail "init: $(cat init.json)"
expect init.json '"success": true'
echo '{"name": "Chioma CI-Okeke", "phone": "0803 555 0199", "allergies": ["Penicillin"]}' |
    frozen "$APP" --db "$DB" call addProviderCustomer - >add.json || fail "addProviderCustomer"
expect add.json '"customerId": "CUST-1"'
frozen "$APP" --db "$DB" call fetchCustomers '{"search": "chioma ci"}' >found.json ||
    fail "fetchCustomers"
expect found.json '"total": 1'
frozen "$APP" --db "$DB" call updateSettings '{"currency": "GHS"}' >settings.json ||
    fail "updateSettings: $(cat settings.json)"
expect settings.json '"currency": "GHS"'
frozen "$APP" --db "$DB" backup "$WORK/desk.backup" >backup.json 2>/dev/null ||
    fail "backup: $(cat backup.json)"
frozen "$APP" --db "$DB" audit verify >audit.json || fail "audit verify: $(cat audit.json)"
expect audit.json '"ok": true'
frozen "$APP" --db "$WORK/restored/pharmdesk.db" restore "$WORK/desk.backup" >restore.json \
    2>/dev/null || fail "restore: $(cat restore.json)"
frozen "$APP" --db "$WORK/restored/pharmdesk.db" call fetchCustomers '{"search": "0803 555 01"}' \
    >restored.json || fail "fetchCustomers on the restored copy"
expect restored.json '"total": 1'
frozen "$APP" --db "$DB" call fetchCustomers '{"page": 0}' >bad.json && fail "a bad page was accepted"
expect bad.json '"error"'
echo "commands ok"

step "frozen import of a spreadsheet (openpyxl bundled) and the sample CSV"
"$PYTHON" - "$WORK/walk-ins.xlsx" <<'PY'
import sys

import openpyxl

book = openpyxl.Workbook()
sheet = book.active
sheet.append(["Full Name", "Phone No", "DOB"])
sheet.append(["Emeka CI-Nwosu", "0803 555 0177", "15/06/1985"])
book.save(sys.argv[1])
PY
frozen "$APP" --db "$DB" import "$WORK/walk-ins.xlsx" --yes >import.json 2>import.log ||
    fail "import .xlsx: $(tail -n 3 import.log)"
frozen "$APP" --db "$DB" call fetchCustomers '{"search": "emeka ci"}' >imported.json ||
    fail "fetchCustomers after the import"
expect imported.json '"total": 1'
frozen "$APP" --db "$DB" import "$ROOT/resources/sample-customers.csv" --dry-run \
    >sample.json 2>/dev/null || fail "import --dry-run of the sample CSV"
expect sample.json '"dryRun"'
echo "import ok"

step "frozen demo with worker processes (multiprocessing, spawn)"
frozen "$APP" demo --customers 12000 --db "$WORK/demo-dist.db" >demo-dist.json 2>demo-dist.log ||
    fail "demo --customers 12000: $(tail -n 5 demo-dist.log)"
expect demo-dist.json '"customers": 12000'
echo "12000 customers in $(grep -o '"seconds": [0-9.]*' demo-dist.json | cut -d' ' -f2) s"

# -- the Debian package, unpacked, never installed ------------------------------------------------
step "Debian package: $(basename "$DEB")"
dpkg-deb --info "$DEB" >info.txt || fail "dpkg-deb --info"
expect info.txt "Package: pharmdesk"
expect info.txt "Version: $VERSION"
for lib in libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0 \
    libxcb-shape0 libxcb-xinerama0 libxkbcommon-x11-0; do
    grep -q "^ Depends:.*\b$lib\b" info.txt || fail "Depends: lacks $lib"
done
dpkg-deb --contents "$DEB" >contents.txt
for path in ./opt/pharmdesk/pharmdesk ./usr/bin/pharmdesk ./usr/share/applications/pharmdesk.desktop \
    ./usr/share/icons/hicolor/scalable/apps/pharmdesk.svg \
    ./usr/share/icons/hicolor/256x256/apps/pharmdesk.png \
    ./opt/pharmdesk/_internal/pharmdesk/store/migrations/env.py \
    ./opt/pharmdesk/_internal/resources/drug-classes.json; do
    grep -q " $path\( \|$\)" contents.txt || fail "the package lacks $path"
done
! grep -q "__pycache__" contents.txt || fail "the package carries __pycache__ folders"
! grep -v " root/root " contents.txt | grep -q . || fail "the package has files not owned by root"

UNPACKED="$WORK/root"
dpkg-deb -x "$DEB" "$UNPACKED"
[[ "$(readlink "$UNPACKED/usr/bin/pharmdesk")" == ../../opt/pharmdesk/pharmdesk ]] ||
    fail "/usr/bin/pharmdesk does not link to /opt/pharmdesk/pharmdesk"
if command -v desktop-file-validate >/dev/null; then
    desktop-file-validate "$UNPACKED/usr/share/applications/pharmdesk.desktop" ||
        fail "the .desktop entry is not valid"
fi
check_version "$UNPACKED/usr/bin/pharmdesk"
check_self_test "$UNPACKED/usr/bin/pharmdesk" "$WORK/selftest-deb"
frozen "$UNPACKED/usr/bin/pharmdesk" demo --customers 1000 --db "$WORK/demo-deb.db" \
    >demo-deb.json 2>demo-deb.log || fail "demo from the package: $(tail -n 5 demo-deb.log)"
expect demo-deb.json '"customers": 1000'
echo "the unpacked package runs: --version, self-test, demo --customers 1000"

# Where the X11 libraries of Depends are installed, nothing Qt's xcb plugin needs is missing.
QT="$UNPACKED/opt/pharmdesk/_internal/PySide6/Qt"
if dpkg-query -W libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0 \
    libxcb-shape0 libxcb-xinerama0 libxkbcommon-x11-0 >/dev/null 2>&1; then
    missing="$(LD_LIBRARY_PATH="$QT/lib:$UNPACKED/opt/pharmdesk/_internal" \
        ldd "$QT/plugins/platforms/libqxcb.so" | grep "not found" || true)"
    [[ -z "$missing" ]] || fail "the xcb plugin misses libraries that Depends does not bring: $missing"
    echo "xcb plugin: every library found"
else
    echo "xcb plugin: library check skipped (the X11 libraries of Depends are not installed here)"
fi

echo "ci-check: all passed (build $((built - started)) s, checks $((SECONDS - built)) s)"
