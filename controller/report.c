/* report.c -- the recommend report in its formats (see report.h). */
#include "controller/report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "controller/report_object.h"
#include "model/gosize.h"
#include "model/quantity.h"
#include "yaml/yamljson.h"

#define CELL_MAX 600
#define Q_MAX    64

typedef struct report_row {
    char ns[WORKLOAD_NAME_MAX];
    workload_ref ref;
    char *container;
    res_amounts requests, limits;
    rec_result res;
} report_row;

struct report {
    report_row *rows;
    size_t n, cap;
    size_t workloads;
    cJSON *list; /* the v1 List */
};

bool report_format_parse(const char *s, report_format *out)
{
    static const char *const names[] = {"table", "wide", "csv", "json", "yaml"};
    size_t i;

    for (i = 0; s != NULL && i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(s, names[i]) == 0) {
            *out = (report_format)i;
            return true;
        }
    }
    return false;
}

report *report_new(void)
{
    report *r = calloc(1, sizeof(*r));

    if (r == NULL)
        return NULL;
    r->list = cJSON_CreateObject();
    if (r->list == NULL || cJSON_AddStringToObject(r->list, "apiVersion", "v1") == NULL ||
        cJSON_AddStringToObject(r->list, "kind", "List") == NULL ||
        cJSON_AddArrayToObject(r->list, "items") == NULL) {
        report_free(r);
        return NULL;
    }
    return r;
}

void report_free(report *r)
{
    size_t i;

    if (r == NULL)
        return;
    for (i = 0; i < r->n; i++)
        free(r->rows[i].container);
    free(r->rows);
    cJSON_Delete(r->list);
    free(r);
}

size_t report_workloads(const report *r)
{
    return r->workloads;
}

size_t report_containers(const report *r)
{
    return r->n;
}

static snug_status add_row(report *r, const workload *w, const wl_container *c,
                           const rec_result *res, snug_err *err)
{
    report_row *row;

    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 64;
        report_row *rows = realloc(r->rows, cap * sizeof(*rows));

        if (rows == NULL)
            return snug_err_set(err, SNUG_ERR_NOMEM, "report: out of memory");
        r->rows = rows;
        r->cap = cap;
    }
    row = &r->rows[r->n];
    memset(row, 0, sizeof(*row));
    snprintf(row->ns, sizeof(row->ns), "%s", w->ns);
    row->ref = w->ref;
    row->container = strdup(c->name);
    if (row->container == NULL)
        return snug_err_set(err, SNUG_ERR_NOMEM, "report: out of memory");
    row->requests = c->requests;
    row->limits = c->limits;
    row->res = *res;
    row->res.c.name = NULL;
    r->n++;
    return SNUG_OK;
}

snug_status report_add(report *r, const workload *w, const wl_container *const *cs,
                       const rec_result *res, size_t n, int64_t now, snug_err *err)
{
    cJSON *obj = report_object(w, cs, res, n, now);
    size_t i;
    snug_status st = SNUG_OK;

    if (obj == NULL)
        return snug_err_set(err, SNUG_ERR_NOMEM, "report: out of memory");
    cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(r->list, "items"), obj);
    for (i = 0; st == SNUG_OK && i < n; i++)
        st = add_row(r, w, cs[i], &res[i], err);
    r->workloads++;
    return st;
}

/* ---- cells ---------------------------------------------------------------- */

static void fmt_res(int res, int64_t v, char *buf, size_t cap)
{
    if (v == RES_UNSET)
        snprintf(buf, cap, "-");
    else if (res == 0)
        cpu_format_milli(v, buf, cap);
    else
        mem_format_bytes(v, buf, cap);
}

/* "100m -> 250m (+150%)", "- -> 250m", "100m" when unchanged. */
static void fmt_change(int res, int64_t now, int64_t rec, char *buf, size_t cap)
{
    char a[Q_MAX], b[Q_MAX];

    fmt_res(res, now, a, sizeof(a));
    fmt_res(res, rec, b, sizeof(b));
    if (rec == RES_UNSET && now == RES_UNSET)
        snprintf(buf, cap, "-");
    else if (rec == RES_UNSET)
        snprintf(buf, cap, "%s -> -", a);
    else if (now == rec)
        snprintf(buf, cap, "%s", b);
    else if (now == RES_UNSET || now == 0)
        snprintf(buf, cap, "%s -> %s", a, b);
    else
        snprintf(buf, cap, "%s -> %s (%+.0f%%)", a, b,
                 ((double)rec - (double)now) * 100.0 / (double)now);
}

