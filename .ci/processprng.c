/*
 * bcryptprimitives.dll for Debian's wine 8.0, which lacks it: Rust's standard library
 * imports ProcessPrng from it, so every Rust .exe fails to load there (c0000135). This one
 * export fills the buffer from RtlGenRandom (advapi32's SystemFunction036), as the real
 * one fills it from the system's generator. Built with mingw by .ci/wine; never shipped.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
	while (length > 0) {
		ULONG chunk = length > 0x40000000 ? 0x40000000 : (ULONG)length;
		if (!SystemFunction036(data, chunk))
			return FALSE;
		data += chunk;
		length -= chunk;
	}
	return TRUE;
}
