package test

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
	"unicode"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"sigs.k8s.io/yaml"
)

func TestDefaults(t *testing.T) {
	m := render(t)
	checkCommon(t, m)

	// An external NATS with JetStream: two replicas share the watches,
	// and a PodDisruptionBudget keeps one up through a drain.
	wantKinds := []string{"ConfigMap", "Deployment", "Pod", "PodDisruptionBudget", "Service", "ServiceAccount"}
	if got := sortedUnique(m.kinds()); !slices.Equal(got, wantKinds) {
		t.Errorf("kinds = %v; want %v", got, wantKinds)
	}
	none[*corev1.Secret](t, m)
	checkPodDisruptionBudget(t, m)

	d := one[*appsv1.Deployment](t, m)
	if d.Spec.Replicas == nil || *d.Spec.Replicas != 2 {
		t.Errorf("replicas = %v; want 2", d.Spec.Replicas)
	}
	if got := *d.Spec.Template.Spec.TerminationGracePeriodSeconds; got != 45 {
		t.Errorf("terminationGracePeriodSeconds = %d; want 45", got)
	}
	c := bridgeContainer(t, &d.Spec.Template.Spec)
	ch := readChart(t)
	if want := "ghcr.io/tlbridge/tlbridge:" + ch.AppVersion; c.Image != want {
		t.Errorf("image = %q; want %q (tag defaults to appVersion)", c.Image, want)
	}
	if c.Ports[0].ContainerPort != 8080 {
		t.Errorf("containerPort = %d; want 8080", c.Ports[0].ContainerPort)
	}
	if c.Resources.Requests.Cpu().IsZero() || c.Resources.Limits.Memory().IsZero() {
		t.Errorf("resources = %v; want a CPU request and a memory limit by default", c.Resources)
	}

	env := resolveEnv(t, m)
	want := map[string]string{
		"TLBRIDGE_NATS_URL":         "nats://nats:4222",
		"TLBRIDGE_SUBJECT_PREFIX":   "transloadit",
		"TLBRIDGE_JETSTREAM":        "true",
		"TLBRIDGE_STREAM_NAME":      "TRANSLOADIT",
		"TLBRIDGE_MANAGE_STREAM":    "true",
		"TLBRIDGE_API_BASE":         "https://api2.transloadit.com",
		"TLBRIDGE_ALLOWED_HOSTS":    "transloadit.com",
		"TLBRIDGE_ALLOW_HTTP":       "false",
		"TLBRIDGE_POLL_INTERVAL":    "2s",
		"TLBRIDGE_MAX_STATUS_RPS":   "2",
		"TLBRIDGE_MAX_WATCHES":      "819", // 80 % of 256Mi at 256 KiB a watch
		"TLBRIDGE_WATCH_TTL":        "24h",
		"TLBRIDGE_HTTP_ADDR":        ":8080",
		"TLBRIDGE_DATA_DIR":         "/var/lib/tlbridge",
		"TLBRIDGE_LOG_LEVEL":        "info",
		"TLBRIDGE_LOG_FORMAT":       "json",
		"TLBRIDGE_SHUTDOWN_TIMEOUT": "20s",
		"TLBRIDGE_DISABLE_STREAM":   "false",
		"TLBRIDGE_DUPLICATE_WINDOW": "2m",
		"TLBRIDGE_STREAM_REPLICAS":  "1",
		"TLBRIDGE_STREAM_MAX_AGE":   "168h",
		"TLBRIDGE_STREAM_STORAGE":   "file",
		"TLBRIDGE_STREAM_MAX_BYTES": "0",
		"TLBRIDGE_FINISHED_TTL":     "168h",
		"TLBRIDGE_MAX_EVENT_BYTES":  "2097152",
		"TLBRIDGE_HTTP_INSECURE":    "false",
		"TLBRIDGE_NOTIFY_MAX_BYTES": "4194304",
		"TLBRIDGE_NOTIFY_MAX_AGE":   "24h",
		"TLBRIDGE_GIVE_UP_AFTER":    "10m",
		"TLBRIDGE_NOT_FOUND_GRACE":  "1m",
	}
	for n, v := range want {
		if got, _ := env.value(n); got != v {
			t.Errorf("%s = %q; want %q", n, got, v)
		}
	}
	// Nothing secret is configured by default, and empty settings stay unset.
	for _, n := range slices.Concat(secretEnv, fileEnv, []string{"TLBRIDGE_NATS_USER", "TLBRIDGE_AUTH_KEY"}) {
		if _, ok := env.fromEnv[n]; ok {
			t.Errorf("%s set by default", n)
		}
		if _, ok := env.fromConfigMap[n]; ok {
			t.Errorf("%s set by default", n)
		}
	}
	// 90% of the default 256Mi limit.
	if v := env.fromEnv["GOMEMLIMIT"]; v.Value != "241591910" {
		t.Errorf("GOMEMLIMIT = %+v; want 241591910, 90%% of 256Mi", v)
	}
}