static void fmt_go(const rec_container *c, char *buf, size_t cap)
{
    char m[Q_MAX] = "-", p[Q_MAX] = "-";

    if (!c->is_go) {
        snprintf(buf, cap, "-");
        return;
    }
    if (c->gomaxprocs > 0)
        snprintf(p, sizeof(p), "%lld", (long long)c->gomaxprocs);
    if (c->gomemlimit_bytes > 0)
        gosize_format(c->gomemlimit_bytes, m, sizeof(m));
    snprintf(buf, cap, "%s/%s", p, m);
}

/* The columns: 0-9 in the table, all in wide and csv. */
enum {
    COL_NS,
    COL_WORKLOAD,
    COL_CONTAINER,
    COL_CPU,
    COL_MEM,
    COL_MEMLIM,
    COL_GO,
    COL_CONF,
    COL_REASON,
    COL_CPU_LOWER,
    COL_CPU_UPPER,
    COL_CPU_LIMIT,
    COL_CPU_P90,
    COL_CPU_MAX,
    COL_MEM_PEAK,
    COL_OOM,
    COL_THROTTLED,
    COL_N
};

static const char *const col_names[COL_N] = {
    "NAMESPACE",    "WORKLOAD",          "CONTAINER",  "CPU REQUEST", "MEMORY REQUEST",
    "MEMORY LIMIT", "GO PROCS/MEMLIMIT", "CONFIDENCE", "REASON",      "CPU LOWER",
    "CPU UPPER",    "CPU LIMIT",         "CPU P90",    "CPU MAX",     "MEMORY PEAK",
    "OOM KILLS",    "THROTTLED"};

static void cell(const report_row *row, int col, char *buf, size_t cap)
{
    const rec_container *c = &row->res.c;

    switch (col) {
    case COL_NS:
        snprintf(buf, cap, "%s", row->ns);
        break;
    case COL_WORKLOAD:
        snprintf(buf, cap, "%s/%s", row->ref.kind, row->ref.name);
        break;
    case COL_CONTAINER:
        snprintf(buf, cap, "%s", row->container);
        break;
    case COL_CPU:
        fmt_change(0, row->requests.cpu_milli, c->target.cpu_milli, buf, cap);
        break;
    case COL_MEM:
        fmt_change(1, row->requests.mem_bytes, c->target.mem_bytes, buf, cap);
        break;
    case COL_MEMLIM:
        fmt_change(1, row->limits.mem_bytes, c->limits.mem_bytes, buf, cap);
        break;
    case COL_GO:
        fmt_go(c, buf, cap);
        break;
    case COL_CONF:
        snprintf(buf, cap, "%.2f", c->confidence);
        break;
    case COL_REASON:
        snprintf(buf, cap, "%s", row->res.reason[0] ? row->res.reason : "-");
        break;
    case COL_CPU_LOWER:
        fmt_res(0, c->lower_bound.cpu_milli, buf, cap);
        break;
    case COL_CPU_UPPER:
        fmt_res(0, c->upper_bound.cpu_milli, buf, cap);
        break;
    case COL_CPU_LIMIT:
        fmt_change(0, row->limits.cpu_milli, c->limits.cpu_milli, buf, cap);
        break;
    case COL_CPU_P90:
        fmt_res(0, c->observed.cpu_p90_milli, buf, cap);
        break;
    case COL_CPU_MAX:
        fmt_res(0, c->observed.cpu_max_milli, buf, cap);
        break;
    case COL_MEM_PEAK:
        fmt_res(1,
                c->observed.memory_peak_bytes == RES_UNSET
                    ? RES_UNSET
                    : mem_round_up_mib(c->observed.memory_peak_bytes),
                buf, cap);
        break;
    case COL_OOM:
        snprintf(buf, cap, "%lld", (long long)c->observed.oom_kills);
        break;
    case COL_THROTTLED:
        snprintf(buf, cap, "%.0f%%", c->observed.throttled_ratio * 100);
        break;
    default:
        buf[0] = '\0';
    }
}

/* ---- table ---------------------------------------------------------------- */

#define RED   "\033[31m"
#define GREEN "\033[32m"
#define BOLD  "\033[1m"
#define RESET "\033[0m"

