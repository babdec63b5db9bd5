#!/usr/bin/env bash
# Tests the Windows build under Wine, as IT would on a branch PC (run by
# `build.sh --check`, which sets SETUP, BUNDLE, VERSION and WINEPREFIX_BUILD):
#   1. the bundle in dist/windows: --version and self-test (every check, window offscreen);
#   2. a fresh Wine prefix whose user is "Adébáyọ̀ Test" (a space, non-ASCII letters):
#      setup.exe /S into "C:\Program Files\Pharmacy Désk\PharmDesk"; Start-menu entry,
#      uninstall entry and C:\ProgramData\PharmDesk present;
#   3. the installed pharmdesk-cli.exe: self-test; init + addProviderCustomer +
#      fetchCustomers with the default database in C:\ProgramData\PharmDesk; the scheduled
#      backup task (schtasks /XML) and its command, into the user's profile; pharmdesk.exe
#      (the windowed one) runs a command too; demo --customers 1000 (worker processes);
#   4. the installer again over the installed version: the data is still there;
#   5. uninstall.exe /S: the program, shortcut and uninstall entry go, the data stays.
# Exits non-zero at the first failed check, saying which; prints sizes and times.
set -euo pipefail
source "$(dirname "$0")/common.sh"
lock_cache
: "${SETUP:?}" "${BUNDLE:?}" "${VERSION:?}" "${WINEPREFIX_BUILD:?}"

started=$SECONDS
WORK="$(mktemp -d "${TMPDIR:-/tmp}/pharmdesk-wine-check.XXXXXX")"
cleanup() {
    WINEPREFIX="$WORK/prefix" wine_stop
    rm -rf "$WORK"
}
trap cleanup EXIT

fail() { die "check: $*"; }
step() { say "== $*"; }
expect() { # FILE TEXT
    grep -qF -- "$2" "$1" || fail "expected '$2' in: $(head -c 2000 "$1")"
}
timed() { # LABEL COMMAND...: runs it, prints how long it took; its exit status
    local label="$1" t0=$SECONDS status=0
    shift
    "$@" || status=$?
    say "$label: $((SECONDS - t0)) s"
    return "$status"
}

# The app's environment: Qt offscreen (Wine passes QT_* on only as WINEQT_*), a staff
# account for the commands.
export WINEQT_QPA_PLATFORM=offscreen
export PHARMDESK_USER=admin PHARMDESK_PASSWORD="lagoon mango ferry 4471"

self_test() { # EXE LOG-PREFIX
    if ! winrun "$1" self-test >"$2.json" 2>"$2.log"; then
        grep -E '^\[(ok  |FAIL|SKIP)\]' "$2.log" >&2 || tail -n 20 "$2.log" >&2
        fail "$1 self-test"
    fi
    grep -E '^\[(ok  |FAIL|SKIP)\]' "$2.log"
    expect "$2.json" '"success": true'
    ! grep -q '^\[SKIP\]' "$2.log" || fail "$1 self-test skipped a check"
}

# -- 1. the bundle ---------------------------------------------------------------------------------
step "the bundle: dist/windows/pharmdesk"
export WINEPREFIX="$WINEPREFIX_BUILD"
out="$(winrun "$(winpath "$BUNDLE/pharmdesk-cli.exe")" --version | tr -d '\r')" ||
    fail "pharmdesk-cli.exe --version exited non-zero"
[[ "$out" == "pharmdesk $VERSION" ]] || fail "--version printed '$out', not 'pharmdesk $VERSION'"
echo "$out"
timed "bundle self-test" self_test "$(winpath "$BUNDLE/pharmdesk-cli.exe")" "$WORK/selftest-bundle"
wine_stop

# -- 2. a fresh PC: silent install ----------------------------------------------------------------
step "a fresh prefix with the user 'Adébáyọ̀ Test': setup.exe /S"
# Wine names the profile folder (C:\users\NAME) after $USER.
export USER="Adébáyọ̀ Test" USERNAME="Adébáyọ̀ Test"
export WINEPREFIX="$WORK/prefix"
timed "fresh prefix" wine_new_prefix
STANDINS="$CACHE/standins"
install_standins
DRIVE="$WINEPREFIX/drive_c"
PROFILE="$DRIVE/users/$USER"
[[ -d "$PROFILE" ]] || fail "Wine made no profile folder '$PROFILE'"
INSTDIR_WIN='C:\Program Files\Pharmacy Désk\PharmDesk'
INSTDIR="$DRIVE/Program Files/Pharmacy Désk/PharmDesk"
CLI="$INSTDIR_WIN\\pharmdesk-cli.exe"
DATA="$DRIVE/ProgramData/PharmDesk"

