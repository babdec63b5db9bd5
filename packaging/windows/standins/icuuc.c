/* Test-prefix stand-in for Windows 10's icuuc.dll (the system ICU), which Wine 8 lacks.
 *
 * Qt6Core (6.10 and newer) links to these ICU converter functions for the text codecs
 * beyond UTF-8/16/32 and Latin-1, and does not load at all without the DLL. This one
 * offers no converters: opening one fails as if the codec were unknown, so Qt falls back
 * to its built-in codecs, which are all PharmDesk uses. The function list is Qt6Core's
 * import table (x86_64-w64-mingw32-objdump -p Qt6Core.dll); signatures are ICU's, with
 * pointers for ICU's types. Used only inside the Wine prefixes that build and test
 * PharmDesk; real Windows has the real ICU, and the bundle never carries this file.
 */
#include <stddef.h>
#include <stdint.h>
#include <windows.h>

typedef int UErrorCode;
#define U_FILE_ACCESS_ERROR 4
#define U_ILLEGAL_ARGUMENT_ERROR 1
#define EXPORT __declspec(dllexport)

static void fail(UErrorCode *err, UErrorCode code)
{
    if (err != NULL && *err <= 0)
        *err = code;
}

EXPORT void *ucnv_open(const char *name, UErrorCode *err)
{
    (void)name;
    fail(err, U_FILE_ACCESS_ERROR);
    return NULL;
}

EXPORT void ucnv_close(void *converter) { (void)converter; }
EXPORT void ucnv_reset(void *converter) { (void)converter; }
EXPORT int8_t ucnv_getMaxCharSize(const void *converter) { (void)converter; return 1; }
EXPORT int32_t ucnv_countAvailable(void) { return 0; }
EXPORT const char *ucnv_getAvailableName(int32_t n) { (void)n; return NULL; }

EXPORT const char *ucnv_getName(const void *converter, UErrorCode *err)
{
    (void)converter;
    fail(err, U_ILLEGAL_ARGUMENT_ERROR);
    return NULL;
}

EXPORT const char *ucnv_getStandardName(const char *name, const char *standard, UErrorCode *err)
{
    (void)name; (void)standard;
    fail(err, U_FILE_ACCESS_ERROR);
    return NULL;
}

EXPORT void ucnv_getToUCallBack(const void *converter, void **action, const void **context)
{
    (void)converter;
    if (action != NULL) *action = NULL;
    if (context != NULL) *context = NULL;
}

EXPORT void ucnv_getFromUCallBack(const void *converter, void **action, const void **context)
{
    ucnv_getToUCallBack(converter, action, context);
}

EXPORT void ucnv_setToUCallBack(void *converter, void *action, const void *context,
                                void **old_action, const void **old_context, UErrorCode *err)
{
    (void)converter; (void)action; (void)context;
    ucnv_getToUCallBack(NULL, old_action, old_context);
    fail(err, U_ILLEGAL_ARGUMENT_ERROR);
}

EXPORT void ucnv_setFromUCallBack(void *converter, void *action, const void *context,
                                  void **old_action, const void **old_context, UErrorCode *err)
{
    ucnv_setToUCallBack(converter, action, context, old_action, old_context, err);
}

EXPORT void ucnv_toUnicode(void *converter, void **target, const void *target_limit,
                           const char **source, const char *source_limit, int32_t *offsets,
                           int8_t flush, UErrorCode *err)
{
    (void)converter; (void)target; (void)target_limit; (void)source; (void)source_limit;
    (void)offsets; (void)flush;
    fail(err, U_ILLEGAL_ARGUMENT_ERROR);
}

EXPORT void ucnv_fromUnicode(void *converter, char **target, const char *target_limit,
                             const void **source, const void *source_limit, int32_t *offsets,
                             int8_t flush, UErrorCode *err)
{
    (void)converter; (void)target; (void)target_limit; (void)source; (void)source_limit;
    (void)offsets; (void)flush;
    fail(err, U_ILLEGAL_ARGUMENT_ERROR);
}

EXPORT int32_t ucnv_toUCountPending(const void *converter, UErrorCode *err)
{
    (void)converter;
    fail(err, U_ILLEGAL_ARGUMENT_ERROR);
    return 0;
}

EXPORT int32_t ucnv_fromUCountPending(const void *converter, UErrorCode *err)
{
    return ucnv_toUCountPending(converter, err);
}

EXPORT void ucnv_cbToUWriteUChars(void *args, const void *source, int32_t length,
                                  int32_t offset_index, UErrorCode *err)
{
    (void)args; (void)source; (void)length; (void)offset_index;
    fail(err, U_ILLEGAL_ARGUMENT_ERROR);
}

EXPORT void ucnv_cbFromUWriteUChars(void *args, const void **source, const void *source_limit,
                                    int32_t offset_index, UErrorCode *err)
{
    (void)args; (void)source; (void)source_limit; (void)offset_index;
    fail(err, U_ILLEGAL_ARGUMENT_ERROR);
}

EXPORT void UCNV_FROM_U_CALLBACK_SUBSTITUTE(const void *context, void *args, const void *units,
                                            int32_t length, int32_t code_point, int reason,
                                            UErrorCode *err)
{
    (void)context; (void)args; (void)units; (void)length; (void)code_point; (void)reason;
    (void)err;
}

EXPORT void UCNV_TO_U_CALLBACK_SUBSTITUTE(const void *context, void *args, const char *units,
                                          int32_t length, int reason, UErrorCode *err)
{
    (void)context; (void)args; (void)units; (void)length; (void)reason; (void)err;
}

BOOL WINAPI DllMain(HINSTANCE instance, DWORD reason, LPVOID reserved)
{
    (void)instance; (void)reason; (void)reserved;
    return TRUE;
}
