/* webhook_metrics.h -- the webhook's Prometheus metrics, in one place.
 *
 *   snug_webhook_requests_total{result}             counter
 *   snug_webhook_request_duration_seconds           histogram
 *   snug_webhook_request_body_bytes                 histogram
 *   snug_webhook_response_body_bytes                histogram
 *   snug_webhook_mutations_total{kind}              counter (resources, probes, go-env)
 *   snug_webhook_cache_objects{kind}                gauge (policies, recommendations,
 *                                                   namespaces, limitranges)
 *   snug_webhook_ready                              gauge 0/1
 *   snug_webhook_certificate_expiry_timestamp_seconds gauge
 *   snug_webhook_certificate_reloads_total{result}  counter (ok, error)
 *   snug_webhook_source_reloads_total{source,result} counter
 *   process_* (resident memory, cpu, open fds, start time)
 * result is an admission_outcome name or one of payload_too_large,
 * unsupported_media_type, not_found, method_not_allowed.
 */
#ifndef SNUG_WEBHOOK_METRICS_H
#define SNUG_WEBHOOK_METRICS_H

#include <stddef.h>

#include "base/dynbuf.h"
#include "base/status.h"
#include "webhook/store.h"
#include "webhook/tls_keeper.h"

/* Register the families; store and keeper (may be NULL) are read at scrape
 * time. Idempotent: a second call replaces the store/keeper pointers. */
snug_status wh_metrics_init(store *s, tls_keeper *k);
void wh_metrics_free(void);

void wh_metrics_request(const char *result, double seconds, size_t in_bytes, size_t out_bytes);
void wh_metrics_mutations(unsigned changed);
void wh_metrics_set_ready(int ready);
void wh_metrics_cert_reload(int ok);
void wh_metrics_source_reload(const char *source, int ok);

/* Render everything in Prometheus text format 0.0.4. */
snug_status wh_metrics_render(dynbuf *out);

#endif
