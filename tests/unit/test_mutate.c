/* Unit tests for the mutation engine: requests and limits, strategies,
 * LimitRange, container kinds, modes, odd input. Probes and Go env are in
 * test_mutate_probes.c and test_mutate_goenv.c. */
#include "test_mutate_harness.h"

/* Resources only: no probes, no Go env. */
#define RES_ONLY "probes: {inject: Never}, goRuntime: {detect: Never}"
#define P_BASE   "{" RES_ONLY "}"
#define POD1(c)  "{metadata: {name: p}, spec: {containers: [" c "]}}"
#define C0       "/spec/containers/0/resources"
#define C1       "/spec/containers/1/resources"
#define ANN      "/metadata/annotations/snug.dev~1mutated"
#define REC(c)   "[{name: app, " c "}]"

static const mcase resource_cases[] = {
    /* No recommendation: the default requests, and no limit guessed from
     * them (a 64Mi limit would OOM-kill any program that needs more). */
    {"defaults fill a bare container's requests, never a limit",
     POD1("{name: app, image: nginx}"),
     P_BASE,
     NULL,
     {NULL},
     false,
     {C0 "/requests/cpu=50m", C0 "/requests/memory=64Mi", C0 "/limits=~", ANN "=resources",
      "changed=resources", "nW=0", "!audit", "skipped=", "ops=3"}},
    {"built-in default policy: requests, no limit",
     POD1("{name: app, image: nginx}"),
     NULL,
     NULL,
     {NULL},
     false,
     {C0 "/requests/cpu=50m", C0 "/requests/memory=64Mi", C0 "/limits=~", ANN "=resources",
      "changed=resources", "nW=0"}},
    {"IfMissing keeps the user's request",
     POD1("{name: app, resources: {requests: {cpu: 300m}}}"),
     P_BASE,
     REC("target: {cpu: 250m, memory: 300Mi}"),
     {NULL},
     false,
     {C0 "/requests/cpu=300m", C0 "/requests/memory=300Mi", C0 "/limits/memory=300Mi",
      C0 "/limits/cpu=~"}},
    {"Always sets the recommendation",
     POD1("{name: app, resources: {requests: {cpu: 300m, memory: 1Gi}, limits: {memory: 2Gi}}}"),
     "{resources: {apply: Always}, " RES_ONLY "}",
     REC("target: {cpu: 250m, memory: 300Mi}"),
     {NULL},
     false,
     {C0 "/requests/cpu=250m", C0 "/requests/memory=300Mi", C0 "/limits/memory=300Mi", "nW=0"}},
    {"Always: a default never overwrites a user value",
     POD1("{name: app, resources: {requests: {cpu: 300m}}}"),
     "{resources: {apply: Always}, " RES_ONLY "}",
     NULL,
     {NULL},
     false,
     {C0 "/requests/cpu=300m", C0 "/requests/memory=64Mi", C0 "/limits=~"}},
    {"recommendation for cpu only, default for memory: no memory limit",
     POD1("{name: app}"),
     P_BASE,
     REC("target: {cpu: 250m}, upperBound: {memory: 1Gi}"),
     {NULL},
     false,
     {C0 "/requests/cpu=250m", C0 "/requests/memory=64Mi", C0 "/limits=~"}},
    {"recommendation for another container only",
     POD1("{name: app}"),
     P_BASE,
     "[{name: other, target: {cpu: '1'}}]",
     {NULL},
     false,
     {C0 "/requests/cpu=50m"}},
    {"minAllowed raises the recommendation",
     POD1("{name: app}"),
     P_BASE,
     REC("target: {cpu: 5m, memory: 10Mi}"),
     {NULL},
     false,
     {C0 "/requests/cpu=10m", C0 "/requests/memory=32Mi", C0 "/limits/memory=32Mi",
      "W~container app: cpu request 5m raised to minAllowed 10m",
      "W~container app: memory request 10Mi raised to minAllowed 32Mi", "nW=2"}},
    /* A 16Gi limit would kill a container seen to use 20Gi: none is set. */
    {"maxAllowed lowers the recommendation, and sets no limit below it",
     POD1("{name: app}"),
     P_BASE,
     REC("target: {cpu: '12', memory: 20Gi}"),
     {NULL},
     false,
     {C0 "/requests/cpu=\"8\"", C0 "/requests/memory=16Gi", C0 "/limits=~",
      "W~container app: cpu request 12 lowered to maxAllowed 8",
      "W~container app: memory request 20Gi lowered to maxAllowed 16Gi",
      "W~container app: memory limit not set to maxAllowed 16Gi: below the 20Gi the "
      "recommendation says it uses",
      "nW=3"}},
    {"Always: a user limit stays when maxAllowed is below what was seen",
     POD1("{name: app, resources: {requests: {memory: 1Gi}, limits: {memory: 30Gi}}}"),
     "{resources: {apply: Always}, " RES_ONLY "}",
     REC("target: {memory: 20Gi}"),
     {NULL},
     false,
     {C0 "/requests/memory=16Gi", C0 "/limits/memory=30Gi",
      "W~container app: memory limit not set to maxAllowed 16Gi: below the 20Gi", "nW=2"}},
    {"maxAllowed at or above what was seen still caps the limit",
     POD1("{name: app}"),
     "{resources: {memoryLimit: {strategy: Ratio, ratio: 2}}, " RES_ONLY "}",
     REC("target: {memory: 10Gi}, upperBound: {memory: 16Gi}"),
     {NULL},
     false,
     {C0 "/requests/memory=10Gi", C0 "/limits/memory=16Gi", "nW=1",
      "W~container app: memory limit 20Gi lowered to maxAllowed 16Gi"}},
    {"cpu rounds up to a millicore, memory up to a MiB",
     POD1("{name: app}"),
     P_BASE,
     REC("target: {cpu: 250.5m, memory: 100000000}"),
     {NULL},
     false,
     {C0 "/requests/cpu=251m", C0 "/requests/memory=96Mi", C0 "/limits/memory=96Mi"}},
    {"container override of minAllowed",
     POD1("{name: app}"),
     "{containers: [{name: app, minAllowed: {cpu: 100m}}], " RES_ONLY "}",
     REC("target: {cpu: 50m, memory: 16Mi}"),
     {NULL},
     false,
     {C0 "/requests/cpu=100m", C0 "/requests/memory=32Mi"}},
    {"no default for a resource leaves it alone",
     POD1("{name: app}"),
     "{resources: {defaults: {requests: {cpu: 50m}}}, " RES_ONLY "}",
     NULL,
     {NULL},
     false,
     {C0 "/requests/cpu=50m", C0 "/requests/memory=~", C0 "/limits=~"}},
};