/* Red for a raise, green for a cut, nothing otherwise. */
static const char *change_color(const report_row *row, int col)
{
    int64_t now = RES_UNSET, rec = RES_UNSET;

    if (col == COL_CPU) {
        now = row->requests.cpu_milli;
        rec = row->res.c.target.cpu_milli;
    } else if (col == COL_MEM) {
        now = row->requests.mem_bytes;
        rec = row->res.c.target.mem_bytes;
    }
    if (now == RES_UNSET || rec == RES_UNSET || now == rec)
        return NULL;
    return rec > now ? RED : GREEN;
}

static snug_status pad_cell(dynbuf *out, const char *text, size_t width, const char *color,
                            bool last)
{
    size_t len = strlen(text);
    snug_status st = SNUG_OK;

    if (color != NULL)
        st = dynbuf_addstr(out, color);
    if (st == SNUG_OK)
        st = dynbuf_addstr(out, text);
    if (st == SNUG_OK && color != NULL)
        st = dynbuf_addstr(out, RESET);
    while (st == SNUG_OK && !last && len++ < width + 2)
        st = dynbuf_addc(out, ' ');
    return st;
}

/* The columns of a table, in order: the reason, the longest, last. */
static int table_column(bool wide, int i)
{
    if (!wide)
        return i;
    if (i < COL_REASON)
        return i;
    return i == COL_N - 1 ? COL_REASON : i + 1;
}

static snug_status table_line(dynbuf *out, const report_row *row, bool wide, int ncols,
                              const size_t *w, bool color)
{
    char buf[CELL_MAX];
    int i;
    snug_status st = SNUG_OK;

    for (i = 0; st == SNUG_OK && i < ncols; i++) {
        int col = table_column(wide, i);

        if (row == NULL)
            snprintf(buf, sizeof(buf), "%s", col_names[col]);
        else
            cell(row, col, buf, sizeof(buf));
        st = pad_cell(out, buf, w[col],
                      color ? (row == NULL ? BOLD : change_color(row, col)) : NULL, i == ncols - 1);
    }
    return st == SNUG_OK ? dynbuf_addc(out, '\n') : st;
}

static void totals(const report *r, char *buf, size_t cap)
{
    int64_t cpu_now = 0, cpu_rec = 0, mem_now = 0, mem_rec = 0;
    char a[Q_MAX], b[Q_MAX], c[Q_MAX], d[Q_MAX];
    size_t i;

    for (i = 0; i < r->n; i++) {
        const report_row *row = &r->rows[i];

        if (row->requests.cpu_milli != RES_UNSET)
            cpu_now += row->requests.cpu_milli;
        if (row->res.c.target.cpu_milli != RES_UNSET)
            cpu_rec += row->res.c.target.cpu_milli;
        if (row->requests.mem_bytes != RES_UNSET)
            mem_now += row->requests.mem_bytes;
        if (row->res.c.target.mem_bytes != RES_UNSET)
            mem_rec += row->res.c.target.mem_bytes;
    }
    cpu_format_milli(cpu_now, a, sizeof(a));
    cpu_format_milli(cpu_rec, b, sizeof(b));
    mem_format_bytes(mem_now, c, sizeof(c));
    mem_format_bytes(mem_rec, d, sizeof(d));
    snprintf(buf, cap,
             "TOTAL (per Pod, %zu workloads, %zu containers): CPU requested %s, recommended %s; "
             "memory requested %s, recommended %s\n",
             r->workloads, r->n, a, b, c, d);
}

static snug_status print_table(const report *r, bool wide, bool color, dynbuf *out)
{
    int ncols = wide ? COL_N : COL_CPU_LOWER, col;
    size_t w[COL_N], i;
    char buf[CELL_MAX];
    snug_status st;

    for (col = 0; col < ncols; col++) {
        w[col] = strlen(col_names[col]);
        for (i = 0; i < r->n; i++) {
            cell(&r->rows[i], col, buf, sizeof(buf));
            if (strlen(buf) > w[col])
                w[col] = strlen(buf);
        }
    }
    st = table_line(out, NULL, wide, ncols, w, color);
    for (i = 0; st == SNUG_OK && i < r->n; i++)
        st = table_line(out, &r->rows[i], wide, ncols, w, color);
    if (st == SNUG_OK) {
        totals(r, buf, sizeof(buf));
        st = dynbuf_addstr(out, buf);
    }
    return st;
}

/* ---- csv ------------------------------------------------------------------ */

