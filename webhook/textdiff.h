/* textdiff.h -- line-based unified diffs (Myers' O(ND) algorithm), for
 * `snug-webhook mutate --diff`.
 *
 * The texts are split into lines on '\n'; a last line without '\n' is a line
 * too and is marked "\ No newline at end of file" as GNU diff does. The common
 * prefix and suffix are dropped first, then Myers' greedy forward search finds
 * a shortest edit script of what is left. Memory and time are bounded: the
 * search keeps one row of O(d) integers per edit distance d, and gives up when
 * the rows would exceed `max_cost` cells or the work `max_cost` x 64 steps;
 * the diff then replaces the whole changed middle (all old lines removed, all
 * new lines added), which is still a correct diff, just not a minimal one.
 *
 * Output format (the unified format of `diff -u`, without timestamps):
 *   --- <label_a>
 *   +++ <label_b>
 *   @@ -<start>[,<count>] +<start>[,<count>] @@
 *    context line
 *   -removed line
 *   +added line
 * Hunks carry `context` lines of context on each side; hunks whose context
 * would touch or overlap are merged. A count of 1 is omitted; an empty range
 * is written as "<line before>,0", as GNU diff does.
 */
#ifndef SNUG_TEXTDIFF_H
#define SNUG_TEXTDIFF_H

#include <stdbool.h>
#include <stddef.h>

#include "base/dynbuf.h"
#include "base/status.h"

#define TEXTDIFF_DEFAULT_CONTEXT  3
#define TEXTDIFF_DEFAULT_MAX_COST ((size_t)4 * 1024 * 1024)

typedef struct textdiff_opts {
    size_t context;  /* lines of context around each change */
    size_t max_cost; /* search budget in cells (see above); 0 = always replace */
} textdiff_opts;

/* Fill opts with TEXTDIFF_DEFAULT_CONTEXT and TEXTDIFF_DEFAULT_MAX_COST. */
void textdiff_opts_default(textdiff_opts *opts);

/* Append to `out` the unified diff turning a[0..alen) into b[0..blen), with
 * the two header lines. Appends nothing when the texts are equal (*changed,
 * when not NULL, says which). `opts` may be NULL for the defaults. `minimal`
 * (may be NULL) is set false when the budget ran out and the fallback was
 * used. Fails only with SNUG_ERR_NOMEM, or SNUG_ERR_TOO_BIG from `out`; on
 * failure `out` may hold part of the diff. */
snug_status textdiff_unified(const char *a, size_t alen, const char *b, size_t blen,
                             const char *label_a, const char *label_b, const textdiff_opts *opts,
                             dynbuf *out, bool *changed, bool *minimal);

#endif
