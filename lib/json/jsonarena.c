/* jsonarena.c -- per-thread bump allocation behind cJSON's hooks. */
#include "json/jsonarena.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

#define ARENA_ALIGN 16u

typedef struct chunk {
    struct chunk *next;
    size_t used;
    size_t cap;
    unsigned char data[];
} chunk;

typedef struct arena {
    chunk *head; /* newest first; the last one is kept across windows */
    size_t total;
    bool open;
} arena;

static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static pthread_key_t g_key;
static bool g_installed;
static __thread arena *t_arena;

static bool in_chunk(const chunk *c, const void *p)
{
    const unsigned char *b = p;

    return b >= c->data && b < c->data + c->cap;
}

static bool arena_owns(const arena *a, const void *p)
{
    const chunk *c;

    for (c = a->head; c != NULL; c = c->next) {
        if (in_chunk(c, p))
            return true;
    }
    return false;
}

static chunk *chunk_new(size_t cap)
{
    chunk *c = malloc(sizeof(chunk) + cap);

    if (c == NULL)
        return NULL;
    c->next = NULL;
    c->used = 0;
    c->cap = cap;
    return c;
}

/* A block of its own for an allocation larger than JSONARENA_BIG, linked
 * behind the head so the head stays the chunk that small ones bump in. */
static void *arena_alloc_big(arena *a, size_t n)
{
    chunk *c = chunk_new(n);

    if (c == NULL)
        return NULL;
    c->used = n;
    if (a->head == NULL) {
        a->head = c;
    } else {
        c->next = a->head->next;
        a->head->next = c;
    }
    return c->data;
}

/* The slow path, kept out of line so jsonarena_alloc stays small. */
__attribute__((noinline)) static void *arena_alloc(arena *a, size_t n)
{
    size_t need = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    chunk *c = a->head;

    if (n == 0)
        n = need = ARENA_ALIGN;
    if (need < n || a->total + need > JSONARENA_BUDGET)
        return NULL; /* overflow, or the window's budget is spent */
    if (n > JSONARENA_BIG) {
        void *p = arena_alloc_big(a, n);

        if (p != NULL)
            a->total += need;
        return p;
    }
    if (c == NULL || c->cap - c->used < need) {
        c = chunk_new(JSONARENA_CHUNK);
        if (c == NULL)
            return NULL;
        c->next = a->head;
        a->head = c;
    }
    a->total += need;
    c->used += need;
    return c->data + c->used - need;
}

/* Every cJSON allocation lands here (the hook), and jsonparse's own in a
 * window: the common case (a small block that fits the head chunk) is a few
 * instructions, the rest is arena_alloc(). */
void *jsonarena_alloc(size_t n)
{
    arena *a = t_arena;
    chunk *c;
    size_t need;

    if (a == NULL || !a->open)
        return malloc(n);
    c = a->head;
    need = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    if (c != NULL && n - 1 < JSONARENA_BIG && c->cap - c->used >= need &&
        a->total + need <= JSONARENA_BUDGET) {
        void *p = c->data + c->used;

        c->used += need;
        a->total += need;
        return p;
    }
    return arena_alloc(a, n);
}

static void hook_free(void *p)
{
    arena *a = t_arena;

    if (p == NULL)
        return;
    if (a != NULL && a->open && arena_owns(a, p))
        return;
    free(p);
}

static void arena_destroy(void *v)
{
    arena *a = v;
    chunk *c;

    if (a == NULL)
        return;
    c = a->head;
    while (c != NULL) {
        chunk *next = c->next;

        free(c);
        c = next;
    }
    free(a);
}

static void install_once(void)
{
    if (pthread_key_create(&g_key, arena_destroy) != 0)
        return;
    g_installed = true;
}

void jsonarena_install(void)
{
    cJSON_Hooks hooks = {jsonarena_alloc, hook_free};

    pthread_once(&g_once, install_once);
    if (g_installed)
        cJSON_InitHooks(&hooks);
}

int jsonarena_begin(void)
{
    arena *a = t_arena;

    if (!g_installed)
        return 0;
    if (a == NULL) {
        a = calloc(1, sizeof(*a));
        if (a == NULL || pthread_setspecific(g_key, a) != 0) {
            free(a);
            return 0;
        }
        t_arena = a;
    }
    if (a->open)
        return 0;
    a->open = true;
    a->total = 0;
    return 1;
}

void jsonarena_end(void)
{
    arena *a = t_arena;
    chunk *keep = NULL, *c;

    if (a == NULL || !a->open)
        return;
    a->open = false;
    /* keep the oldest regular chunk (the tail) for the next window */
    while (a->head != NULL) {
        c = a->head;
        a->head = c->next;
        if (c->next == NULL && c->cap == JSONARENA_CHUNK) {
            keep = c;
            break;
        }
        free(c);
    }
    if (keep != NULL)
        keep->used = 0;
    a->head = keep;
    a->total = 0;
}

bool jsonarena_active(void)
{
    const arena *a = t_arena;

    return a != NULL && a->open;
}

bool jsonarena_owns(const void *p)
{
    const arena *a = t_arena;

    return p != NULL && a != NULL && a->open && arena_owns(a, p);
}

void jsonarena_delete(cJSON *item)
{
    if (item == NULL || jsonarena_owns(item))
        return;
    cJSON_Delete(item);
}

size_t jsonarena_used(void)
{
    arena *a = t_arena;

    return (a != NULL && a->open) ? a->total : 0;
}
