// Prefixed, non-variadic wrappers around libedit for Swift, which cannot call C variadics
// (el_set, el_get, history) or touch C globals such as stdin under strict concurrency.
#ifndef NWSH_CLIBEDIT_SHIM_H
#define NWSH_CLIBEDIT_SHIM_H

#include <histedit.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

typedef char *(*nwsh_prompt_fn)(EditLine *);
typedef unsigned char (*nwsh_command_fn)(EditLine *, int);

static inline EditLine *nwsh_el_init(const char *program) {
  return el_init(program, stdin, stdout, stderr);
}

static inline void nwsh_el_set_prompt(EditLine *e, nwsh_prompt_fn prompt) { el_set(e, EL_PROMPT, prompt); }
static inline void nwsh_el_set_editor(EditLine *e, const char *mode) { el_set(e, EL_EDITOR, mode); }
static inline void nwsh_el_set_history(EditLine *e, History *h) { el_set(e, EL_HIST, history, h); }
static inline void nwsh_el_set_client_data(EditLine *e, void *data) { el_set(e, EL_CLIENTDATA, data); }
static inline void *nwsh_el_get_client_data(EditLine *e) {
  void *data = NULL;
  el_get(e, EL_CLIENTDATA, &data);
  return data;
}
static inline void nwsh_el_add_function(EditLine *e, const char *name, const char *help, nwsh_command_fn fn) {
  el_set(e, EL_ADDFN, name, help, fn);
}
static inline void nwsh_el_bind(EditLine *e, const char *key, const char *function) {
  el_set(e, EL_BIND, key, function, NULL);
}
/// Replaces how libedit reads a character (a wide character; 1 read, 0 end, -1 error).
static inline void nwsh_el_set_read_char(EditLine *e, el_rfunc_t reader) { el_set(e, EL_GETCFN, reader); }
/// Redraws the prompt and the line now (from inside a bound function).
static inline void nwsh_el_refresh(EditLine *e) { el_set(e, EL_REFRESH); }
/// Reads ~/.editrc (or $EDITRC) like other libedit programs.
static inline void nwsh_el_source_editrc(EditLine *e) { el_source(e, NULL); }

static inline History *nwsh_history_init(void) { return history_init(); }
static inline void nwsh_history_set_size(History *h, int size) {
  HistEvent ev;
  history(h, &ev, H_SETSIZE, size);
}
static inline void nwsh_history_set_unique(History *h, int unique) {
  HistEvent ev;
  history(h, &ev, H_SETUNIQUE, unique);
}
static inline void nwsh_history_enter(History *h, const char *line) {
  HistEvent ev;
  history(h, &ev, H_ENTER, line);
}
static inline void nwsh_history_clear(History *h) {
  HistEvent ev;
  history(h, &ev, H_CLEAR);
}

static inline void nwsh_set_locale(void) { setlocale(LC_CTYPE, ""); }
static inline FILE *nwsh_stdout(void) { return stdout; }

/// Where SIGINT and SIGTERM go while the shell runs: an atomic flag set to 1, and a byte
/// written to a descriptor that wakes whoever waits (both async-signal-safe).
/// (Kept in function-local statics: a header's own globals do not survive Swift's import.)
static inline int **nwsh_interrupt_flag_slot(void) {
  static int *flag;
  return &flag;
}
static inline int *nwsh_interrupt_descriptor_slot(void) {
  static int descriptor = -1;
  return &descriptor;
}

static inline void nwsh_interrupt_handler(int signal) {
  (void)signal;
  int *flag = *nwsh_interrupt_flag_slot();
  int descriptor = *nwsh_interrupt_descriptor_slot();
  if (flag) __atomic_store_n(flag, 1, __ATOMIC_RELEASE);
  if (descriptor >= 0) {
    char byte = 1;
    ssize_t ignored = write(descriptor, &byte, 1);
    (void)ignored;
  }
}

/// Routes SIGINT and SIGTERM to `flag` and `descriptor`, without SA_RESTART, so a blocking
/// read returns with EINTR when one arrives.
static inline int nwsh_route_interrupts(int *flag, int descriptor) {
  *nwsh_interrupt_flag_slot() = flag;
  *nwsh_interrupt_descriptor_slot() = descriptor;
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_handler = nwsh_interrupt_handler;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;
  if (sigaction(SIGINT, &action, NULL) != 0) return -1;
  return sigaction(SIGTERM, &action, NULL);
}

#endif
