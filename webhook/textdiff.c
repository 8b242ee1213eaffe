/* textdiff.c -- line-based unified diffs: prefix/suffix trimming, then
 * Myers' greedy O(ND) search with a cost budget (see textdiff.h). */
#include "webhook/textdiff.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct tline {
    const char *p;
    size_t len;    /* without the '\n' */
    uint64_t hash; /* of the bytes and of the newline flag */
    bool nl;       /* ends with '\n' */
} tline;

typedef struct tlines {
    tline *v;
    size_t n;
} tlines;

/* One run of changed lines: a[a0..a1) removed, b[b0..b1) added. */
typedef struct tblock {
    size_t a0, a1, b0, b1;
} tblock;

void textdiff_opts_default(textdiff_opts *opts)
{
    opts->context = TEXTDIFF_DEFAULT_CONTEXT;
    opts->max_cost = TEXTDIFF_DEFAULT_MAX_COST;
}

static uint64_t line_hash(const char *p, size_t len, bool nl)
{
    uint64_t h = 1469598103934665603ULL;
    size_t i;

    for (i = 0; i < len; i++) {
        h ^= (unsigned char)p[i];
        h *= 1099511628211ULL;
    }
    return nl ? h ^ 0x9e3779b97f4a7c15ULL : h;
}

static snug_status split_lines(const char *s, size_t len, tlines *out)
{
    size_t n = 0, i, start = 0, k = 0;

    out->v = NULL;
    out->n = 0;
    for (i = 0; i < len; i++)
        if (s[i] == '\n')
            n++;
    if (len > 0 && s[len - 1] != '\n')
        n++;
    /* At least one slot, so that `v + offset` is always a valid pointer. */
    out->v = calloc(n ? n : 1, sizeof(*out->v));
    if (out->v == NULL)
        return SNUG_ERR_NOMEM;
    for (i = 0; i <= len; i++) {
        bool nl = i < len && s[i] == '\n';

        if (!nl && !(i == len && start < len))
            continue;
        out->v[k].p = s + start;
        out->v[k].len = i - start;
        out->v[k].nl = nl;
        out->v[k].hash = line_hash(s + start, i - start, nl);
        k++;
        start = i + 1;
    }
    out->n = k;
    return SNUG_OK;
}

static bool line_eq(const tline *x, const tline *y)
{
    return x->hash == y->hash && x->len == y->len && x->nl == y->nl &&
           memcmp(x->p, y->p, x->len) == 0;
}

/* The Myers search state over a[0..n) and b[0..m) (already offset past the
 * common prefix). Row d holds x for diagonals k = -d..d at rows[d*d + k + d];
 * -1 marks a diagonal not reachable with d edits. */
typedef struct myers {
    const tline *a, *b;
    ptrdiff_t n, m;
    ptrdiff_t *rows;
    size_t cap;       /* cells allocated */
    size_t max_cells; /* budget */
    size_t work, max_work;
} myers;

static ptrdiff_t *row_at(const myers *s, ptrdiff_t d)
{
    return s->rows + (size_t)d * (size_t)d + (size_t)d; /* index 0 is k = 0 */
}

/* The furthest x reachable on diagonal k with d edits, before the snake, and
 * whether the last edit was a "down" move (insert b[y-1]). -1: unreachable. */
static ptrdiff_t myers_step(const myers *s, ptrdiff_t d, ptrdiff_t k, bool *down)
{
    const ptrdiff_t *prev = row_at(s, d - 1);
    ptrdiff_t down_x = -1, right_x = -1;

    if (k + 1 <= d - 1 && prev[k + 1] >= 0 && prev[k + 1] - k <= s->m)
        down_x = prev[k + 1];
    if (k - 1 >= -(d - 1) && prev[k - 1] >= 0 && prev[k - 1] + 1 <= s->n)
        right_x = prev[k - 1] + 1;
    *down = down_x >= 0 && down_x >= right_x;
    return *down ? down_x : right_x;
}

static snug_status myers_grow(myers *s, ptrdiff_t d)
{
    size_t need = ((size_t)d + 1) * ((size_t)d + 1), ncap;
    ptrdiff_t *nrows;

    if (need <= s->cap)
        return SNUG_OK;
    if (need > s->max_cells)
        return SNUG_ERR_TOO_BIG;
    ncap = s->cap ? s->cap * 2 : 256;
    while (ncap < need)
        ncap *= 2;
    if (ncap > s->max_cells)
        ncap = s->max_cells;
    nrows = realloc(s->rows, ncap * sizeof(*nrows));
    if (nrows == NULL)
        return SNUG_ERR_NOMEM;
    s->rows = nrows;
    s->cap = ncap;
    return SNUG_OK;
}

/* Run the forward search; *dist receives the edit distance. SNUG_ERR_TOO_BIG
 * when the budget runs out. */
