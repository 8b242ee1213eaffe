"""Stand-ins for CRDs of other projects that snug reads, for e2e tests on a
control plane that does not have them: enough for the API server to serve
the kind (any content is kept), nothing more."""

VPA_CRD = """
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: verticalpodautoscalers.autoscaling.k8s.io
  labels: {snug.dev/e2e-stub: "true"}
  # *.k8s.io groups need this; "unapproved, ..." is accepted for a stand-in
  annotations: {api-approved.kubernetes.io: "unapproved, snug e2e stand-in for VPA's CRD"}
spec:
  group: autoscaling.k8s.io
  scope: Namespaced
  names: {kind: VerticalPodAutoscaler, listKind: VerticalPodAutoscalerList,
          plural: verticalpodautoscalers, singular: verticalpodautoscaler}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
"""
