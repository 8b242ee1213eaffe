/* yamljson.c -- YAML and JSON text to cJSON trees and back.
 *
 * Parsing walks libyaml's event stream with an explicit stack of at most
 * YAMLJSON_MAX_DEPTH frames, so no input can make it recurse. Plain scalars
 * are typed the way kubectl types them (sigs.k8s.io/yaml on top of go-yaml
 * v2, a YAML 1.1 resolver): see yj_resolve_plain(). Input that looks like
 * JSON is first tried with cJSON (faster, and it knows UTF-16 surrogate
 * escapes, which libyaml refuses); anything cJSON does not take cleanly goes
 * through the YAML path, which gives the authoritative error.
 *
 * The emitter writes block-style YAML the way kubectl prints objects and
 * quotes every string the parser would otherwise read back as something else.
 */
#include "yamljson.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#define YJ_TAG_PREFIX    "tag:yaml.org,2002:"
#define YJ_MAX_PLAIN_KEY 1000 /* libyaml refuses implicit keys over 1024 chars */
#define YJ_READ_CHUNK    65536
#define YJ_SMALL_OBJECT  8 /* objects up to this size are checked pairwise */
#define YJ_KEY_IN_MSG    100

/* ---------------------------------------------------------------------------
 * A small string-keyed hash table: duplicate-key detection (a = line) and the
 * anchor table (a = nodes, b = height, node = owned copy).
 */
typedef struct yj_ent {
    char *key; /* NULL: empty slot */
    size_t a, b;
    cJSON *node;
} yj_ent;

typedef struct yj_table {
    yj_ent *slots;
    size_t cap; /* 0 or a power of two */
    size_t n;
} yj_table;

static uint64_t yj_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;

    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

static yj_ent *yj_table_find(const yj_table *t, const char *key)
{
    size_t i;

    if (t->cap == 0)
        return NULL;
    for (i = yj_hash(key) & (t->cap - 1);; i = (i + 1) & (t->cap - 1)) {
        if (t->slots[i].key == NULL)
            return NULL;
        if (strcmp(t->slots[i].key, key) == 0)
            return &t->slots[i];
    }
}

static snug_status yj_table_grow(yj_table *t)
{
    size_t ncap = t->cap ? t->cap * 2 : 8;
    yj_ent *ns;
    size_t i, j;

    if (ncap > SIZE_MAX / sizeof(*ns))
        return SNUG_ERR_NOMEM;
    ns = calloc(ncap, sizeof(*ns));
    if (ns == NULL)
        return SNUG_ERR_NOMEM;
    for (i = 0; i < t->cap; i++) {
        if (t->slots[i].key == NULL)
            continue;
        for (j = yj_hash(t->slots[i].key) & (ncap - 1); ns[j].key; j = (j + 1) & (ncap - 1))
            ;
        ns[j] = t->slots[i];
    }
    free(t->slots);
    t->slots = ns;
    t->cap = ncap;
    return SNUG_OK;
}

/* Insert `key` (copied) unless present; *ent is the entry either way. */
static snug_status yj_table_put(yj_table *t, const char *key, yj_ent **ent)
{
    yj_ent *e = yj_table_find(t, key);
    size_t i;
    char *copy;

    if (e != NULL) {
        *ent = e;
        return SNUG_OK;
    }
    if ((t->n + 1) * 2 > t->cap && yj_table_grow(t) != SNUG_OK)
        return SNUG_ERR_NOMEM;
    copy = strdup(key);
    if (copy == NULL)
        return SNUG_ERR_NOMEM;
    for (i = yj_hash(key) & (t->cap - 1); t->slots[i].key; i = (i + 1) & (t->cap - 1))
        ;
    memset(&t->slots[i], 0, sizeof(t->slots[i]));
    t->slots[i].key = copy;
    t->n++;
    *ent = &t->slots[i];
    return SNUG_OK;
}

static void yj_table_free(yj_table *t)
{
    size_t i;

    for (i = 0; i < t->cap; i++) {
        free(t->slots[i].key);
        cJSON_Delete(t->slots[i].node);
    }
    free(t->slots);
    t->slots = NULL;
    t->cap = 0;
    t->n = 0;
}

/* ---------------------------------------------------------------------------
 * UTF-8
 */

/* Decode one well-formed UTF-8 sequence (no overlongs, no surrogates).
 * Returns its length, or 0 when s[0..n) does not start with one. */
static size_t yj_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
    size_t len, i;
    uint32_t c;

    if (n == 0)
        return 0;
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    if (s[0] >= 0xC2 && s[0] <= 0xDF) {
        len = 2;
        c = s[0] & 0x1F;
    } else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
        len = 3;
        c = s[0] & 0x0F;
    } else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
        len = 4;
        c = s[0] & 0x07;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        c = (c << 6) | (s[i] & 0x3F);
    }
    if ((len == 3 && c < 0x800) || (len == 4 && (c < 0x10000 || c > 0x10FFFF)) ||
        (c >= 0xD800 && c <= 0xDFFF))
        return 0;
    *cp = c;
    return len;
}

static bool yj_utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, k;
    uint32_t cp;

    while (i < n) {
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        k = yj_utf8_decode(p + i, n - i, &cp);
        if (k == 0)
            return false;
        i += k;
    }
    return true;
}

/* ---------------------------------------------------------------------------
 * Scalar typing: what go-yaml v2's resolver (used by kubectl through
 * sigs.k8s.io/yaml) makes of a plain scalar.
 */
typedef enum yj_kind {
    YJ_STR, /* keep the text */
    YJ_NULL,
    YJ_BOOL,
    YJ_INT, /* integer; exact text in `dec` when it fits 64 bits */
    YJ_FLOAT,
    YJ_NONFINITE, /* .inf / .nan: JSON cannot carry them */
    YJ_BIG        /* an integer beyond the range of a double */
} yj_kind;

typedef struct yj_scalar {
    yj_kind kind;
    bool truth;
    double num;
    char dec[24]; /* decimal text of an exact YJ_INT, else "" */
} yj_scalar;

static const char *const yj_true_words[] = {"y",    "Y",    "yes", "Yes", "YES", "true",
                                            "True", "TRUE", "on",  "On",  "ON"};
static const char *const yj_false_words[] = {"n",     "N",     "no",  "No",  "NO", "false",
                                             "False", "FALSE", "off", "Off", "OFF"};
static const char *const yj_null_words[] = {"~", "null", "Null", "NULL"};
static const char *const yj_nonfinite_words[] = {".nan",  ".NaN",  ".NAN",  ".inf",
                                                 ".Inf",  ".INF",  "+.inf", "+.Inf",
                                                 "+.INF", "-.inf", "-.Inf", "-.INF"};