static snug_status myers_search(myers *s, ptrdiff_t *dist)
{
    ptrdiff_t d, k;
    snug_status st;

    for (d = 0; d <= s->n + s->m; d++) {
        ptrdiff_t *row;

        st = myers_grow(s, d);
        if (st != SNUG_OK)
            return st;
        row = row_at(s, d);
        for (k = -d; k <= d; k++) {
            ptrdiff_t x, y;
            bool down;

            row[k] = -1;
            if (((k + d) & 1) != 0 || k < -s->m || k > s->n)
                continue;
            x = d == 0 ? 0 : myers_step(s, d, k, &down);
            if (x < 0)
                continue;
            y = x - k;
            while (x < s->n && y < s->m && line_eq(&s->a[x], &s->b[y])) {
                x++;
                y++;
                s->work++;
            }
            row[k] = x;
            if (x >= s->n && y >= s->m) {
                *dist = d;
                return SNUG_OK;
            }
        }
        s->work += (size_t)(2 * d + 1);
        if (s->work > s->max_work)
            return SNUG_ERR_TOO_BIG;
    }
    return SNUG_ERR_INTERNAL;
}

/* Walk back from (n, m) and mark the removed and added lines. */
static void myers_backtrack(const myers *s, ptrdiff_t dist, unsigned char *del, unsigned char *ins)
{
    ptrdiff_t d, x = s->n, y = s->m;

    for (d = dist; d > 0; d--) {
        ptrdiff_t k = x - y, start;
        bool down;

        start = myers_step(s, d, k, &down);
        if (down) {
            ins[start - k - 1] = 1;
            x = start;
            y = start - k - 1;
        } else {
            del[start - 1] = 1;
            x = start - 1;
            y = start - k;
        }
    }
}

/* Mark removed/added lines of the middle part; falls back to "replace all"
 * when the budget runs out. */
static snug_status mark_changes(const tline *a, size_t n, const tline *b, size_t m, size_t max_cost,
                                unsigned char *del, unsigned char *ins, bool *minimal)
{
    myers s;
    ptrdiff_t dist = 0;
    snug_status st;

    memset(&s, 0, sizeof(s));
    s.a = a;
    s.b = b;
    s.n = (ptrdiff_t)n;
    s.m = (ptrdiff_t)m;
    s.max_cells = max_cost;
    s.max_work = max_cost > SIZE_MAX / 16 ? SIZE_MAX : max_cost * 16;
    st = n == 0 || m == 0 ? SNUG_ERR_TOO_BIG : myers_search(&s, &dist);
    if (st == SNUG_OK) {
        myers_backtrack(&s, dist, del, ins);
    } else if (st == SNUG_ERR_TOO_BIG) {
        memset(del, 1, n);
        memset(ins, 1, m);
        /* A pure insertion or removal is minimal anyway. */
        if (n != 0 && m != 0)
            *minimal = false;
        st = SNUG_OK;
    }
    free(s.rows);
    return st;
}

/* Group the marked lines into blocks of changes. */
static snug_status collect_blocks(const unsigned char *del, size_t n, const unsigned char *ins,
                                  size_t m, tblock **out, size_t *nout)
{
    size_t i = 0, j = 0, nb = 0, cap = 0;
    tblock *v = NULL;

    while (i < n || j < m) {
        tblock blk;

        if ((i >= n || !del[i]) && (j >= m || !ins[j])) {
            i++;
            j++;
            continue;
        }
        blk.a0 = i;
        blk.b0 = j;
        while ((i < n && del[i]) || (j < m && ins[j])) {
            while (i < n && del[i])
                i++;
            while (j < m && ins[j])
                j++;
        }
        blk.a1 = i;
        blk.b1 = j;
        if (nb == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            tblock *nv = realloc(v, ncap * sizeof(*nv));

            if (nv == NULL) {
                free(v);
                return SNUG_ERR_NOMEM;
            }
            v = nv;
            cap = ncap;
        }
        v[nb++] = blk;
    }
    *out = v;
    *nout = nb;
    return SNUG_OK;
}

static snug_status emit_range(dynbuf *out, size_t start, size_t count)
{
    if (count == 1)
        return dynbuf_printf(out, "%zu", start + 1);
    return dynbuf_printf(out, "%zu,%zu", count == 0 ? start : start + 1, count);
}

static snug_status emit_line(dynbuf *out, char mark, const tline *l)
{
    snug_status st = dynbuf_addc(out, mark);

    if (st == SNUG_OK)
        st = dynbuf_add(out, l->p, l->len);
    if (st == SNUG_OK)
        st = dynbuf_addc(out, '\n');
    if (st == SNUG_OK && !l->nl)
        st = dynbuf_addstr(out, "\\ No newline at end of file\n");
    return st;
}