install() {
    # /D= must reach the installer unquoted, as typed in a Command Prompt; Wine would quote
    # an argument with spaces, so the line goes through cmd.
    winrun cmd /c "$(winpath "$SETUP") /S /D=$INSTDIR_WIN" || fail "setup.exe /S exited non-zero"
    wineserver -w
}
timed "silent install" install
for path in pharmdesk.exe pharmdesk-cli.exe uninstall.exe pharmdesk.ico \
    _internal/resources/drug-classes.json _internal/pharmdesk/store/migrations/env.py; do
    [[ -f "$INSTDIR/$path" ]] || fail "the install lacks $path"
done
for dll in icuuc.dll bcryptprimitives.dll mscms.dll; do
    ! find "$INSTDIR" -iname "$dll" | grep -q . || fail "the install carries the stand-in $dll"
done
[[ -f "$DRIVE/ProgramData/Microsoft/Windows/Start Menu/Programs/PharmDesk.lnk" ]] ||
    fail "no Start-menu entry"
[[ -d "$DATA" ]] || fail "the installer made no C:\\ProgramData\\PharmDesk"
UNINSTALL_KEY='HKLM\Software\Microsoft\Windows\CurrentVersion\Uninstall\PharmDesk'
winrun reg query "$UNINSTALL_KEY" >"$WORK/uninstall-key.txt" || fail "no uninstall entry"
expect "$WORK/uninstall-key.txt" "$VERSION"
# reg prints in the console's code page: é may come out as another byte.
LC_ALL=C grep -qa 'InstallLocation.*Pharmacy D.*sk.PharmDesk' "$WORK/uninstall-key.txt" ||
    fail "the uninstall entry does not point at $INSTDIR_WIN: $(cat "$WORK/uninstall-key.txt")"
echo "installed: $(du -sm "$INSTDIR" | cut -f1) MB in $INSTDIR_WIN; Start menu, uninstall entry, data folder present"
# Wine keeps no Windows groups or file ACLs, so what the installer asked for is shown, not
# enforced (see docs/admin/windows.md for what only real Windows can tell).
echo "data folder rights as Wine reports them: $(winrun icacls 'C:\ProgramData\PharmDesk' 2>&1 | tr -s '\r\n' ' ' | head -c 300)"

# -- 3. the installed app ------------------------------------------------------------------------------
step "the installed app, started from the profile folder"
cd "$PROFILE"
timed "installed self-test" self_test "$CLI" "$WORK/selftest-installed"

step "init, addProviderCustomer, fetchCustomers: the database in C:\\ProgramData\\PharmDesk"
roundtrip() {
    winrun "$CLI" init --admin admin --full-name "CI Admin" >"$WORK/init.json" 2>"$WORK/init.log" ||
        fail "init: $(cat "$WORK/init.json" "$WORK/init.log")"
    expect "$WORK/init.json" '"success": true'
    [[ -f "$DATA/pharmdesk.db" && -f "$DATA/pharmdesk.db.vault" ]] ||
        fail "init did not make its database in C:\\ProgramData\\PharmDesk: $(ls "$DATA")"
    echo '{"name": "Adébáyọ̀ Ọláolúwa", "phone": "0803 555 0199", "allergies": ["Penicillin"]}' |
        winrun "$CLI" call addProviderCustomer - >"$WORK/add.json" || fail "addProviderCustomer"
    expect "$WORK/add.json" '"customerId": "CUST-1"'
    winrun "$CLI" call fetchCustomers '{"search": "adebayo"}' >"$WORK/found.json" ||
        fail "fetchCustomers"
    expect "$WORK/found.json" '"total": 1'
    expect "$WORK/found.json" 'Adébáyọ̀ Ọláolúwa'
}
timed "round trip" roundtrip
echo "round trip ok"

