#!/usr/bin/env bash
# Builds the Windows installer on Linux, under Wine:
#
#     bash packaging/windows/build.sh            # dist/windows/PharmDesk-<version>-setup.exe
#     bash packaging/windows/build.sh --check    # the same, then check.sh tests it under Wine
#
# 1. prepare-prefix.sh: a Wine prefix with the Windows CPython 3.11 and the build's
#    packages (cached in ~/.cache/pharmdesk-build; a cold one takes a few minutes);
# 2. PyInstaller, run by that Windows Python on the project's own spec
#    (packaging/pharmdesk.spec): dist/windows/pharmdesk/ with pharmdesk.exe (the window)
#    and pharmdesk-cli.exe (the commands);
# 3. NSIS (pharmdesk.nsi): the 64-bit installer with the bundle, the Start-menu entry,
#    the uninstaller and the data folder's permissions.
# Prints what each step took and how big the results are.
set -euo pipefail
source "$(dirname "$0")/common.sh"

CHECK=0
case "${1:-}" in
--check) CHECK=1 ;;
"") ;;
*) die "usage: build.sh [--check]" ;;
esac

lock_cache
cd "$ROOT"
started=$SECONDS
PREFIX_LOG="$(mktemp)"
trap 'rm -f "$PREFIX_LOG"' EXIT
bash "$HERE/prepare-prefix.sh" | tee "$PREFIX_LOG"
export WINEPREFIX="$(tail -n 1 "$PREFIX_LOG")"
[[ -f "$WINEPREFIX/.ready" ]] || die "prepare-prefix.sh made no prefix"
prepared=$SECONDS

VERSION="$(python3 - <<'PY'
import ast, pathlib
tree = ast.parse(pathlib.Path("pharmdesk/__init__.py").read_text(encoding="utf-8"))
print(next(ast.literal_eval(n.value) for n in tree.body if isinstance(n, ast.Assign)
           and any(getattr(t, "id", "") == "__version__" for t in n.targets)))
PY
)"
# Windows' version resource needs four numbers: 1.2.3 -> 1.2.3.0, 1.2.3rc1 -> 1.2.3.0.
VERSION4="$(python3 -c "
import re, sys
parts = [int(re.match(r'\d*', p).group() or 0) for p in sys.argv[1].split('.')[:4]]
print('.'.join(map(str, parts + [0] * (4 - len(parts)))))" "$VERSION")"

DIST="$ROOT/dist/windows"
WORK="$ROOT/build/windows"
BUNDLE="$DIST/pharmdesk"
SETUP="$DIST/PharmDesk-$VERSION-setup.exe"

# -- the bundle ---------------------------------------------------------------------------------
say "PyInstaller under Wine (Windows CPython 3.11), spec packaging/pharmdesk.spec"
rm -rf "$BUNDLE" "$SETUP"
mkdir -p "$DIST" "$WORK"
# Windows' C runtime (api-ms-win-crt-*) is part of Windows 10 and 11, and Wine provides it
# built in, so PyInstaller finds no file for it; those warnings (hundreds) are left out.
pyinstaller() {
    winrun 'C:\Python311\python.exe' -m PyInstaller --noconfirm --log-level WARN \
        --distpath "$(winpath "$DIST")" --workpath "$(winpath "$WORK/pyinstaller")" \
        "$(winpath "$ROOT/packaging/pharmdesk.spec")" 2>&1 |
        { grep -v "could not resolve 'api-ms-win-crt-" || true; } | tee "$PYI_LOG"
    return "${PIPESTATUS[0]}"
}
PYI_LOG="$(mktemp)"
trap 'rm -f "$PREFIX_LOG" "$PYI_LOG"' EXIT
if ! pyinstaller; then
    # Wine's own failure to start a process (not PyInstaller's, not the project's) is
    # retried once on a fresh wineserver; any other failure stops the build.
    grep -q "WinError 1359" "$PYI_LOG" || die "PyInstaller failed (above)"
    say "Wine could not start a process (WinError 1359); once more on a fresh wineserver"
    wine_stop
    rm -rf "$BUNDLE"
    pyinstaller || die "PyInstaller failed twice (above)"
fi
for exe in pharmdesk.exe pharmdesk-cli.exe; do
    [[ -f "$BUNDLE/$exe" ]] || die "PyInstaller made no $BUNDLE/$exe"
done
# The stand-in DLLs are for the test prefix only: Windows has the real ones.
for dll in "$HERE"/standins/*.c; do
    dll="$(basename "$dll" .c).dll"
    if find "$BUNDLE" -iname "$dll" | grep -q .; then
        die "the bundle carries $dll, a test-prefix stand-in"
    fi
done
bundled=$SECONDS
wine_stop

# -- the installer --------------------------------------------------------------------------------
ICON="$WORK/pyinstaller/pharmdesk/icon/pharmdesk.ico"
[[ -f "$ICON" ]] || die "the spec rendered no icon at $ICON"
say "NSIS: $(basename "$SETUP")"
makensis -V2 -INPUTCHARSET UTF8 \
    -DVERSION="$VERSION" -DVERSION4="$VERSION4" -DBUNDLE="$BUNDLE" -DICON="$ICON" \
    -DOUTFILE="$SETUP" -DSIZE_KB="$(du -sk "$BUNDLE" | cut -f1)" \
    "$HERE/pharmdesk.nsi" || die "makensis failed (above)"
[[ -f "$SETUP" ]] || die "makensis made no $SETUP"
packed=$SECONDS

say "bundle: dist/windows/pharmdesk/ $(du -sm "$BUNDLE" | cut -f1) MB, $(find "$BUNDLE" -type f | wc -l) files"
say "installer: dist/windows/$(basename "$SETUP") $(du -m "$SETUP" | cut -f1) MB"
say "times: prefix $((prepared - started)) s, PyInstaller $((bundled - prepared)) s, NSIS $((packed - bundled)) s, total $((packed - started)) s"

if [[ $CHECK == 1 ]]; then
    WINEPREFIX_BUILD="$WINEPREFIX" SETUP="$SETUP" BUNDLE="$BUNDLE" VERSION="$VERSION" \
        bash "$HERE/check.sh"
fi