func TestAllOn(t *testing.T) {
	m := render(t, "-f", "testdata/all-on.yaml")
	checkCommon(t, m)

	wantKinds := []string{"ConfigMap", "Deployment", "HorizontalPodAutoscaler", "NetworkPolicy",
		"Pod", "PodDisruptionBudget", "Secret", "Service", "ServiceAccount", "ServiceMonitor"}
	if got := sortedUnique(m.kinds()); !slices.Equal(got, wantKinds) {
		t.Errorf("kinds = %v; want %v", got, wantKinds)
	}

	d := one[*appsv1.Deployment](t, m)
	if d.Spec.Replicas != nil {
		t.Errorf("replicas = %d with an HPA; want it left to the HPA", *d.Spec.Replicas)
	}
	c := bridgeContainer(t, &d.Spec.Template.Spec)
	if want := "registry.example.com/mirror/tlbridge@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"; c.Image != want {
		t.Errorf("image = %q; want %q (digest wins over tag)", c.Image, want)
	}
	if c.Ports[0].ContainerPort != 9090 {
		t.Errorf("containerPort = %d; want 9090 from config.httpAddr", c.Ports[0].ContainerPort)
	}
	if n := len(d.Spec.Template.Spec.TopologySpreadConstraints); n != 2 {
		t.Errorf("topologySpreadConstraints: got %d; want 2", n)
	}

	// Every setting is given, so every TLBRIDGE_* variable must be set exactly once.
	env := resolveEnv(t, m)
	var got []string
	for _, n := range env.names() {
		if strings.HasPrefix(n, "TLBRIDGE_") {
			got = append(got, n)
		}
	}
	if want := sortedUnique(allEnv); !slices.Equal(got, want) {
		t.Errorf("TLBRIDGE_* variables:\n got %v\nwant %v", got, want)
	}
	for n, v := range map[string]string{
		"TLBRIDGE_MAX_WATCHES":    "2000000", // not 2e+06
		"TLBRIDGE_MAX_STATUS_RPS": "2.5",
		"TLBRIDGE_ALLOWED_HOSTS":  "transloadit.com,example.org",
		"TLBRIDGE_INSTANCE":       "eu-west",
		"TLBRIDGE_NATS_CREDS":     "/etc/tlbridge/secrets/nats.creds",
	} {
		if got, _ := env.value(n); got != v {
			t.Errorf("%s = %q; want %q", n, got, v)
		}
	}
	// All secrets are inline: every reference goes to the chart's own Secret.
	s := one[*corev1.Secret](t, m)
	for _, n := range secretEnv {
		if ref := env.fromEnv[n].ValueFrom.SecretKeyRef; ref.Name != s.Name {
			t.Errorf("%s reads Secret %q; want the chart's %q", n, ref.Name, s.Name)
		}
	}
	if got := string(s.Data["auth-secret"]); got != "auth-s3cret" {
		t.Errorf("Secret auth-secret = %q", got)
	}

	hpa := one[*autoscalingv2.HorizontalPodAutoscaler](t, m)
	if ref := hpa.Spec.ScaleTargetRef; ref.Kind != "Deployment" || ref.Name != d.Name || ref.APIVersion != "apps/v1" {
		t.Errorf("HPA scaleTargetRef = %+v; want the Deployment %s", ref, d.Name)
	}
	if hpa.Spec.MinReplicas == nil || *hpa.Spec.MinReplicas > hpa.Spec.MaxReplicas || len(hpa.Spec.Metrics) != 2 {
		t.Errorf("HPA spec = %+v", hpa.Spec)
	}

	sm := one[*monitoringv1.ServiceMonitor](t, m)
	if sm.Namespace != "monitoring" || sm.Labels["release"] != "prometheus" {
		t.Errorf("ServiceMonitor %s/%s labels %v", sm.Namespace, sm.Name, sm.Labels)
	}
	// config.allowHttp opens port 80 next to 443 in the API egress rule.
	np := one[*networkingv1.NetworkPolicy](t, m)
	var apiPorts []string
	for _, r := range np.Spec.Egress {
		if len(r.To) > 0 && r.To[0].IPBlock != nil && r.To[0].IPBlock.CIDR == "0.0.0.0/0" {
			for _, p := range r.Ports {
				apiPorts = append(apiPorts, p.Port.String())
			}
		}
	}
	if !slices.Equal(apiPorts, []string{"443", "80"}) {
		t.Errorf("API egress ports = %v; want [443 80] with config.allowHttp", apiPorts)
	}
	checkDashboard(t, m)
}

