package test

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	psaapi "k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
	"sigs.k8s.io/yaml"
)

// Settings of `tlbridge serve`, one per TLBRIDGE_* variable (the binary's contract).
var (
	// configEnv are plain settings, rendered into the chart's ConfigMap.
	configEnv = []string{
		"TLBRIDGE_NATS_URL", "TLBRIDGE_NATS_USER", "TLBRIDGE_SUBJECT_PREFIX", "TLBRIDGE_JETSTREAM",
		"TLBRIDGE_STREAM_NAME", "TLBRIDGE_MANAGE_STREAM", "TLBRIDGE_API_BASE", "TLBRIDGE_ALLOWED_HOSTS",
		"TLBRIDGE_ALLOW_HTTP", "TLBRIDGE_POLL_INTERVAL", "TLBRIDGE_MAX_STATUS_RPS", "TLBRIDGE_MAX_WATCHES",
		"TLBRIDGE_WATCH_TTL", "TLBRIDGE_HTTP_ADDR", "TLBRIDGE_AUTH_KEY", "TLBRIDGE_INSTANCE",
		"TLBRIDGE_DATA_DIR", "TLBRIDGE_LOG_LEVEL", "TLBRIDGE_LOG_FORMAT", "TLBRIDGE_SHUTDOWN_TIMEOUT",
		"TLBRIDGE_DISABLE_STREAM", "TLBRIDGE_DUPLICATE_WINDOW", "TLBRIDGE_STREAM_REPLICAS",
		"TLBRIDGE_STREAM_MAX_AGE", "TLBRIDGE_STREAM_STORAGE", "TLBRIDGE_STREAM_MAX_BYTES", "TLBRIDGE_FINISHED_TTL", "TLBRIDGE_MAX_EVENT_BYTES",
		"TLBRIDGE_HTTP_INSECURE", "TLBRIDGE_NOTIFY_MAX_BYTES", "TLBRIDGE_NOTIFY_MAX_AGE", "TLBRIDGE_EMBEDDED_NATS_ADDR",
		"TLBRIDGE_GIVE_UP_AFTER", "TLBRIDGE_NOT_FOUND_GRACE",
	}
	// secretEnv are read from a Secret through secretKeyRef.
	secretEnv = []string{
		"TLBRIDGE_NATS_PASSWORD", "TLBRIDGE_NATS_TOKEN", "TLBRIDGE_HTTP_TOKEN", "TLBRIDGE_AUTH_SECRET",
	}
	// fileEnv hold the path of a file mounted from a Secret.
	fileEnv = []string{
		"TLBRIDGE_NATS_CREDS", "TLBRIDGE_NATS_NKEY_SEED", "TLBRIDGE_NATS_TLS_CA",
		"TLBRIDGE_NATS_TLS_CERT", "TLBRIDGE_NATS_TLS_KEY",
	}
	allEnv = slices.Concat(configEnv, secretEnv, fileEnv)
)

// Limits of the binary.
const (
	// defaultShutdownTimeout applies when TLBRIDGE_SHUTDOWN_TIMEOUT is unset.
	defaultShutdownTimeout = 20 * time.Second
	// maxStatusRPS is the highest TLBRIDGE_MAX_STATUS_RPS the binary accepts.
	maxStatusRPS = 2.5
)

// Metrics the bridge exports; the dashboard must chart each of them.
var metricNames = []string{
	"tlbridge_watches_active", "tlbridge_events_published_total", "tlbridge_publish_errors_total",
	"tlbridge_upstream_requests_total", "tlbridge_sse_connected", "tlbridge_poll_fallbacks_total",
	"tlbridge_rate_limit_waits_total", "tlbridge_event_latency_seconds", "tlbridge_publish_pending",
	"tlbridge_lag_seconds", "tlbridge_status_fetches_waiting",
}

var checksumRE = regexp.MustCompile(`^[0-9a-f]{64}$`)

// chart holds the parts of Chart.yaml the tests compare against.
type chart struct {
	Name       string `json:"name"`
	Version    string `json:"version"`
	AppVersion string `json:"appVersion"`
}

