{{/*
Chart name, truncated to 63 characters (the DNS label limit).
*/}}
{{- define "tlbridge.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Full name: <release>-<chart>, or <release> when the release name already contains the chart
name, or fullnameOverride. Truncated to 63 characters.
*/}}
{{- define "tlbridge.fullname" -}}
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

{{/*
Chart label value: name-version, with "+" replaced as label values do not allow it.
*/}}
{{- define "tlbridge.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Labels on every object the bridge owns (Kubernetes recommended app.kubernetes.io/* set).
*/}}
{{- define "tlbridge.labels" -}}
{{ include "tlbridge.selectorLabels" . }}
app.kubernetes.io/component: bridge
{{ include "tlbridge.sharedLabels" . }}
{{- end }}

{{/*
Labels shared by the bridge's objects and the helm test pod, which must not carry the
selector labels (or the Service, PodDisruptionBudget and NetworkPolicy would pick it up).
*/}}
{{- define "tlbridge.sharedLabels" -}}
helm.sh/chart: {{ include "tlbridge.chart" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | trunc 63 | trimSuffix "-" | quote }}
app.kubernetes.io/part-of: tlbridge
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/*
Selector labels: name and instance only, because a Deployment selector is immutable.
*/}}
{{- define "tlbridge.selectorLabels" -}}
app.kubernetes.io/name: {{ include "tlbridge.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
Labels that identify the helm test pod (and let a NetworkPolicy admit it).
*/}}
{{- define "tlbridge.testSelectorLabels" -}}
app.kubernetes.io/name: {{ printf "%s-test" (include "tlbridge.name" .) | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
Name of the ServiceAccount the pods run as.
*/}}
{{- define "tlbridge.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "tlbridge.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
Image reference of the bridge: repository@digest, else repository:tag (tag defaults to appVersion).
*/}}
{{- define "tlbridge.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}
{{- end }}

{{/*
Image reference of the helm test pod.
*/}}
{{- define "tlbridge.testImage" -}}
{{- $img := .Values.tests.image }}
{{- if $img.digest }}
{{- printf "%s@%s" $img.repository $img.digest }}
{{- else }}
{{- printf "%s:%s" $img.repository $img.tag }}
{{- end }}
{{- end }}

{{/*
Port number of config.httpAddr (":8080" -> 8080). The schema guarantees the address ends in
":<port>".
*/}}
{{- define "tlbridge.httpPort" -}}
{{- regexFind "[0-9]+$" .Values.config.httpAddr }}
{{- end }}

{{/*
Name of the Secret holding the sensitive settings: the existing one, or the chart's own.
*/}}
{{- define "tlbridge.secretName" -}}
{{- .Values.secrets.existingSecret | default (include "tlbridge.fullname" .) }}
{{- end }}

{{/*
The sensitive settings, in a fixed order. "env" items become environment variables through
secretKeyRef; "file" items are mounted as files and their variable holds the file's path.
"key" is the key in the chart-created Secret and "file" the name of the mounted file.
*/}}
{{- define "tlbridge.secretItems" -}}
- {value: natsPassword, env: TLBRIDGE_NATS_PASSWORD, key: nats-password}
- {value: natsToken, env: TLBRIDGE_NATS_TOKEN, key: nats-token}
- {value: httpToken, env: TLBRIDGE_HTTP_TOKEN, key: http-token}
- {value: authSecret, env: TLBRIDGE_AUTH_SECRET, key: auth-secret}
- {value: natsCreds, env: TLBRIDGE_NATS_CREDS, key: nats.creds, file: nats.creds}
- {value: natsNkeySeed, env: TLBRIDGE_NATS_NKEY_SEED, key: nats.nk, file: nats.nk}
- {value: natsTlsCa, env: TLBRIDGE_NATS_TLS_CA, key: ca.crt, file: ca.crt}
- {value: natsTlsCert, env: TLBRIDGE_NATS_TLS_CERT, key: tls.crt, file: tls.crt}
- {value: natsTlsKey, env: TLBRIDGE_NATS_TLS_KEY, key: tls.key, file: tls.key}
{{- end }}

{{/*
The sensitive settings actually provided, as a YAML list of the items above with "key" set
to the key to read from the Secret named by tlbridge.secretName. With existingSecret, an item
is provided when its existingSecretKeys entry is set; otherwise when its inline value is set.
*/}}
{{- define "tlbridge.providedSecretItems" -}}
{{- $s := .Values.secrets }}
{{- $out := list }}
{{- range (include "tlbridge.secretItems" . | fromYamlArray) }}
{{- if $s.existingSecret }}
{{- $key := get $s.existingSecretKeys .value }}
{{- if $key }}
{{- $out = append $out (merge (dict "key" $key) .) }}
{{- end }}
{{- else if get $s .value }}
{{- $out = append $out . }}
{{- end }}
{{- end }}
{{- toYaml $out }}
{{- end }}

{{/*
Seconds in a Go duration string made of h, m, s and ms parts (e.g. "1m30s" -> 90).
*/}}
{{- define "tlbridge.durationSeconds" -}}
{{- $total := 0.0 }}
{{- range (regexFindAll "[0-9]+(\\.[0-9]+)?(ms|h|m|s)" . -1) }}
{{- $n := regexFind "^[0-9]+(\\.[0-9]+)?" . | float64 }}
{{- $unit := regexFind "(ms|h|m|s)$" . }}
{{- $mult := get (dict "h" 3600.0 "m" 60.0 "s" 1.0 "ms" 0.001) $unit }}
{{- $total = addf $total (mulf $n $mult) }}
{{- end }}
{{- $total }}
{{- end }}

{{/*
GOMEMLIMIT for a memory limit (a Kubernetes quantity such as 256Mi, 1G or 268435456): 90% of
it, in bytes. The schema guarantees the quantity's form.
*/}}
{{- define "tlbridge.goMemLimit" -}}
{{- printf "%d" (int64 (floor (mulf (include "tlbridge.bytes" . | float64) 0.9))) }}
{{- end }}

{{/*
The bytes of a Kubernetes quantity such as 256Mi, 1G or 268435456.
*/}}
{{- define "tlbridge.bytes" -}}
{{- $q := toString . }}
{{- $num := regexFind "^[0-9]+(\\.[0-9]+)?" $q }}
{{- $units := dict "" 1.0 "m" 0.001 "k" 1e3 "M" 1e6 "G" 1e9 "T" 1e12 "P" 1e15 "E" 1e18 "Ki" 1024.0 "Mi" 1048576.0 "Gi" 1073741824.0 "Ti" 1099511627776.0 "Pi" 1125899906842624.0 "Ei" 1152921504606846976.0 }}
{{- printf "%d" (int64 (mulf (float64 $num) (get $units (trimPrefix $num $q)))) }}
{{- end }}

{{/*
TLBRIDGE_MAX_WATCHES: config.maxWatches when set; else what the memory limit holds (80 % of it at
sizing.bytesPerWatch each, the rest for the process itself); else empty, which leaves the
binary's own default.
*/}}
{{- define "tlbridge.maxWatches" -}}
{{- $limit := dig "limits" "memory" "" .Values.resources }}
{{- if .Values.config.maxWatches }}
{{- int64 .Values.config.maxWatches }}
{{- else if $limit }}
{{- max 1 (int64 (floor (divf (mulf (include "tlbridge.bytes" $limit | float64) 0.8) (float64 .Values.sizing.bytesPerWatch)))) }}
{{- end }}
{{- end }}

{{/*
Render-time checks that values.schema.json cannot express.
*/}}
{{/*
Replicas of the Deployment: replicaCount, or by default 2 where replicas can share the watches
(an external NATS with JetStream) and 1 where they cannot.
*/}}
{{- define "tlbridge.replicas" -}}
{{- if kindIs "invalid" .Values.replicaCount -}}
{{- ternary 2 1 (and (not (empty .Values.config.natsUrl)) .Values.config.jetstream) -}}
{{- else -}}
{{- int .Values.replicaCount -}}
{{- end -}}
{{- end -}}

{{- define "tlbridge.validate" -}}
{{- $most := int (include "tlbridge.replicas" .) }}
{{- if .Values.autoscaling.enabled }}
{{- $most = int .Values.autoscaling.maxReplicas }}
{{- end }}
{{- if and (not .Values.config.natsUrl) (gt $most 1) }}
{{- fail (printf "config.natsUrl is empty, so each pod runs its own embedded NATS server: a single-replica trial. Replicas could not share watches or events, so replicaCount (or autoscaling.maxReplicas) must be 1, not %d; set config.natsUrl to a shared NATS server to scale" $most) }}
{{- end }}
{{- if and (not .Values.config.jetstream) (gt $most 1) }}
{{- fail (printf "config.jetstream is false: core NATS keeps each watch in one pod's memory, so replicaCount (or autoscaling.maxReplicas) must be 1, not %d; enable JetStream to scale" $most) }}
{{- end }}
{{- include "tlbridge.validateGrace" . }}
{{- $host := regexReplaceAll ":[0-9]+$" .Values.config.httpAddr "" }}
{{- if and $host (ne $host "0.0.0.0") }}
{{- fail (printf "config.httpAddr (%s) listens on %s only, where neither the kubelet's probes nor the Service reach the bridge: give the port alone, e.g. \":%s\"" .Values.config.httpAddr $host (include "tlbridge.httpPort" .)) }}
{{- end }}
{{- $provided := dict }}
{{- range (include "tlbridge.providedSecretItems" . | fromYamlArray) }}
{{- $_ := set $provided .value true }}
{{- end }}
{{- if ne (not .Values.config.natsUser) (not $provided.natsPassword) }}
{{- fail "config.natsUser and a NATS password (secrets.natsPassword, or secrets.existingSecretKeys.natsPassword) go together: set both or neither" }}
{{- end }}
{{- if ne (not $provided.natsTlsCert) (not $provided.natsTlsKey) }}
{{- fail "the NATS client certificate and key (natsTlsCert, natsTlsKey) go together: provide both or neither" }}
{{- end }}
{{- if and .Values.metrics.serviceMonitor.enabled (not .Values.service.enabled) }}
{{- fail "metrics.serviceMonitor.enabled needs service.enabled: the ServiceMonitor scrapes through the Service" }}
{{- end }}
{{- if and .Values.autoscaling.enabled (gt (int .Values.autoscaling.minReplicas) (int .Values.autoscaling.maxReplicas)) }}
{{- fail "autoscaling.minReplicas must not exceed autoscaling.maxReplicas" }}
{{- end }}
{{- if and .Values.autoscaling.enabled (not .Values.autoscaling.targetCPUUtilizationPercentage) (not .Values.autoscaling.targetMemoryUtilizationPercentage) }}
{{- fail "autoscaling needs targetCPUUtilizationPercentage or targetMemoryUtilizationPercentage" }}
{{- end }}
{{- end }}

{{/*
The grace period Kubernetes gives a stopping pod must exceed config.shutdownTimeout, or the
pod is killed before it finishes draining: the pod's terminationGracePeriodSeconds, and a
liveness or startup probe's own, which replaces it when that probe restarts the container.
*/}}
{{- define "tlbridge.validateGrace" -}}
{{- $timeout := .Values.config.shutdownTimeout }}
{{- $shutdown := include "tlbridge.durationSeconds" $timeout | float64 }}
{{- if le (float64 .Values.terminationGracePeriodSeconds) $shutdown }}
{{- fail (printf "terminationGracePeriodSeconds (%v) must be greater than config.shutdownTimeout (%s), or pods are killed before they finish draining" .Values.terminationGracePeriodSeconds $timeout) }}
{{- end }}
{{- range $name := list "livenessProbe" "startupProbe" }}
{{- $grace := dig "terminationGracePeriodSeconds" nil (get $.Values $name | default dict) }}
{{- if and $grace (le (float64 $grace) $shutdown) }}
{{- fail (printf "%s.terminationGracePeriodSeconds (%v) must be greater than config.shutdownTimeout (%s): a restart by that probe would kill the pod before it finishes draining" $name $grace $timeout) }}
{{- end }}
{{- end }}
{{- end }}
