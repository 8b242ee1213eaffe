/* podname.h -- which workload a Pod belongs to, from its name alone.
 *
 * Without the API server or kube-state-metrics (a report from Prometheus
 * only), the Pod name is all there is. Controllers name their Pods in a
 * fixed way, so the name says the workload, sometimes ambiguously:
 *
 *   Deployment   <deployment>-<pod-template-hash>-<5 random>   web-7d4b9c8f6-x2x4k
 *   CronJob      <cronjob>-<scheduled minute>-<5 random>       backup-29112345-q8z2m
 *   StatefulSet  <statefulset>-<ordinal>                       db-0, db-12
 *   DaemonSet    <daemonset>-<5 random>                        node-agent-7xk2p
 *   Job          <job>-<5 random>                              migrate-7xk2p
 *   Pod          anything else: the Pod is its own workload
 *
 * The random parts come from Kubernetes' alphabet "bcdfghjklmnpqrstvwxz2456789"
 * (no vowels, no 0, 1, 3), the pod-template-hash from the same alphabet (up
 * to 10 characters), the CronJob's scheduled time is minutes since the epoch
 * (8 or more digits). "web-7d4b9c8f6-x2x4k" fits a Deployment "web", a
 * DaemonSet or Job "web-7d4b9c8f6"; callers that know which workloads exist
 * (the API server's lists) take the first candidate that exists, others the
 * first candidate.
 */
#ifndef SNUG_PODNAME_H
#define SNUG_PODNAME_H

#include <stdbool.h>
#include <stddef.h>

#include "model/workload.h"

/* Most candidates podname_candidates() returns. */
#define PODNAME_MAX_CANDIDATES 6

/* True when s[0..len) is made only of Kubernetes' random-name alphabet. */
bool podname_random_chars(const char *s, size_t len);

/* The workloads Pod `pod` may belong to, most likely first, into out[0..cap);
 * returns how many (at least 1 for a non-empty name that fits a
 * workload_ref: the Pod itself comes last; 0 for NULL, "" or a name of
 * WORKLOAD_NAME_MAX characters or more). */
size_t podname_candidates(const char *pod, workload_ref *out, size_t cap);

#endif
