/* log.c -- JSON-lines logger. */
#include "base/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static log_level g_level = LOG_INFO;
static FILE *g_out = NULL;
static log_sink_fn g_sink = NULL;
static void *g_sink_ud = NULL;
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *level_name(log_level lvl)
{
    switch (lvl) {
    case LOG_DEBUG:
        return "debug";
    case LOG_INFO:
        return "info";
    case LOG_WARN:
        return "warn";
    case LOG_ERROR:
        return "error";
    case LOG_OFF:
        break;
    }
    return "off";
}

void log_set_level(log_level lvl)
{
    __atomic_store_n(&g_level, lvl, __ATOMIC_RELAXED);
}

log_level log_get_level(void)
{
    return __atomic_load_n(&g_level, __ATOMIC_RELAXED);
}

int log_parse_level(const char *name, log_level *out)
{
    static const struct {
        const char *name;
        log_level lvl;
    } names[] = {{"debug", LOG_DEBUG},  {"info", LOG_INFO},   {"warn", LOG_WARN},
                 {"warning", LOG_WARN}, {"error", LOG_ERROR}, {"off", LOG_OFF}};
    size_t i;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcasecmp(name, names[i].name) == 0) {
            *out = names[i].lvl;
            return 0;
        }
    }
    return -1;
}

void log_set_output(FILE *fp)
{
    pthread_mutex_lock(&g_lock);
    g_out = fp;
    pthread_mutex_unlock(&g_lock);
}

void log_set_sink(log_sink_fn fn, void *ud)
{
    pthread_mutex_lock(&g_lock);
    g_sink = fn;
    g_sink_ud = ud;
    pthread_mutex_unlock(&g_lock);
}

/* Length of the valid UTF-8 sequence starting at s, or 0 if invalid. */
static size_t utf8_seq_len(const unsigned char *s)
{
    size_t n;
    size_t i;

    if (s[0] < 0x80)
        return 1;
    if ((s[0] & 0xE0) == 0xC0 && s[0] >= 0xC2)
        n = 2;
    else if ((s[0] & 0xF0) == 0xE0)
        n = 3;
    else if ((s[0] & 0xF8) == 0xF0 && s[0] <= 0xF4)
        n = 4;
    else
        return 0;
    for (i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    }
    return n;
}

snug_status json_append_string(dynbuf *b, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    snug_status st = dynbuf_addc(b, '"');

    while (st == SNUG_OK && *p) {
        size_t n = utf8_seq_len(p);

        if (*p == '"' || *p == '\\') {
            char esc[2] = {'\\', (char)*p};
            st = dynbuf_add(b, esc, 2);
        } else if (*p == '\n') {
            st = dynbuf_add(b, "\\n", 2);
        } else if (*p == '\t') {
            st = dynbuf_add(b, "\\t", 2);
        } else if (*p == '\r') {
            st = dynbuf_add(b, "\\r", 2);
        } else if (*p < 0x20 || n == 0) {
            st = dynbuf_printf(b, "\\u%04x", *p);
            n = 1;
        } else {
            st = dynbuf_add(b, p, n);
        }
        p += n ? n : 1;
    }
    if (st == SNUG_OK)
        st = dynbuf_addc(b, '"');
    return st;
}

static void append_timestamp(dynbuf *b)
{
    struct timespec ts;
    struct tm tm;
    char buf[64];

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
    dynbuf_printf(b, "{\"ts\":\"%s.%03ldZ\"", buf, ts.tv_nsec / 1000000);
}

static void append_field(dynbuf *b, const char *key, const char *value)
{
    dynbuf_addc(b, ',');
    json_append_string(b, key);
    dynbuf_addc(b, ':');
    if (value == NULL)
        dynbuf_addstr(b, "null");
    else
        json_append_string(b, value);
}

static void emit_line(const char *line)
{
    FILE *out;

    pthread_mutex_lock(&g_lock);
    if (g_sink != NULL) {
        g_sink(line, g_sink_ud);
    } else {
        out = g_out ? g_out : stderr;
        fputs(line, out);
        fputc('\n', out);
        fflush(out);
    }
    pthread_mutex_unlock(&g_lock);
}

void snug_log(log_level lvl, const char *component, const char *msg, ...)
{
    dynbuf b;
    va_list ap;
    const char *key;
    int truncated = 0;

    if (lvl < log_get_level() || lvl >= LOG_OFF)
        return;
    dynbuf_init(&b, LOG_LINE_MAX);
    append_timestamp(&b);
    append_field(&b, "level", level_name(lvl));
    append_field(&b, "component", component ? component : "snug");
    append_field(&b, "msg", msg ? msg : "");
    va_start(ap, msg);
    for (key = va_arg(ap, const char *); key != NULL; key = va_arg(ap, const char *)) {
        const char *value = va_arg(ap, const char *);
        size_t before = dynbuf_len(&b);

        append_field(&b, key, value);
        if (dynbuf_len(&b) + 32 >= LOG_LINE_MAX) {
            dynbuf_truncate(&b, before);
            truncated = 1;
            break;
        }
    }
    va_end(ap);
    if (truncated)
        dynbuf_addstr(&b, ",\"truncated\":true");
    dynbuf_addc(&b, '}');
    if (b.buf != NULL)
        emit_line(b.buf);
    dynbuf_free(&b);
}