func readChart(t *testing.T) chart {
	t.Helper()
	b, err := os.ReadFile(chartDir + "/Chart.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var c chart
	if err := yaml.Unmarshal(b, &c); err != nil {
		t.Fatalf("Chart.yaml: %v", err)
	}
	return c
}

// settingsConfigMap returns the ConfigMap the bridge takes its settings from.
func settingsConfigMap(t *testing.T, m *manifests) *corev1.ConfigMap {
	t.Helper()
	d := one[*appsv1.Deployment](t, m)
	c := bridgeContainer(t, &d.Spec.Template.Spec)
	for _, cm := range all[*corev1.ConfigMap](m) {
		for _, ef := range c.EnvFrom {
			if ef.ConfigMapRef != nil && ef.ConfigMapRef.Name == cm.Name {
				return cm
			}
		}
	}
	t.Fatalf("no rendered ConfigMap is referenced by envFrom %+v", c.EnvFrom)
	return nil
}

func bridgeContainer(t *testing.T, spec *corev1.PodSpec) *corev1.Container {
	t.Helper()
	for i := range spec.Containers {
		if spec.Containers[i].Name == "tlbridge" {
			return &spec.Containers[i]
		}
	}
	t.Fatalf("no container named tlbridge in %d containers", len(spec.Containers))
	return nil
}

// bridgeEnv is the resolved environment of the bridge container: the chart's ConfigMap
// first, then env entries.
type bridgeEnv struct {
	fromConfigMap map[string]string
	fromEnv       map[string]corev1.EnvVar
}

func (e bridgeEnv) names() []string {
	var ns []string
	for n := range e.fromConfigMap {
		ns = append(ns, n)
	}
	for n := range e.fromEnv {
		ns = append(ns, n)
	}
	slices.Sort(ns)
	return ns
}

// value returns a plain value from either source.
func (e bridgeEnv) value(name string) (string, bool) {
	if v, ok := e.fromEnv[name]; ok && v.ValueFrom == nil {
		return v.Value, true
	}
	v, ok := e.fromConfigMap[name]
	return v, ok
}

func resolveEnv(t *testing.T, m *manifests) bridgeEnv {
	t.Helper()
	d := one[*appsv1.Deployment](t, m)
	c := bridgeContainer(t, &d.Spec.Template.Spec)
	e := bridgeEnv{fromConfigMap: settingsConfigMap(t, m).Data, fromEnv: map[string]corev1.EnvVar{}}
	for _, v := range c.Env {
		if _, dup := e.fromEnv[v.Name]; dup {
			t.Errorf("env %s is set twice", v.Name)
		}
		if _, dup := e.fromConfigMap[v.Name]; dup {
			t.Errorf("env %s is set both in the ConfigMap and in env", v.Name)
		}
		e.fromEnv[v.Name] = v
	}
	for n := range e.fromConfigMap {
		if !slices.Contains(configEnv, n) {
			t.Errorf("ConfigMap sets %s, which is not a plain setting of tlbridge serve", n)
		}
	}
	return e
}

// checkCommon runs the assertions every rendering must pass.
func checkCommon(t *testing.T, m *manifests) {
	t.Helper()
	checkMetadata(t, m)
	checkDeployment(t, m)
	checkEnvWiring(t, m)
	checkService(t, m)
	checkTestPod(t, m)
	checkServiceMonitor(t, m)
	checkPodDisruptionBudget(t, m)
	checkNetworkPolicy(t, m)
}

// checkMetadata validates names and labels (apiserver rules decoding does not apply) and
// the recommended app.kubernetes.io/* labels.
func checkMetadata(t *testing.T, m *manifests) {
	t.Helper()
	for _, o := range m.objects {
		meta, err := metaOf(o)
		if err != nil {
			t.Fatal(err)
		}
		what := kindOf(o) + " " + meta.Name
		if errs := validation.IsDNS1123Subdomain(meta.Name); len(errs) > 0 {
			t.Errorf("%s: invalid name: %v", what, errs)
		}
		checkLabels(t, what, meta.Labels)
		for _, l := range []string{"app.kubernetes.io/name", "app.kubernetes.io/instance",
			"app.kubernetes.io/version", "app.kubernetes.io/managed-by", "helm.sh/chart"} {
			if meta.Labels[l] == "" {
				t.Errorf("%s: missing label %s", what, l)
			}
		}
		if meta.Labels["app.kubernetes.io/instance"] != releaseName {
			t.Errorf("%s: app.kubernetes.io/instance = %q; want %q", what, meta.Labels["app.kubernetes.io/instance"], releaseName)
		}
		for k := range meta.Annotations {
			if errs := validation.IsQualifiedName(k); len(errs) > 0 {
				t.Errorf("%s: invalid annotation key %q: %v", what, k, errs)
			}
		}
	}
}

func metaOf(o any) (*metav1.ObjectMeta, error) {
	type hasMeta interface{ GetObjectMeta() metav1.Object }
	hm, ok := o.(hasMeta)
	if !ok {
		return nil, fmt.Errorf("%T has no object metadata", o)
	}
	meta, ok := hm.GetObjectMeta().(*metav1.ObjectMeta)
	if !ok {
		return nil, fmt.Errorf("%T: unexpected metadata type", o)
	}
	return meta, nil
}

func checkLabels(t *testing.T, what string, labels map[string]string) {
	t.Helper()
	for k, v := range labels {
		if errs := validation.IsQualifiedName(k); len(errs) > 0 {
			t.Errorf("%s: invalid label key %q: %v", what, k, errs)
		}
		if errs := validation.IsValidLabelValue(v); len(errs) > 0 {
			t.Errorf("%s: invalid label value %s=%q: %v", what, k, v, errs)
		}
	}
}

// checkRestricted evaluates a pod against the "restricted" Pod Security Standard, exactly as
// the PodSecurity admission plugin does.
func checkRestricted(t *testing.T, what string, meta *metav1.ObjectMeta, spec *corev1.PodSpec) {
	t.Helper()
	ev, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
	if err != nil {
		t.Fatal(err)
	}
	lv := psaapi.LevelVersion{Level: psaapi.LevelRestricted, Version: psaapi.LatestVersion()}
	agg := policy.AggregateCheckResults(ev.EvaluatePod(lv, meta, spec))
	if !agg.Allowed {
		t.Errorf("%s violates the restricted Pod Security Standard: %s", what, agg.ForbiddenDetail())
	}
}

// checkContainerBasics asserts what the apiserver would validate and decoding misses.
func checkContainerBasics(t *testing.T, what string, spec *corev1.PodSpec) {
	t.Helper()
	if spec.EnableServiceLinks == nil || *spec.EnableServiceLinks {
		t.Errorf("%s: enableServiceLinks = %v; want false", what, ptrString(spec.EnableServiceLinks))
	}
	if spec.AutomountServiceAccountToken == nil || *spec.AutomountServiceAccountToken {
		t.Errorf("%s: automountServiceAccountToken = %v; want false", what, ptrString(spec.AutomountServiceAccountToken))
	}
	volumes := map[string]bool{}
	for _, v := range spec.Volumes {
		if volumes[v.Name] {
			t.Errorf("%s: volume %s defined twice", what, v.Name)
		}
		volumes[v.Name] = true
	}
	for _, c := range spec.Containers {
		cw := what + " container " + c.Name
		if c.Image == "" {
			t.Errorf("%s: no image", cw)
		}
		if !slices.Contains([]corev1.PullPolicy{corev1.PullAlways, corev1.PullIfNotPresent, corev1.PullNever}, c.ImagePullPolicy) {
			t.Errorf("%s: imagePullPolicy = %q", cw, c.ImagePullPolicy)
		}
		sc := c.SecurityContext
		if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
			t.Errorf("%s: readOnlyRootFilesystem is not true", cw)
		}
		if c.Resources.Requests.Memory().IsZero() {
			t.Errorf("%s: no memory request, got %v", cw, c.Resources)
		}
		for _, p := range c.Ports {
			if errs := validation.IsValidPortName(p.Name); len(errs) > 0 {
				t.Errorf("%s: port name %q: %v", cw, p.Name, errs)
			}
			if p.Protocol != corev1.ProtocolTCP {
				t.Errorf("%s: port %s protocol = %q; want TCP", cw, p.Name, p.Protocol)
			}
		}
		for _, vm := range c.VolumeMounts {
			if !volumes[vm.Name] {
				t.Errorf("%s: volumeMount %s names no volume", cw, vm.Name)
			}
		}
		for _, probe := range []struct {
			name string
			p    *corev1.Probe
		}{{"startupProbe", c.StartupProbe}, {"livenessProbe", c.LivenessProbe}, {"readinessProbe", c.ReadinessProbe}} {
			if probe.p != nil && probe.p.HTTPGet != nil {
				checkPortRef(t, cw+" "+probe.name, probe.p.HTTPGet.Port, c.Ports)
			}
		}
	}
}

