/* Unit tests for kube_store: keys, upsert/remove/replace semantics, the
 * handlers they fire, and concurrent readers. */
#include <pthread.h>
#include <sched.h>
#include <time.h>

#include "kube/kube_api.h"
#include "kube/kube_store.h"
#include "base/log.h"
#include "test.h"

typedef struct recorder {
    dynbuf log; /* "add a/x@1;update a/x@1->2;delete a/x@2;" */
} recorder;

static void rec_obj(dynbuf *b, const cJSON *obj)
{
    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
    const char *ns = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(meta, "namespace"));
    const char *rv =
        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(meta, "resourceVersion"));

    dynbuf_printf(b, "%s/%s@%s", ns ? ns : "",
                  cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(meta, "name")),
                  rv ? rv : "");
}

static void on_add(const cJSON *obj, void *ud)
{
    recorder *r = ud;

    dynbuf_addstr(&r->log, "add ");
    rec_obj(&r->log, obj);
    dynbuf_addc(&r->log, ';');
}

static void on_update(const cJSON *old_obj, const cJSON *new_obj, void *ud)
{
    recorder *r = ud;

    dynbuf_addstr(&r->log, "update ");
    rec_obj(&r->log, old_obj);
    dynbuf_addstr(&r->log, "->");
    rec_obj(&r->log, new_obj);
    dynbuf_addc(&r->log, ';');
}

static void on_delete(const cJSON *obj, void *ud)
{
    recorder *r = ud;

    dynbuf_addstr(&r->log, "delete ");
    rec_obj(&r->log, obj);
    dynbuf_addc(&r->log, ';');
}

static cJSON *obj(const char *ns, const char *name, const char *rv)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *meta = cJSON_AddObjectToObject(o, "metadata");

    if (name != NULL)
        cJSON_AddStringToObject(meta, "name", name);
    if (ns != NULL)
        cJSON_AddStringToObject(meta, "namespace", ns);
    if (rv != NULL)
        cJSON_AddStringToObject(meta, "resourceVersion", rv);
    return o;
}

static kube_store *new_store(recorder *r)
{
    kube_store_handlers h = {on_add, on_update, on_delete, r};
    kube_store *s = NULL;

    dynbuf_init(&r->log, 1 << 16);
    CHECK_INT_EQ(kube_store_new(&h, &s, NULL), SNUG_OK);
    return s;
}

static void test_keys(void)
{
    static const struct {
        const char *ns, *name, *want;
        snug_status st;
    } cases[] = {
        {"default", "web", "default/web", SNUG_OK},
        {NULL, "cluster-thing", "cluster-thing", SNUG_OK},
        {"", "cluster-thing", "cluster-thing", SNUG_OK},
        {"ns", NULL, "", SNUG_ERR_INVALID},
        {"ns", "", "", SNUG_ERR_INVALID},
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        cJSON *o = obj(cases[i].ns, cases[i].name, NULL);
        dynbuf b;

        T_CASE("%s", cases[i].want);
        dynbuf_init(&b, 256);
        CHECK_INT_EQ(kube_store_key(o, &b, NULL), cases[i].st);
        CHECK_STR_EQ(dynbuf_str(&b), cases[i].want);
        dynbuf_free(&b);
        cJSON_Delete(o);
    }
}

