/*
 * A Windows console program for awsenv's Windows suite (tests/windows.rs): it writes
 * "ready" to argv[1], waits up to 30 s for Ctrl-C, then, 0.7 s after it came (long enough
 * to outlive a parent that did not wait for it), writes "handled" to argv[2] and exits 42.
 * Built with mingw by the test that runs it under awsenv.exe exec.
 */
#include <windows.h>
#include <stdio.h>

static volatile LONG got;

static BOOL WINAPI on_ctrl(DWORD event)
{
	if (event != CTRL_C_EVENT)
		return FALSE;
	InterlockedExchange(&got, 1);
	return TRUE;
}

static void mark(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

int main(int argc, char **argv)
{
	if (argc != 3)
		return 2;
	SetConsoleCtrlHandler(on_ctrl, TRUE);
	mark(argv[1], "ready");
	for (int i = 0; i < 600 && !got; i++)
		Sleep(50);
	if (!got)
		return 3;
	Sleep(700);
	mark(argv[2], "handled");
	return 42;
}
