/* kube_objects.c -- GET/LIST/apply/patch/create/update/delete of objects,
 * built on kube_request(). */
#include "kube/kube_objects.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"

/* ---- object calls ------------------------------------------------------------------ */

/* Path of an object/collection plus the common write query parameters. */
static snug_status object_url(dynbuf *url, const kube_resource *r, const char *ns, const char *name,
                              const kube_write_opts *o, snug_err *err)
{
    snug_status st = kube_path_build(url, r, ns, name, o ? o->subresource : NULL, err);

    if (st != SNUG_OK)
        return st;
    if (o != NULL && o->field_manager != NULL)
        st = kube_query_add(url, "fieldManager", o->field_manager);
    if (st == SNUG_OK && o != NULL && o->dry_run)
        st = kube_query_add(url, "dryRun", "All");
    if (st != SNUG_OK)
        return snug_err_set(err, st, "%s: query: %s", r->resource, snug_status_str(st));
    return SNUG_OK;
}

snug_status kube_get(kube_client *c, const kube_resource *r, const char *ns, const char *name,
                     cJSON **out, snug_err *err)
{
    dynbuf url;
    snug_status st;

    if (name == NULL)
        return snug_err_set(err, SNUG_ERR_INVALID, "get %s: object name missing",
                            r ? r->resource : "?");
    dynbuf_init(&url, KUBE_MAX_PATH);
    st = kube_path_build(&url, r, ns, name, NULL, err);
    if (st == SNUG_OK)
        st = kube_request(c, "GET", dynbuf_str(&url), NULL, NULL, KUBE_MAX_RESPONSE, out, err);
    dynbuf_free(&url);
    return st;
}

static snug_status list_url(dynbuf *url, const kube_resource *r, const char *ns,
                            const kube_list_opts *o, const char *cont, snug_err *err)
{
    long limit = o && o->limit != 0 ? o->limit : KUBE_DEFAULT_PAGE_SIZE;
    snug_status st = kube_path_build(url, r, ns, NULL, NULL, err);

    if (st != SNUG_OK)
        return st;
    if (o != NULL)
        st = kube_query_add(url, "labelSelector", o->label_selector);
    if (st == SNUG_OK && o != NULL)
        st = kube_query_add(url, "fieldSelector", o->field_selector);
    if (st == SNUG_OK && limit > 0)
        st = kube_query_add_long(url, "limit", limit);
    if (st == SNUG_OK && cont != NULL && cont[0] != '\0')
        st = kube_query_add(url, "continue", cont);
    else if (st == SNUG_OK && o != NULL)
        st = kube_query_add(url, "resourceVersion", o->resource_version);
    if (st != SNUG_OK)
        return snug_err_set(err, st, "list %s: query: %s", r->resource, snug_status_str(st));
    return SNUG_OK;
}

snug_status kube_list_page(kube_client *c, const kube_resource *r, const char *ns,
                           const kube_list_opts *o, const char *continue_token, cJSON **page,
                           snug_err *err)
{
    dynbuf url;
    snug_status st;

    *page = NULL;
    dynbuf_init(&url, KUBE_MAX_PATH);
    st = list_url(&url, r, ns, o, continue_token, err);
    if (st == SNUG_OK)
        st =
            kube_request(c, "GET", dynbuf_str(&url), NULL, NULL, KUBE_MAX_LIST_RESPONSE, page, err);
    if (st == SNUG_OK) {
        const cJSON *items = cJSON_GetObjectItemCaseSensitive(*page, "items");

        if (items != NULL && !cJSON_IsArray(items) && !cJSON_IsNull(items))
            st = snug_err_set(err, SNUG_ERR_PARSE, "list %s: items is not a list", r->resource);
    }
    if (st != SNUG_OK) {
        cJSON_Delete(*page);
        *page = NULL;
    }
    dynbuf_free(&url);
    return st;
}