func ptrString(b *bool) string {
	if b == nil {
		return "unset"
	}
	return strconv.FormatBool(*b)
}

// checkPortRef asserts that a port reference is a name and names one of ports.
func checkPortRef(t *testing.T, what string, ref intstr.IntOrString, ports []corev1.ContainerPort) {
	t.Helper()
	if ref.Type != intstr.String {
		t.Errorf("%s: port %v should name a container port, not a number", what, ref.IntValue())
		return
	}
	for _, p := range ports {
		if p.Name == ref.StrVal {
			return
		}
	}
	t.Errorf("%s: port %q names no container port (%v)", what, ref.StrVal, ports)
}

func checkDeployment(t *testing.T, m *manifests) {
	t.Helper()
	d := one[*appsv1.Deployment](t, m)
	spec := &d.Spec.Template.Spec
	checkRestricted(t, "Deployment", &d.Spec.Template.ObjectMeta, spec)
	checkContainerBasics(t, "Deployment", spec)
	checkLabels(t, "Deployment pod template", d.Spec.Template.Labels)
	if !isSubset(d.Spec.Selector.MatchLabels, d.Spec.Template.Labels) {
		t.Errorf("Deployment selector %v is not a subset of the pod labels %v", d.Spec.Selector.MatchLabels, d.Spec.Template.Labels)
	}
	if len(d.Spec.Selector.MatchLabels) != 2 {
		t.Errorf("Deployment selector %v; want only app.kubernetes.io/name and instance (selectors are immutable)", d.Spec.Selector.MatchLabels)
	}
	for _, a := range []string{"checksum/config", "checksum/secret"} {
		if v := d.Spec.Template.Annotations[a]; !checksumRE.MatchString(v) {
			t.Errorf("pod template annotation %s = %q; want a sha256", a, v)
		}
	}

	c := bridgeContainer(t, spec)
	// The image's entrypoint is the binary (the Dockerfile's and ko's
	// alike); the pod names the command.
	if c.Command != nil || !slices.Equal(c.Args, []string{"serve"}) {
		t.Errorf("bridge container command %v args %v; want the image's entrypoint with args [serve]", c.Command, c.Args)
	}
	for _, probe := range []struct {
		name, path string
		p          *corev1.Probe
	}{
		{"livenessProbe", "/healthz", c.LivenessProbe},
		{"readinessProbe", "/readyz", c.ReadinessProbe},
		{"startupProbe", "/healthz", c.StartupProbe},
	} {
		if probe.p == nil || probe.p.HTTPGet == nil {
			t.Errorf("%s: want an httpGet probe, got %+v", probe.name, probe.p)
			continue
		}
		if probe.p.HTTPGet.Path != probe.path {
			t.Errorf("%s path = %q; want %q", probe.name, probe.p.HTTPGet.Path, probe.path)
		}
	}
	if len(c.Ports) != 1 || c.Ports[0].Name != "http" {
		t.Fatalf("bridge ports = %v; want one port named http", c.Ports)
	}

	env := resolveEnv(t, m)
	addr, ok := env.value("TLBRIDGE_HTTP_ADDR")
	if !ok {
		t.Fatalf("TLBRIDGE_HTTP_ADDR not set")
	}
	if want := addr[strings.LastIndex(addr, ":")+1:]; strconv.Itoa(int(c.Ports[0].ContainerPort)) != want {
		t.Errorf("containerPort = %d; want %s from TLBRIDGE_HTTP_ADDR=%q", c.Ports[0].ContainerPort, want, addr)
	}

	// Shutdown must finish before Kubernetes sends SIGKILL.
	shutdown := defaultShutdownTimeout
	if s, ok := env.value("TLBRIDGE_SHUTDOWN_TIMEOUT"); ok {
		var err error
		if shutdown, err = time.ParseDuration(s); err != nil {
			t.Errorf("TLBRIDGE_SHUTDOWN_TIMEOUT=%q: %v", s, err)
		}
	}
	grace := spec.TerminationGracePeriodSeconds
	if grace == nil || time.Duration(*grace)*time.Second <= shutdown {
		t.Errorf("terminationGracePeriodSeconds = %v; want more than the shutdown timeout %v", grace, shutdown)
	}

	// The root filesystem is read-only: the data dir and /tmp must be writable volumes.
	dataDir, ok := env.value("TLBRIDGE_DATA_DIR")
	if !ok {
		t.Errorf("TLBRIDGE_DATA_DIR not set")
	}
	for _, dir := range []string{dataDir, "/tmp"} {
		if !hasWritableMount(spec, c, dir) {
			t.Errorf("no writable emptyDir mounted at %s", dir)
		}
	}

	// ServiceAccount.
	if sas := all[*corev1.ServiceAccount](m); len(sas) == 1 && spec.ServiceAccountName != sas[0].Name {
		t.Errorf("serviceAccountName = %q; want the chart's %q", spec.ServiceAccountName, sas[0].Name)
	}

	// Topology spread: enums, and the selector must match the pods.
	for _, tsc := range spec.TopologySpreadConstraints {
		if !slices.Contains([]corev1.UnsatisfiableConstraintAction{corev1.DoNotSchedule, corev1.ScheduleAnyway}, tsc.WhenUnsatisfiable) {
			t.Errorf("topologySpreadConstraint %s: whenUnsatisfiable = %q", tsc.TopologyKey, tsc.WhenUnsatisfiable)
		}
		if tsc.MaxSkew < 1 || tsc.LabelSelector == nil || !isSubset(tsc.LabelSelector.MatchLabels, d.Spec.Template.Labels) {
			t.Errorf("topologySpreadConstraint %s: maxSkew %d, selector %v does not select the pods", tsc.TopologyKey, tsc.MaxSkew, tsc.LabelSelector)
		}
	}
}

