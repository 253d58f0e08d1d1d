package test

import (
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// TestGoMemLimit: GOMEMLIMIT is 90% of the memory limit, in bytes, for
// every quantity form.
func TestGoMemLimit(t *testing.T) {
	tests := []struct{ in, want string }{
		{"256Mi", "241591910"},
		{"1Gi", "966367641"},
		{"500M", "450000000"},
		{"1.5Gi", "1449551462"},
		{"268435456", "241591910"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			m := render(t, "--set-string", "resources.limits.memory="+tt.in)
			if got, _ := resolveEnv(t, m).fromEnv["GOMEMLIMIT"]; got.Value != tt.want {
				t.Errorf("GOMEMLIMIT for a %s limit = %q; want %q", tt.in, got.Value, tt.want)
			}
		})
	}
}

// TestGraceFollowsConfiguredShutdown: a longer shutdown with a longer
// grace period renders; the guard compares the two configured values.
func TestGraceFollowsConfiguredShutdown(t *testing.T) {
	m := render(t, "--set", "config.shutdownTimeout=90s", "--set", "terminationGracePeriodSeconds=100",
		"--set", "livenessProbe.terminationGracePeriodSeconds=95")
	checkCommon(t, m)
}

// TestTopologySpreadList: the standard Kubernetes list is taken as it is,
// with the pods' selector filled in where none is given.
func TestTopologySpreadList(t *testing.T) {
	m := render(t, "-f", "testdata/topology-list.yaml")
	checkCommon(t, m)
	got := one[*appsv1.Deployment](t, m).Spec.Template.Spec.TopologySpreadConstraints
	if len(got) != 2 {
		t.Fatalf("topologySpreadConstraints = %+v; want the 2 given", got)
	}
	zone, host := got[0], got[1]
	if zone.TopologyKey != "topology.kubernetes.io/zone" || zone.MaxSkew != 1 || zone.WhenUnsatisfiable != corev1.DoNotSchedule ||
		!slices.Equal(zone.MatchLabelKeys, []string{"pod-template-hash"}) {
		t.Errorf("zone constraint = %+v; want it as given", zone)
	}
	if zone.LabelSelector == nil || zone.LabelSelector.MatchLabels["app.kubernetes.io/name"] != "tlbridge" {
		t.Errorf("zone constraint selector = %v; want the pods' selector filled in", zone.LabelSelector)
	}
	if host.LabelSelector == nil || len(host.LabelSelector.MatchLabels) != 1 {
		t.Errorf("hostname constraint selector = %v; want the one given, untouched", host.LabelSelector)
	}
}

// TestNATSEgressDefault: with the default natsTo, the rendered policy lets
// the bridge reach NATS installed as the README does (namespace nats) and
// in its own namespace (the default natsUrl), and nothing else on the
// NATS port.
func TestNATSEgressDefault(t *testing.T) {
	m := render(t, "--set", "networkPolicy.enabled=true")
	checkCommon(t, m)
	np := one[*networkingv1.NetworkPolicy](t, m)
	rule := natsRule(t, np)
	natsPod := map[string]string{"app.kubernetes.io/name": "nats", "app.kubernetes.io/instance": "nats", "app.kubernetes.io/component": "nats"}
	tests := []struct {
		name      string
		ns        string
		nsLabels  map[string]string
		podLabels map[string]string
		want      bool
	}{
		{"the README's NATS in namespace nats", "nats", map[string]string{"kubernetes.io/metadata.name": "nats"}, natsPod, true},
		{"NATS in the release namespace", namespace, map[string]string{"kubernetes.io/metadata.name": namespace}, natsPod, true},
		{"NATS in another namespace", "other", map[string]string{"kubernetes.io/metadata.name": "other"}, natsPod, false},
		{"another pod in namespace nats", "nats", map[string]string{"kubernetes.io/metadata.name": "nats"}, map[string]string{"app.kubernetes.io/name": "nack"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ruleAdmits(t, rule, np.Namespace, tt.ns, tt.nsLabels, tt.podLabels); got != tt.want {
				t.Errorf("NATS egress admits %s/%v = %v; want %v", tt.ns, tt.podLabels, got, tt.want)
			}
		})
	}
}

// natsRule returns the egress rule on the NATS port.
func natsRule(t *testing.T, np *networkingv1.NetworkPolicy) networkingv1.NetworkPolicyEgressRule {
	t.Helper()
	for _, r := range np.Spec.Egress {
		for _, p := range r.Ports {
			if p.Port != nil && p.Port.IntValue() == 4222 {
				return r
			}
		}
	}
	t.Fatalf("no egress rule for port 4222 in %+v", np.Spec.Egress)
	return networkingv1.NetworkPolicyEgressRule{}
}

// ruleAdmits evaluates the rule's peers as Kubernetes does for a pod in
// namespace ns: a peer without namespaceSelector means the policy's own
// namespace; without podSelector, every pod.
func ruleAdmits(t *testing.T, r networkingv1.NetworkPolicyEgressRule, policyNS, ns string, nsLabels, podLabels map[string]string) bool {
	t.Helper()
	if len(r.To) == 0 {
		return true
	}
	for _, peer := range r.To {
		if peer.IPBlock != nil {
			continue
		}
		nsOK := ns == policyNS
		if peer.NamespaceSelector != nil {
			nsOK = selects(t, peer.NamespaceSelector, nsLabels)
		}
		podOK := peer.PodSelector == nil || selects(t, peer.PodSelector, podLabels)
		if nsOK && podOK {
			return true
		}
	}
	return false
}

func selects(t *testing.T, ls *metav1.LabelSelector, l map[string]string) bool {
	t.Helper()
	sel, err := metav1.LabelSelectorAsSelector(ls)
	if err != nil {
		t.Fatalf("selector %v: %v", ls, err)
	}
	return sel.Matches(labels.Set(l))
}

// TestMaxWatchesFitsTheMemoryLimit: by default the watches a replica
// takes fit its memory limit at the measured cost per watch, whatever the
// limit; a set maxWatches wins; without a limit the binary's default stays.
func TestMaxWatchesFitsTheMemoryLimit(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{nil, "819"},
		{[]string{"--set-string", "resources.limits.memory=1Gi"}, "3276"},
		{[]string{"--set-string", "resources.limits.memory=4G"}, "12207"},
		{[]string{"--set", "config.maxWatches=5"}, "5"},
		{[]string{"--set", "sizing.bytesPerWatch=65536"}, "3276"},
		{[]string{"--set", "resources.limits=null"}, ""}, // unset: the binary's default
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			m := render(t, tt.args...)
			got, set := resolveEnv(t, m).value("TLBRIDGE_MAX_WATCHES")
			if got != tt.want || set != (tt.want != "") {
				t.Errorf("TLBRIDGE_MAX_WATCHES = %q (set %v); want %q", got, set, tt.want)
			}
		})
	}
}
