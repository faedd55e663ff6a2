#ifndef NWSH_PTY_SUPPORT_H
#define NWSH_PTY_SUPPORT_H
#include <sys/types.h>

/// Starts `path` with `argv` and `envp` on a new pseudo-terminal (its controlling terminal,
/// so typing ^C there sends SIGINT); stores the master side in `*master`. Returns the pid, or
/// -1 with errno set.
pid_t nwsh_spawn_in_pty(const char *path, char *const argv[], char *const envp[], int *master, int rows, int cols);

#endif