static const mcase limit_cases[] = {
    {"KeepRatio keeps the user's limit/request ratio",
     POD1("{name: app, resources: {requests: {cpu: 200m, memory: 100Mi}, limits: {cpu: 400m, "
          "memory: 100Mi}}}"),
     "{resources: {apply: Always, cpuLimit: {strategy: KeepRatio}}, " RES_ONLY "}",
     REC("target: {cpu: 300m, memory: 100Mi}"),
     {NULL},
     false,
     {C0 "/requests/cpu=300m", C0 "/limits/cpu=600m", C0 "/requests/memory=100Mi",
      C0 "/limits/memory=100Mi", "ops=3"}},
    {"KeepRatio without an original limit sets none",
     POD1("{name: app, resources: {requests: {cpu: 200m}}}"),
     "{resources: {apply: Always, cpuLimit: {strategy: KeepRatio}}, " RES_ONLY "}",
     REC("target: {cpu: 300m, memory: 100Mi}"),
     {NULL},
     false,
     {C0 "/requests/cpu=300m", C0 "/limits/cpu=~", C0 "/limits/memory=100Mi"}},
    {"KeepRatio under IfMissing changes nothing the user set",
     POD1("{name: app, resources: {requests: {cpu: 200m, memory: 64Mi}, limits: {cpu: 400m, "
          "memory: 64Mi}}}"),
     "{resources: {cpuLimit: {strategy: KeepRatio}}, " RES_ONLY "}",
     REC("target: {cpu: 300m, memory: 100Mi}"),
     {NULL},
     false,
     {C0 "/requests/cpu=200m", C0 "/limits/cpu=400m", "ops=0", "changed=", ANN "=~"}},
    {"Ratio on cpu and memory",
     POD1("{name: app}"),
     "{resources: {cpuLimit: {strategy: Ratio, ratio: 2}, memoryLimit: {strategy: Ratio, ratio: "
     "1.5}}, " RES_ONLY "}",
     REC("target: {cpu: 250m, memory: 300Mi}"),
     {NULL},
     false,
     {C0 "/limits/cpu=500m", C0 "/limits/memory=450Mi"}},
    {"Ratio 1.1 is exact",
     POD1("{name: app}"),
     "{resources: {cpuLimit: {strategy: Ratio, ratio: 1.1}}, " RES_ONLY "}",
     REC("target: {cpu: 100m}"),
     {NULL},
     false,
     {C0 "/limits/cpu=110m"}},
    {"Ratio takes the recommendation's OOM-aware limit when larger",
     POD1("{name: app}"),
     P_BASE,
     REC("target: {memory: 300Mi}, limits: {memory: 512Mi}"),
     {NULL},
     false,
     {C0 "/requests/memory=300Mi", C0 "/limits/memory=512Mi"}},
    {"Ratio keeps request x ratio over a smaller recommended limit",
     POD1("{name: app}"),
     P_BASE,
     REC("target: {memory: 300Mi}, limits: {memory: 256Mi}"),
     {NULL},
     false,
     {C0 "/limits/memory=300Mi"}},
    {"limits snug sets stay within maxAllowed",
     POD1("{name: app}"),
     "{resources: {cpuLimit: {strategy: Ratio, ratio: 2}}, " RES_ONLY "}",
     REC("target: {cpu: '6'}"),
     {NULL},
     false,
     {C0 "/requests/cpu=\"6\"", C0 "/limits/cpu=\"8\"",
      "W~container app: cpu limit 12 lowered to maxAllowed 8", "nW=1"}},
    {"IfMissing leaves a user limit alone, and the request it implies",
     POD1("{name: app, resources: {limits: {memory: 1Gi}}}"),
     P_BASE,
     REC("target: {memory: 300Mi}"),
     {NULL},
     false,
     {C0 "/requests/memory=~", C0 "/limits/memory=1Gi", C0 "/requests/cpu=50m", "nW=0"}},
    {"no recommendation: no limit from the user's own request",
     POD1("{name: app, resources: {requests: {memory: 200Mi}}}"),
     P_BASE,
     NULL,
     {NULL},
     false,
     {C0 "/requests/memory=200Mi", C0 "/limits=~", C0 "/requests/cpu=50m"}},
    {"Ratio from the user's own request, with a recommendation",
     POD1("{name: app, resources: {requests: {memory: 200Mi}}}"),
     P_BASE,
     REC("target: {memory: 150Mi}"),
     {NULL},
     false,
     {C0 "/requests/memory=200Mi", C0 "/limits/memory=200Mi", C0 "/requests/cpu=50m"}},
    {"a limit is never below the recommendation's target",
     POD1("{name: app, resources: {requests: {memory: 200Mi}}}"),
     P_BASE,
     REC("target: {memory: 300Mi}"),
     {NULL},
     false,
     {C0 "/requests/memory=200Mi", C0 "/limits/memory=300Mi", "nW=0"}},
    {"a limit is never below the recommendation's upperBound",
     POD1("{name: app}"),
     P_BASE,
     REC("target: {memory: 300Mi}, upperBound: {memory: 400Mi}, limits: {memory: 350Mi}"),
     {NULL},
     false,
     {C0 "/requests/memory=300Mi", C0 "/limits/memory=400Mi"}},
    {"a limit is never below the observed peak",
     POD1("{name: app}"),
     "{resources: {cpuLimit: {strategy: Ratio, ratio: 2}}, " RES_ONLY "}",
     REC("target: {cpu: 250m, memory: 300Mi}, observed: {cpu: {max: 1100m}, memoryPeak: 450Mi}"),
     {NULL},
     false,
     {C0 "/requests/cpu=250m", C0 "/limits/cpu=1100m", C0 "/requests/memory=300Mi",
      C0 "/limits/memory=450Mi"}},
    {"KeepRatio is raised to what was seen too",
     POD1("{name: app, resources: {requests: {memory: 100Mi}, limits: {memory: 200Mi}}}"),
     "{resources: {apply: Always, memoryLimit: {strategy: KeepRatio}}, " RES_ONLY "}",
     REC("target: {memory: 300Mi}, upperBound: {memory: 700Mi}"),
     {NULL},
     false,
     {C0 "/requests/memory=300Mi", C0 "/limits/memory=700Mi"}},
    {"None sets no limit whatever was seen",
     POD1("{name: app}"),
     "{resources: {memoryLimit: {strategy: None}}, " RES_ONLY "}",
     REC("target: {memory: 300Mi}, upperBound: {memory: 700Mi}, limits: {memory: 1Gi}"),
     {NULL},
     false,
     {C0 "/requests/memory=300Mi", C0 "/limits=~"}},
    {"defaults.limits while there is no recommendation",
     POD1("{name: app}"),
     "{resources: {defaults: {requests: {cpu: 50m, memory: 64Mi}, limits: {memory: "
     "256Mi}}}, " RES_ONLY "}",
     NULL,
     {NULL},
     false,
     {C0 "/requests/memory=64Mi", C0 "/limits/memory=256Mi"}},
    {"defaults.limits give way to the strategy with a recommendation",
     POD1("{name: app}"),
     "{resources: {defaults: {requests: {cpu: 50m, memory: 64Mi}, limits: {memory: "
     "256Mi}}}, " RES_ONLY "}",
     REC("target: {memory: 300Mi}"),
     {NULL},
     false,
     {C0 "/limits/memory=300Mi"}},
    {"Always: request capped to a user limit",
     POD1("{name: app, resources: {limits: {cpu: 100m}}}"),
     "{resources: {apply: Always}, " RES_ONLY "}",
     REC("target: {cpu: 250m}"),
     {NULL},
     false,
     {C0 "/requests/cpu=100m", C0 "/limits/cpu=100m",
      "W~container app: cpu request 250m lowered to 100m (the limit set by the user is 100m)"}},
    {"LimitRanger-defaulted values count as missing; their limit is raised",
     "{metadata: {name: p, annotations: {kubernetes.io/limit-ranger: \"LimitRanger plugin set: "
     "cpu, memory request for container app; cpu, memory limit for container app\"}}, spec: "
     "{containers: [{name: app, resources: {requests: {cpu: 100m, memory: 128Mi}, limits: {cpu: "
     "200m, memory: 128Mi}}}]}}",
     P_BASE,
     REC("target: {cpu: 500m, memory: 300Mi}"),
     {NULL},
     false,
     {C0 "/requests/cpu=500m", C0 "/requests/memory=300Mi", C0 "/limits/memory=300Mi",
      C0 "/limits/cpu=500m", "W~container app: cpu limit 200m raised to 500m (up to the request"}},
    {"only the defaulted values count as missing",
     "{metadata: {name: p, annotations: {kubernetes.io/limit-ranger: \"LimitRanger plugin set: "
     "cpu request for container app\"}}, spec: {containers: [{name: app, resources: {requests: "
     "{cpu: 100m, memory: 1Gi}}}]}}",
     P_BASE,
     REC("target: {cpu: 500m, memory: 300Mi}"),
     {NULL},
     false,
     {C0 "/requests/cpu=500m", C0 "/requests/memory=1Gi", C0 "/limits/memory=1Gi"}},
    {"a user request above the user's limit is reported",
     POD1("{name: app, resources: {requests: {cpu: '2'}, limits: {cpu: '1'}}}"),
     P_BASE,
     NULL,
     {NULL},
     false,
     {C0 "/requests/cpu=\"2\"", C0 "/limits/cpu=\"1\"",
      "W~container app: cpu request 2 is not within its limit 1; the API server will refuse"}},
};

