// Package test renders the tlbridge chart with helm and checks the manifests offline: strict
// decoding into the Kubernetes API types, the "restricted" Pod Security Standard, and the
// cross-references that decoding cannot see (probe ports, env wiring, secret keys, enums).
//
// helm is taken from $HELM, else from PATH. Without helm the tests are skipped, unless $HELM
// is set, in which case a missing binary is an error.
package test

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer/json"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

const (
	chartDir    = "../tlbridge"
	releaseName = "tlb"
	namespace   = "media"
	// kubeVersion is passed to helm: a helm built with `go install` assumes Kubernetes v1.20.
	kubeVersion = "1.33.0"
)

// scheme knows every kind the chart may emit; an unregistered kind fails decoding.
var scheme = runtime.NewScheme()

func init() {
	utilruntime.Must(corev1.AddToScheme(scheme))
	utilruntime.Must(appsv1.AddToScheme(scheme))
	utilruntime.Must(policyv1.AddToScheme(scheme))
	utilruntime.Must(autoscalingv2.AddToScheme(scheme))
	utilruntime.Must(networkingv1.AddToScheme(scheme))
	utilruntime.Must(monitoringv1.AddToScheme(scheme))
}

// strictDecoder rejects unknown fields, duplicate keys and wrongly typed values.
var strictDecoder = json.NewSerializerWithOptions(json.DefaultMetaFactory, scheme, scheme,
	json.SerializerOptions{Yaml: true, Strict: true})

// helmBinary returns the helm to run, skipping the test when there is none.
func helmBinary(t *testing.T) string {
	t.Helper()
	if h := os.Getenv("HELM"); h != "" {
		if _, err := exec.LookPath(h); err != nil {
			t.Fatalf("HELM=%q: %v", h, err)
		}
		return h
	}
	h, err := exec.LookPath("helm")
	if err != nil {
		t.Skip("helm not found: set HELM or put helm on PATH")
	}
	return h
}

// helmTemplate runs `helm template` on the chart for the test release and namespace, with
// extra arguments.
func helmTemplate(t *testing.T, args ...string) (string, error) {
	t.Helper()
	return runHelm(t, append([]string{"template", releaseName, chartDir, "--namespace", namespace,
		"--kube-version", kubeVersion}, args...)...)
}

// runHelm runs helm and returns its standard output, or an error carrying its standard error.
func runHelm(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(helmBinary(t), args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", errors.New(strings.TrimSpace(stderr.String()) + ": " + err.Error())
	}
	return stdout.String(), nil
}

// manifests is a strictly decoded `helm template` output.
type manifests struct {
	objects []runtime.Object
}

// render runs helm template with args and decodes every document strictly.
func render(t *testing.T, args ...string) *manifests {
	t.Helper()
	out, err := helmTemplate(t, args...)
	if err != nil {
		t.Fatalf("helm template %v: %v", args, err)
	}
	m, err := decodeAll(out)
	if err != nil {
		t.Fatalf("helm template %v: %v", args, err)
	}
	return m
}

// decodeAll splits a multi-document YAML stream and decodes each document strictly.
func decodeAll(stream string) (*manifests, error) {
	r := utilyaml.NewYAMLReader(bufio.NewReader(strings.NewReader(stream)))
	m := &manifests{}
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return m, nil
		}
		if err != nil {
			return nil, err
		}
		if isBlank(doc) {
			continue
		}
		obj, gvk, err := strictDecoder.Decode(doc, nil, nil)
		if err != nil {
			return nil, errors.New(sourceOf(doc) + ": " + err.Error())
		}
		if gvk.Kind == "" {
			return nil, errors.New(sourceOf(doc) + ": no kind")
		}
		m.objects = append(m.objects, obj)
	}
}

// isBlank reports whether a YAML document holds only comments and white space.
func isBlank(doc []byte) bool {
	for _, line := range strings.Split(string(doc), "\n") {
		line = strings.TrimSpace(line)
		if line != "" && line != "---" && !strings.HasPrefix(line, "#") {
			return false
		}
	}
	return true
}

// sourceOf returns the template a document came from, per helm's "# Source:" comment.
func sourceOf(doc []byte) string {
	for _, line := range strings.Split(string(doc), "\n") {
		if s, ok := strings.CutPrefix(line, "# Source: "); ok {
			return s
		}
	}
	return "document"
}

// kinds returns the kind of every object, in order.
func (m *manifests) kinds() []string {
	var ks []string
	for _, o := range m.objects {
		ks = append(ks, kindOf(o))
	}
	return ks
}

func kindOf(o runtime.Object) string {
	gvks, _, err := scheme.ObjectKinds(o)
	if err != nil || len(gvks) == 0 {
		return "?"
	}
	return gvks[0].Kind
}

// all returns every object of type T.
func all[T runtime.Object](m *manifests) []T {
	var out []T
	for _, o := range m.objects {
		if v, ok := o.(T); ok {
			out = append(out, v)
		}
	}
	return out
}

// one returns the only object of type T, failing the test unless there is exactly one.
func one[T runtime.Object](t *testing.T, m *manifests) T {
	t.Helper()
	objs := all[T](m)
	if len(objs) != 1 {
		var zero T
		t.Fatalf("want exactly one %T, got %d (kinds: %v)", zero, len(objs), m.kinds())
	}
	return objs[0]
}

// none fails the test if there is an object of type T.
func none[T runtime.Object](t *testing.T, m *manifests) {
	t.Helper()
	if objs := all[T](m); len(objs) != 0 {
		t.Errorf("want no %T, got %d", objs[0], len(objs))
	}
}