static snug_status emit_lines(dynbuf *out, char mark, const tline *v, size_t from, size_t to)
{
    snug_status st = SNUG_OK;

    for (; from < to && st == SNUG_OK; from++)
        st = emit_line(out, mark, &v[from]);
    return st;
}

/* Write one hunk made of blocks[first..last]. */
static snug_status emit_hunk(dynbuf *out, const tlines *a, const tlines *b, const tblock *blk,
                             size_t first, size_t last, size_t context)
{
    size_t pre = blk[first].a0 < context ? blk[first].a0 : context;
    size_t post = a->n - blk[last].a1 < context ? a->n - blk[last].a1 : context;
    size_t as = blk[first].a0 - pre, bs = blk[first].b0 - pre;
    size_t ae = blk[last].a1 + post, be = blk[last].b1 + post, i, ai = as;
    snug_status st;

    st = dynbuf_addstr(out, "@@ -");
    if (st == SNUG_OK)
        st = emit_range(out, as, ae - as);
    if (st == SNUG_OK)
        st = dynbuf_addstr(out, " +");
    if (st == SNUG_OK)
        st = emit_range(out, bs, be - bs);
    if (st == SNUG_OK)
        st = dynbuf_addstr(out, " @@\n");
    for (i = first; i <= last && st == SNUG_OK; i++) {
        st = emit_lines(out, ' ', a->v, ai, blk[i].a0);
        if (st == SNUG_OK)
            st = emit_lines(out, '-', a->v, blk[i].a0, blk[i].a1);
        if (st == SNUG_OK)
            st = emit_lines(out, '+', b->v, blk[i].b0, blk[i].b1);
        ai = blk[i].a1;
    }
    if (st == SNUG_OK)
        st = emit_lines(out, ' ', a->v, ai, ae);
    return st;
}

static snug_status emit_diff(dynbuf *out, const tlines *a, const tlines *b, const tblock *blk,
                             size_t nb, size_t context, const char *label_a, const char *label_b)
{
    size_t first = 0, i;
    snug_status st;

    st = dynbuf_printf(out, "--- %s\n+++ %s\n", label_a, label_b);
    for (i = 0; i < nb && st == SNUG_OK; i++) {
        /* Close the hunk when the gap to the next block exceeds 2 x context. */
        if (i + 1 < nb && blk[i + 1].a0 - blk[i].a1 <= 2 * context)
            continue;
        st = emit_hunk(out, a, b, blk, first, i, context);
        first = i + 1;
    }
    return st;
}

snug_status textdiff_unified(const char *a, size_t alen, const char *b, size_t blen,
                             const char *label_a, const char *label_b, const textdiff_opts *opts,
                             dynbuf *out, bool *changed, bool *minimal)
{
    textdiff_opts defaults;
    tlines la = {NULL, 0}, lb = {NULL, 0};
    unsigned char *del = NULL, *ins = NULL;
    tblock *blocks = NULL;
    size_t pre = 0, suf = 0, nb = 0, context;
    bool is_minimal = true;
    snug_status st;

    if (opts == NULL) {
        textdiff_opts_default(&defaults);
        opts = &defaults;
    }
    /* Keep the hunk arithmetic far from overflow. */
    context = opts->context > SIZE_MAX / 4 ? SIZE_MAX / 4 : opts->context;
    if (changed != NULL)
        *changed = !(alen == blen && (alen == 0 || memcmp(a, b, alen) == 0));
    if (minimal != NULL)
        *minimal = true;
    if (alen == blen && (alen == 0 || memcmp(a, b, alen) == 0))
        return SNUG_OK;
    st = split_lines(a, alen, &la);
    if (st == SNUG_OK)
        st = split_lines(b, blen, &lb);
    if (st != SNUG_OK)
        goto out;
    while (pre < la.n && pre < lb.n && line_eq(&la.v[pre], &lb.v[pre]))
        pre++;
    while (suf < la.n - pre && suf < lb.n - pre &&
           line_eq(&la.v[la.n - 1 - suf], &lb.v[lb.n - 1 - suf]))
        suf++;
    del = calloc(la.n + 1, 1);
    ins = calloc(lb.n + 1, 1);
    if (del == NULL || ins == NULL) {
        st = SNUG_ERR_NOMEM;
        goto out;
    }
    st = mark_changes(la.v + pre, la.n - pre - suf, lb.v + pre, lb.n - pre - suf, opts->max_cost,
                      del + pre, ins + pre, &is_minimal);
    if (st == SNUG_OK)
        st = collect_blocks(del, la.n, ins, lb.n, &blocks, &nb);
    if (st == SNUG_OK)
        st = emit_diff(out, &la, &lb, blocks, nb, context, label_a ? label_a : "a",
                       label_b ? label_b : "b");
    if (minimal != NULL)
        *minimal = is_minimal;
out:
    free(blocks);
    free(del);
    free(ins);
    free(la.v);
    free(lb.v);
    return st;
}