static const mcase limitrange_cases[] = {
    {"LimitRange max lowers request and limit",
     POD1("{name: app}"),
     P_BASE,
     REC("target: {cpu: '2', memory: 1Gi}"),
     {"[{type: Container, max: {cpu: '1', memory: 512Mi}}]"},
     false,
     {C0 "/requests/cpu=\"1\"", C0 "/requests/memory=512Mi", C0 "/limits/memory=512Mi",
      C0 "/limits/cpu=~", "W~container app: cpu request 2 lowered to 1 (LimitRange max 1)",
      "W~container app: memory limit 1Gi lowered to 512Mi (LimitRange max 512Mi)"}},
    {"LimitRange min raises request and limit",
     POD1("{name: app}"),
     P_BASE,
     REC("target: {cpu: 20m, memory: 64Mi}"),
     {"[{type: Container, min: {cpu: 100m, memory: 128Mi}}]"},
     false,
     {C0 "/requests/cpu=100m", C0 "/requests/memory=128Mi", C0 "/limits/memory=128Mi",
      "W~container app: cpu request 20m raised to 100m (LimitRange min 100m)"}},
    {"the strictest of several LimitRanges",
     POD1("{name: app}"),
     P_BASE,
     REC("target: {cpu: '3', memory: 64Mi}"),
     {"[{type: Container, max: {cpu: '2'}}]", "[{type: Container, max: {cpu: 1500m}}]"},
     false,
     {C0 "/requests/cpu=1500m"}},
    {"maxLimitRequestRatio raises the request",
     POD1("{name: app}"),
     "{resources: {cpuLimit: {strategy: Ratio, ratio: 4}}, " RES_ONLY "}",
     REC("target: {cpu: 250m}"),
     {"[{type: Container, maxLimitRequestRatio: {cpu: '2'}}]"},
     false,
     {C0 "/requests/cpu=500m", C0 "/limits/cpu=\"1\"",
      "W~container app: cpu request 250m raised to 500m (LimitRange maxLimitRequestRatio 2)"}},
    {"maxLimitRequestRatio broken by user values is reported",
     POD1("{name: app, resources: {requests: {cpu: 100m}, limits: {cpu: '1'}}}"),
     P_BASE,
     NULL,
     {"[{type: Container, maxLimitRequestRatio: {cpu: '2'}}]"},
     false,
     {C0 "/requests/cpu=100m",
      "W~cpu limit/request is above the LimitRange maxLimitRequestRatio 2; the API server"}},
    {"a LimitRange default limit below the request is raised",
     POD1("{name: app}"),
     P_BASE,
     REC("target: {cpu: 300m}"),
     {"[{type: Container, default: {cpu: 100m}, defaultRequest: {cpu: 50m}}]"},
     false,
     {C0 "/requests/cpu=300m", C0 "/limits/cpu=300m",
      "W~container app: cpu limit 100m raised to 300m"}},
    {"LimitRange Pod max scales down what snug set",
     "{spec: {containers: [{name: a}, {name: b}]}}",
     "{resources: {cpuLimit: {strategy: Ratio, ratio: 1}}, " RES_ONLY "}",
     "[{name: a, target: {cpu: 800m}}, {name: b, target: {cpu: 400m}}]",
     {"[{type: Pod, max: {cpu: '1'}}]"},
     false,
     {C0 "/requests/cpu=666m", C0 "/limits/cpu=666m", C1 "/requests/cpu=333m",
      C1 "/limits/cpu=333m",
      "W~Pod total cpu limits 1200m is above the LimitRange Pod max 1: lowered what snug set: a "
      "800m to 666m, b 400m to 333m",
      "W~Pod total cpu requests 1200m is above the LimitRange Pod max 1: lowered what snug set: "
      "a 800m to 666m, b 400m to 333m"}},
    {"LimitRange Pod max leaves user values",
     "{spec: {containers: [{name: a, resources: {requests: {cpu: 900m}, limits: {cpu: 900m}}}, "
     "{name: b}]}}",
     "{resources: {cpuLimit: {strategy: Ratio, ratio: 1}}, " RES_ONLY "}",
     "[{name: b, target: {cpu: 400m}}]",
     {"[{type: Pod, max: {cpu: '1'}}]"},
     false,
     {C0 "/requests/cpu=900m", C0 "/limits/cpu=900m", C1 "/requests/cpu=100m",
      C1 "/limits/cpu=100m", "W~lowered what snug set: b 400m to 100m"}},
    {"LimitRange Pod max: a limit snug set stays above the user's request",
     "{spec: {containers: [{name: a, resources: {requests: {memory: 5Gi}}}, {name: b}]}}",
     P_BASE,
     "[{name: a, target: {memory: 1Gi}}, {name: b, target: {memory: 2Gi}}]",
     {"[{type: Pod, max: {memory: 6Gi}}]"},
     false,
     {C0 "/requests/memory=5Gi", C0 "/limits/memory=5Gi", C1 "/requests/memory=1Gi",
      C1 "/limits/memory=1Gi",
      "W~Pod total memory limits 7Gi is above the LimitRange Pod max 6Gi: lowered what snug set: "
      "b 2Gi to 1Gi",
      "!W~kept at the request set by the user"}},
    {"LimitRange Pod max: only the part above a user's request is scaled",
     "{spec: {containers: [{name: a, resources: {requests: {cpu: 600m}}}, {name: b}]}}",
     "{resources: {cpuLimit: {strategy: Ratio, ratio: 2}}, " RES_ONLY "}",
     "[{name: a, target: {cpu: 100m}}, {name: b, target: {cpu: 300m}}]",
     {"[{type: Pod, max: {cpu: '1500m'}}]"},
     false,
     {C0 "/requests/cpu=600m", C0 "/limits/cpu=1050m", C1 "/requests/cpu=300m",
      C1 "/limits/cpu=450m",
      "W~Pod total cpu limits 1800m is above the LimitRange Pod max 1500m: lowered what snug set: "
      "a 1200m to 1050m, b 600m to 450m",
      "!W~Pod total cpu requests"}},
    {"LimitRange Pod max that cannot be met is reported",
     "{spec: {containers: [{name: a, resources: {requests: {cpu: 1200m}, limits: {cpu: 1200m}}}, "
     "{name: b}]}}",
     "{resources: {cpuLimit: {strategy: Ratio, ratio: 1}}, " RES_ONLY "}",
     "[{name: b, target: {cpu: 100m}}]",
     {"[{type: Pod, max: {cpu: '1'}}]"},
     false,
     {C1 "/requests/cpu=100m",
      "W~Pod total cpu limits 1300m is above the LimitRange Pod max 1; the API server will "
      "refuse"}},
    {"LimitRange Pod max caps an init container with the sidecars before it",
     "{spec: {initContainers: [{name: side, restartPolicy: Always}, {name: init}], containers: "
     "[{name: a}]}}",
     "{resources: {cpuLimit: {strategy: Ratio, ratio: 1}}, " RES_ONLY "}",
     "[{name: a, target: {cpu: 200m}}, {name: side, target: {cpu: 300m}}, {name: init, target: "
     "{cpu: 900m}}]",
     {"[{type: Pod, max: {cpu: '1'}}]"},
     false,
     {"/spec/initContainers/0/resources/limits/cpu=300m",
      "/spec/initContainers/1/resources/requests/cpu=700m",
      "/spec/initContainers/1/resources/limits/cpu=700m", C0 "/limits/cpu=200m",
      "W~Pod total cpu limits 1200m is above the LimitRange Pod max 1: lowered what snug set: "
      "init 900m to 700m"}},
    {"LimitRange Pod max counts init containers as Kubernetes does",
     "{spec: {initContainers: [{name: init}], containers: [{name: a}]}}",
     "{resources: {cpuLimit: {strategy: Ratio, ratio: 1}}, " RES_ONLY "}",
     "[{name: a, target: {cpu: 600m}}, {name: init, target: {cpu: 900m}}]",
     {"[{type: Pod, max: {cpu: '1'}}]"},
     false,
     {C0 "/requests/cpu=600m", "/spec/initContainers/0/resources/requests/cpu=900m",
      "!W~Pod total"}},
};

