#define _GNU_SOURCE
#include <time.h>
#include "CTime.h"

char *nwsh_strptime(const char *text, const char *format, struct tm *time) {
  return strptime(text, format, time);
}