static bool yj_word_in(const char *s, size_t n, const char *const *words, size_t count)
{
    size_t i;

    for (i = 0; i < count; i++) {
        if (strlen(words[i]) == n && memcmp(words[i], s, n) == 0)
            return true;
    }
    return false;
}

#define YJ_WORD_IN(s, n, words) yj_word_in((s), (n), (words), sizeof(words) / sizeof((words)[0]))

static bool yj_is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$ */
static bool yj_float_syntax(const char *s, size_t n)
{
    size_t i = 0, d;

    if (i < n && (s[i] == '+' || s[i] == '-'))
        i++;
    if (i < n && s[i] == '.') {
        for (i++, d = 0; i < n && yj_is_digit(s[i]); i++)
            d++;
        if (d == 0)
            return false;
    } else {
        for (d = 0; i < n && yj_is_digit(s[i]); i++)
            d++;
        if (d == 0)
            return false;
        if (i < n && s[i] == '.')
            for (i++; i < n && yj_is_digit(s[i]); i++)
                ;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        for (d = 0; i < n && yj_is_digit(s[i]); i++)
            d++;
        if (d == 0)
            return false;
    }
    return i == n;
}

static int yj_digit_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return 99;
}

/* Go's strconv.ParseInt(s, 0, 64), then ParseUint, as go-yaml v2 calls them
 * (underscores already removed). Returns false when s is not an integer. */
static bool yj_parse_int(const char *s, size_t n, yj_scalar *out)
{
    size_t i = 0;
    bool neg = false, sign = false, ovf = false;
    unsigned base = 10;
    uint64_t mag = 0;
    double dval = 0;
    int d;

    if (n > 0 && (s[0] == '+' || s[0] == '-')) {
        neg = s[0] == '-';
        sign = true;
        i++;
    }
    if (i < n && s[i] == '0' && n - i >= 2) {
        char c = (char)(s[i + 1] | 0x20);
        if (n - i >= 3 && c == 'x')
            base = 16, i += 2;
        else if (n - i >= 3 && c == 'o')
            base = 8, i += 2;
        else if (n - i >= 3 && c == 'b')
            base = 2, i += 2;
        else
            base = 8, i += 1;
    }
    if (i == n)
        return false;
    for (; i < n; i++) {
        d = yj_digit_value(s[i]);
        if (d >= (int)base)
            return false;
        if (mag > (UINT64_MAX - (uint64_t)d) / base)
            ovf = true;
        else
            mag = mag * base + (uint64_t)d;
        dval = dval * base + d;
    }
    out->kind = YJ_INT;
    if (!ovf && (neg ? mag <= (uint64_t)INT64_MAX + 1 : !sign || mag <= (uint64_t)INT64_MAX)) {
        out->num = neg ? -(double)mag : (double)mag;
        snprintf(out->dec, sizeof(out->dec), "%s%llu", neg && mag ? "-" : "",
                 (unsigned long long)mag);
        return true;
    }
    /* Past 64 bits. Decimal goes on to the float rule; go-yaml keeps other
     * bases as big integers only when unsigned (ParseUint refuses a sign). */
    if (base == 10 || sign)
        return false;
    out->num = dval;
    out->kind = isinf(dval) ? YJ_BIG : YJ_INT;
    return true;
}

static void yj_resolve_number(const char *s, size_t n, yj_scalar *out)
{
    char small[128], *plain = small;
    size_t i, k = 0;
    double d;

    if (n >= sizeof(small)) {
        plain = malloc(n + 1);
        if (plain == NULL)
            return; /* stays a string; the caller is out of memory anyway */
    }
    for (i = 0; i < n; i++)
        if (s[i] != '_')
            plain[k++] = s[i];
    plain[k] = '\0';
    if (yj_parse_int(plain, k, out))
        goto out;
    out->kind = YJ_STR;
    out->dec[0] = '\0';
    if (yj_float_syntax(plain, k)) {
        d = strtod(plain, NULL);
        if (!isinf(d)) {
            out->kind = YJ_FLOAT;
            out->num = d;
        } else if (plain[0] != '-' && plain[0] != '+' && strchr(plain, '.') == NULL &&
                   strchr(plain, 'e') == NULL && strchr(plain, 'E') == NULL) {
            out->kind = YJ_BIG; /* an unsigned decimal integer too big for a double */
        }
    }
out:
    if (plain != small)
        free(plain);
}

/* Type a plain scalar. */
static void yj_resolve_plain(const char *s, size_t n, yj_scalar *out)
{
    memset(out, 0, sizeof(*out));
    out->kind = YJ_STR;
    if (n == 0) {
        out->kind = YJ_NULL;
        return;
    }
    if (s[0] != '\0' && strchr("yYnNtTfFoO~", s[0]) != NULL) {
        if (YJ_WORD_IN(s, n, yj_true_words)) {
            out->kind = YJ_BOOL;
            out->truth = true;
        } else if (YJ_WORD_IN(s, n, yj_false_words)) {
            out->kind = YJ_BOOL;
        } else if (YJ_WORD_IN(s, n, yj_null_words)) {
            out->kind = YJ_NULL;
        }
        return;
    }
    if (s[0] != '.' && s[0] != '+' && s[0] != '-' && !yj_is_digit(s[0]))
        return;
    if (YJ_WORD_IN(s, n, yj_nonfinite_words)) {
        out->kind = YJ_NONFINITE;
        return;
    }
    if (s[0] == '.') {
        /* strconv.ParseFloat on ".5", ".5e3" ... */
        if (yj_float_syntax(s, n)) {
            out->kind = YJ_FLOAT;
            out->num = strtod(s, NULL);
        }
        return;
    }
    yj_resolve_number(s, n, out);
}

/* Go's strconv.FormatFloat(x, 'g', -1, 64), which sigs.k8s.io/yaml uses to
 * turn a float mapping key into a string: the shortest digits that read back
 * as x, in exponent form when the exponent is < -4 or >= 6 ("1e+06"). */
static void yj_format_go_g(double x, char *buf, size_t size)
{
    char e[40];
    int p, exp;

    for (p = 1; p < 17; p++) {
        snprintf(e, sizeof(e), "%.*e", p - 1, x);
        if (strtod(e, NULL) == x)
            break;
    }
    snprintf(e, sizeof(e), "%.*e", p - 1, x);
    exp = atoi(strchr(e, 'e') + 1);
    if (exp < -4 || exp >= 6)
        snprintf(buf, size, "%s", e);
    else
        snprintf(buf, size, "%.*f", p - 1 - exp > 0 ? p - 1 - exp : 0, x);
}

/* ---------------------------------------------------------------------------
 * The event-driven builder.
 */
