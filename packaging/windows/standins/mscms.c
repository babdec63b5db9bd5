/* Test-prefix stand-in for mscms.dll (Windows Color System), for seeing PharmDesk's
 * window under Wine 8 only.
 *
 * Qt's Windows platform plugin (qwindows.dll) reads the screen's colour profile through
 * these four functions. Wine 8's own mscms.dll has no WcsCreateIccProfile (calling it
 * aborts the program), so the window never appears. This stand-in answers "no profile",
 * after which Qt draws in sRGB, as it does on a screen without one. It is loaded only
 * when asked for (WINEDLLOVERRIDES=mscms=n, see ../gui-screenshots.sh); real Windows
 * has the real one, and the bundle never carries this file.
 */
#include <windows.h>

#define EXPORT __declspec(dllexport)

EXPORT HANDLE WINAPI OpenColorProfileW(void *profile, DWORD access, DWORD sharing,
                                       DWORD creation)
{
    (void)profile; (void)access; (void)sharing; (void)creation;
    SetLastError(ERROR_FILE_NOT_FOUND);
    return NULL;
}

EXPORT BOOL WINAPI GetColorProfileFromHandle(HANDLE profile, BYTE *buffer, DWORD *size)
{
    (void)profile; (void)buffer;
    if (size != NULL)
        *size = 0;
    SetLastError(ERROR_INVALID_HANDLE);
    return FALSE;
}

EXPORT BOOL WINAPI CloseColorProfile(HANDLE profile)
{
    (void)profile;
    return TRUE;
}

EXPORT HANDLE WINAPI WcsCreateIccProfile(HANDLE profile, DWORD options)
{
    (void)profile; (void)options;
    SetLastError(ERROR_NOT_SUPPORTED);
    return NULL;
}

BOOL WINAPI DllMain(HINSTANCE instance, DWORD reason, LPVOID reserved)
{
    (void)instance; (void)reason; (void)reserved;
    return TRUE;
}
