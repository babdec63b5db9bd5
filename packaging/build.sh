#!/usr/bin/env bash
# Build the frozen app and its Debian package.
#
#     packaging/build.sh            # bundle in dist/pharmdesk/, package in dist/*.deb
#     packaging/build.sh --no-deb   # the bundle only (also the default off Linux)
#
# PYTHON is the Python that has the project and its 'package' extra installed
# (pip install -e '.[package]'); default: .venv/bin/python when it exists, else python3.
# Prints the bundle size and a cold-start time (process start to the first window drawn,
# offscreen) at the end. On Windows, run PyInstaller on the spec directly (see docs/admin/installers.md).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"

BUILD_DEB=1
[[ "${1:-}" == "--no-deb" ]] && BUILD_DEB=0
[[ "$(uname -s)" == "Linux" ]] || BUILD_DEB=0

if [[ -z "${PYTHON:-}" ]]; then
    if [[ -x .venv/bin/python ]]; then PYTHON=.venv/bin/python; else PYTHON=python3; fi
fi
if ! "$PYTHON" -c "import PyInstaller, pharmdesk" 2>/dev/null; then
    echo "build.sh: $PYTHON lacks PyInstaller or pharmdesk; run: pip install -e '.[package]'" >&2
    exit 1
fi

VERSION="$("$PYTHON" -c "import ast, pathlib
tree = ast.parse(pathlib.Path('pharmdesk/__init__.py').read_text(encoding='utf-8'))
print(next(ast.literal_eval(n.value) for n in tree.body if isinstance(n, ast.Assign)
           and any(getattr(t, 'id', '') == '__version__' for t in n.targets)))")"

# -- the bundle -----------------------------------------------------------------------------
started=$SECONDS
rm -rf dist/pharmdesk dist/PharmDesk.app
"$PYTHON" -m PyInstaller --noconfirm --log-level WARN \
    --distpath dist --workpath build/pyinstaller packaging/pharmdesk.spec
APP="dist/pharmdesk/pharmdesk"
[[ -x "$APP" ]] || { echo "build.sh: PyInstaller made no $APP" >&2; exit 1; }
echo "bundle: dist/pharmdesk/ built in $((SECONDS - started)) s"

# -- the Debian package -----------------------------------------------------------------------
# Qt's xcb platform plugin needs these X11 libraries, which a minimal Debian lacks
# (shared/DESIGN.md, "Running on a real Linux desktop"); libgl1, libegl1 and libxcb1 are
# what the bundled Qt loads from the system. glibc: the newest version any bundled binary
# asks for (PyInstaller bundles the build machine's libraries; build on the oldest Debian
# or Ubuntu the branches run to widen this).
XCB_DEPENDS="libxcb-cursor0, libxcb-icccm4, libxcb-keysyms1, libxcb-image0, libxcb-render-util0, libxcb-shape0, libxcb-xinerama0, libxkbcommon-x11-0"

needed_glibc() {
    local found=""
    if command -v objdump >/dev/null; then
        found="$(find dist/pharmdesk -type f \( -name '*.so*' -o -name pharmdesk \) -print0 |
            xargs -0 objdump -T 2>/dev/null | grep -o 'GLIBC_[0-9][0-9.]*' | cut -d_ -f2 |
            sort -u -V | tail -n 1 || true)"
    fi
    echo "${found:-$(getconf GNU_LIBC_VERSION | awk '{print $2}')}"
}

