/* checkpoint_codec.h -- the pure parts of the recommender checkpoint in
 * ConfigMaps (controller/checkpoint.h does the I/O): ConfigMap names, data
 * keys, entry values, splitting a namespace's entries into shards, and the
 * ConfigMap object itself. Nothing here does I/O; docs/controller.md (Checkpoints)
 * describes the format.
 *
 * One entry is one container of one workload:
 *   key    "<kind>.<name>.<container>", kind lower-case ("deployment.web.app"),
 *          when the kind is one of the known workload kinds, the name matches
 *          [-._a-zA-Z0-9]+, the container [-_a-zA-Z0-9]+ and the key is at most
 *          253 characters; else "h.<16 hex digits>" (FNV-1a 64 of
 *          "<Kind>\x1f<name>\x1f<container>").
 *   value  plain key:  "<saved unix seconds> <rec_state_save text>"
 *          hashed key: {"saved":T,"kind":K,"name":N,"container":C,"state":S}
 */
#ifndef SNUG_CTL_CHECKPOINT_CODEC_H
#define SNUG_CTL_CHECKPOINT_CODEC_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "base/dynbuf.h"
#include "base/status.h"
#include "model/workload.h"

#define CKPT_KEY_MAX        253            /* ConfigMap data keys */
#define CKPT_NS_MAX         63             /* namespace names are DNS labels */
#define CKPT_CM_NAME_MAX    100            /* "snug-checkpoint-" + namespace + ".<shard>" */
#define CKPT_BUDGET_DEFAULT (700u * 1024u) /* data bytes per ConfigMap (limit: 1 MiB) */
#define CKPT_ENTRY_OVERHEAD 6              /* "key":"value", in the JSON object */
#define CKPT_TIME_LEN       32

#define CKPT_NAME_PREFIX      "snug-checkpoint-"
#define CKPT_MANAGER          "snug-controller"
#define CKPT_LABEL_MANAGED_BY "app.kubernetes.io/managed-by"
#define CKPT_LABEL_NAMESPACE  "snug.dev/checkpoint-namespace"
#define CKPT_ANN_TIME         "snug.dev/checkpoint-time"
#define CKPT_ANN_VERSION      "snug.dev/checkpoint-version"
#define CKPT_ANN_SHARD        "snug.dev/checkpoint-shard"
#define CKPT_FORMAT_VERSION   "1"
/* Lists every checkpoint ConfigMap (of any namespace). */
#define CKPT_SELECTOR CKPT_LABEL_MANAGED_BY "=" CKPT_MANAGER "," CKPT_LABEL_NAMESPACE

/* One decoded entry: the container's identity (kind as the API spells it,
 * "Deployment"), when it was saved, and the rec_state text (owned; free
 * with ckpt_entry_clear). */
typedef struct ckpt_entry {
    char kind[WORKLOAD_KIND_MAX];
    char name[WORKLOAD_NAME_MAX];
    char container[WORKLOAD_NAME_MAX];
    double saved;
    char *state;
    size_t state_len;
} ckpt_entry;

void ckpt_entry_clear(ckpt_entry *e);

/* Whether `ns` is a namespace name (DNS label: 1-63 of [a-z0-9-], starting
 * and ending alphanumeric). Checkpoints are kept only for such names. */
bool ckpt_ns_valid(const char *ns);

/* The name of shard `shard` (0-based) of namespace ns's checkpoint into out
 * (CKPT_CM_NAME_MAX + 1 bytes): "snug-checkpoint-<ns>" for shard 0,
 * "snug-checkpoint-<ns>.<shard+1>" after it (a dot, which no namespace name
 * has, so the shard of one namespace is never the name of another's).
 * SNUG_ERR_INVALID for a bad namespace. */
snug_status ckpt_configmap_name(const char *ns, size_t shard, char *out, snug_err *err);

/* The data key of one container into out (CKPT_KEY_MAX + 1 bytes); *hashed
 * tells whether it is a hashed key, whose value must carry the identity.
 * SNUG_ERR_INVALID for an empty or too long kind, name or container. */
snug_status ckpt_key_build(const char *kind, const char *name, const char *container, char *out,
                           bool *hashed, snug_err *err);

/* Append the entry value for a container to out: `state` is its
 * rec_state_save text, `saved` unix seconds (whole seconds are kept).
 * hashed as from ckpt_key_build. Fails as dynbuf_add; SNUG_ERR_INVALID for
 * a negative or non-finite time. */
snug_status ckpt_value_encode(dynbuf *out, bool hashed, const char *kind, const char *name,
                              const char *container, double saved, const char *state,
                              snug_err *err);

/* Decode the entry stored under `key` (value of length len) into *e
 * (cleared first; the caller clears it after use, also on failure).
 * SNUG_ERR_PARSE for a malformed key or value (the message names the key),
 * SNUG_ERR_INVALID when a hashed key does not match the identity inside,
 * SNUG_ERR_NOMEM. The state text is not checked here: rec_state_load does. */
snug_status ckpt_value_decode(const char *key, const char *value, size_t len, ckpt_entry *e,
                              snug_err *err);

/* What one entry costs in a ConfigMap's data (key, value, JSON quoting). */
size_t ckpt_entry_cost(size_t key_len, size_t value_len);

/* Split entries, in order, into shards of at most `budget` bytes of cost
 * each: shard_of[i] receives the 0-based shard of entry i; returns the
 * number of shards (0 for no entries). A new shard starts when the next
 * entry would overflow the current one; an entry costing more than the
 * budget alone gets a shard of its own (callers drop such entries first). */
size_t ckpt_shard_plan(const size_t *cost, size_t n, size_t budget, size_t *shard_of);

/* "2026-12-06T00:47:04Z" for unix time t into out (CKPT_TIME_LEN bytes). */
void ckpt_time_format(double t, char *out);

/* A checkpoint ConfigMap (apiVersion, kind, metadata with labels and
 * annotations, data from keys[i] -> values[i]) for shard `shard` of
 * `nshards` of namespace ns, in ctl_ns, saved at `saved`. NULL on NOMEM or
 * a bad namespace. The caller cJSON_Delete()s it. */
cJSON *ckpt_configmap_build(const char *ctl_ns, const char *ns, size_t shard, size_t nshards,
                            double saved, const char *const *keys, const char *const *values,
                            size_t n);

#endif