static void test_upsert_remove(void)
{
    recorder r;
    kube_store *s = new_store(&r);
    cJSON *got;

    CHECK_INT_EQ(kube_store_upsert(s, obj("a", "x", "1"), NULL), SNUG_OK);
    CHECK_INT_EQ(kube_store_upsert(s, obj("b", "x", "2"), NULL), SNUG_OK);
    CHECK_INT_EQ(kube_store_upsert(s, obj(NULL, "x", "3"), NULL), SNUG_OK);
    CHECK_INT_EQ(kube_store_upsert(s, obj("a", "x", "4"), NULL), SNUG_OK);
    CHECK_INT_EQ(kube_store_size(s), 3);
    CHECK_INT_EQ(kube_store_upsert(s, obj("a", NULL, "5"), NULL), SNUG_ERR_INVALID);
    CHECK_INT_EQ(kube_store_remove(s, obj("b", "x", "6"), NULL), SNUG_OK);
    CHECK_INT_EQ(kube_store_remove(s, obj("b", "x", "7"), NULL), SNUG_OK); /* unknown: quiet */
    CHECK_INT_EQ(kube_store_size(s), 2);
    CHECK_STR_EQ(dynbuf_str(&r.log), "add a/x@1;add b/x@2;add /x@3;update a/x@1->a/x@4;"
                                     "delete b/x@6;");
    got = kube_store_get(s, "a", "x");
    CHECK_STR_EQ(kube_obj_resource_version(got), "4");
    cJSON_Delete(got);
    got = kube_store_get(s, NULL, "x");
    CHECK_STR_EQ(kube_obj_resource_version(got), "3");
    cJSON_Delete(got);
    CHECK(kube_store_get(s, "b", "x") == NULL);
    CHECK(kube_store_get(s, "a", NULL) == NULL);
    got = kube_store_list(s);
    CHECK_INT_EQ(cJSON_GetArraySize(got), 2);
    cJSON_Delete(got);
    kube_store_free(s);
    dynbuf_free(&r.log);
}

static void test_replace(void)
{
    recorder r;
    kube_store *s = new_store(&r);
    cJSON *items = cJSON_CreateArray();

    CHECK_INT_EQ(kube_store_upsert(s, obj("n", "keep", "1"), NULL), SNUG_OK);
    CHECK_INT_EQ(kube_store_upsert(s, obj("n", "change", "1"), NULL), SNUG_OK);
    CHECK_INT_EQ(kube_store_upsert(s, obj("n", "gone", "1"), NULL), SNUG_OK);
    CHECK_INT_EQ(kube_store_upsert(s, obj("n", "gone2", "1"), NULL), SNUG_OK);
    dynbuf_reset(&r.log);

    cJSON_AddItemToArray(items, obj("n", "keep", "1"));
    cJSON_AddItemToArray(items, obj("n", "change", "9"));
    cJSON_AddItemToArray(items, obj("n", "new", "9"));
    cJSON_AddItemToArray(items, obj("n", NULL, "9")); /* skipped */
    CHECK_INT_EQ(kube_store_replace(s, items, NULL), SNUG_OK);
    CHECK_INT_EQ(cJSON_GetArraySize(items), 0);
    CHECK_INT_EQ(kube_store_size(s), 3);
    /* adds/updates in list order, then the sweep (any order among deletes) */
    CHECK_STR_CONTAINS(dynbuf_str(&r.log), "update n/change@1->n/change@9;add n/new@9;delete ");
    CHECK_STR_CONTAINS(dynbuf_str(&r.log), "delete n/gone@1;");
    CHECK_STR_CONTAINS(dynbuf_str(&r.log), "delete n/gone2@1;");
    CHECK(strstr(dynbuf_str(&r.log), "keep") == NULL);

    T_CASE("an empty list empties the store");
    dynbuf_reset(&r.log);
    CHECK_INT_EQ(kube_store_replace(s, items, NULL), SNUG_OK);
    CHECK_INT_EQ(kube_store_size(s), 0);
    CHECK_STR_CONTAINS(dynbuf_str(&r.log), "delete n/keep@1;");
    T_CASE("NULL items too");
    CHECK_INT_EQ(kube_store_replace(s, NULL, NULL), SNUG_OK);
    cJSON_Delete(items);
    kube_store_free(s);
    dynbuf_free(&r.log);
}

/* Handlers may read the store: they run without the write lock. */
static kube_store *reentrant_store;
static int reentrant_seen;