// checkDashboard asserts the Grafana dashboard ConfigMap: sidecar label, valid JSON, and a
// panel for every metric the bridge exports.
func checkDashboard(t *testing.T, m *manifests) {
	t.Helper()
	var cm *corev1.ConfigMap
	for _, c := range all[*corev1.ConfigMap](m) {
		if strings.HasSuffix(c.Name, "-dashboard") {
			cm = c
		}
	}
	if cm == nil {
		t.Fatal("no dashboard ConfigMap")
	}
	if cm.Labels["grafana_dashboard"] != "1" {
		t.Errorf("dashboard labels %v; want grafana_dashboard=1", cm.Labels)
	}
	raw, ok := cm.Data["tlbridge.json"]
	if !ok {
		t.Fatalf("dashboard ConfigMap keys %v; want tlbridge.json", keys(cm.Data))
	}
	var dash struct {
		UID    string `json:"uid"`
		Title  string `json:"title"`
		Panels []struct {
			Type    string `json:"type"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal([]byte(raw), &dash); err != nil {
		t.Fatalf("dashboard JSON: %v", err)
	}
	if dash.UID == "" || dash.Title == "" {
		t.Errorf("dashboard uid %q title %q", dash.UID, dash.Title)
	}
	var exprs []string
	for _, p := range dash.Panels {
		for _, tg := range p.Targets {
			exprs = append(exprs, tg.Expr)
		}
	}
	all := strings.Join(exprs, "\n")
	for _, metric := range metricNames {
		if !strings.Contains(all, metric) {
			t.Errorf("dashboard has no panel for %s", metric)
		}
	}
	for _, e := range exprs {
		if strings.Count(e, "(") != strings.Count(e, ")") || strings.Count(e, "{") != strings.Count(e, "}") {
			t.Errorf("unbalanced PromQL: %s", e)
		}
	}
}

func TestExistingSecret(t *testing.T) {
	m := render(t, "-f", "testdata/existing-secret.yaml")
	checkCommon(t, m)
	none[*corev1.Secret](t, m)

	env := resolveEnv(t, m)
	wantKeys := map[string]string{
		"TLBRIDGE_NATS_PASSWORD": "NATS_PASSWORD",
		"TLBRIDGE_NATS_TOKEN":    "NATS_TOKEN",
		"TLBRIDGE_HTTP_TOKEN":    "HTTP_TOKEN",
		"TLBRIDGE_AUTH_SECRET":   "TRANSLOADIT_AUTH_SECRET",
	}
	for n, key := range wantKeys {
		v, ok := env.fromEnv[n]
		if !ok || v.ValueFrom == nil || v.ValueFrom.SecretKeyRef == nil {
			t.Errorf("%s: want a secretKeyRef, got %+v", n, v)
			continue
		}
		if ref := v.ValueFrom.SecretKeyRef; ref.Name != "tlbridge-credentials" || ref.Key != key {
			t.Errorf("%s reads %s/%s; want tlbridge-credentials/%s", n, ref.Name, ref.Key, key)
		}
	}
	d := one[*appsv1.Deployment](t, m)
	files := secretFiles(t, &d.Spec.Template.Spec, bridgeContainer(t, &d.Spec.Template.Spec))
	wantFiles := map[string]string{
		"TLBRIDGE_NATS_CREDS":     "user.creds",
		"TLBRIDGE_NATS_NKEY_SEED": "user.nk",
		"TLBRIDGE_NATS_TLS_CA":    "ca.crt",
		"TLBRIDGE_NATS_TLS_CERT":  "tls.crt",
		"TLBRIDGE_NATS_TLS_KEY":   "tls.key",
	}
	for n, key := range wantFiles {
		f, ok := files[env.fromEnv[n].Value]
		if !ok || f.secret != "tlbridge-credentials" || f.key != key {
			t.Errorf("%s=%q: mounted from %+v; want tlbridge-credentials key %s", n, env.fromEnv[n].Value, f, key)
		}
	}
}

func TestPartialInlineSecrets(t *testing.T) {
	m := render(t, "--set", "secrets.authSecret=abc", "--set", "secrets.natsCreds=creds")
	checkCommon(t, m)
	s := one[*corev1.Secret](t, m)
	if got := keys(s.Data); !slices.Equal(got, []string{"auth-secret", "nats.creds"}) {
		t.Errorf("Secret keys = %v; want only the two provided", got)
	}
	env := resolveEnv(t, m)
	for _, n := range []string{"TLBRIDGE_NATS_PASSWORD", "TLBRIDGE_NATS_TOKEN", "TLBRIDGE_HTTP_TOKEN",
		"TLBRIDGE_NATS_NKEY_SEED", "TLBRIDGE_NATS_TLS_CA", "TLBRIDGE_NATS_TLS_CERT", "TLBRIDGE_NATS_TLS_KEY"} {
		if _, ok := env.fromEnv[n]; ok {
			t.Errorf("%s set although not provided", n)
		}
	}
	for _, n := range []string{"TLBRIDGE_AUTH_SECRET", "TLBRIDGE_NATS_CREDS"} {
		if _, ok := env.fromEnv[n]; !ok {
			t.Errorf("%s not set", n)
		}
	}
}

func TestChecksumAnnotations(t *testing.T) {
	annotations := func(args ...string) map[string]string {
		t.Helper()
		return one[*appsv1.Deployment](t, render(t, args...)).Spec.Template.Annotations
	}
	base := annotations()
	cfg := annotations("--set", "config.logLevel=debug")
	sec := annotations("--set", "secrets.authSecret=rotated")
	if cfg["checksum/config"] == base["checksum/config"] {
		t.Error("checksum/config did not change with config.logLevel")
	}
	if cfg["checksum/secret"] != base["checksum/secret"] {
		t.Error("checksum/secret changed with a non-secret setting")
	}
	if sec["checksum/secret"] == base["checksum/secret"] {
		t.Error("checksum/secret did not change with secrets.authSecret")
	}
}

func TestPodDisruptionBudgetOnlyWithReplicas(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want bool
	}{
		{"external NATS by default", nil, true},
		{"embedded NATS by default", []string{"--set", "config.natsUrl="}, false},
		{"core NATS by default", []string{"--set", "config.jetstream=false"}, false},
		{"one replica", []string{"--set", "replicaCount=1"}, false},
		{"two replicas", []string{"--set", "replicaCount=2"}, true},
		{"disabled", []string{"--set", "replicaCount=2", "--set", "podDisruptionBudget.enabled=false"}, false},
		{"hpa from one", []string{"--set", "autoscaling.enabled=true", "--set", "autoscaling.minReplicas=1"}, false},
		{"hpa from two", []string{"--set", "autoscaling.enabled=true", "--set", "autoscaling.minReplicas=2"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := render(t, tt.args...)
			checkPodDisruptionBudget(t, m)
			if got := len(all[*policyv1.PodDisruptionBudget](m)) == 1; got != tt.want {
				t.Errorf("PodDisruptionBudget rendered = %v; want %v", got, tt.want)
			}
		})
	}
}

func TestEmbeddedNATSAndOptionalObjectsOff(t *testing.T) {
	m := render(t, "--set", "config.natsUrl=", "--set", "service.enabled=false",
		"--set", "serviceAccount.create=false", "--set", "resources.limits=null")
	checkCommon(t, m)
	env := resolveEnv(t, m)
	if _, ok := env.value("TLBRIDGE_NATS_URL"); ok {
		t.Error("TLBRIDGE_NATS_URL set although config.natsUrl is empty (empty must mean embedded NATS)")
	}
	if _, ok := env.fromEnv["GOMEMLIMIT"]; ok {
		t.Error("GOMEMLIMIT set without a memory limit")
	}
	none[*corev1.Service](t, m)
	none[*corev1.Pod](t, m)
	none[*corev1.ServiceAccount](t, m)
	none[*policyv1.PodDisruptionBudget](t, m)
	if d := one[*appsv1.Deployment](t, m); d.Spec.Replicas == nil || *d.Spec.Replicas != 1 {
		t.Errorf("replicas = %v with embedded NATS; want 1", d.Spec.Replicas)
	}
	if sa := one[*appsv1.Deployment](t, m).Spec.Template.Spec.ServiceAccountName; sa != "default" {
		t.Errorf("serviceAccountName = %q; want default", sa)
	}
}

// TestSchemaRejects asserts that bad values make helm fail instead of rendering.
func TestSchemaRejects(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string // substring of helm's error
	}{
		{"unknown top-level key", []string{"--set", "no_such_value=1"}, "no_such_value"},
		{"misspelled nested key", []string{"--set", "config.logLevl=debug"}, "logLevl"},
		{"wrong type", []string{"--set", "replicaCount=abc"}, "replicaCount"},
		{"log format enum", []string{"--set", "config.logFormat=text"}, "logFormat"},
		{"log level enum", []string{"--set", "config.logLevel=verbose"}, "logLevel"},
		{"pull policy enum", []string{"--set", "image.pullPolicy=Sometimes"}, "pullPolicy"},
		{"service type enum", []string{"--set", "service.type=Ingress"}, "type"},
		{"status rate above the limit", []string{"--set", "config.maxStatusRps=2.6"}, "maxStatusRps"},
		{"nats user without password", []string{"--set", "config.natsUser=u"}, "natsPassword"},
		{"nats password without user", []string{"--set", "secrets.natsPassword=p"}, "natsUser"},
		{"client cert without key", []string{"--set", "secrets.natsTlsCert=c"}, "natsTlsKey"},
		{"existing client key without cert", []string{"--set", "secrets.existingSecret=s", "--set", "secrets.existingSecretKeys.natsTlsKey=k"}, "natsTlsCert"},
		{"bad duration", []string{"--set", "config.pollInterval=2sec"}, "pollInterval"},
		{"http addr without port", []string{"--set", "config.httpAddr=localhost"}, "httpAddr"},
		{"misspelled resource", []string{"--set", "resources.limits.cpuu=100m"}, "cpuu"},
		{"bad quantity", []string{"--set", "resources.limits.memory=128MB"}, "memory"},
		{"misspelled probe field", []string{"--set", "livenessProbe.periodSecond=5"}, "periodSecond"},
		{"topology enum", []string{"--set", "topologySpreadConstraints.zone.whenUnsatisfiable=Never"}, "whenUnsatisfiable"},
		{"grace not above shutdown", []string{"--set", "terminationGracePeriodSeconds=20"}, "terminationGracePeriodSeconds"},
		{"shutdown above grace", []string{"--set", "config.shutdownTimeout=1m"}, "terminationGracePeriodSeconds"},
		{"configured shutdown above configured grace", []string{"--set", "config.shutdownTimeout=90s", "--set", "terminationGracePeriodSeconds=80"}, "config.shutdownTimeout (90s)"},
		{"liveness grace not above shutdown", []string{"--set", "livenessProbe.terminationGracePeriodSeconds=10"}, "livenessProbe.terminationGracePeriodSeconds"},
		{"startup grace not above a configured shutdown", []string{"--set", "config.shutdownTimeout=30s", "--set", "startupProbe.terminationGracePeriodSeconds=30"}, "startupProbe.terminationGracePeriodSeconds"},
		{"http addr on loopback", []string{"--set", "config.httpAddr=127.0.0.1:9090"}, "config.httpAddr"},
		{"http addr on one address", []string{"--set", "config.httpAddr=10.0.0.7:8080"}, "config.httpAddr"},
		{"topology list item without its key", []string{"--set", "topologySpreadConstraints[0].maxSkew=1", "--set", "topologySpreadConstraints[0].whenUnsatisfiable=DoNotSchedule"}, "topologyKey"},
		{"service monitor without service", []string{"--set", "service.enabled=false", "--set", "metrics.serviceMonitor.enabled=true"}, "service.enabled"},
		{"hpa min above max", []string{"--set", "autoscaling.enabled=true", "--set", "autoscaling.minReplicas=9"}, "minReplicas"},
		{"embedded NATS with replicas", []string{"--set", "config.natsUrl=", "--set", "replicaCount=2"}, "config.natsUrl is empty"},
		{"embedded NATS autoscaled", []string{"--set", "config.natsUrl=", "--set", "autoscaling.enabled=true"}, "config.natsUrl is empty"},
		{"core NATS with replicas", []string{"--set", "config.jetstream=false", "--set", "replicaCount=3"}, "config.jetstream is false"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := helmTemplate(t, tt.args...)
			if err == nil {
				t.Fatalf("helm template %v succeeded; want it rejected (rendered %d bytes)", tt.args, len(out))
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("helm template %v: error %q does not mention %q", tt.args, err, tt.want)
			}
		})
	}
}

// TestRendersWithoutKubeVersion guards against gating on .Capabilities: a helm built with
// `go install` reports Kubernetes v1.20.
func TestRendersWithoutKubeVersion(t *testing.T) {
	out, err := runHelm(t, "template", releaseName, chartDir, "-f", "testdata/all-on.yaml")
	if err != nil {
		t.Fatalf("helm template without --kube-version: %v", err)
	}
	m, err := decodeAll(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(all[*monitoringv1.ServiceMonitor](m)) != 1 || len(all[*autoscalingv2.HorizontalPodAutoscaler](m)) != 1 {
		t.Errorf("kinds = %v; optional objects must not depend on the cluster's API versions", m.kinds())
	}
}

// TestValuesMirrorSettings asserts that values.yaml mirrors the binary's settings one to
// one: config.<camelCase> for each plain TLBRIDGE_<SNAKE_CASE>, secrets.<camelCase> and
// secrets.existingSecretKeys.<camelCase> for each secret or file setting.
func TestValuesMirrorSettings(t *testing.T) {
	b, err := os.ReadFile(chartDir + "/values.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Config  map[string]any `json:"config"`
		Secrets map[string]any `json:"secrets"`
	}
	if err := yaml.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	toEnv := func(m map[string]any, skip ...string) []string {
		var out []string
		for k := range m {
			if !slices.Contains(skip, k) {
				out = append(out, camelToEnv(k))
			}
		}
		return sortedUnique(out)
	}
	if got, want := toEnv(v.Config), sortedUnique(configEnv); !slices.Equal(got, want) {
		t.Errorf("config keys map to\n %v\nwant\n %v", got, want)
	}
	secretish := sortedUnique(slices.Concat(secretEnv, fileEnv))
	if got := toEnv(v.Secrets, "existingSecret", "existingSecretKeys", "mountPath"); !slices.Equal(got, secretish) {
		t.Errorf("secrets keys map to\n %v\nwant\n %v", got, secretish)
	}
	esk, _ := v.Secrets["existingSecretKeys"].(map[string]any)
	if got := toEnv(esk); !slices.Equal(got, secretish) {
		t.Errorf("secrets.existingSecretKeys keys map to\n %v\nwant\n %v", got, secretish)
	}
}

// camelToEnv maps a values key to its variable: natsTlsCa -> TLBRIDGE_NATS_TLS_CA.
func camelToEnv(k string) string {
	var b strings.Builder
	b.WriteString("TLBRIDGE_")
	for i, r := range k {
		if unicode.IsUpper(r) && i > 0 {
			b.WriteByte('_')
		}
		b.WriteRune(unicode.ToUpper(r))
	}
	return b.String()
}

func sortedUnique(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return slices.Compact(out)
}