step "scheduled backup: backup-task.xml registered with schtasks, its command run"
# Wine's schtasks takes /XML (not /SC or /RU) and never runs tasks: the registration is
# checked here, then the task's command is run as Task Scheduler would run it.
BACKUPS_WIN="C:\\users\\$USER\\Documents\\PharmDesk backups"
mkdir -p "$PROFILE/Documents/PharmDesk backups"
grep -q 'pharmdesk-cli.exe' <(iconv -f UTF-16 -t UTF-8 "$INSTDIR/backup-task.xml") ||
    fail "backup-task.xml does not run pharmdesk-cli.exe"
winrun schtasks /Create /TN "PharmDesk backup" /XML "$INSTDIR_WIN\\backup-task.xml" ||
    fail "schtasks /Create /XML backup-task.xml"
[[ -f "$DRIVE/windows/system32/tasks/PharmDesk backup" ]] || fail "the task was not registered"
printf '%s\n' "$PHARMDESK_PASSWORD" >"$DATA/backup.pass"
winrun "$CLI" call updateSettings "{\"backupFolder\": \"${BACKUPS_WIN//\\/\\\\}\"}" \
    >"$WORK/settings.json" || fail "updateSettings backupFolder: $(cat "$WORK/settings.json")"
scheduled() {
    env -u PHARMDESK_PASSWORD wine "$CLI" backup --scheduled --now \
        --db 'C:\ProgramData\PharmDesk\pharmdesk.db' --user admin \
        --password-file 'C:\ProgramData\PharmDesk\backup.pass' 2>&1 | cat >"$WORK/scheduled.json"
}
timed "scheduled backup" scheduled || fail "backup --scheduled: $(cat "$WORK/scheduled.json")"
expect "$WORK/scheduled.json" '"status": "success"'
ls "$PROFILE/Documents/PharmDesk backups/"*.pdbak >/dev/null 2>&1 ||
    fail "no .pdbak in $BACKUPS_WIN"
echo "task registered; backup --scheduled wrote $(ls "$PROFILE/Documents/PharmDesk backups/")"

winrun "$INSTDIR_WIN\\pharmdesk.exe" call fetchCustomers '{"search": "0803 555 01"}' \
    >/dev/null 2>&1 || fail "the windowed pharmdesk.exe could not run a command"
echo "the windowed pharmdesk.exe runs commands too (exit code 0, output discarded)"

step "demo --customers 1000 (worker processes) into the profile"
demo() { winrun "$CLI" demo --customers 1000 >"$WORK/demo.json" 2>"$WORK/demo.log"; }
timed "demo 1000" demo || fail "demo: $(tail -n 5 "$WORK/demo.log")"
expect "$WORK/demo.json" '"customers": 1000'
[[ -f "$PROFILE/AppData/Local/PharmDesk/pharmdesk-demo.db" ]] ||
    fail "the demo database is not in the profile's AppData"

# -- 4. upgrade in place ---------------------------------------------------------------------------
step "setup.exe /S again over the installed version: the data stays"
cd "$WORK"
timed "reinstall" install
winrun "$CLI" call fetchCustomers '{"search": "adebayo"}' >"$WORK/after.json" ||
    fail "fetchCustomers after the reinstall"
expect "$WORK/after.json" '"total": 1'

# -- 5. uninstall ------------------------------------------------------------------------------------
step "uninstall.exe /S: the program goes, the data stays"
uninstall() {
    winrun "$INSTDIR_WIN\\uninstall.exe" /S || fail "uninstall.exe /S exited non-zero"
    wineserver -w # the uninstaller runs a copy of itself from TEMP
}
timed "silent uninstall" uninstall
[[ ! -e "$INSTDIR/pharmdesk.exe" && ! -e "$INSTDIR/_internal" ]] || fail "the program is still there"
[[ ! -e "$DRIVE/ProgramData/Microsoft/Windows/Start Menu/Programs/PharmDesk.lnk" ]] ||
    fail "the Start-menu entry is still there"
! winrun reg query "$UNINSTALL_KEY" >/dev/null 2>&1 || fail "the uninstall entry is still there"
[[ -f "$DATA/pharmdesk.db" && -f "$DATA/pharmdesk.db.vault" ]] ||
    fail "uninstalling removed the data in C:\\ProgramData\\PharmDesk"
echo "uninstalled; C:\\ProgramData\\PharmDesk still holds: $(ls "$DATA" | tr '\n' ' ')"

say "check: all passed in $((SECONDS - started)) s (setup.exe $(du -m "$SETUP" | cut -f1) MB, bundle $(du -sm "$BUNDLE" | cut -f1) MB)"