func hasWritableMount(spec *corev1.PodSpec, c *corev1.Container, path string) bool {
	for _, vm := range c.VolumeMounts {
		if vm.MountPath != path || vm.ReadOnly {
			continue
		}
		for _, v := range spec.Volumes {
			if v.Name == vm.Name && v.EmptyDir != nil {
				return true
			}
		}
	}
	return false
}

// checkEnvWiring asserts that every TLBRIDGE_* variable is one the binary knows, set once,
// that secret variables come from a Secret and file variables point at a mounted secret file.
func checkEnvWiring(t *testing.T, m *manifests) {
	t.Helper()
	d := one[*appsv1.Deployment](t, m)
	spec := &d.Spec.Template.Spec
	c := bridgeContainer(t, spec)
	env := resolveEnv(t, m)
	for _, n := range env.names() {
		if strings.HasPrefix(n, "TLBRIDGE_") && !slices.Contains(allEnv, n) {
			t.Errorf("%s is not a setting of tlbridge serve", n)
		}
	}
	// Plain settings the chart always provides (INSTANCE from the pod name when not set).
	for _, n := range []string{"TLBRIDGE_HTTP_ADDR", "TLBRIDGE_DATA_DIR",
		"TLBRIDGE_INSTANCE", "TLBRIDGE_LOG_FORMAT", "TLBRIDGE_SHUTDOWN_TIMEOUT"} {
		if _, ok := env.fromConfigMap[n]; !ok {
			if _, ok := env.fromEnv[n]; !ok {
				t.Errorf("%s not set", n)
			}
		}
	}
	if v, ok := env.fromEnv["TLBRIDGE_INSTANCE"]; ok {
		if v.ValueFrom == nil || v.ValueFrom.FieldRef == nil || v.ValueFrom.FieldRef.FieldPath != "metadata.name" {
			t.Errorf("TLBRIDGE_INSTANCE in env must come from the pod name, got %+v", v)
		}
	}
	checkEnums(t, env)

	secrets := map[string]*corev1.Secret{}
	for _, s := range all[*corev1.Secret](m) {
		secrets[s.Name] = s
	}
	for _, n := range secretEnv {
		v, ok := env.fromEnv[n]
		if !ok {
			if _, inCM := env.fromConfigMap[n]; inCM {
				t.Errorf("%s is a secret but is in the ConfigMap", n)
			}
			continue
		}
		ref := v.ValueFrom
		if ref == nil || ref.SecretKeyRef == nil {
			t.Errorf("%s must come from a secretKeyRef, got %+v", n, v)
			continue
		}
		checkSecretKey(t, n, secrets, ref.SecretKeyRef.Name, ref.SecretKeyRef.Key)
	}

	// File settings: the path must be a file of the secret volume.
	files := secretFiles(t, spec, c)
	for _, n := range fileEnv {
		v, ok := env.fromEnv[n]
		if !ok {
			continue
		}
		f, ok := files[v.Value]
		if !ok {
			t.Errorf("%s=%q is not a file mounted from a Secret (mounted: %v)", n, v.Value, keys(files))
			continue
		}
		checkSecretKey(t, n, secrets, f.secret, f.key)
	}
	for path := range files {
		used := false
		for _, n := range fileEnv {
			used = used || env.fromEnv[n].Value == path
		}
		if !used {
			t.Errorf("secret file %s is mounted but no variable points at it", path)
		}
	}
}