build_deb() {
    local arch glibc stage deb
    arch="$(dpkg --print-architecture)"
    glibc="$(needed_glibc)"
    stage="build/deb/pharmdesk_${VERSION}_${arch}"
    deb="dist/pharmdesk_${VERSION}_${arch}.deb"
    rm -rf "$stage" "$deb"
    mkdir -p "$stage/DEBIAN" "$stage/opt" "$stage/usr/bin" "$stage/usr/share/applications" \
        "$stage/usr/share/icons/hicolor/scalable/apps" "$stage/usr/share/icons/hicolor/256x256/apps"

    cp -a dist/pharmdesk "$stage/opt/pharmdesk"
    find "$stage/opt/pharmdesk" -name __pycache__ -prune -exec rm -rf {} +
    # Relative, so the link also works in a root made by `dpkg-deb -x` (CI runs it there).
    ln -s ../../opt/pharmdesk/pharmdesk "$stage/usr/bin/pharmdesk"

    cp resources/icons/pharmdesk.svg "$stage/usr/share/icons/hicolor/scalable/apps/pharmdesk.svg"
    QT_QPA_PLATFORM=offscreen "$PYTHON" packaging/make_icon.py build/icon >/dev/null
    cp build/icon/pharmdesk.png "$stage/usr/share/icons/hicolor/256x256/apps/pharmdesk.png"

    cat >"$stage/usr/share/applications/pharmdesk.desktop" <<EOF
[Desktop Entry]
Type=Application
Version=1.4
Name=PharmDesk
GenericName=Pharmacy customer desk
Comment=Find, register and follow up pharmacy customers, offline and encrypted
Exec=pharmdesk
TryExec=pharmdesk
Icon=pharmdesk
Terminal=false
Categories=Office;
Keywords=pharmacy;customers;patients;refills;
StartupWMClass=PharmDesk
EOF

    local size
    size="$(du -sk --exclude=DEBIAN "$stage" | cut -f1)"
    cat >"$stage/DEBIAN/control" <<EOF
Package: pharmdesk
Version: ${VERSION}
Architecture: ${arch}
Maintainer: ${DEB_MAINTAINER:-PharmDesk <pharmdesk@localhost>}
Installed-Size: ${size}
Section: misc
Priority: optional
Depends: libc6 (>= ${glibc}), libgl1, libegl1, libxcb1, ${XCB_DEPENDS}
Description: offline, encrypted customer desk for pharmacy branches
 PharmDesk keeps a pharmacy branch's customers, allergies, medication
 subscription plans and orders in an encrypted SQLCipher database on the PC,
 with a sign-in per staff member and a hash-chained audit log. It needs no
 network. Run 'pharmdesk self-test' after installing to check this PC.
EOF
    # Root-owned files whatever user builds; the bundle is read-only for users.
    # zstd -9: 8 s and 70 MB here (xz: 3 minutes for 57 MB). dpkg reads zstd on Debian 12
    # and on Ubuntu since 21.10; older systems lack the glibc the bundle needs anyway.
    dpkg-deb --root-owner-group -Zzstd -z9 --build "$stage" "$deb" >/dev/null
    rm -rf "$stage"
    echo "package: $deb ($(du -h "$deb" | cut -f1))"
}

if [[ $BUILD_DEB == 1 ]]; then
    command -v dpkg-deb >/dev/null || { echo "build.sh: dpkg-deb is needed" >&2; exit 1; }
    build_deb
fi

# -- what it weighs and how fast it starts ------------------------------------------------------
bundle_mb="$(du -sm dist/pharmdesk | cut -f1)"
echo "bundle size: ${bundle_mb} MB unpacked (aim: under 250 MB)"
if [[ "$(uname -s)" == "Linux" ]]; then
    probe="build/startup"
    rm -rf "$probe" && mkdir -p "$probe/home"
    if env -i HOME="$ROOT/$probe/home" PATH=/usr/bin:/bin LANG=C.UTF-8 \
        "$APP" demo --customers 1000 --db "$ROOT/$probe/demo.db" >/dev/null 2>&1; then
        "$PYTHON" packaging/startup_time.py "$APP" "$ROOT/$probe/demo.db" ||
            echo "cold start: not measured (see above)"
    else
        echo "cold start: not measured (the demo database could not be made)"
    fi
    rm -rf "$probe"
fi