/* A request the user left out next to a limit they wrote is not missing: the
 * API server copies the limit into it, so the user asked for request = limit
 * (QoS Guaranteed when cpu and memory both do). */
#define LR_ANN(what)                                                                               \
    "{metadata: {name: p, annotations: {kubernetes.io/limit-ranger: \"LimitRanger plugin "         \
    "set: " what                                                                                   \
    "\"}}, spec: {containers: [{name: app, resources: {limits: {cpu: 500m, memory: 256Mi}}}]}}"
#define LIMITS_ONLY POD1("{name: app, resources: {limits: {cpu: 500m, memory: 256Mi}}}")

static const mcase qos_cases[] = {
    {"limits only: no default request under them (stays Guaranteed)",
     LIMITS_ONLY,
     P_BASE,
     NULL,
     {NULL},
     false,
     {C0 "/requests=~", C0 "/limits/cpu=500m", C0 "/limits/memory=256Mi", "ops=0",
      "changed=", ANN "=~", "nW=0"}},
    {"limits only, IfMissing: the recommendation does not move the implied request",
     LIMITS_ONLY,
     P_BASE,
     REC("target: {cpu: 200m, memory: 300Mi}, limits: {memory: 512Mi}"),
     {NULL},
     false,
     {C0 "/requests=~", C0 "/limits/memory=256Mi", "ops=0", "nW=0"}},
    {"limits only, Always: no default either",
     LIMITS_ONLY,
     "{resources: {apply: Always}, " RES_ONLY "}",
     NULL,
     {NULL},
     false,
     {"ops=0", "nW=0"}},
    {"limits only, Always: the recommendation sets the request, the limit rule follows",
     LIMITS_ONLY,
     "{resources: {apply: Always}, " RES_ONLY "}",
     REC("target: {cpu: 200m, memory: 300Mi}"),
     {NULL},
     false,
     {C0 "/requests/cpu=200m", C0 "/requests/memory=300Mi", C0 "/limits/cpu=500m",
      C0 "/limits/memory=300Mi", "nW=0"}},
    {"limits only, Always + KeepRatio: the implied ratio is 1",
     LIMITS_ONLY,
     "{resources: {apply: Always, cpuLimit: {strategy: KeepRatio}}, " RES_ONLY "}",
     REC("target: {cpu: 200m, memory: 300Mi}"),
     {NULL},
     false,
     {C0 "/requests/cpu=200m", C0 "/limits/cpu=200m", C0 "/requests/memory=300Mi",
      C0 "/limits/memory=300Mi", "nW=0"}},
    {"a limit on one resource only implies that request only",
     POD1("{name: app, resources: {limits: {memory: 256Mi}}}"),
     P_BASE,
     NULL,
     {NULL},
     false,
     {C0 "/requests/cpu=50m", C0 "/requests/memory=~", C0 "/limits/memory=256Mi",
      C0 "/limits/cpu=~", "ops=2"}},
    {"limits only on an init container and a sidecar",
     "{spec: {initContainers: [{name: init, resources: {limits: {cpu: 1, memory: 1Gi}}}, {name: "
     "side, restartPolicy: Always, resources: {limits: {cpu: 1, memory: 1Gi}}}], containers: "
     "[{name: app}]}}",
     P_BASE,
     NULL,
     {NULL},
     false,
     {"/spec/initContainers/0/resources/requests=~", "/spec/initContainers/1/resources/requests=~",
      C0 "/requests/cpu=50m"}},
    {"limits LimitRanger defaulted do not imply a request",
     LR_ANN("cpu, memory limit for container app"),
     P_BASE,
     NULL,
     {NULL},
     false,
     {C0 "/requests/cpu=50m", C0 "/requests/memory=64Mi", C0 "/limits/memory=256Mi",
      C0 "/limits/cpu=500m", "nW=0"}},
    {"limits LimitRanger defaulted: the recommendation fills the request",
     LR_ANN("cpu, memory request for container app; cpu, memory limit for container app"),
     P_BASE,
     REC("target: {cpu: 200m, memory: 300Mi}"),
     {NULL},
     false,
     {C0 "/requests/cpu=200m", C0 "/requests/memory=300Mi", C0 "/limits/memory=300Mi",
      C0 "/limits/cpu=500m", "nW=0"}},
    {"a LimitRanger-defaulted cpu limit beside a user memory limit",
     LR_ANN("cpu limit for container app"),
     P_BASE,
     REC("target: {cpu: 200m, memory: 300Mi}"),
     {NULL},
     false,
     {C0 "/requests/cpu=200m", C0 "/requests/memory=~", C0 "/limits/cpu=500m",
      C0 "/limits/memory=256Mi"}},
    {"the implied request is the user's for the LimitRange too",
     POD1("{name: app, resources: {limits: {cpu: '2'}}}"),
     P_BASE,
     NULL,
     {"[{type: Container, max: {cpu: '1'}}]"},
     false,
     {C0 "/requests/cpu=~", C0 "/limits/cpu=\"2\"",
      "W~container app: cpu limit 2 is not within LimitRange max 1; the API server will refuse",
      "W~container app: cpu request 2 is not within LimitRange max 1; the API server will "
      "refuse"}},
    {"an implied request meets maxLimitRequestRatio",
     POD1("{name: app, resources: {limits: {cpu: '2', memory: 1Gi}}}"),
     P_BASE,
     REC("target: {cpu: 100m, memory: 100Mi}"),
     {"[{type: Container, maxLimitRequestRatio: {cpu: '2', memory: '2'}}]"},
     false,
     {"ops=0", "nW=0"}},
};

