/* codepages.c -- hand back start-up's code pages (see codepages.h). */
#include "codepages.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

/* /proc/PID/maps lines are "start-end perms offset dev inode   path"; a
 * path can be up to PATH_MAX, so a line longer than this buffer is read in
 * pieces: only its first piece is looked at. */
#define MAPS_LINE_MAX 4096

bool codepages_parse_line(const char *line, uintptr_t *start, uintptr_t *end)
{
    uintmax_t a, b;
    char perms[5];
    int used = 0;
    const char *path;

    if (sscanf(line, "%jx-%jx %4s %*s %*s %*s %n", &a, &b, perms, &used) != 3 || used == 0)
        return false;
    if (strcmp(perms, "r-xp") != 0 || b <= a || b > UINTPTR_MAX)
        return false;
    path = line + used;
    if (path[0] != '/')
        return false; /* anonymous, [vdso], [vsyscall], ... */
    *start = (uintptr_t)a;
    *end = (uintptr_t)b;
    return true;
}

/* VmRSS of this process in KiB, or -1. */
static long rss_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kib = -1;

    if (f == NULL)
        return -1;
    while (fgets(line, sizeof(line), f) != NULL) {
        if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
            break;
    }
    fclose(f);
    return kib;
}

/* Skip the rest of a line fgets could not take whole. */
static void skip_rest(FILE *f, const char *piece)
{
    int c;

    if (strchr(piece, '\n') != NULL)
        return;
    do {
        c = fgetc(f);
    } while (c != '\n' && c != EOF);
}

/* Advise one mapping; true when the kernel took both hints. */
static bool release_range(uintptr_t start, uintptr_t end)
{
    void *p = (void *)start;
    size_t len = (size_t)(end - start);

    if (madvise(p, len, MADV_RANDOM) != 0)
        return false;
    return madvise(p, len, MADV_DONTNEED) == 0;
}

snug_status codepages_release(codepages_stats *stats, snug_err *err)
{
    codepages_stats st = {0, 0, rss_kib(), -1};
    char line[MAPS_LINE_MAX];
    uintptr_t start, end;
    FILE *f = fopen("/proc/self/maps", "r");
    snug_status rc = SNUG_OK;

    if (f == NULL) {
        rc = snug_err_set(err, SNUG_ERR_IO, "/proc/self/maps: %s", strerror(errno));
        goto out;
    }
    /* The kernel builds the file as it is read; a mapping that changes
     * meanwhile is at worst missed or advised twice, both harmless. */
    while (fgets(line, sizeof(line), f) != NULL) {
        bool code = codepages_parse_line(line, &start, &end);

        skip_rest(f, line);
        if (code && release_range(start, end)) {
            st.mappings++;
            st.bytes += (size_t)(end - start);
        }
    }
    fclose(f);
    st.rss_after_kib = rss_kib();
out:
    if (stats != NULL)
        *stats = st;
    return rc;
}
