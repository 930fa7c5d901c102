{{/*
Names. The prefix is the release name, plus "-knetty" unless the release name already says it.
*/}}
{{- define "knetty.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "knetty.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "knetty.autoscaler.name" -}}{{ include "knetty.fullname" . | trunc 52 | trimSuffix "-" }}-autoscaler{{- end -}}
{{- define "knetty.activator.name" -}}{{ include "knetty.fullname" . | trunc 53 | trimSuffix "-" }}-activator{{- end -}}
{{- define "knetty.webhook.name" -}}{{ include "knetty.fullname" . | trunc 55 | trimSuffix "-" }}-webhook{{- end -}}
{{- define "knetty.webhook.generatedSecret" -}}{{ include "knetty.webhook.name" . }}-certs{{- end -}}
{{- define "knetty.webhook.tlsSecret" -}}
{{- if and (eq .Values.webhook.certificates.mode "provided") .Values.webhook.certificates.provided.existingSecret -}}
{{- .Values.webhook.certificates.provided.existingSecret -}}
{{- else -}}
{{- include "knetty.webhook.name" . }}-tls
{{- end -}}
{{- end -}}
{{- define "knetty.leaseName" -}}{{ default (printf "%s-leader" (include "knetty.autoscaler.name" .)) .Values.autoscaler.leaderElection.leaseName }}{{- end -}}

{{/* host:port of the autoscaler's KMP port, as every queue-proxy and activator dials it. */}}
{{- define "knetty.autoscaler.kmpAddress" -}}
{{- printf "%s.%s.svc.%s:%v" (include "knetty.autoscaler.name" .) .Release.Namespace .Values.clusterDomain .Values.autoscaler.ports.kmp -}}
{{- end -}}

{{/* Common labels, and the selector labels of one component (argument: dict "ctx" $ "component" "x"). */}}
{{- define "knetty.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ include "knetty.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: knetty
{{- end -}}

{{- define "knetty.selectorLabels" -}}
app.kubernetes.io/name: {{ include "knetty.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "knetty.componentLabels" -}}
{{ include "knetty.labels" .ctx }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* An image reference (argument: dict "ctx" $ "repository" "x"). */}}
{{- define "knetty.image" -}}
{{- $tag := default .ctx.Chart.AppVersion .ctx.Values.image.tag -}}
{{- if .ctx.Values.image.registry -}}
{{- printf "%s/%s:%s" .ctx.Values.image.registry .repository $tag -}}
{{- else -}}
{{- printf "%s:%s" .repository $tag -}}
{{- end -}}
{{- end -}}

{{/* Pod and container security settings shared by the autoscaler and the activator ("restricted" PSS). */}}
{{- define "knetty.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 65532
runAsGroup: 65532
fsGroup: 65532
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "knetty.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop: ["ALL"]
{{- end -}}

{{/* Knative's revision defaults, read by the autoscaler (webhook) and the activator alike. */}}
{{- define "knetty.revisionDefaultsEnv" -}}
- name: KNETTY_REVISION_CONTAINER_CONCURRENCY
  value: {{ .Values.revisionDefaults.containerConcurrency | quote }}
- name: KNETTY_REVISION_CONTAINER_CONCURRENCY_MAX_LIMIT
  value: {{ .Values.revisionDefaults.containerConcurrencyMaxLimit | quote }}
- name: KNETTY_REVISION_TIMEOUT_SECONDS
  value: {{ .Values.revisionDefaults.timeoutSeconds | quote }}
- name: KNETTY_REVISION_MAX_TIMEOUT_SECONDS
  value: {{ .Values.revisionDefaults.maxTimeoutSeconds | quote }}
- name: KNETTY_REVISION_RESPONSE_START_TIMEOUT_SECONDS
  value: {{ .Values.revisionDefaults.responseStartTimeoutSeconds | quote }}
- name: KNETTY_REVISION_IDLE_TIMEOUT_SECONDS
  value: {{ .Values.revisionDefaults.idleTimeoutSeconds | quote }}
{{- end -}}

{{- define "knetty.podIdentityEnv" -}}
- name: KNETTY_POD_NAME
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
- name: KNETTY_POD_NAMESPACE
  valueFrom:
    fieldRef:
      fieldPath: metadata.namespace
- name: KNETTY_POD_IP
  valueFrom:
    fieldRef:
      fieldPath: status.podIP
{{- end -}}

{{/* Fails the render on values the code cannot run with. */}}
{{- define "knetty.validate" -}}
{{- $mode := .Values.webhook.certificates.mode -}}
{{- if not (has $mode (list "generate" "certManager" "provided")) -}}
{{- fail (printf "webhook.certificates.mode: %s (expected: generate, certManager or provided)" $mode) -}}
{{- end -}}
{{- if not (has .Values.webhook.failurePolicy (list "Ignore" "Fail")) -}}
{{- fail (printf "webhook.failurePolicy: %s (expected: Ignore or Fail)" .Values.webhook.failurePolicy) -}}
{{- end -}}
{{- if and (eq $mode "provided") (not .Values.webhook.certificates.provided.caCert) -}}
{{- fail "webhook.certificates.provided.caCert: empty (expected: the PEM CA certificate that signed the serving certificate)" -}}
{{- end -}}
{{- if and (eq $mode "provided") (not .Values.webhook.certificates.provided.existingSecret) (or (not .Values.webhook.certificates.provided.tlsCert) (not .Values.webhook.certificates.provided.tlsKey)) -}}
{{- fail "webhook.certificates.provided: tlsCert and tlsKey, or existingSecret, are required" -}}
{{- end -}}
{{- $rd := .Values.revisionDefaults -}}
{{- if gt (int $rd.timeoutSeconds) (int $rd.maxTimeoutSeconds) -}}
{{- fail (printf "revisionDefaults.timeoutSeconds: %v (expected: <= maxTimeoutSeconds %v)" $rd.timeoutSeconds $rd.maxTimeoutSeconds) -}}
{{- end -}}
{{- if gt (int $rd.responseStartTimeoutSeconds) (int $rd.timeoutSeconds) -}}
{{- fail (printf "revisionDefaults.responseStartTimeoutSeconds: %v (expected: <= timeoutSeconds %v)" $rd.responseStartTimeoutSeconds $rd.timeoutSeconds) -}}
{{- end -}}
{{- if gt (int $rd.idleTimeoutSeconds) (int $rd.timeoutSeconds) -}}
{{- fail (printf "revisionDefaults.idleTimeoutSeconds: %v (expected: <= timeoutSeconds %v)" $rd.idleTimeoutSeconds $rd.timeoutSeconds) -}}
{{- end -}}
{{- if lt (int .Values.autoscaler.replicas) 1 -}}
{{- fail (printf "autoscaler.replicas: %v (expected: >= 1)" .Values.autoscaler.replicas) -}}
{{- end -}}
{{- end -}}