typedef struct yj_frame {
    cJSON *node; /* the array or object being filled */
    bool is_map;
    char *anchor;          /* registered when the node ends (owned) */
    size_t nodes_at_start; /* yj_ctx.nodes when the node started */
    size_t child_height;   /* tallest child so far (scalars are 0) */
    /* mappings only */
    bool have_key;  /* a key was read; its value comes next */
    bool key_merge; /* that key is the merge key "<<" */
    char *key;      /* that key (owned) */
    yj_table keys;  /* keys seen, for duplicates (a = line) */
    cJSON *merges;  /* values of "<<" keys, merged at the end */
} yj_frame;

typedef struct yj_ctx {
    yaml_parser_t parser;
    const char *buf;
    size_t len;
    yj_frame frames[YAMLJSON_MAX_DEPTH];
    size_t depth;
    yj_table anchors;   /* a = nodes, b = height, node = copy */
    size_t nodes;       /* nodes created in this document, aliases included */
    size_t alias_nodes; /* nodes created by expanding aliases, whole stream */
    cJSON *docs;
    cJSON *root;
    size_t ndocs, max_docs;
    yaml_mark_t doc_mark; /* where the current document started */
    snug_err *err;
} yj_ctx;

static snug_status yj_fail(yj_ctx *c, snug_status st, const yaml_mark_t *m, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static snug_status yj_fail(yj_ctx *c, snug_status st, const yaml_mark_t *m, const char *fmt, ...)
{
    char msg[SNUG_ERR_MSG_MAX];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (m == NULL)
        return snug_err_set(c->err, st, "%s", msg);
    return snug_err_set(c->err, st, "line %zu, column %zu: %s", m->line + 1, m->column + 1, msg);
}

static snug_status yj_nomem(yj_ctx *c)
{
    return snug_err_set(c->err, SNUG_ERR_NOMEM, "out of memory while parsing YAML");
}

/* libyaml's own error, with the position it reports. */
static snug_status yj_parser_error(yj_ctx *c)
{
    yaml_parser_t *p = &c->parser;
    yaml_mark_t m;
    size_t i;

    if (p->error == YAML_MEMORY_ERROR)
        return yj_nomem(c);
    if (p->error == YAML_READER_ERROR) {
        /* Only a byte offset is known: count lines up to it. */
        memset(&m, 0, sizeof(m));
        for (i = 0; i < p->problem_offset && i < c->len; i++) {
            if (c->buf[i] == '\n') {
                m.line++;
                m.column = 0;
            } else {
                m.column++;
            }
        }
        return yj_fail(c, SNUG_ERR_PARSE, &m, "%s", p->problem ? p->problem : "unreadable input");
    }
    if (p->context != NULL)
        return yj_fail(c, SNUG_ERR_PARSE, &p->problem_mark, "%s (%s at line %zu, column %zu)",
                       p->problem ? p->problem : "syntax error", p->context,
                       p->context_mark.line + 1, p->context_mark.column + 1);
    return yj_fail(c, SNUG_ERR_PARSE, &p->problem_mark, "%s",
                   p->problem ? p->problem : "syntax error");
}

static yj_frame *yj_top(yj_ctx *c)
{
    return c->depth ? &c->frames[c->depth - 1] : NULL;
}

static bool yj_wants_key(yj_ctx *c)
{
    yj_frame *f = yj_top(c);

    return f != NULL && f->is_map && !f->have_key;
}

static void yj_frame_clear(yj_frame *f)
{
    cJSON_Delete(f->node);
    free(f->anchor);
    free(f->key);
    yj_table_free(&f->keys);
    cJSON_Delete(f->merges);
    memset(f, 0, sizeof(*f));
}

/* Remember `node` (copied) under `name` for later aliases. */
static snug_status yj_anchor_add(yj_ctx *c, const char *name, const cJSON *node, size_t nodes,
                                 size_t height)
{
    cJSON *copy = cJSON_Duplicate(node, 1);
    yj_ent *e;

    if (copy == NULL || yj_table_put(&c->anchors, name, &e) != SNUG_OK) {
        cJSON_Delete(copy);
        return yj_nomem(c);
    }
    cJSON_Delete(e->node); /* an anchor may be redefined: the latest wins */
    e->node = copy;
    e->a = nodes;
    e->b = height;
    return SNUG_OK;
}

static bool yj_merge_source_ok(const cJSON *v)
{
    const cJSON *it;

    if (cJSON_IsObject(v))
        return true;
    if (!cJSON_IsArray(v))
        return false;
    cJSON_ArrayForEach(it, v)
    {
        if (!cJSON_IsObject(it))
            return false;
    }
    return true;
}

/* Hand a finished value (owned) to its parent, or make it the root. */
static snug_status yj_put(yj_ctx *c, cJSON *v, size_t height, const yaml_mark_t *m)
{
    yj_frame *f = yj_top(c);

    if (f == NULL) {
        cJSON_Delete(c->root);
        c->root = v;
        return SNUG_OK;
    }
    if (height > f->child_height)
        f->child_height = height;
    if (!f->is_map) {
        if (!cJSON_AddItemToArray(f->node, v)) {
            cJSON_Delete(v);
            return yj_nomem(c);
        }
        return SNUG_OK;
    }
    if (f->key_merge) {
        if (!yj_merge_source_ok(v)) {
            cJSON_Delete(v);
            return yj_fail(c, SNUG_ERR_INVALID, m,
                           "the value of a merge key (<<) must be a mapping or a list of mappings");
        }
        if (f->merges == NULL)
            f->merges = cJSON_CreateArray();
        if (f->merges == NULL || !cJSON_AddItemToArray(f->merges, v)) {
            cJSON_Delete(v);
            return yj_nomem(c);
        }
    } else if (!cJSON_AddItemToObject(f->node, f->key, v)) {
        cJSON_Delete(v);
        return yj_nomem(c);
    }
    free(f->key);
    f->key = NULL;
    f->have_key = false;
    f->key_merge = false;
    return SNUG_OK;
}

/* Move the members of `src` that `f` does not have yet into `f`. */
static snug_status yj_merge_one(yj_ctx *c, yj_frame *f, cJSON *src)
{
    cJSON *it, *next;
    yj_ent *e;
    size_t before;

    for (it = src->child; it != NULL; it = next) {
        next = it->next;
        before = f->keys.n;
        if (yj_table_put(&f->keys, it->string, &e) != SNUG_OK)
            return yj_nomem(c);
        if (f->keys.n == before)
            continue; /* explicit keys, and earlier merges, win */
        cJSON_DetachItemViaPointer(src, it);
        cJSON_AddItemToArray(f->node, it); /* keeps it->string: objects are lists */
    }
    return SNUG_OK;
}

static snug_status yj_apply_merges(yj_ctx *c, yj_frame *f)
{
    cJSON *src, *it;
    snug_status st = SNUG_OK;

    cJSON_ArrayForEach(src, f->merges)
    {
        if (cJSON_IsObject(src)) {
            st = yj_merge_one(c, f, src);
        } else {
            cJSON_ArrayForEach(it, src)
            {
                st = yj_merge_one(c, f, it);
                if (st != SNUG_OK)
                    break;
            }
        }
        if (st != SNUG_OK)
            break;
    }
    cJSON_Delete(f->merges);
    f->merges = NULL;
    return st;
}

static bool yj_tag_is(const char *tag, const char *name)
{
    size_t n = sizeof(YJ_TAG_PREFIX) - 1;

    return tag != NULL && strncmp(tag, YJ_TAG_PREFIX, n) == 0 && strcmp(tag + n, name) == 0;
}

/* Type a scalar event: plain scalars by the resolver, quoted ones are
 * strings, and the standard tags force (and check) a type. */
static snug_status yj_classify(yj_ctx *c, const yaml_event_t *ev, yj_scalar *sc)
{
    const char *text = (const char *)ev->data.scalar.value;
    size_t n = ev->data.scalar.length;
    const char *tag = (const char *)ev->data.scalar.tag;
    const char *want = NULL;

    memset(sc, 0, sizeof(*sc));
    sc->kind = YJ_STR;
    if (memchr(text, '\0', n) != NULL)
        return yj_fail(c, SNUG_ERR_PARSE, &ev->start_mark,
                       "a NUL character in a string is not supported");
    if (tag == NULL) {
        if (ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
            yj_resolve_plain(text, n, sc);
        return SNUG_OK;
    }
    if (yj_tag_is(tag, "null") || yj_tag_is(tag, "bool") || yj_tag_is(tag, "int") ||
        yj_tag_is(tag, "float"))
        want = tag + sizeof(YJ_TAG_PREFIX) - 1;
    if (want == NULL)
        return SNUG_OK; /* !!str, "!", !!binary, !!timestamp, local tags: text */
    yj_resolve_plain(text, n, sc);
    if (strcmp(want, "float") == 0 && sc->kind == YJ_INT)
        sc->kind = YJ_FLOAT;
    if ((strcmp(want, "null") == 0 && sc->kind == YJ_NULL) ||
        (strcmp(want, "bool") == 0 && sc->kind == YJ_BOOL) ||
        (strcmp(want, "int") == 0 && (sc->kind == YJ_INT || sc->kind == YJ_BIG)) ||
        (strcmp(want, "float") == 0 && (sc->kind == YJ_FLOAT || sc->kind == YJ_NONFINITE)))
        return SNUG_OK;
    return yj_fail(c, SNUG_ERR_INVALID, &ev->start_mark, "cannot decode \"%.*s\" as !!%s",
                   (int)(n > YJ_KEY_IN_MSG ? YJ_KEY_IN_MSG : n), text, want);
}

static snug_status yj_scalar_to_json(yj_ctx *c, const yaml_event_t *ev, const yj_scalar *sc,
                                     cJSON **out)
{
    const char *text = (const char *)ev->data.scalar.value;

    switch (sc->kind) {
    case YJ_NULL:
        *out = cJSON_CreateNull();
        break;
    case YJ_BOOL:
        *out = cJSON_CreateBool(sc->truth);
        break;
    case YJ_INT:
    case YJ_FLOAT:
        *out = cJSON_CreateNumber(sc->num);
        break;
    case YJ_NONFINITE:
        return yj_fail(c, SNUG_ERR_INVALID, &ev->start_mark,
                       "%s is not a number JSON can carry (quote it to make it a string)", text);
    case YJ_BIG:
        return yj_fail(c, SNUG_ERR_RANGE, &ev->start_mark, "number %.40s... is out of range", text);
    case YJ_STR:
    default:
        *out = cJSON_CreateString(text);
        break;
    }
    return *out ? SNUG_OK : yj_nomem(c);
}

/* The string a scalar stands for as a mapping key (sigs.k8s.io/yaml turns
 * non-string keys into strings: 1 -> "1", true -> "true", 1.5 -> "1.5"). */
static snug_status yj_key_text(yj_ctx *c, const yaml_mark_t *m, const yj_scalar *sc,
                               const char *text, char **out)
{
    char num[64];

    switch (sc->kind) {
    case YJ_NULL:
        return yj_fail(c, SNUG_ERR_INVALID, m, "a null mapping key is not supported");
    case YJ_BOOL:
        text = sc->truth ? "true" : "false";
        break;
    case YJ_INT:
        if (sc->dec[0] != '\0') {
            text = sc->dec;
            break;
        }
        yj_format_go_g(sc->num, num, sizeof(num)); /* past 64 bits */
        text = num;
        break;
    case YJ_FLOAT:
        yj_format_go_g(sc->num, num, sizeof(num));
        text = num;
        break;
    case YJ_NONFINITE:
        text = strstr(text, "nan") || strstr(text, "NaN") || strstr(text, "NAN") ? ".nan"
               : text[0] == '-'                                                  ? "-.inf"
                                                                                 : ".inf";
        break;
    case YJ_BIG:
        return yj_fail(c, SNUG_ERR_RANGE, m, "mapping key %.40s... is out of range", text);
    case YJ_STR:
    default:
        break;
    }
    *out = strdup(text);
    return *out ? SNUG_OK : yj_nomem(c);
}

/* Record the key of the next mapping entry; refuse duplicates. */
static snug_status yj_take_key(yj_ctx *c, char *key, const yaml_mark_t *m)
{
    yj_frame *f = yj_top(c);
    yj_ent *e;
    size_t before = f->keys.n;

    if (yj_table_put(&f->keys, key, &e) != SNUG_OK) {
        free(key);
        return yj_nomem(c);
    }
    if (f->keys.n == before) {
        snug_status st =
            yj_fail(c, SNUG_ERR_PARSE, m, "duplicate key \"%.*s\" (first defined at line %zu)",
                    YJ_KEY_IN_MSG, key, e->a);
        free(key);
        return st;
    }
    e->a = m->line + 1;
    f->key = key;
    f->have_key = true;
    return SNUG_OK;
}

static snug_status yj_on_scalar(yj_ctx *c, const yaml_event_t *ev)
{
    const char *text = (const char *)ev->data.scalar.value;
    const char *anchor = (const char *)ev->data.scalar.anchor;
    const char *tag = (const char *)ev->data.scalar.tag;
    yj_scalar sc;
    cJSON *v = NULL;
    char *key = NULL;
    snug_status st;

    st = yj_classify(c, ev, &sc);
    if (st != SNUG_OK)
        return st;
    if (yj_wants_key(c)) {
        bool plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && tag == NULL;
        if ((plain && strcmp(text, "<<") == 0) || yj_tag_is(tag, "merge")) {
            yj_top(c)->have_key = true;
            yj_top(c)->key_merge = true;
            return SNUG_OK;
        }
        st = yj_key_text(c, &ev->start_mark, &sc, text, &key);
        if (st == SNUG_OK)
            st = yj_take_key(c, key, &ev->start_mark);
        if (st != SNUG_OK || anchor == NULL)
            return st;
        /* An anchored key can be used as a value elsewhere. */
        if (sc.kind == YJ_NONFINITE || sc.kind == YJ_BIG)
            sc.kind = YJ_STR;
        st = yj_scalar_to_json(c, ev, &sc, &v);
        if (st == SNUG_OK)
            st = yj_anchor_add(c, anchor, v, 1, 0);
        cJSON_Delete(v);
        return st;
    }
    st = yj_scalar_to_json(c, ev, &sc, &v);
    if (st != SNUG_OK)
        return st;
    c->nodes++;
    if (anchor != NULL) {
        st = yj_anchor_add(c, anchor, v, 1, 0);
        if (st != SNUG_OK) {
            cJSON_Delete(v);
            return st;
        }
    }
    return yj_put(c, v, 0, &ev->start_mark);
}

static snug_status yj_on_start(yj_ctx *c, const yaml_event_t *ev, bool is_map)
{
    const char *anchor =
        (const char *)(is_map ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor);
    yj_frame *f;

    if (yj_wants_key(c))
        return yj_fail(c, SNUG_ERR_PARSE, &ev->start_mark,
                       "a mapping key must be a scalar, not a %s", is_map ? "mapping" : "sequence");
    if (c->depth >= YAMLJSON_MAX_DEPTH)
        return yj_fail(c, SNUG_ERR_TOO_BIG, &ev->start_mark, "nesting deeper than %d levels",
                       YAMLJSON_MAX_DEPTH);
    f = &c->frames[c->depth];
    memset(f, 0, sizeof(*f));
    f->is_map = is_map;
    f->node = is_map ? cJSON_CreateObject() : cJSON_CreateArray();
    if (anchor != NULL)
        f->anchor = strdup(anchor);
    if (f->node == NULL || (anchor != NULL && f->anchor == NULL)) {
        yj_frame_clear(f);
        return yj_nomem(c);
    }
    f->nodes_at_start = c->nodes;
    c->nodes++;
    c->depth++;
    return SNUG_OK;
}

static snug_status yj_on_end(yj_ctx *c, const yaml_event_t *ev)
{
    yj_frame *f = yj_top(c);
    cJSON *node;
    size_t height;
    snug_status st = SNUG_OK;

    if (f == NULL)
        return yj_fail(c, SNUG_ERR_INTERNAL, &ev->start_mark, "unbalanced YAML events");
    if (f->is_map && f->merges != NULL)
        st = yj_apply_merges(c, f);
    if (st == SNUG_OK && f->anchor != NULL)
        st =
            yj_anchor_add(c, f->anchor, f->node, c->nodes - f->nodes_at_start, f->child_height + 1);
    if (st != SNUG_OK)
        return st;
    node = f->node;
    height = f->child_height + 1;
    f->node = NULL;
    yj_frame_clear(f);
    c->depth--;
    return yj_put(c, node, height, &ev->start_mark);
}

static snug_status yj_on_alias(yj_ctx *c, const yaml_event_t *ev)
{
    const char *name = (const char *)ev->data.alias.anchor;
    yj_ent *a = yj_table_find(&c->anchors, name);
    cJSON *v;
    yj_scalar sc;
    char *key;
    snug_status st;

    if (a == NULL)
        return yj_fail(c, SNUG_ERR_PARSE, &ev->start_mark, "unknown anchor \"%s\"", name);
    if (yj_wants_key(c)) {
        memset(&sc, 0, sizeof(sc));
        if (cJSON_IsString(a->node)) {
            sc.kind = YJ_STR;
        } else if (cJSON_IsBool(a->node)) {
            sc.kind = YJ_BOOL;
            sc.truth = cJSON_IsTrue(a->node);
        } else if (cJSON_IsNumber(a->node)) {
            sc.kind = YJ_FLOAT;
            sc.num = a->node->valuedouble;
            if (sc.num == floor(sc.num) && fabs(sc.num) < 9007199254740992.0) {
                sc.kind = YJ_INT;
                snprintf(sc.dec, sizeof(sc.dec), "%.0f", sc.num);
            }
        } else {
            return yj_fail(c, SNUG_ERR_PARSE, &ev->start_mark,
                           "alias \"%s\" cannot be a mapping key: it is not a string or number",
                           name);
        }
        st = yj_key_text(c, &ev->start_mark, &sc, a->node->valuestring, &key);
        if (st != SNUG_OK)
            return st;
        return yj_take_key(c, key, &ev->start_mark);
    }
    if (a->a > YAMLJSON_MAX_ALIAS_NODES - c->alias_nodes)
        return yj_fail(c, SNUG_ERR_TOO_BIG, &ev->start_mark, "aliases expand to more than %d nodes",
                       YAMLJSON_MAX_ALIAS_NODES);
    if (c->depth + a->b > YAMLJSON_MAX_DEPTH)
        return yj_fail(c, SNUG_ERR_TOO_BIG, &ev->start_mark,
                       "alias \"%s\" makes the nesting deeper than %d levels", name,
                       YAMLJSON_MAX_DEPTH);
    v = cJSON_Duplicate(a->node, 1);
    if (v == NULL)
        return yj_nomem(c);
    c->alias_nodes += a->a;
    c->nodes += a->a;
    return yj_put(c, v, a->b, &ev->start_mark);
}

static snug_status yj_on_document_end(yj_ctx *c, const yaml_event_t *ev)
{
    cJSON *root = c->root;

    c->root = NULL;
    yj_table_free(&c->anchors); /* anchors do not cross documents */
    c->nodes = 0;
    /* Like kubectl, documents that are empty or null are skipped. */
    if (root == NULL || cJSON_IsNull(root)) {
        cJSON_Delete(root);
        return SNUG_OK;
    }
    (void)ev;
    if (c->ndocs >= c->max_docs) {
        cJSON_Delete(root);
        return yj_fail(c, SNUG_ERR_PARSE, &c->doc_mark,
                       "expected a single document, found another one");
    }
    if (!cJSON_AddItemToArray(c->docs, root)) {
        cJSON_Delete(root);
        return yj_nomem(c);
    }
    c->ndocs++;
    return SNUG_OK;
}

static snug_status yj_step(yj_ctx *c, const yaml_event_t *ev)
{
    switch (ev->type) {
    case YAML_SCALAR_EVENT:
        return yj_on_scalar(c, ev);
    case YAML_SEQUENCE_START_EVENT:
        return yj_on_start(c, ev, false);
    case YAML_MAPPING_START_EVENT:
        return yj_on_start(c, ev, true);
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        return yj_on_end(c, ev);
    case YAML_ALIAS_EVENT:
        return yj_on_alias(c, ev);
    case YAML_DOCUMENT_START_EVENT:
        c->doc_mark = ev->start_mark;
        return SNUG_OK;
    case YAML_DOCUMENT_END_EVENT:
        return yj_on_document_end(c, ev);
    default:
        return SNUG_OK;
    }
}

static snug_status yj_parse_yaml(yj_ctx *c)
{
    yaml_event_t ev;
    snug_status st = SNUG_OK;
    bool end;

    if (!yaml_parser_initialize(&c->parser))
        return yj_nomem(c);
    yaml_parser_set_input_string(&c->parser, (const unsigned char *)c->buf, c->len);
    do {
        if (!yaml_parser_parse(&c->parser, &ev)) {
            st = yj_parser_error(c);
            break;
        }
        end = ev.type == YAML_STREAM_END_EVENT;
        st = yj_step(c, &ev);
        yaml_event_delete(&ev);
    } while (st == SNUG_OK && !end);
    yaml_parser_delete(&c->parser);
    return st;
}

/* ---------------------------------------------------------------------------
 * JSON fast path.
 */

/* Whether an object parsed by cJSON has two members with the same name. */
static bool yj_object_has_dup(const cJSON *obj, yj_table *seen)
{
    const cJSON *a, *b;
    yj_ent *e;
    size_t n = 0, before;

    for (a = obj->child; a != NULL && n <= YJ_SMALL_OBJECT; a = a->next)
        n++;
    if (n <= YJ_SMALL_OBJECT) {
        for (a = obj->child; a != NULL; a = a->next)
            for (b = a->next; b != NULL; b = b->next)
                if (strcmp(a->string, b->string) == 0)
                    return true;
        return false;
    }
    yj_table_free(seen);
    for (a = obj->child; a != NULL; a = a->next) {
        before = seen->n;
        if (yj_table_put(seen, a->string, &e) != SNUG_OK || seen->n == before)
            return true; /* (out of memory: let the YAML path decide) */
    }
    return false;
}

/* Whether a cJSON tree follows the same rules as the YAML path: depth, no
 * duplicate keys, finite numbers. Walks without recursion. */
static bool yj_json_tree_ok(const cJSON *root)
{
    const cJSON *stack[YAMLJSON_MAX_DEPTH];
    const cJSON *n = root;
    size_t depth = 0;
    yj_table seen = {0};
    bool ok = false;

    for (;;) {
        if (cJSON_IsNumber(n) && !isfinite(n->valuedouble))
            goto out;
        if (cJSON_IsObject(n) || cJSON_IsArray(n)) {
            if (depth >= YAMLJSON_MAX_DEPTH)
                goto out;
            if (cJSON_IsObject(n) && yj_object_has_dup(n, &seen))
                goto out;
            if (n->child != NULL) {
                stack[depth++] = n;
                n = n->child;
                continue;
            }
        }
        /* Next sibling, climbing out of finished containers. */
        for (;;) {
            if (depth == 0) {
                ok = true;
                goto out;
            }
            if (n->next != NULL) {
                n = n->next;
                break;
            }
            n = stack[--depth];
        }
    }
out:
    yj_table_free(&seen);
    return ok;
}

static bool yj_is_json_space(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

/* Parse `buf` as one JSON document when it cleanly is one; NULL otherwise. */
static cJSON *yj_try_json(const char *buf, size_t len)
{
    const char *end = NULL;
    size_t i = 0;
    cJSON *doc;

    if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
        i = 3;
    while (i < len && yj_is_json_space(buf[i]))
        i++;
    if (i == len || (buf[i] != '{' && buf[i] != '['))
        return NULL;
    if (memchr(buf, '\0', len) != NULL || memmem(buf, len, "\\u0000", 6) != NULL ||
        !yj_utf8_valid(buf + i, len - i))
        return NULL;
    doc = cJSON_ParseWithLengthOpts(buf + i, len - i, &end, 0);
    if (doc == NULL)
        return NULL;
    while (end < buf + len && yj_is_json_space(*end))
        end++;
    if (end != buf + len || !yj_json_tree_ok(doc)) {
        cJSON_Delete(doc);
        return NULL;
    }
    return doc;
}

/* ---------------------------------------------------------------------------
 * Public parsing entry points.
 */
static snug_status yj_parse(const char *buf, size_t len, size_t max_bytes, size_t max_docs,
                            cJSON **out, snug_err *err)
{
    yj_ctx *c;
    cJSON *doc;
    snug_status st;

    *out = NULL;
    if (buf == NULL && len > 0)
        return snug_err_set(err, SNUG_ERR_INVALID, "no input buffer");
    if (len > max_bytes)
        return snug_err_set(err, SNUG_ERR_TOO_BIG, "input is %zu bytes, more than the %zu allowed",
                            len, max_bytes);
    c = calloc(1, sizeof(*c));
    if (c == NULL)
        return snug_err_set(err, SNUG_ERR_NOMEM, "out of memory while parsing YAML");
    c->buf = buf ? buf : "";
    c->len = len;
    c->err = err;
    c->max_docs = max_docs;
    c->docs = cJSON_CreateArray();
    if (c->docs == NULL) {
        st = yj_nomem(c);
        goto out;
    }
    doc = yj_try_json(c->buf, len);
    if (doc != NULL) {
        cJSON_AddItemToArray(c->docs, doc);
        st = SNUG_OK;
        goto out;
    }
    st = yj_parse_yaml(c);
out:
    while (c->depth > 0)
        yj_frame_clear(&c->frames[--c->depth]);
    yj_table_free(&c->anchors);
    cJSON_Delete(c->root);
    if (st == SNUG_OK)
        *out = c->docs;
    else
        cJSON_Delete(c->docs);
    free(c);
    return st;
}

snug_status yaml_parse_stream(const char *buf, size_t len, size_t max_bytes, cJSON **out,
                              snug_err *err)
{
    return yj_parse(buf, len, max_bytes, SIZE_MAX, out, err);
}

snug_status yaml_parse_one(const char *buf, size_t len, size_t max_bytes, cJSON **out,
                           snug_err *err)
{
    cJSON *docs = NULL;
    snug_status st;

    *out = NULL;
    st = yj_parse(buf, len, max_bytes, 1, &docs, err);
    if (st != SNUG_OK)
        return st;
    if (cJSON_GetArraySize(docs) == 0) {
        cJSON_Delete(docs);
        return snug_err_set(err, SNUG_ERR_PARSE, "no document (the input is empty or null)");
    }
    *out = cJSON_DetachItemFromArray(docs, 0);
    cJSON_Delete(docs);
    return SNUG_OK;
}

snug_status file_read_all(const char *path, size_t max_bytes, char **out, size_t *len,
                          snug_err *err)
{
    bool is_stdin = strcmp(path, "-") == 0;
    FILE *f = is_stdin ? stdin : fopen(path, "rb");
    const char *name = is_stdin ? "standard input" : path;
    char *chunk = NULL;
    size_t got;
    dynbuf b;
    snug_status st = SNUG_OK;

    *out = NULL;
    if (len != NULL)
        *len = 0;
    dynbuf_init(&b, max_bytes);
    if (f == NULL)
        return snug_err_set(err, SNUG_ERR_IO, "%s: %s", name, strerror(errno));
    chunk = malloc(YJ_READ_CHUNK);
    if (chunk == NULL) {
        st = snug_err_set(err, SNUG_ERR_NOMEM, "%s: out of memory", name);
        goto out;
    }
    do {
        got = fread(chunk, 1, YJ_READ_CHUNK, f);
        st = dynbuf_add(&b, chunk, got);
        if (st == SNUG_ERR_TOO_BIG) {
            snug_err_set(err, st, "%s: larger than %zu bytes", name, max_bytes);
            goto out;
        } else if (st != SNUG_OK) {
            snug_err_set(err, st, "%s: out of memory", name);
            goto out;
        }
    } while (got == YJ_READ_CHUNK);
    if (ferror(f)) {
        st = snug_err_set(err, SNUG_ERR_IO, "%s: %s", name, strerror(errno));
        goto out;
    }
    if (len != NULL)
        *len = dynbuf_len(&b);
    *out = dynbuf_take(&b);
    if (*out == NULL)
        st = snug_err_set(err, SNUG_ERR_NOMEM, "%s: out of memory", name);
out:
    free(chunk);
    dynbuf_free(&b);
    if (!is_stdin)
        fclose(f);
    return st;
}

snug_status yaml_parse_file(const char *path, size_t max_bytes, cJSON **out, snug_err *err)
{
    char *buf = NULL;
    size_t len = 0;
    snug_status st;

    *out = NULL;
    st = file_read_all(path, max_bytes, &buf, &len, err);
    if (st != SNUG_OK)
        return st;
    st = yaml_parse_stream(buf, len, max_bytes, out, err);
    free(buf);
    if (st != SNUG_OK)
        snug_err_prefix(err, "%s", strcmp(path, "-") == 0 ? "standard input" : path);
    return st;
}

/* ---------------------------------------------------------------------------
 * Emitter.
 */

/* A character above U+007F that may appear as is in a scalar: not a C1
 * control, not one of the line breaks libyaml knows (NEL, LS, PS), not a BOM
 * and not a non-character. */
static bool yj_wide_printable(uint32_t cp)
{
    return cp >= 0xA0 && cp != 0x2028 && cp != 0x2029 && cp != 0xFEFF && cp != 0xFFFE &&
           cp != 0xFFFF;
}

static bool yj_is_indicator(char ch)
{
    return ch != '\0' && strchr("-?:,[]{}#&*!|>'\"%@`", ch) != NULL;
}

/* Whether `s` can be written as a plain scalar and read back as the same
 * string (not as a number, bool, null, the merge key, or with its spaces
 * cut). */
static bool yj_plain_ok(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s), i, k;
    uint32_t cp;
    yj_scalar sc;

    if (n == 0 || yj_is_indicator(s[0]) || s[0] == ' ' || s[n - 1] == ' ' || s[n - 1] == ':' ||
        strncmp(s, "...", 3) == 0 || strstr(s, ": ") != NULL || strstr(s, " #") != NULL ||
        strcmp(s, "<<") == 0)
        return false;
    for (i = 0; i < n; i += k) {
        k = 1;
        if (p[i] < 0x20 || p[i] == 0x7F)
            return false;
        if (p[i] < 0x80)
            continue;
        k = yj_utf8_decode(p + i, n - i, &cp);
        if (k == 0 || !yj_wide_printable(cp))
            return false;
    }
    yj_resolve_plain(s, n, &sc);
    return sc.kind == YJ_STR;
}

/* Write `s` as a double-quoted scalar. Invalid UTF-8 bytes become \xNN. */
static snug_status yj_emit_quoted(dynbuf *b, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s), i = 0, run = 0, k;
    uint32_t cp;
    char esc[16];
    snug_status st = dynbuf_addc(b, '"');

    while (st == SNUG_OK && i < n) {
        esc[0] = '\0';
        k = 1;
        if (p[i] == '"' || p[i] == '\\') {
            snprintf(esc, sizeof(esc), "\\%c", p[i]);
        } else if (p[i] == '\n') {
            snprintf(esc, sizeof(esc), "\\n");
        } else if (p[i] == '\t') {
            snprintf(esc, sizeof(esc), "\\t");
        } else if (p[i] == '\r') {
            snprintf(esc, sizeof(esc), "\\r");
        } else if (p[i] < 0x20 || p[i] == 0x7F) {
            snprintf(esc, sizeof(esc), "\\x%02X", p[i]);
        } else if (p[i] >= 0x80) {
            k = yj_utf8_decode(p + i, n - i, &cp);
            if (k == 0) {
                k = 1;
                snprintf(esc, sizeof(esc), "\\x%02X", p[i]);
            } else if (!yj_wide_printable(cp)) {
                snprintf(esc, sizeof(esc), "\\u%04X", (unsigned)cp);
            }
        }
        if (esc[0] == '\0') {
            run += k;
            i += k;
            continue;
        }
        st = dynbuf_add(b, s + i - run, run);
        if (st == SNUG_OK)
            st = dynbuf_addstr(b, esc);
        run = 0;
        i += k;
    }
    if (st == SNUG_OK)
        st = dynbuf_add(b, s + i - run, run);
    if (st == SNUG_OK)
        st = dynbuf_addc(b, '"');
    return st;
}

static snug_status yj_emit_string(dynbuf *b, const char *s)
{
    return yj_plain_ok(s) ? dynbuf_addstr(b, s) : yj_emit_quoted(b, s);
}

/* Integral values as integers ("1000000", not "1e+06"); others with the
 * fewest digits that read back exactly. JSON has no NaN/Inf: null. */
static snug_status yj_emit_number(dynbuf *b, double d)
{
    char buf[64];
    int p;

    if (!isfinite(d))
        return dynbuf_addstr(b, "null");
    if (d == floor(d) && fabs(d) < 1e17)
        return dynbuf_printf(b, "%.0f", d);
    for (p = 15; p < 17; p++) {
        snprintf(buf, sizeof(buf), "%.*g", p, d);
        if (strtod(buf, NULL) == d)
            break;
    }
    snprintf(buf, sizeof(buf), "%.*g", p, d);
    return dynbuf_addstr(b, buf);
}

static bool yj_is_block(const cJSON *n)
{
    return (cJSON_IsObject(n) || cJSON_IsArray(n)) && n->child != NULL;
}

/* A scalar, or an empty collection in flow style. */
static snug_status yj_emit_scalar(dynbuf *b, const cJSON *n)
{
    if (cJSON_IsString(n))
        return yj_emit_string(b, n->valuestring ? n->valuestring : "");
    if (cJSON_IsNumber(n))
        return yj_emit_number(b, n->valuedouble);
    if (cJSON_IsTrue(n))
        return dynbuf_addstr(b, "true");
    if (cJSON_IsFalse(n))
        return dynbuf_addstr(b, "false");
    if (cJSON_IsObject(n))
        return dynbuf_addstr(b, "{}");
    if (cJSON_IsArray(n))
        return dynbuf_addstr(b, "[]");
    if (cJSON_IsRaw(n) && n->valuestring != NULL)
        return dynbuf_addstr(b, n->valuestring);
    return dynbuf_addstr(b, "null");
}

static snug_status yj_emit_indent(dynbuf *b, size_t indent)
{
    static const char spaces[] = "                                ";
    snug_status st = SNUG_OK;
    size_t k;

    while (st == SNUG_OK && indent > 0) {
        k = indent < sizeof(spaces) - 1 ? indent : sizeof(spaces) - 1;
        st = dynbuf_add(b, spaces, k);
        indent -= k;
    }
    return st;
}

static snug_status yj_emit_map(dynbuf *b, const cJSON *obj, size_t indent, bool inline_first,
                               int depth);
static snug_status yj_emit_seq(dynbuf *b, const cJSON *arr, size_t indent, bool inline_first,
                               int depth);

/* "key:" -- or, for a key too long for an implicit key, "? key\n<indent>:". */
static snug_status yj_emit_key(dynbuf *b, const char *key, size_t indent)
{
    size_t start = dynbuf_len(b);
    snug_status st = dynbuf_addstr(b, "? ");

    if (st == SNUG_OK)
        st = yj_emit_string(b, key);
    if (st != SNUG_OK)
        return st;
    if (dynbuf_len(b) - start - 2 <= YJ_MAX_PLAIN_KEY) {
        /* Drop the "? " again: shift the key left by two bytes. */
        memmove(b->buf + start, b->buf + start + 2, dynbuf_len(b) - start - 2);
        dynbuf_truncate(b, dynbuf_len(b) - 2);
        return dynbuf_addc(b, ':');
    }
    st = dynbuf_addc(b, '\n');
    if (st == SNUG_OK)
        st = yj_emit_indent(b, indent);
    if (st == SNUG_OK)
        st = dynbuf_addc(b, ':');
    return st;
}

/* The value of a mapping entry, after its "key:". */
static snug_status yj_emit_entry_value(dynbuf *b, const cJSON *v, size_t indent, int depth)
{
    snug_status st;

    if (cJSON_IsObject(v) && v->child != NULL) {
        st = dynbuf_addc(b, '\n');
        return st == SNUG_OK ? yj_emit_map(b, v, indent + 2, false, depth + 1) : st;
    }
    if (cJSON_IsArray(v) && v->child != NULL) {
        /* kubectl style: the dashes line up with the key. */
        st = dynbuf_addc(b, '\n');
        return st == SNUG_OK ? yj_emit_seq(b, v, indent, false, depth + 1) : st;
    }
    st = dynbuf_addc(b, ' ');
    if (st == SNUG_OK)
        st = yj_emit_scalar(b, v);
    if (st == SNUG_OK)
        st = dynbuf_addc(b, '\n');
    return st;
}

static snug_status yj_emit_map(dynbuf *b, const cJSON *obj, size_t indent, bool inline_first,
                               int depth)
{
    const cJSON *it;
    snug_status st = SNUG_OK;

    if (depth > YAMLJSON_MAX_DEPTH)
        return SNUG_ERR_TOO_BIG;
    for (it = obj->child; it != NULL && st == SNUG_OK; it = it->next) {
        if (it != obj->child || !inline_first)
            st = yj_emit_indent(b, indent);
        if (st == SNUG_OK)
            st = yj_emit_key(b, it->string ? it->string : "", indent);
        if (st == SNUG_OK)
            st = yj_emit_entry_value(b, it, indent, depth);
    }
    return st;
}

static snug_status yj_emit_seq(dynbuf *b, const cJSON *arr, size_t indent, bool inline_first,
                               int depth)
{
    const cJSON *it;
    snug_status st = SNUG_OK;

    if (depth > YAMLJSON_MAX_DEPTH)
        return SNUG_ERR_TOO_BIG;
    for (it = arr->child; it != NULL && st == SNUG_OK; it = it->next) {
        if (it != arr->child || !inline_first)
            st = yj_emit_indent(b, indent);
        if (st == SNUG_OK)
            st = dynbuf_addstr(b, "- ");
        if (st != SNUG_OK)
            break;
        if (cJSON_IsObject(it) && it->child != NULL) {
            st = yj_emit_map(b, it, indent + 2, true, depth + 1);
        } else if (cJSON_IsArray(it) && it->child != NULL) {
            st = yj_emit_seq(b, it, indent + 2, true, depth + 1);
        } else {
            st = yj_emit_scalar(b, it);
            if (st == SNUG_OK)
                st = dynbuf_addc(b, '\n');
        }
    }
    return st;
}

snug_status yaml_emit(const cJSON *doc, dynbuf *out)
{
    size_t start = dynbuf_len(out);
    snug_status st;

    if (doc != NULL && cJSON_IsObject(doc) && yj_is_block(doc)) {
        st = yj_emit_map(out, doc, 0, false, 1);
    } else if (doc != NULL && cJSON_IsArray(doc) && yj_is_block(doc)) {
        st = yj_emit_seq(out, doc, 0, false, 1);
    } else {
        st = doc ? yj_emit_scalar(out, doc) : dynbuf_addstr(out, "null");
        if (st == SNUG_OK)
            st = dynbuf_addc(out, '\n');
    }
    if (st != SNUG_OK)
        dynbuf_truncate(out, start);
    return st;
}