// checkSecretKey asserts a Secret reference: into the chart's own Secret the key must exist;
// any other Secret is an existing one the user manages.
func checkSecretKey(t *testing.T, what string, secrets map[string]*corev1.Secret, name, key string) {
	t.Helper()
	if errs := validation.IsConfigMapKey(key); len(errs) > 0 {
		t.Errorf("%s: invalid secret key %q: %v", what, key, errs)
	}
	s, ok := secrets[name]
	if !ok {
		return
	}
	if _, ok := s.Data[key]; !ok {
		t.Errorf("%s: Secret %s has no key %q (keys: %v)", what, name, key, keys(s.Data))
	}
}

type secretFile struct{ secret, key string }

// secretFiles maps each file path mounted from a Secret volume to its Secret and key.
func secretFiles(t *testing.T, spec *corev1.PodSpec, c *corev1.Container) map[string]secretFile {
	t.Helper()
	out := map[string]secretFile{}
	for _, vm := range c.VolumeMounts {
		for _, v := range spec.Volumes {
			if v.Name != vm.Name || v.Secret == nil {
				continue
			}
			if !vm.ReadOnly {
				t.Errorf("secret volume %s is mounted read-write", v.Name)
			}
			if len(v.Secret.Items) == 0 {
				t.Errorf("secret volume %s must list its items", v.Name)
			}
			for _, it := range v.Secret.Items {
				out[vm.MountPath+"/"+it.Path] = secretFile{v.Secret.SecretName, it.Key}
			}
		}
	}
	return out
}

