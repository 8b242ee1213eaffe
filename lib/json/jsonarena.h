/* jsonarena.h -- a per-thread bump allocator for the cJSON trees of one
 * request.
 *
 * Answering an AdmissionReview parses a ~6 KB document into hundreds of
 * cJSON nodes and strings, copies the Pod, builds a patch and prints the
 * answer: over a thousand small malloc/free pairs, which cost more than the
 * parsing itself. Inside jsonarena_begin()/jsonarena_end() on a thread, every
 * allocation cJSON makes on that thread comes from large chunks owned by the
 * arena, cJSON's frees of them cost nothing, and jsonarena_end() hands the
 * chunks back for the next request in one step.
 *
 * Rules (the price of speed):
 *  - every cJSON object created inside the window must be deleted, or simply
 *    dropped, before jsonarena_end(); none may escape it. Copy out what must
 *    outlive the request (e.g. the response text) with plain malloc.
 *  - objects created outside the window may be read, and deleted, inside it:
 *    the free hook recognises arena memory and passes anything else to free().
 *  - inside a window every allocation comes from the arena: one larger than
 *    JSONARENA_BIG gets a block of its own, freed with the window. So a tree
 *    built inside the window from fresh nodes lives entirely in the arena and
 *    need not be walked to be freed (jsonarena_delete).
 *  - a window holds at most JSONARENA_BUDGET bytes: beyond it allocations
 *    fail (cJSON reports out of memory), so one hostile request cannot make a
 *    thread take more than that.
 * Threads without an open window use malloc/free unchanged. Every thread has
 * its own arena (thread-local), released when the thread exits.
 */
#ifndef SNUG_JSONARENA_H
#define SNUG_JSONARENA_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#define JSONARENA_CHUNK  (64u * 1024u)         /* bytes per chunk */
#define JSONARENA_BIG    (16u * 1024u)         /* larger ones get a block of their own */
#define JSONARENA_BUDGET (64u * 1024u * 1024u) /* per window, then allocations fail */

/* Install the cJSON hooks. Until then, begin/end do nothing. Call it
 * before other threads use cJSON (cJSON_InitHooks is not atomic); calling it
 * again puts the hooks back if something replaced them (a test that installs
 * its own between arena runs). With other hooks in place, no window may be
 * open: memory of the arena would reach them. */
void jsonarena_install(void);

/* Open this thread's window. Windows do not nest: a second begin is a no-op
 * that returns 0; the first returns 1. */
int jsonarena_begin(void);

/* Close this thread's window and recycle its memory (one chunk is kept for
 * the next window, the rest is released). */
void jsonarena_end(void);

/* Whether this thread has an open window: cJSON allocations come from the
 * arena and cJSON's frees of them do nothing until jsonarena_end(). */
bool jsonarena_active(void);

/* Whether `p` is memory of this thread's open window. */
bool jsonarena_owns(const void *p);

/* Free a tree: nothing to do when its root lives in this thread's open
 * window (jsonarena_end reclaims it, without walking it), cJSON_Delete
 * otherwise. Only for trees built inside the window from fresh nodes: a node
 * made outside and moved into such a tree would leak. NULL is fine. */
void jsonarena_delete(cJSON *item);

/* The allocator itself (the malloc hook cJSON gets): n bytes from this
 * thread's open window, or from malloc() when none is open. NULL when the
 * window's budget is spent or memory runs out. jsonparse calls it directly
 * for the nodes it builds in a window. */
void *jsonarena_alloc(size_t n);

/* Bytes handed out in this thread's current window (for tests). */
size_t jsonarena_used(void);

#endif
