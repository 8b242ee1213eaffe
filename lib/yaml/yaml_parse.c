/* yaml_parse.c -- YAML (and JSON) text to cJSON trees: yaml_parse_stream()
 * and yaml_parse_one() from yamljson.h.
 *
 * Parsing walks libyaml's event stream with an explicit stack of at most
 * YAMLJSON_MAX_DEPTH frames, so no input can make it recurse. Scalars are
 * typed by yj_resolve_plain() (yaml_scalar.c); anchors, aliases and merge
 * keys are expanded here. Input that looks like JSON is first tried with
 * cJSON (yaml_fastpath.c); anything cJSON does not take cleanly comes here,
 * which gives the authoritative error.
 */
#include "yaml/yamljson_internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#define YJ_TAG_PREFIX "tag:yaml.org,2002:"
#define YJ_KEY_IN_MSG 100

/* ---------------------------------------------------------------------------
 * The event-driven builder: one frame per open mapping or sequence.
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

/* ---------------------------------------------------------------------------
 * Errors, with the line and column.
 */
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

/* ---------------------------------------------------------------------------
 * Frames, anchors and merge keys.
 */
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

/* ---------------------------------------------------------------------------
 * Scalars and mapping keys.
 */
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

/* A scalar where a mapping key goes: the merge key "<<", or a key (refused
 * when it repeats one). An anchored key is also remembered as a value. */
static snug_status yj_on_scalar_key(yj_ctx *c, const yaml_event_t *ev, yj_scalar *sc)
{
    const char *text = (const char *)ev->data.scalar.value;
    const char *anchor = (const char *)ev->data.scalar.anchor;
    const char *tag = (const char *)ev->data.scalar.tag;
    bool plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && tag == NULL;
    cJSON *v = NULL;
    char *key = NULL;
    snug_status st;

    if ((plain && strcmp(text, "<<") == 0) || yj_tag_is(tag, "merge")) {
        yj_top(c)->have_key = true;
        yj_top(c)->key_merge = true;
        return SNUG_OK;
    }
    st = yj_key_text(c, &ev->start_mark, sc, text, &key);
    if (st == SNUG_OK)
        st = yj_take_key(c, key, &ev->start_mark);
    if (st != SNUG_OK || anchor == NULL)
        return st;
    /* An anchored key can be used as a value elsewhere. */
    if (sc->kind == YJ_NONFINITE || sc->kind == YJ_BIG)
        sc->kind = YJ_STR;
    st = yj_scalar_to_json(c, ev, sc, &v);
    if (st == SNUG_OK)
        st = yj_anchor_add(c, anchor, v, 1, 0);
    cJSON_Delete(v);
    return st;
}

static snug_status yj_on_scalar(yj_ctx *c, const yaml_event_t *ev)
{
    const char *anchor = (const char *)ev->data.scalar.anchor;
    yj_scalar sc;
    cJSON *v = NULL;
    snug_status st;

    st = yj_classify(c, ev, &sc);
    if (st != SNUG_OK)
        return st;
    if (yj_wants_key(c))
        return yj_on_scalar_key(c, ev, &sc);
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

/* ---------------------------------------------------------------------------
 * Collections, aliases and documents.
 */
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

/* An alias where a mapping key goes: the key is the text of the anchored
 * scalar (strings, booleans and numbers only). */
static snug_status yj_on_alias_key(yj_ctx *c, const yaml_event_t *ev, const yj_ent *a)
{
    const char *name = (const char *)ev->data.alias.anchor;
    yj_scalar sc;
    char *key;
    snug_status st;

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
                       "alias \"%s\" cannot be a mapping key: it is not a string or number", name);
    }
    st = yj_key_text(c, &ev->start_mark, &sc, a->node->valuestring, &key);
    if (st != SNUG_OK)
        return st;
    return yj_take_key(c, key, &ev->start_mark);
}

static snug_status yj_on_alias(yj_ctx *c, const yaml_event_t *ev)
{
    const char *name = (const char *)ev->data.alias.anchor;
    yj_ent *a = yj_table_find(&c->anchors, name);
    cJSON *v;

    if (a == NULL)
        return yj_fail(c, SNUG_ERR_PARSE, &ev->start_mark, "unknown anchor \"%s\"", name);
    if (yj_wants_key(c))
        return yj_on_alias_key(c, ev, a);
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

/* ---------------------------------------------------------------------------
 * The event loop.
 */
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
 * Public entry points.
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