/* Quantities at the edge of int64 (a quantity above it saturates). */
static const mcase huge_cases[] = {
    {"Pod total of two huge user values does not wrap",
     "{spec: {containers: [{name: a, resources: {requests: {memory: 7Ei}, limits: {memory: 7Ei}}}, "
     "{name: b, resources: {requests: {memory: 7Ei}, limits: {memory: 7Ei}}}]}}",
     P_BASE,
     NULL,
     {"[{type: Pod, max: {memory: 6Gi}}]"},
     false,
     {C0 "/requests/memory=7Ei", C1 "/limits/memory=7Ei",
      "W~Pod total memory limits 16140901064495857664 is above the LimitRange Pod max 6Gi; the "
      "API server will refuse",
      "W~Pod total memory requests 16140901064495857664 is above the LimitRange Pod max 6Gi; the "
      "API server will refuse"}},
    {"a request beyond int64 leaves the container alone (fuzzer: Pod total)",
     "{spec: {containers: [{name: a, resources: {requests: {memory: '1e25'}}}, {name: b}]}}",
     P_BASE,
     "[{name: b, target: {memory: 64Mi}}]",
     {"[{type: Pod, max: {memory: 6Gi}}]"},
     false,
     {C0 "/requests/memory=\"1e25\"", C0 "/limits=~", C1 "/limits/memory=64Mi",
      "W~container a: resources.requests.memory: too large (above 2^63-1 bytes); its resources "
      "are left alone",
      "!W~Pod total", "nW=1"}},
    {"a cpu limit beyond int64 too",
     POD1("{name: a, resources: {limits: {cpu: 9223372036854775808m}}}"),
     P_BASE,
     NULL,
     {NULL},
     false,
     {"W~container a: resources.limits.cpu: too large (above 2^63-1 millicores)", "ops=0"}},
    {"2^63-1 millicores exactly is understood",
     POD1("{name: a, resources: {requests: {cpu: 9223372036854775807m}}}"),
     P_BASE,
     NULL,
     {NULL},
     false,
     {C0 "/requests/cpu=9223372036854775807m", C0 "/requests/memory=64Mi", "nW=0"}},
    {"binary quantities are capped at 2^63-1 as Kubernetes does",
     POD1("{name: a, resources: {requests: {memory: 16Ei}}}"),
     P_BASE,
     "[{name: a, target: {memory: 64Mi}}]",
     {NULL},
     false,
     {C0 "/requests/memory=16Ei", C0 "/limits/memory=\"9223372036854775807\"", "!W~too large"}},
    {"huge init container and sidecars",
     "{spec: {initContainers: [{name: s1, restartPolicy: Always, resources: {requests: {cpu: "
     "'9000000000000000'}}}, {name: s2, restartPolicy: Always, resources: {requests: {cpu: "
     "'9000000000000000'}}}, {name: init, resources: {requests: {cpu: '9000000000000000'}}}], "
     "containers: [{name: a}]}}",
     P_BASE,
     NULL,
     {"[{type: Pod, max: {cpu: '4'}}]"},
     false,
     {C0 "/requests/cpu=50m",
      "W~Pod total cpu requests 27P is above the LimitRange Pod max 4; the API server will "
      "refuse"}},
    {"a huge recommendation against a Pod max",
     "{spec: {containers: [{name: app}, {name: b}]}}",
     "{resources: {maxAllowed: {cpu: '9000000000000000', memory: 7Ei}, cpuLimit: {strategy: "
     "Ratio, ratio: 2}}, " RES_ONLY "}",
     "[{name: app, target: {cpu: '9000000000000000', memory: 7Ei}}, {name: b, target: {cpu: "
     "'9000000000000000', memory: 7Ei}}]",
     {"[{type: Pod, max: {cpu: '4', memory: 8Gi}}]"},
     false,
     {C0 "/requests/cpu=\"2\"", C1 "/requests/cpu=\"2\"", C0 "/requests/memory=4Gi",
      C1 "/limits/memory=4Gi",
      "W~Pod total cpu limits 18P is above the LimitRange Pod max 4: lowered what snug set: app "
      "9P to 2, b 9P to 2",
      "W~Pod total memory limits 16140901064495857664 is above the LimitRange Pod max 8Gi: "
      "lowered what snug set: app 7Ei to 4Gi, b 7Ei to 4Gi"}},
};

