#include "PTYSupport.h"
#include <pty.h>
#include <termios.h>
#include <unistd.h>
#include <stdlib.h>

pid_t nwsh_spawn_in_pty(const char *path, char *const argv[], char *const envp[], int *master, int rows, int cols) {
  struct winsize size = {0};
  size.ws_row = (unsigned short)rows;
  size.ws_col = (unsigned short)cols;
  pid_t pid = forkpty(master, NULL, NULL, &size);
  if (pid == 0) {
    execve(path, argv, envp);
    _exit(127);
  }
  return pid;
}
