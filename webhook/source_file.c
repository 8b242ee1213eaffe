/* source_file.c -- policy and recommendation files into the store. */
#include "webhook/source_file.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/log.h"
#include "webhook/webhook_metrics.h"
#include "yaml/yamljson.h"

#define SOURCE_FILE_MAX (64u << 20)

typedef struct watched_file {
    char *path;
    struct stat st;
    bool have_stat;
} watched_file;

struct file_source {
    store *store;
    watched_file policy;
    watched_file recs;
};

static bool stat_changed(watched_file *w, struct stat *now)
{
    if (stat(w->path, now) != 0)
        return false; /* gone: keep what we have; noticed when it returns */
    if (!w->have_stat)
        return true;
    return now->st_dev != w->st.st_dev || now->st_ino != w->st.st_ino ||
           now->st_size != w->st.st_size || now->st_mtim.tv_sec != w->st.st_mtim.tv_sec ||
           now->st_mtim.tv_nsec != w->st.st_mtim.tv_nsec;
}

static snug_status load_policies(file_source *fs, snug_err *err)
{
    cJSON *docs = NULL;
    policy_set *set = NULL;
    snug_status st = yaml_parse_file(fs->policy.path, SOURCE_FILE_MAX, &docs, err);

    if (st == SNUG_OK)
        st = policy_set_load(docs, &set, err);
    cJSON_Delete(docs);
    if (st != SNUG_OK)
        return st;
    store_replace_policies(fs->store, set);
    store_mark_synced(fs->store, STORE_POLICIES);
    return SNUG_OK;
}

static snug_status load_recs(file_source *fs, snug_err *err)
{
    cJSON *docs = NULL;
    rec_set *set = NULL;
    snug_status st = yaml_parse_file(fs->recs.path, SOURCE_FILE_MAX, &docs, err);

    if (st == SNUG_OK)
        st = rec_set_load(docs, "default", &set, err);
    cJSON_Delete(docs);
    if (st != SNUG_OK)
        return st;
    store_replace_recommendations(fs->store, set);
    store_mark_synced(fs->store, STORE_RECOMMENDATIONS);
    return SNUG_OK;
}

/* Reload one file when it changed; 1 when reloaded, 0 otherwise. */
static int poll_one(file_source *fs, watched_file *w, const char *source, bool force,
                    snug_status (*load)(file_source *, snug_err *))
{
    struct stat now;
    snug_err err;

    if (w->path == NULL)
        return 0;
    if (!stat_changed(w, &now) && !force)
        return 0;
    if (load(fs, &err) != SNUG_OK) {
        snug_log(LOG_ERROR, "source", "reload failed; keeping the previous contents", "file",
                 w->path, "error", err.msg, NULL);
        wh_metrics_source_reload(source, 0);
        w->st = now; /* do not retry until it changes again */
        w->have_stat = true;
        return 0;
    }
    w->st = now;
    w->have_stat = true;
    snug_log(LOG_INFO, "source", "reloaded", "file", w->path, NULL);
    wh_metrics_source_reload(source, 1);
    return 1;
}

int file_source_poll(file_source *fs, bool force)
{
    int n = poll_one(fs, &fs->policy, "policy-file", force, load_policies);

    return n + poll_one(fs, &fs->recs, "recommendations-file", force, load_recs);
}

static snug_status first_load(file_source *fs, watched_file *w,
                              snug_status (*load)(file_source *, snug_err *), snug_err *err)
{
    snug_status st;

    if (stat(w->path, &w->st) != 0)
        return snug_err_set(err, SNUG_ERR_NOT_FOUND, "%s: no such file", w->path);
    w->have_stat = true;
    st = load(fs, err);
    return st;
}

static snug_status install_builtin(file_source *fs, snug_err *err)
{
    policy *p = policy_builtin_default();

    if (p == NULL)
        return snug_err_set(err, SNUG_ERR_NOMEM, "out of memory");
    if (store_put_policy(fs->store, p) != SNUG_OK)
        return snug_err_set(err, SNUG_ERR_NOMEM, "out of memory");
    store_mark_synced(fs->store, STORE_POLICIES);
    return SNUG_OK;
}

snug_status file_source_new(store *s, const char *policy_path, const char *recs_path,
                            file_source **out, snug_err *err)
{
    file_source *fs = calloc(1, sizeof(*fs));
    snug_status st = SNUG_OK;

    if (fs == NULL)
        return snug_err_set(err, SNUG_ERR_NOMEM, "out of memory");
    fs->store = s;
    fs->policy.path = policy_path ? strdup(policy_path) : NULL;
    fs->recs.path = recs_path ? strdup(recs_path) : NULL;
    if ((policy_path && !fs->policy.path) || (recs_path && !fs->recs.path))
        st = snug_err_set(err, SNUG_ERR_NOMEM, "out of memory");
    if (st == SNUG_OK)
        st = policy_path ? first_load(fs, &fs->policy, load_policies, err)
                         : install_builtin(fs, err);
    if (st == SNUG_OK && recs_path)
        st = first_load(fs, &fs->recs, load_recs, err);
    if (st == SNUG_OK && !recs_path)
        store_mark_synced(s, STORE_RECOMMENDATIONS);
    if (st != SNUG_OK) {
        file_source_free(fs);
        return st;
    }
    *out = fs;
    return SNUG_OK;
}

void file_source_free(file_source *fs)
{
    if (fs == NULL)
        return;
    free(fs->policy.path);
    free(fs->recs.path);
    free(fs);
}
