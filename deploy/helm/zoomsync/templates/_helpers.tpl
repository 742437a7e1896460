{{- define "zoomsync.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "zoomsync.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "zoomsync.labels" -}}
{{ include "zoomsync.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "zoomsync.secretName" -}}
{{- if .Values.existingSecret -}}
{{- .Values.existingSecret -}}
{{- else -}}
{{- include "zoomsync.fullname" . -}}
{{- end -}}
{{- end -}}

{{- define "zoomsync.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* The configuration, shared by the migration init container and the daemon. */}}
{{- define "zoomsync.env" -}}
- name: ZOOMSYNC__SERVER__BIND
  value: "0.0.0.0:8080"
- name: ZOOMSYNC__SERVER__PUBLIC_URL
  value: {{ required "publicUrl is required: the public https URL Zoom and browsers reach" .Values.publicUrl | quote }}
- name: ZOOMSYNC_LOG_FORMAT
  value: json
- name: ZOOMSYNC__DATABASE__URL
  valueFrom:
    secretKeyRef: {name: {{ include "zoomsync.secretName" . }}, key: database-url}
- name: ZOOMSYNC__SECURITY__ADMIN_TOKEN
  valueFrom:
    secretKeyRef: {name: {{ include "zoomsync.secretName" . }}, key: admin-token}
- name: ZOOMSYNC__SECURITY__BOT_SECRET
  valueFrom:
    secretKeyRef: {name: {{ include "zoomsync.secretName" . }}, key: bot-secret}
- name: ZOOMSYNC__SECURITY__ENCRYPTION_KEY
  valueFrom:
    secretKeyRef: {name: {{ include "zoomsync.secretName" . }}, key: encryption-key}
- name: ZOOMSYNC__SECURITY__PREVIOUS_ENCRYPTION_KEYS
  valueFrom:
    secretKeyRef: {name: {{ include "zoomsync.secretName" . }}, key: previous-encryption-keys, optional: true}
{{- range $name, $value := .Values.env }}
- name: {{ $name }}
  value: {{ $value | toString | quote }}
{{- end }}
{{- end -}}