static void reentrant_add(const cJSON *o, void *ud)
{
    cJSON *copy = kube_store_get(reentrant_store, kube_obj_namespace(o), kube_obj_name(o));

    (void)ud;
    reentrant_seen += copy != NULL && kube_store_size(reentrant_store) > 0;
    cJSON_Delete(copy);
}

static void test_handlers_may_read(void)
{
    kube_store_handlers h = {reentrant_add, NULL, NULL, NULL};

    CHECK_INT_EQ(kube_store_new(&h, &reentrant_store, NULL), SNUG_OK);
    CHECK_INT_EQ(kube_store_upsert(reentrant_store, obj("n", "a", "1"), NULL), SNUG_OK);
    CHECK_INT_EQ(kube_store_upsert(reentrant_store, obj("n", "a", "2"), NULL), SNUG_OK);
    CHECK_INT_EQ(reentrant_seen, 1);
    kube_store_free(reentrant_store);
}

typedef struct reader_arg {
    kube_store *s;
    int stop;
    long reads;
} reader_arg;

static int count_visit(const cJSON *o, void *ud)
{
    long *n = ud;

    (void)o;
    (*n)++;
    return 0;
}

static void *reader(void *p)
{
    reader_arg *a = p;

    while (!__atomic_load_n(&a->stop, __ATOMIC_ACQUIRE)) {
        cJSON *got = kube_store_get(a->s, "n", "obj-7");
        cJSON *all = kube_store_list(a->s);
        long n = 0;

        kube_store_foreach(a->s, count_visit, &n);
        cJSON_Delete(got);
        cJSON_Delete(all);
        __atomic_add_fetch(&a->reads, 1, __ATOMIC_RELAXED);
        sched_yield(); /* the rwlock prefers readers: give the writer a turn */
    }
    return NULL;
}

static void test_concurrent_readers(void)
{
    kube_store *s = NULL;
    reader_arg a;
    pthread_t th[3];
    int i;
    int round;
    time_t started = time(NULL);

    CHECK_INT_EQ(kube_store_new(NULL, &s, NULL), SNUG_OK);
    a.s = s;
    a.stop = 0;
    a.reads = 0;
    for (i = 0; i < 3; i++)
        pthread_create(&th[i], NULL, reader, &a);
    /* at least 200 rounds, and on until the readers really ran (bounded in
     * time: under valgrind threads are serialised and the readers may wait
     * for their turn) */
    for (round = 0; round < 200 ||
                    (__atomic_load_n(&a.reads, __ATOMIC_RELAXED) < 20 && time(NULL) - started < 60);
         round++) {
        char name[32];
        char rv[32];
        cJSON *items = cJSON_CreateArray();

        for (i = 0; i < 20; i++) {
            snprintf(name, sizeof(name), "obj-%d", (i + round) % 25);
            snprintf(rv, sizeof(rv), "%d", round);
            CHECK_INT_EQ(kube_store_upsert(s, obj("n", name, rv), NULL), SNUG_OK);
            cJSON_AddItemToArray(items, obj("n", name, rv));
        }
        CHECK_INT_EQ(kube_store_remove(s, obj("n", "obj-3", "x"), NULL), SNUG_OK);
        if (round % 10 == 0)
            CHECK_INT_EQ(kube_store_replace(s, items, NULL), SNUG_OK);
        cJSON_Delete(items);
        sched_yield(); /* let the readers in */
    }
    __atomic_store_n(&a.stop, 1, __ATOMIC_RELEASE);
    for (i = 0; i < 3; i++)
        pthread_join(th[i], NULL);
    CHECK(a.reads >= 20);
    kube_store_free(s);
}

int main(void)
{
    log_set_level(LOG_ERROR);
    RUN(test_keys);
    RUN(test_upsert_remove);
    RUN(test_replace);
    RUN(test_handlers_may_read);
    RUN(test_concurrent_readers);
    return TEST_DONE();
}
