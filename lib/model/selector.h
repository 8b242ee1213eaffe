/* selector.h -- Kubernetes label selectors (metav1.LabelSelector).
 *
 * { matchLabels: {k: v}, matchExpressions: [{key, operator, values}] } where
 * operator is In, NotIn, Exists or DoesNotExist. Semantics follow Kubernetes:
 * all requirements must hold (AND); an empty selector ({}) matches everything;
 * In needs a non-empty values list and the key present with one of them;
 * NotIn matches when the key is absent or its value is not listed; Exists /
 * DoesNotExist must have no values. Keys and values are checked for the
 * Kubernetes label syntax (optional DNS-subdomain prefix + "/" + name of at
 * most 63 chars; values at most 63 chars of [A-Za-z0-9._-], starting and
 * ending alphanumeric, or empty).
 *
 * Parsing is strict, because a selector that silently reads wider than meant
 * selects the wrong Pods: unknown fields (`matchLabel:`, a requirement's
 * `value:`) are refused, and so are wrong JSON types (matchLabels given as a
 * list, a label value given as a number: `version: 1.0` needs quotes).
 * Matching: a label whose value is not a string never satisfies In, always
 * satisfies NotIn, and counts as present for Exists; a null label is absent.
 */
#ifndef SNUG_SELECTOR_H
#define SNUG_SELECTOR_H

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "base/status.h"

typedef struct label_selector label_selector;

/* Parse `json` (may be NULL or JSON null: matches everything) into *out
 * (caller frees with selector_free). `field` is the path used in error
 * messages, e.g. "spec.namespaceSelector": errors read
 * "spec.namespaceSelector.matchExpressions[1].operator: unsupported operator
 * \"Like\" (In, NotIn, Exists, DoesNotExist)",
 * "spec.selector.matchExpressions[0].values: must be non-empty for operator In",
 * "spec.selector.matchLabels[app]: must be a string, got a number (quote it in
 * YAML)". NULL or "" field reads "selector". All errors are
 * SNUG_ERR_INVALID (NOMEM aside); *out is NULL on failure. */
snug_status selector_parse(const cJSON *json, const char *field, label_selector **out,
                           snug_err *err);

/* Whether the labels object (a JSON object of string values; NULL = no
 * labels) satisfies the selector. NULL selector matches everything. */
bool selector_matches(const label_selector *s, const cJSON *labels);

/* True when the selector has no requirements (matches everything). */
bool selector_is_empty(const label_selector *s);

void selector_free(label_selector *s);

/* Label syntax checks, shared with the policy validation. */
bool label_key_valid(const char *key);
bool label_value_valid(const char *value);

/* The same checks, saying what is wrong: NULL when valid, else a constant
 * sentence such as "name part must be no more than 63 characters". */
const char *label_key_error(const char *key);
const char *label_value_error(const char *value);

/* Parse "k=v,k2=v2" (the CLI's --namespace-labels) into a new JSON object.
 * Blanks around pairs, keys and values are trimmed ("a = b, c=d" works); the
 * empty (or all-blank) string gives {}; a value may be empty ("a="). An empty
 * pair ("a=b,,c=d", a trailing comma), a pair without '=', a bad key or value,
 * or a key given twice is SNUG_ERR_INVALID naming the pair. Caller owns *out;
 * NULL on failure. */
snug_status labels_parse_kv(const char *s, cJSON **out, snug_err *err);

#endif
