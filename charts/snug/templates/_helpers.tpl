{{/*
snug.name: the chart's name, or nameOverride.
*/}}
{{- define "snug.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 40 | trimSuffix "-" -}}
{{- end -}}

{{/*
snug.fullname: the prefix of every object's name. Release "snug" (or any
release whose name contains the chart's name) is used as is, so the names
are snug-webhook, snug-controller, ...; release "x" gives x-snug. At most
40 characters, so "<fullname>-controller-metrics" stays a valid name.
*/}}
{{- define "snug.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- $name := include "snug.name" . -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "snug.webhookName" -}}{{ include "snug.fullname" . }}-webhook{{- end -}}
{{- define "snug.controllerName" -}}{{ include "snug.fullname" . }}-controller{{- end -}}
{{/* The MutatingWebhookConfiguration: the fullname itself. */}}
{{- define "snug.webhookConfigName" -}}{{ include "snug.fullname" . }}{{- end -}}
{{- define "snug.caSecretName" -}}
{{- .Values.certificates.selfManaged.caSecretName | default (printf "%s-webhook-ca" (include "snug.fullname" .)) -}}
{{- end -}}
{{/* The TLS Secret the webhook mounts in cert-manager and secret modes. */}}
{{- define "snug.tlsSecretName" -}}
{{- if eq .Values.certificates.mode "secret" -}}
{{- required "certificates.secret.name is required with certificates.mode=secret" .Values.certificates.secret.name -}}
{{- else -}}
{{- include "snug.fullname" . }}-webhook-tls
{{- end -}}
{{- end -}}

{{/*
snug.labels: on every object. managed-by and helm.sh/chart say Helm made
it (scripts/render-manifests.sh drops both from the plain manifests).
*/}}
{{- define "snug.labels" -}}
app.kubernetes.io/part-of: snug
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{/* Selector labels of each component (Deployment, Service, PDB). */}}
{{- define "snug.webhookSelector" -}}
app.kubernetes.io/name: snug-webhook
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}
{{- define "snug.controllerSelector" -}}
app.kubernetes.io/name: snug-controller
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "snug.image" -}}
{{- $tag := .Values.image.tag | default .Chart.AppVersion -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository $tag -}}
{{- end -}}
{{- end -}}

{{/*
snug.selfManaged: "true" when the webhook manages its own certificates.
*/}}
{{- define "snug.selfManaged" -}}
{{- if eq .Values.certificates.mode "self-managed" -}}true{{- end -}}
{{- end -}}

{{/*
snug.podScheduling COMPONENT-VALUES: priorityClassName, nodeSelector,
tolerations, affinity, in the Pod spec; call with (dict "v" .Values.webhook).
Callers trim it and nindent it (it may be empty).
*/}}
{{- define "snug.podScheduling" -}}
{{- with .v.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
{{- with .v.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .v.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .v.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/*
snug.spread: topologySpreadConstraints for (dict "v" COMPONENT-VALUES
"selector" SELECTOR-LABELS-YAML).
*/}}
{{- define "snug.spread" -}}
{{- if .v.topologySpread.enabled }}
# One replica per node where the cluster has the nodes (a node lost takes
# at most one); ScheduleAnyway still runs them all on a one-node cluster.
topologySpreadConstraints:
- maxSkew: {{ .v.topologySpread.maxSkew }}
  topologyKey: {{ .v.topologySpread.topologyKey }}
  whenUnsatisfiable: {{ .v.topologySpread.whenUnsatisfiable }}
  labelSelector:
    matchLabels:
      {{- .selector | nindent 6 }}
{{- end }}
{{- end -}}
