#ifndef NWSH_PTY_SUPPORT_H
#define NWSH_PTY_SUPPORT_H
#include <sys/types.h>

/// Starts `path` with `argv` and `envp` on a new pseudo-terminal (its controlling terminal,
/// so typing ^C there sends SIGINT); stores the master side in `*master`. Returns the pid, or
/// -1 with errno set.
pid_t nwsh_spawn_in_pty(const char *path, char *const argv[], char *const envp[], int *master, int rows, int cols);

/// Runs `path` with `argv` (the environment inherited) with stdin from /dev/null and stdout and
/// stderr appended to `output`, every other descriptor closed in the child, and waits for it.
/// Returns its wait status, or -1 with errno set. For programs that leave a daemon behind
/// (`pg_ctl start`): the daemon holds none of the caller's pipes or sockets.
int nwsh_run_detached(const char *path, char *const argv[], const char *output);

#endif
