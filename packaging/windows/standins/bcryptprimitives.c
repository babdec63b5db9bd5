/* Test-prefix stand-in for Windows 10's bcryptprimitives.dll, which Wine 8 lacks.
 *
 * The Rust core of `cryptography` asks it for random bytes (ProcessPrng). This
 * answers from RtlGenRandom (advapi32!SystemFunction036), the system's CSPRNG, which
 * Wine implements. Used only inside the Wine prefixes that build and test PharmDesk;
 * real Windows has its own, and the bundle and the installer never carry this file.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
    while (length > 0) {
        ULONG chunk = length > 0x10000000 ? 0x10000000 : (ULONG)length;
        if (!SystemFunction036(data, chunk))
            return FALSE;
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}

BOOL WINAPI DllMain(HINSTANCE instance, DWORD reason, LPVOID reserved)
{
    (void)instance; (void)reason; (void)reserved;
    return TRUE;
}