static snug_status csv_field(dynbuf *out, const char *s, bool last)
{
    snug_status st = SNUG_OK;

    if (strpbrk(s, ",\"\r\n") == NULL) {
        st = dynbuf_addstr(out, s);
    } else {
        st = dynbuf_addc(out, '"');
        for (; st == SNUG_OK && *s; s++)
            st = *s == '"' ? dynbuf_addstr(out, "\"\"") : dynbuf_addc(out, *s);
        if (st == SNUG_OK)
            st = dynbuf_addc(out, '"');
    }
    if (st == SNUG_OK)
        st = dynbuf_addstr(out, last ? "\r\n" : ",");
    return st;
}

/* CSV cells carry plain values: the recommended amount, not "a -> b". */
static void csv_cell(const report_row *row, int col, char *buf, size_t cap)
{
    const rec_container *c = &row->res.c;

    switch (col) {
    case COL_CPU:
        fmt_res(0, c->target.cpu_milli, buf, cap);
        break;
    case COL_MEM:
        fmt_res(1, c->target.mem_bytes, buf, cap);
        break;
    case COL_MEMLIM:
        fmt_res(1, c->limits.mem_bytes, buf, cap);
        break;
    case COL_CPU_LIMIT:
        fmt_res(0, c->limits.cpu_milli, buf, cap);
        break;
    default:
        cell(row, col, buf, cap);
    }
    if (strcmp(buf, "-") == 0)
        buf[0] = '\0';
}

static snug_status print_csv(const report *r, dynbuf *out)
{
    static const char *const extra[] = {"cpu_request_now", "memory_request_now", "memory_limit_now",
                                        "cpu_limit_now"};
    char buf[CELL_MAX];
    size_t i, k;
    int col;
    snug_status st = SNUG_OK;

    for (col = 0; st == SNUG_OK && col < COL_N; col++)
        st = csv_field(out, col_names[col], false);
    for (k = 0; st == SNUG_OK && k < 4; k++)
        st = csv_field(out, extra[k], k == 3);
    for (i = 0; st == SNUG_OK && i < r->n; i++) {
        const report_row *row = &r->rows[i];
        int64_t now[4] = {row->requests.cpu_milli, row->requests.mem_bytes, row->limits.mem_bytes,
                          row->limits.cpu_milli};

        for (col = 0; st == SNUG_OK && col < COL_N; col++) {
            csv_cell(row, col, buf, sizeof(buf));
            st = csv_field(out, buf, false);
        }
        for (k = 0; st == SNUG_OK && k < 4; k++) {
            fmt_res(k == 0 || k == 3 ? 0 : 1, now[k], buf, sizeof(buf));
            st = csv_field(out, strcmp(buf, "-") == 0 ? "" : buf, k == 3);
        }
    }
    return st;
}

/* ---- json, yaml ------------------------------------------------------------- */

/* cJSON's indented text with two spaces per level and ": " (raw tabs only
 * ever format: a tab inside a string is written as \t). */
static snug_status add_indented(dynbuf *out, const char *text)
{
    snug_status st = SNUG_OK;
    bool line_start = true;
    const char *p;

    for (p = text; st == SNUG_OK && *p; p++) {
        if (*p == '\t' && line_start)
            st = dynbuf_addstr(out, "  ");
        else if (*p == '\t')
            st = dynbuf_addc(out, ' ');
        else
            st = dynbuf_addc(out, *p);
        line_start = *p == '\n' || (line_start && *p == '\t');
    }
    return st;
}

static snug_status print_json(const report *r, dynbuf *out, snug_err *err)
{
    char *text = cJSON_Print(r->list);
    snug_status st;

    if (text == NULL)
        return snug_err_set(err, SNUG_ERR_NOMEM, "report: out of memory");
    st = add_indented(out, text);
    if (st == SNUG_OK)
        st = dynbuf_addc(out, '\n');
    free(text);
    return st;
}

snug_status report_print(const report *r, report_format fmt, bool color, dynbuf *out, snug_err *err)
{
    snug_status st;

    switch (fmt) {
    case REPORT_TABLE:
        st = print_table(r, false, color, out);
        break;
    case REPORT_WIDE:
        st = print_table(r, true, color, out);
        break;
    case REPORT_CSV:
        st = print_csv(r, out);
        break;
    case REPORT_JSON:
        st = print_json(r, out, err);
        break;
    default:
        st = yaml_emit(r->list, out);
        break;
    }
    if (st != SNUG_OK && (err == NULL || err->status == SNUG_OK))
        return snug_err_set(err, st, "report: %s", snug_status_str(st));
    return st;
}