// checkEnums asserts the values the binary accepts for enumerated settings.
func checkEnums(t *testing.T, env bridgeEnv) {
	t.Helper()
	enums := map[string][]string{
		"TLBRIDGE_LOG_LEVEL":      {"debug", "info", "warn", "error"},
		"TLBRIDGE_LOG_FORMAT":     {"json", "console", "auto"},
		"TLBRIDGE_JETSTREAM":      {"true", "false"},
		"TLBRIDGE_MANAGE_STREAM":  {"true", "false"},
		"TLBRIDGE_ALLOW_HTTP":     {"true", "false"},
		"TLBRIDGE_DISABLE_STREAM": {"true", "false"},
		"TLBRIDGE_STREAM_STORAGE": {"file", "memory"},
	}
	for n, allowed := range enums {
		if v, ok := env.value(n); ok && !slices.Contains(allowed, v) {
			t.Errorf("%s = %q; want one of %v", n, v, allowed)
		}
	}
	for _, n := range []string{"TLBRIDGE_POLL_INTERVAL", "TLBRIDGE_WATCH_TTL", "TLBRIDGE_SHUTDOWN_TIMEOUT",
		"TLBRIDGE_DUPLICATE_WINDOW", "TLBRIDGE_STREAM_MAX_AGE", "TLBRIDGE_FINISHED_TTL"} {
		if v, ok := env.value(n); ok {
			if _, err := time.ParseDuration(v); err != nil {
				t.Errorf("%s = %q: %v", n, v, err)
			}
		}
	}
	if v, ok := env.value("TLBRIDGE_MAX_STATUS_RPS"); ok {
		if f, err := strconv.ParseFloat(v, 64); err != nil || f <= 0 || f > maxStatusRPS {
			t.Errorf("TLBRIDGE_MAX_STATUS_RPS = %q; want a number in (0, %v]", v, maxStatusRPS)
		}
	}
	if v, ok := env.value("TLBRIDGE_MAX_WATCHES"); ok {
		if n, err := strconv.Atoi(v); err != nil || n < 1 {
			t.Errorf("TLBRIDGE_MAX_WATCHES = %q; want a positive integer", v)
		}
	}
}

