#ifndef NWSH_CTIME_H
#define NWSH_CTIME_H

#include <time.h>

/// The C library's strptime(3), which Swift's Glibc module leaves out (glibc declares it only
/// under _XOPEN_SOURCE). jq parses dates with it, so nwsh does too.
char *nwsh_strptime(const char *text, const char *format, struct tm *time);

#endif