static const mcase odd_cases[] = {
    {"a garbage quantity leaves that container alone",
     "{spec: {containers: [{name: a, resources: {requests: {cpu: 12x}}}, {name: b}]}}",
     P_BASE,
     NULL,
     {NULL},
     false,
     {C0 "/requests/cpu=12x", C0 "/requests/memory=~", C1 "/requests/cpu=50m",
      "W~container a: resources.requests.cpu: ", "W~its resources are left alone"}},
    {"a negative quantity leaves that container alone",
     POD1("{name: a, resources: {limits: {memory: -1Gi}}}"),
     P_BASE,
     NULL,
     {NULL},
     false,
     {C0 "/requests=~", "W~container a: resources.limits.memory: must not be negative", "ops=0"}},
    {"quantities given as numbers",
     POD1("{name: a, resources: {requests: {cpu: 1, memory: 1073741824}}}"),
     P_BASE,
     "[{name: a, target: {memory: 512Mi}}]",
     {NULL},
     false,
     {C0 "/requests/cpu=1", C0 "/requests/memory=1073741824", C0 "/limits/memory=1Gi"}},
    {"a number equal to the recommendation is not rewritten",
     POD1("{name: app, resources: {requests: {cpu: 1, memory: 268435456}, limits: {memory: "
          "268435456}}}"),
     "{resources: {apply: Always}, " RES_ONLY "}",
     REC("target: {cpu: 1000m, memory: 256Mi}"),
     {NULL},
     false,
     {"ops=0", "changed="}},
    {"resources of the wrong type",
     POD1("{name: a, resources: big}"),
     P_BASE,
     NULL,
     {NULL},
     false,
     {"err=spec.containers[0].resources: must be an object"}},
    {"requests of the wrong type",
     "{spec: {containers: [{name: a}], initContainers: [{name: i, resources: {requests: [1]}}]}}",
     P_BASE,
     NULL,
     {NULL},
     false,
     {"err=spec.initContainers[0].resources.requests: must be an object"}},
    {"containers not an array",
     "{spec: {containers: {name: a}}}",
     P_BASE,
     NULL,
     {NULL},
     false,
     {"err=spec.containers: must be an array"}},
    {"a container that is not an object",
     "{spec: {containers: [a]}}",
     P_BASE,
     NULL,
     {NULL},
     false,
     {"err=spec.containers[0]: must be an object"}},
    {"a container without a name",
     "{spec: {containers: [{name: a}, {image: x}]}}",
     P_BASE,
     NULL,
     {NULL},
     false,
     {"err=spec.containers[1].name"}},
    {"an init container without a name",
     "{spec: {containers: [{name: a}], initContainers: [{name: ''}]}}",
     P_BASE,
     NULL,
     {NULL},
     false,
     {"err=spec.initContainers[0].name"}},
    {"spec not an object",
     "{spec: []}",
     P_BASE,
     NULL,
     {NULL},
     false,
     {"err=spec: must be an object"}},
    {"env of the wrong type",
     POD1("{name: a, env: {GOMAXPROCS: '2'}}"),
     "{goRuntime: {detect: Always}}",
     NULL,
     {NULL},
     false,
     {"err=spec.containers[0].env: must be an array"}},
    {"no spec", "{metadata: {name: p}}", P_BASE, NULL, {NULL}, false, {"ops=0", "changed="}},
    {"empty containers",
     "{spec: {containers: [], initContainers: null}}",
     P_BASE,
     NULL,
     {NULL},
     false,
     {"ops=0", "nW=0"}},
    {"resources: null",
     POD1("{name: a, resources: null}"),
     P_BASE,
     NULL,
     {NULL},
     false,
     {C0 "/requests/cpu=50m", C0 "/requests/memory=64Mi", C0 "/limits=~"}},
    {"requests: null",
     POD1("{name: a, resources: {requests: null, limits: {cpu: '1'}}}"),
     P_BASE,
     NULL,
     {NULL},
     false,
     {C0 "/requests/cpu=~", C0 "/requests/memory=64Mi", C0 "/limits/cpu=\"1\""}},
    {"pod-level resources leave container resources alone",
     "{spec: {resources: {limits: {cpu: '2'}}, containers: [{name: a}]}}",
     P_BASE,
     NULL,
     {NULL},
     false,
     {"W~pod-level resources", "ops=0", "changed="}},
    {"annotations: null",
     "{metadata: {name: p, annotations: null}, spec: {containers: [{name: a}]}}",
     P_BASE,
     NULL,
     {NULL},
     false,
     {ANN "=resources"}},
    {"existing annotations are kept",
     "{metadata: {name: p, annotations: {team: a}}, spec: {containers: [{name: a}]}}",
     P_BASE,
     NULL,
     {NULL},
     false,
     {"/metadata/annotations/team=a", ANN "=resources"}},
    {"a template without metadata",
     "{spec: {containers: [{name: a}]}}",
     P_BASE,
     NULL,
     {NULL},
     false,
     {ANN "=resources", "/metadata/name=~"}},
};

static const mcase container_cases[] = {
    {"init containers get resources and Go env, never probes",
     "{spec: {initContainers: [{name: init, ports: [{name: http, containerPort: 8080}]}], "
     "containers: [{name: app}]}}",
     "{resources: {defaults: {requests: {cpu: 50m, memory: 64Mi}, limits: {memory: 64Mi}}}, "
     "goRuntime: {detect: Always}}",
     NULL,
     {NULL},
     false,
     {"/spec/initContainers/0/resources/requests/cpu=50m",
      "/spec/initContainers/0/env=[{\"name\":\"GOMEMLIMIT\",\"value\":\"60397977B\"}]",
      "/spec/initContainers/0/livenessProbe=~", "/spec/initContainers/0/startupProbe=~",
      "changed=resources,go-env"}},
    {"a native sidecar gets probes",
     "{spec: {initContainers: [{name: proxy, restartPolicy: Always, ports: [{containerPort: "
     "15000}]}], containers: [{name: app}]}}",
     "{goRuntime: {detect: Never}}",
     NULL,
     {NULL},
     false,
     {"/spec/initContainers/0/readinessProbe={\"tcpSocket\":{\"port\":15000},\"periodSeconds\":10,"
      "\"timeoutSeconds\":2,\"failureThreshold\":3}",
      "/spec/initContainers/0/livenessProbe=~", "/spec/initContainers/0/resources/requests/cpu=50m",
      "changed=resources,probes"}},
    {"ephemeral containers are never touched",
     "{spec: {containers: [{name: app, resources: {requests: {cpu: 1m, memory: 1Mi}, limits: "
     "{memory: 1Mi}}}], ephemeralContainers: [{name: debug, image: busybox}]}}",
     "{goRuntime: {detect: Always}}",
     NULL,
     {NULL},
     false,
     {"/spec/ephemeralContainers/0={\"name\":\"debug\",\"image\":\"busybox\"}", "changed=go-env"}},
    {"container mode Off",
     "{spec: {containers: [{name: app}, {name: istio-proxy}]}}",
     "{containers: [{name: istio-proxy, mode: 'Off'}], " RES_ONLY "}",
     NULL,
     {NULL},
     false,
     {C0 "/requests/cpu=50m", C1 "=~"}},
    {"an exact override beats \"*\"",
     "{spec: {containers: [{name: app}, {name: other}]}}",
     "{containers: [{name: '*', mode: 'Off'}, {name: app, mode: Initial}], " RES_ONLY "}",
     NULL,
     {NULL},
     false,
     {C0 "/requests/cpu=50m", C1 "=~"}},
};

