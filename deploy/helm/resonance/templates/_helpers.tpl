{{/* The chart's name, shortened for Kubernetes' 63-character names. */}}
{{- define "resonance.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The release's full name: every object's name starts with it. */}}
{{- define "resonance.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "resonance.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels on every object. */}}
{{- define "resonance.labels" -}}
helm.sh/chart: {{ include "resonance.chart" . }}
{{ include "resonance.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: resonance
{{- end }}

{{- define "resonance.selectorLabels" -}}
app.kubernetes.io/name: {{ include "resonance.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* One role's labels and selector: call with (dict "root" $ "component" "api"). */}}
{{- define "resonance.componentLabels" -}}
{{ include "resonance.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "resonance.componentSelector" -}}
{{ include "resonance.selectorLabels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "resonance.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "resonance.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "resonance.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/* The Secret the pods read: the operator's own (existingSecret) or the one this chart renders. */}}
{{- define "resonance.secretName" -}}
{{- default (include "resonance.fullname" .) .Values.secrets.existingSecret }}
{{- end }}

{{/*
Secret values: with existingSecret, none may be inline (they would be silently ignored); without it, the
required ones must be there. Checked once, from the Secret's and the Job's templates.
*/}}
{{- define "resonance.checkSecrets" -}}
{{- $inline := omit .Values.secrets "existingSecret" }}
{{- if .Values.secrets.existingSecret }}
{{- range $key, $value := $inline }}
{{- if $value }}
{{- fail (printf "secrets.%s is set inline although secrets.existingSecret names the Secret to use: put it in that Secret and remove it from the values." $key) }}
{{- end }}
{{- end }}
{{- else }}
{{- range $key := list "RESONANCE_SECRET_KEY" "RESONANCE_DATABASE_URL" "RESONANCE_MIGRATION_DATABASE_URL" }}
{{- if not (get $inline $key) }}
{{- fail (printf "secrets.%s is empty: set secrets.existingSecret to the name of a Secret holding it (production), or set the value inline (a test cluster)." $key) }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}

{{/* One secret environment variable: call with (list $ "RESONANCE_X" optional). */}}
{{- define "resonance.secretEnv" -}}
{{- $root := index . 0 }}{{- $key := index . 1 }}{{- $optional := index . 2 -}}
- name: {{ $key }}
  valueFrom:
    secretKeyRef:
      name: {{ include "resonance.secretName" $root }}
      key: {{ $key }}
      {{- if $optional }}
      optional: true
      {{- end }}
{{- end }}

{{/* The secrets every service (API, worker, scheduler) reads; the table owner's URL is not among them. */}}
{{- define "resonance.serviceSecretEnv" -}}
{{- include "resonance.secretEnv" (list . "RESONANCE_SECRET_KEY" false) }}
{{ include "resonance.secretEnv" (list . "RESONANCE_DATABASE_URL" false) }}
{{- range $key := list "RESONANCE_REDIS_URL" "RESONANCE_STRIPE_API_KEY" "RESONANCE_STRIPE_WEBHOOK_SECRET" "RESONANCE_OAUTH_CLIENTS" "RESONANCE_MAIL_URL" }}
{{ include "resonance.secretEnv" (list $ $key true) }}
{{- end }}
{{- end }}

{{/* Pod annotations that roll every pod when the settings or the chart's Secret change. */}}
{{- define "resonance.checksums" -}}
checksum/config: {{ include (print .Template.BasePath "/configmap.yaml") . | sha256sum }}
{{- if not .Values.secrets.existingSecret }}
checksum/secret: {{ include (print .Template.BasePath "/secret.yaml") . | sha256sum }}
{{- end }}
{{- end }}

{{/* The pod-level fields shared by every role: call with (dict "root" $ "role" .Values.worker). */}}
{{- define "resonance.podCommon" -}}
{{- with .root.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
automountServiceAccountToken: {{ .root.Values.automountServiceAccountToken }}
securityContext:
  {{- toYaml .root.Values.podSecurityContext | nindent 2 }}
{{- with .role.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .role.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .role.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .role.topologySpreadConstraints }}
topologySpreadConstraints:
  {{- toYaml . | nindent 2 }}
{{- end }}
volumes:
  - name: tmp
    emptyDir:
      sizeLimit: {{ .root.Values.tmpSizeLimit }}
{{- end }}

{{/* The container fields shared by every role. */}}
{{- define "resonance.containerCommon" -}}
image: {{ include "resonance.image" .root }}
imagePullPolicy: {{ .root.Values.image.pullPolicy }}
securityContext:
  {{- toYaml .root.Values.securityContext | nindent 2 }}
resources:
  {{- toYaml .role.resources | nindent 2 }}
volumeMounts:
  - name: tmp
    mountPath: /tmp
{{- end }}

{{/* The probes of the worker and the scheduler: GET /health on the metrics port (they serve nothing on 8000). */}}
{{- define "resonance.metricsProbes" -}}
startupProbe:
  httpGet: {path: /health, port: metrics}
  periodSeconds: 5
  failureThreshold: 24
livenessProbe:
  httpGet: {path: /health, port: metrics}
  periodSeconds: 15
  timeoutSeconds: 3
  failureThreshold: 4
readinessProbe:
  httpGet: {path: /health, port: metrics}
  periodSeconds: 10
  timeoutSeconds: 3
{{- end }}