/* The page's items array, created (empty) when the server sent none/null. */
static cJSON *page_items(cJSON *page)
{
    cJSON *items = cJSON_GetObjectItemCaseSensitive(page, "items");

    if (cJSON_IsArray(items))
        return items;
    cJSON_DeleteItemFromObjectCaseSensitive(page, "items");
    return cJSON_AddArrayToObject(page, "items");
}

/* The page's continue token, or NULL when this was the last page. */
static const char *page_continue(const cJSON *page)
{
    const char *cont =
        kube_json_str(cJSON_GetObjectItemCaseSensitive(page, "metadata"), "continue");

    return cont != NULL && cont[0] != '\0' ? cont : NULL;
}

/* Move every item of `page` to the end of `items`. */
static void move_items(cJSON *items, cJSON *page)
{
    cJSON *from = page_items(page);

    while (from != NULL && from->child != NULL) {
        cJSON *it = cJSON_DetachItemViaPointer(from, from->child);
        cJSON_AddItemToArray(items, it);
    }
}

snug_status kube_list(kube_client *c, const kube_resource *r, const char *ns,
                      const kube_list_opts *o, cJSON **out, size_t *pages, snug_err *err)
{
    cJSON *first = NULL;
    cJSON *page = NULL;
    cJSON *items;
    char *cont = NULL;
    size_t n = 1;
    snug_status st;

    *out = NULL;
    st = kube_list_page(c, r, ns, o, NULL, &first, err);
    if (st != SNUG_OK)
        goto out;
    items = page_items(first);
    if (items == NULL) {
        st = snug_err_set(err, SNUG_ERR_NOMEM, "out of memory");
        goto out;
    }
    while (page_continue(page ? page : first) != NULL) {
        free(cont);
        cont = strdup(page_continue(page ? page : first));
        cJSON_Delete(page);
        page = NULL;
        if (cont == NULL) {
            st = snug_err_set(err, SNUG_ERR_NOMEM, "out of memory");
            goto out;
        }
        st = kube_list_page(c, r, ns, o, cont, &page, err);
        if (st != SNUG_OK)
            goto out;
        n++;
        move_items(items, page);
    }
    cJSON_DeleteItemFromObjectCaseSensitive(cJSON_GetObjectItemCaseSensitive(first, "metadata"),
                                            "continue");
    if (pages != NULL)
        *pages = n;
    *out = first;
    first = NULL;
out:
    if (st == SNUG_ERR_GONE)
        snug_log(LOG_INFO, "kube", "list continue token expired; relist needed", "resource",
                 r->resource, NULL);
    free(cont);
    cJSON_Delete(page);
    cJSON_Delete(first);
    return st;
}

/* ---- writes ------------------------------------------------------------------------ */

static snug_status send_object(kube_client *c, const char *method, const char *path,
                               const char *content_type, const cJSON *obj, cJSON **out,
                               snug_err *err)
{
    char *body = cJSON_PrintUnformatted(obj);
    snug_status st;

    if (body == NULL)
        return snug_err_set(err, SNUG_ERR_NOMEM, "%s %.200s: cannot serialise the object", method,
                            path);
    st = kube_request(c, method, path, content_type, body, KUBE_MAX_RESPONSE, out, err);
    free(body);
    return st;
}

snug_status kube_apply(kube_client *c, const kube_resource *r, const char *ns, const char *name,
                       const cJSON *obj, const kube_write_opts *o, cJSON **out, snug_err *err)
{
    dynbuf url;
    snug_status st;

    if (o == NULL || o->field_manager == NULL || o->field_manager[0] == '\0')
        return snug_err_set(err, SNUG_ERR_INVALID, "apply %s: fieldManager is required",
                            r ? r->resource : "?");
    if (name == NULL)
        name = kube_obj_name(obj);
    if (ns == NULL)
        ns = kube_obj_namespace(obj);
    if (name == NULL)
        return snug_err_set(err, SNUG_ERR_INVALID, "apply %s: metadata.name: missing",
                            r ? r->resource : "?");
    dynbuf_init(&url, KUBE_MAX_PATH);
    st = object_url(&url, r, ns, name, o, err);
    if (st == SNUG_OK && o->force)
        st = kube_query_add(&url, "force", "true");
    if (st == SNUG_OK)
        st = send_object(c, "PATCH", dynbuf_str(&url), "application/apply-patch+yaml", obj, out,
                         err);
    dynbuf_free(&url);
    return st;
}