static const mcase mode_cases[] = {
    {"opt-out annotation",
     "{metadata: {annotations: {snug.dev/mode: 'off'}}, spec: {containers: [{name: a}]}}",
     P_BASE,
     NULL,
     {NULL},
     false,
     {"skipped~opted out by annotation snug.dev/mode=off", "ops=0", "changed=", "!audit",
      "W~snug skipped this Pod: opted out by annotation snug.dev/mode=off", "nW=1"}},
    {"opt-out annotation in capitals",
     "{metadata: {annotations: {snug.dev/mode: 'OFF'}}, spec: {containers: [{name: a}]}}",
     P_BASE,
     NULL,
     {NULL},
     false,
     {"skipped~opted out", "ops=0"}},
    {"opt-out label (the objectSelector's key)",
     "{metadata: {labels: {snug.dev/mode: 'off'}}, spec: {containers: [{name: a}]}}",
     P_BASE,
     NULL,
     {NULL},
     false,
     {"skipped~opted out by label snug.dev/mode=off", "ops=0", "changed=", "!audit",
      "W~snug skipped this Pod: opted out by label snug.dev/mode=off", "nW=1"}},
    {"opt-out label in capitals",
     "{metadata: {labels: {snug.dev/mode: 'Off'}}, spec: {containers: [{name: a}]}}",
     P_BASE,
     NULL,
     {NULL},
     false,
     {"skipped~opted out by label", "ops=0"}},
    {"opt-out label and annotation: the annotation is named",
     "{metadata: {labels: {snug.dev/mode: 'off'}, annotations: {snug.dev/mode: 'off'}}, spec: "
     "{containers: [{name: a}]}}",
     P_BASE,
     NULL,
     {NULL},
     false,
     {"skipped~opted out by annotation snug.dev/mode=off", "ops=0", "nW=1"}},
    {"off as a label beats audit as an annotation",
     "{metadata: {labels: {snug.dev/mode: 'off'}, annotations: {snug.dev/mode: audit}}, spec: "
     "{containers: [{name: a}]}}",
     P_BASE,
     NULL,
     {NULL},
     false,
     {"skipped~opted out by label snug.dev/mode=off", "!audit", "ops=0"}},
    {"off as an annotation beats audit as a label",
     "{metadata: {labels: {snug.dev/mode: audit}, annotations: {snug.dev/mode: 'off'}}, spec: "
     "{containers: [{name: a}]}}",
     P_BASE,
     NULL,
     {NULL},
     false,
     {"skipped~opted out by annotation snug.dev/mode=off", "!audit", "ops=0"}},
    {"audit label",
     "{metadata: {labels: {snug.dev/mode: audit}}, spec: {containers: [{name: app}]}}",
     P_BASE,
     NULL,
     {NULL},
     false,
     {"audit", "ops=0", C0 "=~", "A" C0 "/requests/cpu=50m", "skipped=", "nW=1"}},
    {"neither label nor annotation: mutated",
     "{metadata: {labels: {snug.dev/mode: 'on', app: 'off'}, annotations: {mode: 'off'}}, spec: "
     "{containers: [{name: a}]}}",
     P_BASE,
     NULL,
     {NULL},
     false,
     {C0 "/requests/cpu=50m", "skipped=", "!audit", "nW=0"}},
    {"labels of the wrong type are ignored",
     "{metadata: {labels: [snug.dev/mode], annotations: {snug.dev/mode: 1}}, spec: "
     "{containers: [{name: a}]}}",
     P_BASE,
     NULL,
     {NULL},
     false,
     {C0 "/requests/cpu=50m", "skipped="}},
    {"audit annotation",
     "{metadata: {annotations: {snug.dev/mode: Audit}}, spec: {containers: [{name: app}]}}",
     P_BASE,
     NULL,
     {NULL},
     false,
     {"audit", "ops=0", C0 "=~", "A" C0 "/requests/cpu=50m", "A" ANN "=resources",
      "W~snug audit (policy test): would set resources: app: cpu request 50m, memory request "
      "64Mi",
      "!W~limit", "changed=resources", "nW=1", "skipped="}},
    {"policy mode Audit",
     POD1("{name: app, ports: [{containerPort: 80}]}"),
     "{mode: Audit, resources: {defaults: {requests: {cpu: 50m, memory: 64Mi}, limits: {memory: "
     "64Mi}}}, goRuntime: {detect: Always}}",
     NULL,
     {NULL},
     false,
     {"audit", "ops=0", "A/spec/containers/0/readinessProbe/tcpSocket/port=80",
      "W~snug audit (policy test): would set resources,probes,go-env: app: ", "W~probes readiness",
      "W~GOMEMLIMIT=60397977B", "changed=resources,probes,go-env", "nW=1"}},
    {"Audit gives one warning only",
     "{metadata: {annotations: {snug.dev/mode: audit}}, spec: {containers: [{name: app, "
     "resources: {requests: {cpu: 12x}}}, {name: b}]}}",
     P_BASE,
     REC("target: {cpu: 1m}"),
     {NULL},
     false,
     {"audit", "ops=0", "nW=1", "W~snug audit (policy test): would set resources: b: cpu request"}},
    {"policy mode Off",
     POD1("{name: app}"),
     "{mode: 'Off'}",
     NULL,
     {NULL},
     false,
     {"skipped~policy test has mode Off", "ops=0", "changed="}},
    {"a container in Audit is held back alone",
     "{spec: {containers: [{name: app}, {name: side}]}}",
     "{containers: [{name: side, mode: Audit}], " RES_ONLY "}",
     NULL,
     {NULL},
     false,
     {"audit", C0 "/requests/cpu=50m", C1 "=~", "A" C1 "/requests/cpu=50m",
      "A" C0 "/requests/cpu=50m", ANN "=resources",
      "W~snug audit (policy test): would set resources: side: cpu request 50m", "!W~app:"}},
    {"Audit with nothing to change",
     "{metadata: {annotations: {snug.dev/mode: audit}}, spec: {containers: [{name: a, "
     "resources: {requests: {cpu: 1, memory: 1Gi}, limits: {memory: 1Gi}}}]}}",
     P_BASE,
     NULL,
     {NULL},
     false,
     {"audit", "ops=0", "W~snug audit (policy test): would change nothing", "changed="}},
    {"no policy",
     POD1("{name: a}"),
     NO_POLICY,
     NULL,
     {NULL},
     false,
     {"skipped~no SizingPolicy matches", "nW=0", "ops=0", "!audit", "changed="}},
    {"nothing to change",
     POD1("{name: a, resources: {requests: {cpu: 100m, memory: 128Mi}, limits: {memory: "
          "128Mi}}}"),
     P_BASE,
     NULL,
     {NULL},
     false,
     {"ops=0", "changed=", "nW=0", ANN "=~", "skipped="}},
    {"an unknown mode annotation is ignored",
     "{metadata: {annotations: {snug.dev/mode: sometimes}}, spec: {containers: [{name: a}]}}",
     P_BASE,
     NULL,
     {NULL},
     false,
     {C0 "/requests/cpu=50m"}},
};

