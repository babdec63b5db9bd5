; The PharmDesk installer for Windows (64-bit), made by build.sh with NSIS:
;
;   makensis -DVERSION=1.2.3 -DVERSION4=1.2.3.0 -DBUNDLE=<dist\pharmdesk> -DICON=<.ico>
;            -DOUTFILE=<setup.exe> pharmdesk.nsi
;
; Installs for every user of the PC into Program Files, with a Start-menu entry and an
; uninstaller (Settings > Apps). The data never lives in the program folder: it is in
; C:\ProgramData\PharmDesk, which the installer creates and limits to Administrators,
; SYSTEM and a "PharmDesk Users" group that it also creates (IT adds the front-desk
; accounts to it). Installing a newer version over an older one replaces the program and
; keeps the data; uninstalling removes the program and leaves the data folder.
;
; Silent: setup.exe /S [/D=C:\Other Folder\PharmDesk]   (/D last, without quotes)
;         "C:\Program Files\PharmDesk\uninstall.exe" /S

Unicode true
Target amd64-unicode          ; a 32-bit installer cannot write to 64-bit Program Files
SetCompressor /SOLID lzma
RequestExecutionLevel admin
ManifestDPIAware true

!define PRODUCT "PharmDesk"
!define UNINSTALL_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\PharmDesk"
!define USERS_GROUP "PharmDesk Users"
; Well-known SIDs, so the rights hold whatever the language of Windows.
!define SID_ADMINISTRATORS "*S-1-5-32-544"
!define SID_SYSTEM "*S-1-5-18"

Name "${PRODUCT} ${VERSION}"
OutFile "${OUTFILE}"
InstallDir "$PROGRAMFILES64\${PRODUCT}"
InstallDirRegKey HKLM "${UNINSTALL_KEY}" "InstallLocation"
BrandingText "${PRODUCT} ${VERSION}"

VIProductVersion "${VERSION4}"
VIFileVersion "${VERSION4}"
VIAddVersionKey /LANG=1033 "ProductName" "${PRODUCT}"
VIAddVersionKey /LANG=1033 "ProductVersion" "${VERSION}"
VIAddVersionKey /LANG=1033 "FileVersion" "${VERSION}"
VIAddVersionKey /LANG=1033 "FileDescription" "${PRODUCT} ${VERSION} setup"
VIAddVersionKey /LANG=1033 "CompanyName" "${PRODUCT}"
VIAddVersionKey /LANG=1033 "LegalCopyright" "${PRODUCT}"

!include "MUI2.nsh"
!include "x64.nsh"
!include "LogicLib.nsh"

!define MUI_ICON "${ICON}"
!define MUI_UNICON "${ICON}"
!define MUI_ABORTWARNING
!define MUI_FINISHPAGE_RUN "$INSTDIR\pharmdesk.exe"
!define MUI_FINISHPAGE_RUN_TEXT "Start PharmDesk"
!insertmacro MUI_PAGE_WELCOME
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_LANGUAGE "English"

Var DataDir

Function .onInit
    ${IfNot} ${RunningX64}
        MessageBox MB_ICONSTOP "PharmDesk needs 64-bit Windows 10 or newer." /SD IDOK
        Abort
    ${EndIf}
    SetRegView 64
    SetShellVarContext all
FunctionEnd

Function un.onInit
    SetRegView 64
    SetShellVarContext all
FunctionEnd

; Runs a command hidden and writes its output to the details log; $0 is its exit code.
!macro Run COMMAND
    nsExec::ExecToLog '${COMMAND}'
    Pop $0
!macroend

; backup-task.xml: the hourly scheduled backup for Task Scheduler, with this install's path.
; IT registers it (with the account that owns the password file) by:
;   schtasks /Create /TN "PharmDesk backup" /XML "<install folder>\backup-task.xml"
;            /RU PHARMACY\backupsvc /RP *
; schtasks wants the file in UTF-16 with a byte-order mark.
!macro TaskLine TEXT
    FileWriteUTF16LE $9 '${TEXT}$\r$\n'
!macroend
Function WriteBackupTask
    FileOpen $9 "$INSTDIR\backup-task.xml" w
    FileWriteUTF16LE /BOM $9 '<?xml version="1.0" encoding="UTF-16"?>$\r$\n'
    !insertmacro TaskLine '<Task version="1.2" xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">'
    !insertmacro TaskLine '  <RegistrationInfo>'
    !insertmacro TaskLine '    <Description>PharmDesk: back up the database into the folder set in Settings when one is due, verify it and rotate old copies.</Description>'
    !insertmacro TaskLine '  </RegistrationInfo>'
    !insertmacro TaskLine '  <Triggers>'
    !insertmacro TaskLine '    <TimeTrigger>'
    !insertmacro TaskLine '      <Repetition><Interval>PT1H</Interval><StopAtDurationEnd>false</StopAtDurationEnd></Repetition>'
    !insertmacro TaskLine '      <StartBoundary>2025-01-01T00:05:00</StartBoundary>'
    !insertmacro TaskLine '      <Enabled>true</Enabled>'
    !insertmacro TaskLine '    </TimeTrigger>'
    !insertmacro TaskLine '  </Triggers>'
    !insertmacro TaskLine '  <Principals><Principal id="Author"><LogonType>Password</LogonType><RunLevel>LeastPrivilege</RunLevel></Principal></Principals>'
    !insertmacro TaskLine '  <Settings>'
    !insertmacro TaskLine '    <MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy>'
    !insertmacro TaskLine '    <DisallowStartIfOnBatteries>false</DisallowStartIfOnBatteries>'
    !insertmacro TaskLine '    <StopIfGoingOnBatteries>false</StopIfGoingOnBatteries>'
    !insertmacro TaskLine '    <StartWhenAvailable>true</StartWhenAvailable>'
    !insertmacro TaskLine '    <ExecutionTimeLimit>PT1H</ExecutionTimeLimit>'
    !insertmacro TaskLine '    <Enabled>true</Enabled>'
    !insertmacro TaskLine '  </Settings>'
    !insertmacro TaskLine '  <Actions Context="Author">'
    !insertmacro TaskLine '    <Exec>'
    !insertmacro TaskLine '      <Command>"$INSTDIR\pharmdesk-cli.exe"</Command>'
    !insertmacro TaskLine '      <Arguments>backup --scheduled --db "$APPDATA\${PRODUCT}\pharmdesk.db" --user backup --password-file "$APPDATA\${PRODUCT}\backup.pass"</Arguments>'
    !insertmacro TaskLine '    </Exec>'
    !insertmacro TaskLine '  </Actions>'
    !insertmacro TaskLine '</Task>'
    FileClose $9