func checkService(t *testing.T, m *manifests) {
	t.Helper()
	for _, s := range all[*corev1.Service](m) {
		if errs := validation.IsDNS1035Label(s.Name); len(errs) > 0 {
			t.Errorf("Service name %q: %v", s.Name, errs)
		}
		if !slices.Contains([]corev1.ServiceType{corev1.ServiceTypeClusterIP, corev1.ServiceTypeNodePort, corev1.ServiceTypeLoadBalancer}, s.Spec.Type) {
			t.Errorf("Service type = %q", s.Spec.Type)
		}
		d := one[*appsv1.Deployment](t, m)
		if len(s.Spec.Selector) == 0 || !isSubset(s.Spec.Selector, d.Spec.Template.Labels) {
			t.Errorf("Service selector %v does not select the bridge pods", s.Spec.Selector)
		}
		c := bridgeContainer(t, &d.Spec.Template.Spec)
		for _, p := range s.Spec.Ports {
			if errs := validation.IsValidPortName(p.Name); len(errs) > 0 {
				t.Errorf("Service port name %q: %v", p.Name, errs)
			}
			checkPortRef(t, "Service port "+p.Name+" targetPort", p.TargetPort, c.Ports)
		}
	}
}

func checkTestPod(t *testing.T, m *manifests) {
	t.Helper()
	for _, p := range all[*corev1.Pod](m) {
		checkRestricted(t, "helm test Pod", &p.ObjectMeta, &p.Spec)
		checkContainerBasics(t, "helm test Pod", &p.Spec)
		if p.Annotations["helm.sh/hook"] != "test" {
			t.Errorf("Pod %s: helm.sh/hook = %q; want test", p.Name, p.Annotations["helm.sh/hook"])
		}
		if p.Spec.RestartPolicy != corev1.RestartPolicyNever {
			t.Errorf("Pod %s: restartPolicy = %q; want Never", p.Name, p.Spec.RestartPolicy)
		}
		svc := one[*corev1.Service](t, m)
		if isSubset(svc.Spec.Selector, p.Labels) {
			t.Errorf("test Pod labels %v match the Service selector: it would receive traffic", p.Labels)
		}
		want := fmt.Sprintf("http://%s:%d/readyz", svc.Name, svc.Spec.Ports[0].Port)
		if !strings.Contains(strings.Join(p.Spec.Containers[0].Command, " "), want) {
			t.Errorf("test Pod does not GET %s: %v", want, p.Spec.Containers[0].Command)
		}
	}
}

func checkServiceMonitor(t *testing.T, m *manifests) {
	t.Helper()
	for _, sm := range all[*monitoringv1.ServiceMonitor](m) {
		svc := one[*corev1.Service](t, m)
		if !isSubset(sm.Spec.Selector.MatchLabels, svc.Labels) {
			t.Errorf("ServiceMonitor selector %v does not select the Service (labels %v)", sm.Spec.Selector.MatchLabels, svc.Labels)
		}
		if !slices.Contains(sm.Spec.NamespaceSelector.MatchNames, namespace) {
			t.Errorf("ServiceMonitor namespaceSelector %v misses %s", sm.Spec.NamespaceSelector, namespace)
		}
		for _, ep := range sm.Spec.Endpoints {
			if ep.Path != "/metrics" {
				t.Errorf("ServiceMonitor path = %q; want /metrics", ep.Path)
			}
			found := false
			for _, p := range svc.Spec.Ports {
				found = found || p.Name == ep.Port
			}
			if !found {
				t.Errorf("ServiceMonitor port %q names no Service port", ep.Port)
			}
		}
	}
}