static const char *patch_content_type(kube_patch_type type)
{
    switch (type) {
    case KUBE_PATCH_JSON:
        return "application/json-patch+json";
    case KUBE_PATCH_MERGE:
        return "application/merge-patch+json";
    case KUBE_PATCH_STRATEGIC:
        return "application/strategic-merge-patch+json";
    }
    return NULL;
}

snug_status kube_patch(kube_client *c, const kube_resource *r, const char *ns, const char *name,
                       kube_patch_type type, const char *patch, const kube_write_opts *o,
                       cJSON **out, snug_err *err)
{
    const char *ctype = patch_content_type(type);
    dynbuf url;
    snug_status st;

    if (ctype == NULL || patch == NULL)
        return snug_err_set(err, SNUG_ERR_INVALID, "patch %s: bad patch type or empty patch",
                            r ? r->resource : "?");
    if (name == NULL)
        return snug_err_set(err, SNUG_ERR_INVALID, "patch %s: object name missing",
                            r ? r->resource : "?");
    dynbuf_init(&url, KUBE_MAX_PATH);
    st = object_url(&url, r, ns, name, o, err);
    if (st == SNUG_OK)
        st = kube_request(c, "PATCH", dynbuf_str(&url), ctype, patch, KUBE_MAX_RESPONSE, out, err);
    dynbuf_free(&url);
    return st;
}

snug_status kube_create(kube_client *c, const kube_resource *r, const char *ns, const cJSON *obj,
                        const kube_write_opts *o, cJSON **out, snug_err *err)
{
    dynbuf url;
    snug_status st;

    if (ns == NULL)
        ns = kube_obj_namespace(obj);
    dynbuf_init(&url, KUBE_MAX_PATH);
    st = object_url(&url, r, ns, NULL, o, err);
    if (st == SNUG_OK)
        st = send_object(c, "POST", dynbuf_str(&url), "application/json", obj, out, err);
    dynbuf_free(&url);
    return st;
}

snug_status kube_update(kube_client *c, const kube_resource *r, const char *ns, const char *name,
                        const cJSON *obj, const kube_write_opts *o, cJSON **out, snug_err *err)
{
    dynbuf url;
    snug_status st;

    if (name == NULL)
        name = kube_obj_name(obj);
    if (ns == NULL)
        ns = kube_obj_namespace(obj);
    if (name == NULL)
        return snug_err_set(err, SNUG_ERR_INVALID, "update %s: metadata.name: missing",
                            r ? r->resource : "?");
    dynbuf_init(&url, KUBE_MAX_PATH);
    st = object_url(&url, r, ns, name, o, err);
    if (st == SNUG_OK)
        st = send_object(c, "PUT", dynbuf_str(&url), "application/json", obj, out, err);
    dynbuf_free(&url);
    return st;
}

snug_status kube_delete(kube_client *c, const kube_resource *r, const char *ns, const char *name,
                        snug_err *err)
{
    static const char body[] =
        "{\"kind\":\"DeleteOptions\",\"apiVersion\":\"v1\",\"propagationPolicy\":\"Background\"}";
    dynbuf url;
    snug_status st;

    if (name == NULL)
        return snug_err_set(err, SNUG_ERR_INVALID, "delete %s: object name missing",
                            r ? r->resource : "?");
    dynbuf_init(&url, KUBE_MAX_PATH);
    st = kube_path_build(&url, r, ns, name, NULL, err);
    if (st == SNUG_OK)
        st = kube_request(c, "DELETE", dynbuf_str(&url), "application/json", body,
                          KUBE_MAX_RESPONSE, NULL, err);
    dynbuf_free(&url);
    return st;
}
