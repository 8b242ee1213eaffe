/* codepages.h -- hand back the pages of program and library code that
 * start-up mapped but the running server does not execute.
 *
 * Linux maps file pages around each page fault (fault-around, and whole
 * large folios on recent kernels), so initialising OpenSSL, GnuTLS, libcurl
 * and the rest leaves most of their code resident in the process although a
 * running webhook executes a small part of it: about 6 MiB of the 12 MiB the
 * process holds after start. codepages_release() drops this process's
 * mappings of its read-only executable file mappings (madvise
 * MADV_DONTNEED; the pages stay in the page cache, shared with anything else
 * that maps them) and asks the kernel not to map around later faults there
 * (MADV_RANDOM), so code that runs again comes back one page at a time.
 * Code pages are never written, so nothing is lost: a page needed again is a
 * minor fault.
 *
 * One caveat, the reason serve has --keep-code-pages: a breakpoint planted
 * in this process's code before the call (a debugger's, or a uprobe of an
 * eBPF tool that attached at exec) lives in a private copy of its page,
 * which the call drops: the breakpoint is lost. Tools that attach later are
 * not affected.
 */
#ifndef SNUG_CODEPAGES_H
#define SNUG_CODEPAGES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "status.h"

/* What one call did. */
typedef struct codepages_stats {
    size_t mappings;     /* executable file mappings released */
    size_t bytes;        /* their total size (mapped, not resident) */
    long rss_before_kib; /* VmRSS before and after, -1 when unknown */
    long rss_after_kib;
} codepages_stats;

/* If `line` (one line of /proc/PID/maps) is a private, read-only,
 * executable mapping of a file ("r-xp" and a path starting with '/'), store
 * its address range in [*start, *end) and return true; false for anything
 * else (writable, shared, anonymous, [vdso], malformed). */
bool codepages_parse_line(const char *line, uintptr_t *start, uintptr_t *end);

/* Release the code pages of this process (see above). Reads
 * /proc/self/maps; SNUG_ERR_IO when it cannot be read. A mapping the kernel
 * refuses to advise is skipped, not an error. `stats` may be NULL. Call it
 * once, after start-up: each call costs the minor faults of the code that
 * runs next. Thread-safe (other threads may run meanwhile). */
snug_status codepages_release(codepages_stats *stats, snug_err *err);

#endif
