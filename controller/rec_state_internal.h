/* rec_state_internal.h -- the layout of rec_state, shared by rec_state.c
 * (samples, trim) and rec_state_codec.c (save/load) only. */
#ifndef SNUG_REC_STATE_INTERNAL_H
#define SNUG_REC_STATE_INTERNAL_H

#include "controller/rec_state.h"

typedef struct rec_pod {
    uint64_t id;       /* FNV-1a 64 of the Pod name */
    uint64_t gen;      /* FNV-1a 64 of the name up to its last '-' (the template) */
    double last_cpu_t; /* latest CPU sample time; 0 when none */
    double last_mem_t; /* latest memory sample time; 0 when none */
    int64_t mem_iv;    /* open memory interval (floor(t / REC_MEM_INTERVAL)); -1 none */
    double mem_peak;   /* its peak so far, bytes */
} rec_pod;

struct rec_state {
    double half_life;
    double since;  /* window start from the last trim; -1 before any */
    double latest; /* newest sample time seen; 0 when none */
    histogram cpu, mem;
    /* the newest Pod template (generation) and what its Pods did */
    uint64_t gen;
    uint64_t prev_gen; /* the template it replaced: its Pods never make a rollout */
    double gen_since;  /* first sample of the generation; 0 when none */
    double gen_cpu_max, gen_mem_max;
    histogram gen_cpu, gen_mem;
    rec_pod *pods; /* owned, n_pods used, cap_pods allocated */
    size_t n_pods, cap_pods;
    size_t last_pod;            /* index of the Pod found last (a hint, checked) */
    rec_day days[REC_MAX_DAYS]; /* oldest first */
    size_t n_days;
    rec_oom ooms[REC_MAX_OOMS]; /* oldest first */
    size_t n_ooms;
};

/* Close a Pod's open memory interval: its peak goes into s->mem. */
void rec_state_close_interval(rec_state *s, rec_pod *p);

#endif