FunctionEnd

Section "PharmDesk" SecMain
    SectionIn RO
    ; An upgrade: the old program's files go first, so that nothing of the old version is
    ; left beside the new one. The data folder is not touched.
    ${If} ${FileExists} "$INSTDIR\uninstall.exe"
        DetailPrint "Replacing the PharmDesk program in $INSTDIR (the data stays)"
        RMDir /r "$INSTDIR\_internal"
        Delete "$INSTDIR\pharmdesk.exe"
        Delete "$INSTDIR\pharmdesk-cli.exe"
    ${EndIf}

    SetOutPath "$INSTDIR"
    File /r "${BUNDLE}\*.*"
    File "/oname=pharmdesk.ico" "${ICON}"
    WriteUninstaller "$INSTDIR\uninstall.exe"

    ; The machine-wide data folder and who may use it.
    StrCpy $DataDir "$APPDATA\${PRODUCT}"   ; $APPDATA is C:\ProgramData for "all"
    CreateDirectory "$DataDir"
    !insertmacro Run '"$SYSDIR\net.exe" localgroup "${USERS_GROUP}" /add /comment:"May use PharmDesk on this PC"'
    ${If} $0 != 0
        DetailPrint "The group ${USERS_GROUP} exists already or could not be made (net.exe: $0)"
    ${EndIf}
    ; Inherited rights (Users may read ProgramData) are replaced by: Administrators and
    ; SYSTEM full control, the PharmDesk group modify (it creates the database and its
    ; side files). A PC without the group still gets the first two.
    !insertmacro Run '"$SYSDIR\icacls.exe" "$DataDir" /inheritance:r /grant:r ${SID_ADMINISTRATORS}:(OI)(CI)F ${SID_SYSTEM}:(OI)(CI)F "${USERS_GROUP}:(OI)(CI)M"'
    ${If} $0 != 0
        !insertmacro Run '"$SYSDIR\icacls.exe" "$DataDir" /inheritance:r /grant:r ${SID_ADMINISTRATORS}:(OI)(CI)F ${SID_SYSTEM}:(OI)(CI)F'
        DetailPrint "Could not limit $DataDir to ${USERS_GROUP} (icacls: $0); set it in the folder's Properties > Security"
    ${EndIf}

    Call WriteBackupTask

    ; The Start menu, for every user.
    CreateShortCut "$SMPROGRAMS\${PRODUCT}.lnk" "$INSTDIR\pharmdesk.exe" "" \
        "$INSTDIR\pharmdesk.ico" 0 SW_SHOWNORMAL "" "Pharmacy customer desk"

    ; Settings > Apps: name, version, size, uninstall.
    WriteRegStr HKLM "${UNINSTALL_KEY}" "DisplayName" "${PRODUCT}"
    WriteRegStr HKLM "${UNINSTALL_KEY}" "DisplayVersion" "${VERSION}"
    WriteRegStr HKLM "${UNINSTALL_KEY}" "Publisher" "${PRODUCT}"
    WriteRegStr HKLM "${UNINSTALL_KEY}" "DisplayIcon" "$INSTDIR\pharmdesk.ico"
    WriteRegStr HKLM "${UNINSTALL_KEY}" "InstallLocation" "$INSTDIR"
    WriteRegStr HKLM "${UNINSTALL_KEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
    WriteRegStr HKLM "${UNINSTALL_KEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /S'
    WriteRegDWORD HKLM "${UNINSTALL_KEY}" "NoModify" 1
    WriteRegDWORD HKLM "${UNINSTALL_KEY}" "NoRepair" 1
    WriteRegDWORD HKLM "${UNINSTALL_KEY}" "EstimatedSize" ${SIZE_KB}
SectionEnd

Section "Uninstall"
    ; Only what the installer put there: a folder chosen by hand may hold other files.
    RMDir /r "$INSTDIR\_internal"
    Delete "$INSTDIR\pharmdesk.exe"
    Delete "$INSTDIR\pharmdesk-cli.exe"
    Delete "$INSTDIR\pharmdesk.ico"
    Delete "$INSTDIR\backup-task.xml"
    Delete "$INSTDIR\uninstall.exe"
    RMDir "$INSTDIR"
    Delete "$SMPROGRAMS\${PRODUCT}.lnk"
    DeleteRegKey HKLM "${UNINSTALL_KEY}"
    ; The scheduled backup would fail every hour without the program.
    nsExec::ExecToLog '"$SYSDIR\schtasks.exe" /Delete /TN "PharmDesk backup" /F'
    Pop $0
    ; The customers' data is never removed with the program.
    DetailPrint "The data in $APPDATA\${PRODUCT} is kept; delete it by hand when no longer needed."
SectionEnd
