package test

import (
	"os"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
)

// TestThumbnailerManifest: the example consumer's manifest decodes
// strictly and its pod passes the restricted Pod Security Standard, as
// the chart's do.
func TestThumbnailerManifest(t *testing.T) {
	b, err := os.ReadFile("../../examples/thumbnailer/kubernetes.yaml")
	if err != nil {
		t.Fatal(err)
	}
	m, err := decodeAll(string(b))
	if err != nil {
		t.Fatal(err)
	}
	d := one[*appsv1.Deployment](t, m)
	checkRestricted(t, "thumbnailer", &d.Spec.Template.ObjectMeta, &d.Spec.Template.Spec)
	checkContainerBasics(t, "thumbnailer", &d.Spec.Template.Spec)
	if !isSubset(d.Spec.Selector.MatchLabels, d.Spec.Template.Labels) {
		t.Errorf("selector %v does not select the pod labels %v", d.Spec.Selector.MatchLabels, d.Spec.Template.Labels)
	}
}
