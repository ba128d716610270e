{{/* Names ------------------------------------------------------------------------------- */}}

{{- define "agent-platform.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Release-scoped name, at most 52 characters so that "-audit-prune" and CronJob job suffixes fit. */}}
{{- define "agent-platform.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 52 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "agent-platform.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "agent-platform.selectorLabels" -}}
app.kubernetes.io/name: {{ include "agent-platform.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "agent-platform.labels" -}}
helm.sh/chart: {{ include "agent-platform.chart" . }}
{{ include "agent-platform.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: agent-platform
{{- end }}

{{- define "agent-platform.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "agent-platform.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "agent-platform.image" -}}
{{- if .Values.image.digest -}}
{{ .Values.image.repository }}@{{ .Values.image.digest }}
{{- else -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end }}
{{- end }}

{{- define "agent-platform.secretName" -}}
{{- default (include "agent-platform.fullname" .) .Values.secrets.existingSecret }}
{{- end }}

{{- define "agent-platform.apiUrl" -}}
http://{{ include "agent-platform.fullname" . }}-api.{{ .Release.Namespace }}.svc:{{ .Values.service.port }}
{{- end }}

{{/* Secrets ----------------------------------------------------------------------------- */}}

{{/* The secret keys the platform reads, one per line: existingSecretKeys, or the non-empty values. */}}
{{- define "agent-platform.secretKeys" -}}
{{- if .Values.secrets.existingSecret }}
{{- range .Values.secrets.existingSecretKeys }}
{{ . }}
{{- end }}
{{- else }}
{{- range $k, $v := .Values.secrets.values }}
{{- if and (not (kindIs "invalid" $v)) (ne (toString $v) "") }}
{{ $k }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}

{{/* Fails the render with a clear message when the configuration cannot work. */}}
{{- define "agent-platform.validate" -}}
{{- $keys := splitList "\n" (include "agent-platform.secretKeys" . | trim) }}
{{- if not (has "DATABASE_URL" $keys) }}
{{- fail "agent-platform needs PostgreSQL: set secrets.values.DATABASE_URL, or secrets.existingSecret with a DATABASE_URL key listed in secrets.existingSecretKeys" }}
{{- end }}
{{- if not (has "SECRETS_KEY" $keys) }}
{{- fail "agent-platform needs SECRETS_KEY in cluster mode (openssl rand -hex 32): set secrets.values.SECRETS_KEY, or list it in secrets.existingSecretKeys" }}
{{- end }}
{{- range $k, $v := .Values.secrets.values }}
{{- if hasKey $.Values.config $k }}
{{- fail (printf "%s is a secret: set it in secrets (values or existingSecret), not in config" $k) }}
{{- end }}
{{- end }}
{{- range list "PORT" "HOST" "DATA_DIR" "BACKUP_DIR" }}
{{- if hasKey $.Values.config . }}
{{- fail (printf "config.%s is fixed by the chart; remove it from config" .) }}
{{- end }}
{{- end }}
{{- end }}

{{/* Environment ------------------------------------------------------------------------- */}}

{{/* Fixed variables and NAME_FILE for every secret key; every platform container gets these. */}}
{{- define "agent-platform.env" -}}
- name: HOST
  value: "0.0.0.0"
- name: PORT
  value: "8000"
- name: DATA_DIR
  value: /data
- name: BACKUP_DIR
  value: /backups
{{- range splitList "\n" (include "agent-platform.secretKeys" . | trim) }}
{{- if . }}
- name: {{ . }}_FILE
  value: /run/secrets/agent-platform/{{ . }}
{{- end }}
{{- end }}
{{- end }}

{{/* For agentctl commands that call the admin API (CronJobs). */}}
{{- define "agent-platform.cliEnv" -}}
- name: AGENT_PLATFORM_URL
  value: {{ include "agent-platform.apiUrl" . }}
- name: AGENT_PLATFORM_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ include "agent-platform.secretName" . }}
      key: {{ .Values.secrets.adminTokenKey }}
      optional: true
{{- end }}

{{/* config as env entries, for the migration hook that runs before the ConfigMap exists. */}}
{{- define "agent-platform.configEnv" -}}
{{- range $k, $v := .Values.config }}
- name: {{ $k }}
  value: {{ $v | toString | quote }}
{{- end }}
{{- end }}

{{/* Pods -------------------------------------------------------------------------------- */}}

{{- define "agent-platform.volumes" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ .root.Values.tmpVolume.sizeLimit }}
- name: data
  emptyDir: {}
- name: secrets
  secret:
    secretName: {{ .secretName | default (include "agent-platform.secretName" .root) }}
    defaultMode: 0440
{{- end }}

{{- define "agent-platform.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
- name: data
  mountPath: /data
- name: secrets
  mountPath: /run/secrets/agent-platform
  readOnly: true
{{- end }}

{{- define "agent-platform.podSpecCommon" -}}
automountServiceAccountToken: false
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- end }}