static void test_resources(void)
{
    h_run_table(resource_cases, ARRAY_LEN(resource_cases));
}

static void test_limits(void)
{
    h_run_table(limit_cases, ARRAY_LEN(limit_cases));
}

static void test_limitrange(void)
{
    h_run_table(limitrange_cases, ARRAY_LEN(limitrange_cases));
}

static void test_qos(void)
{
    h_run_table(qos_cases, ARRAY_LEN(qos_cases));
}

static void test_huge(void)
{
    h_run_table(huge_cases, ARRAY_LEN(huge_cases));
}

static void test_odd_input(void)
{
    h_run_table(odd_cases, ARRAY_LEN(odd_cases));
}

static void test_containers(void)
{
    h_run_table(container_cases, ARRAY_LEN(container_cases));
}

static void test_modes(void)
{
    h_run_table(mode_cases, ARRAY_LEN(mode_cases));
}

/* A Pod with n containers named c0..c<n-1>; `resources` (JSON) on each. */
static cJSON *many_containers(size_t n, const char *resources)
{
    cJSON *pod = cJSON_Parse("{\"metadata\":{\"name\":\"big\"},\"spec\":{\"containers\":[]}}");
    cJSON *arr = cJSON_GetObjectItem(cJSON_GetObjectItem(pod, "spec"), "containers");
    char name[32];
    size_t i;

    for (i = 0; i < n; i++) {
        cJSON *c = cJSON_CreateObject();

        snprintf(name, sizeof(name), "c%zu", i);
        cJSON_AddStringToObject(c, "name", name);
        if (resources != NULL)
            cJSON_AddItemToObject(c, "resources", cJSON_Parse(resources));
        cJSON_AddItemToArray(arr, c);
    }
    return pod;
}

static void test_many_containers(void)
{
    static const mcase c = {"1000 containers",
                            NULL,
                            P_BASE,
                            NULL,
                            {NULL},
                            false,
                            {"/spec/containers/999/resources/requests/cpu=50m",
                             "/spec/containers/0/resources/limits=~", "ops=2001", "nW=0"}};
    cJSON *pod = many_containers(1000, NULL);

    h_run_pod(&c, pod);
    cJSON_Delete(pod);
}

static void test_warning_cap(void)
{
    static const mcase c = {
        "40 bad containers",
        NULL,
        P_BASE,
        NULL,
        {NULL},
        false,
        {"nW=32", "ops=0", "W~container c30: resources.requests.cpu", "!W~container c31:"}};
    cJSON *pod = many_containers(40, "{\"requests\":{\"cpu\":\"lots\"}}");
    mutate_input in = {pod, NULL, NULL, NULL, NULL, NULL, true, false};
    policy *pol = h_policy(P_BASE);
    mutate_result r;

    h_run_pod(&c, pod);
    in.policy = pol;
    T_CASE("warning cap: last warning");
    CHECK_INT_EQ(mutate_pod(&in, &r, NULL), SNUG_OK);
    CHECK_INT_EQ(r.n_warnings, MUTATE_MAX_WARNINGS);
    CHECK_STR_EQ(r.warnings[MUTATE_MAX_WARNINGS - 1], "9 more warnings");
    mutate_result_free(&r);
    policy_free(pol);
    cJSON_Delete(pod);
}

static void test_changed_str(void)
{
    static const struct {
        unsigned bits;
        const char *want;
    } cases[] = {
        {0, ""},
        {MUTATED_RESOURCES, "resources"},
        {MUTATED_PROBES | MUTATED_GO_ENV, "probes,go-env"},
        {MUTATED_GO_ENV | MUTATED_RESOURCES | MUTATED_PROBES, "resources,probes,go-env"},
    };
    char buf[32], small[8];
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        T_CASE("%u", cases[i].bits);
        mutate_changed_str(cases[i].bits, buf, sizeof(buf));
        CHECK_STR_EQ(buf, cases[i].want);
    }
    mutate_changed_str(MUTATED_RESOURCES | MUTATED_PROBES, small, sizeof(small));
    CHECK_STR_EQ(small, "resourc");
}

static void test_bad_calls(void)
{
    mutate_result r;
    mutate_input in;
    cJSON *arr = cJSON_CreateArray();

    memset(&in, 0, sizeof(in));
    CHECK_INT_EQ(mutate_pod(&in, &r, NULL), SNUG_ERR_INVALID);
    CHECK(r.patch == NULL && r.mutated == NULL);
    in.pod = arr;
    CHECK_INT_EQ(mutate_pod(&in, &r, NULL), SNUG_ERR_INVALID);
    CHECK_INT_EQ(mutate_pod(NULL, &r, NULL), SNUG_ERR_INVALID);
    mutate_result_free(&r);
    mutate_result_free(NULL);
    cJSON_Delete(arr);
}

int main(void)
{
    RUN(test_resources);
    RUN(test_limits);
    RUN(test_limitrange);
    RUN(test_qos);
    RUN(test_huge);
    RUN(test_odd_input);
    RUN(test_containers);
    RUN(test_modes);
    RUN(test_many_containers);
    RUN(test_warning_cap);
    RUN(test_changed_str);
    RUN(test_bad_calls);
    return TEST_DONE();
}