func checkPodDisruptionBudget(t *testing.T, m *manifests) {
	t.Helper()
	for _, pdb := range all[*policyv1.PodDisruptionBudget](m) {
		d := one[*appsv1.Deployment](t, m)
		if !isSubset(pdb.Spec.Selector.MatchLabels, d.Spec.Template.Labels) {
			t.Errorf("PodDisruptionBudget selector %v does not select the pods", pdb.Spec.Selector.MatchLabels)
		}
		if pdb.Spec.MinAvailable != nil || pdb.Spec.MaxUnavailable == nil {
			t.Errorf("PodDisruptionBudget: want maxUnavailable only, got minAvailable %v maxUnavailable %v", pdb.Spec.MinAvailable, pdb.Spec.MaxUnavailable)
		}
	}
}

func checkNetworkPolicy(t *testing.T, m *manifests) {
	t.Helper()
	for _, np := range all[*networkingv1.NetworkPolicy](m) {
		d := one[*appsv1.Deployment](t, m)
		c := bridgeContainer(t, &d.Spec.Template.Spec)
		if !isSubset(np.Spec.PodSelector.MatchLabels, d.Spec.Template.Labels) {
			t.Errorf("NetworkPolicy podSelector %v does not select the pods", np.Spec.PodSelector.MatchLabels)
		}
		if !slices.Contains(np.Spec.PolicyTypes, networkingv1.PolicyTypeEgress) || !slices.Contains(np.Spec.PolicyTypes, networkingv1.PolicyTypeIngress) {
			t.Errorf("NetworkPolicy policyTypes = %v; want Ingress and Egress", np.Spec.PolicyTypes)
		}
		for _, r := range np.Spec.Ingress {
			for _, p := range r.Ports {
				if p.Port != nil && p.Port.Type == intstr.String {
					checkPortRef(t, "NetworkPolicy ingress", *p.Port, c.Ports)
				}
			}
		}
		// With restricted ingress the helm test pod must still reach the bridge.
		if len(np.Spec.Ingress) > 0 && len(np.Spec.Ingress[0].From) > 0 {
			for _, p := range all[*corev1.Pod](m) {
				admitted := false
				for _, peer := range np.Spec.Ingress[0].From {
					admitted = admitted || (peer.PodSelector != nil && peer.NamespaceSelector == nil &&
						len(peer.PodSelector.MatchLabels) > 0 && isSubset(peer.PodSelector.MatchLabels, p.Labels))
				}
				if !admitted {
					t.Errorf("NetworkPolicy ingress does not admit the helm test pod %s", p.Name)
				}
			}
		}
		egress := map[string]bool{}
		for _, r := range np.Spec.Egress {
			for _, p := range r.Ports {
				if p.Protocol == nil || p.Port == nil {
					t.Errorf("NetworkPolicy egress port without protocol or port: %+v", p)
					continue
				}
				if !slices.Contains([]corev1.Protocol{corev1.ProtocolTCP, corev1.ProtocolUDP, corev1.ProtocolSCTP}, *p.Protocol) {
					t.Errorf("NetworkPolicy egress protocol = %q", *p.Protocol)
				}
				egress[fmt.Sprintf("%s/%s", p.Port.String(), *p.Protocol)] = true
			}
		}
		for _, want := range []string{"53/UDP", "53/TCP", "4222/TCP", "443/TCP"} {
			if !egress[want] {
				t.Errorf("NetworkPolicy does not allow egress to %s (has %v)", want, keys(egress))
			}
		}
	}
}

func isSubset(sub, super map[string]string) bool {
	for k, v := range sub {
		if super[k] != v {
			return false
		}
	}
	return true
}

func keys[V any](m map[string]V) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}
