// Package kubernetes holds the bot's Kubernetes manifests (single/ and
// replicas/) and the checks that keep them deployable: strict decoding with
// the Kubernetes API types, and the Pod Security "restricted" profile for
// every pod they create.
package kubernetes

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer/json"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	psaapi "k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
)

// Decoder turns manifest files into typed API objects.
type Decoder struct {
	serializer *json.Serializer
}

// NewDecoder knows the API groups the manifests use. A kind outside them is
// an error rather than something to skip: a manifest nobody checks is how a
// typo reaches a cluster.
func NewDecoder() (*Decoder, error) {
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		corev1.AddToScheme, appsv1.AddToScheme, batchv1.AddToScheme,
		policyv1.AddToScheme, networkingv1.AddToScheme,
	} {
		if err := add(scheme); err != nil {
			return nil, fmt.Errorf("building the scheme: %w", err)
		}
	}
	return &Decoder{serializer: json.NewSerializerWithOptions(json.DefaultMetaFactory, scheme, scheme,
		json.SerializerOptions{Yaml: true, Strict: true})}, nil
}

// Object is one decoded document and where it came from.
type Object struct {
	Doc int // 1-based position in the file
	runtime.Object
}

// Decode reads every document of a multi-document YAML file. Strict: an
// unknown field, a duplicated field or a value of the wrong type is an error
// naming the document, as is a document without apiVersion and kind.
func (d *Decoder) Decode(data []byte) ([]Object, error) {
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var objs []Object
	for n := 1; ; n++ {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return objs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", n, err)
		}
		if isEmpty(doc) {
			continue
		}
		obj, _, err := d.serializer.Decode(doc, nil, nil)
		if err != nil {
			// With Strict, unknown fields come back as an error next to
			// a decoded object: still an error here.
			return nil, fmt.Errorf("document %d: %w", n, err)
		}
		objs = append(objs, Object{Doc: n, Object: obj})
	}
}

// isEmpty reports a document holding only comments or whitespace (as after
// a leading "---").
func isEmpty(doc []byte) bool {
	for _, line := range strings.Split(string(doc), "\n") {
		line = strings.TrimSpace(line)
		if line != "" && line != "---" && !strings.HasPrefix(line, "#") {
			return false
		}
	}
	return true
}

// Pod is the pod template of one workload.
type Pod struct {
	Owner string // e.g. "Deployment/autoresponder"
	Meta  metav1.ObjectMeta
	Spec  corev1.PodSpec
}

// Pods returns the pod of every object that creates pods, so that a check
// over Pods covers a workload kind added later without being told.
func Pods(objs []Object) []Pod {
	var pods []Pod
	for _, o := range objs {
		switch w := o.Object.(type) {
		case *corev1.Pod:
			pods = append(pods, Pod{"Pod/" + w.Name, w.ObjectMeta, w.Spec})
		case *appsv1.Deployment:
			pods = append(pods, Pod{"Deployment/" + name(w.ObjectMeta), w.Spec.Template.ObjectMeta, w.Spec.Template.Spec})
		case *appsv1.StatefulSet:
			pods = append(pods, Pod{"StatefulSet/" + name(w.ObjectMeta), w.Spec.Template.ObjectMeta, w.Spec.Template.Spec})
		case *appsv1.DaemonSet:
			pods = append(pods, Pod{"DaemonSet/" + name(w.ObjectMeta), w.Spec.Template.ObjectMeta, w.Spec.Template.Spec})
		case *appsv1.ReplicaSet:
			pods = append(pods, Pod{"ReplicaSet/" + name(w.ObjectMeta), w.Spec.Template.ObjectMeta, w.Spec.Template.Spec})
		case *batchv1.Job:
			pods = append(pods, Pod{"Job/" + name(w.ObjectMeta), w.Spec.Template.ObjectMeta, w.Spec.Template.Spec})
		case *batchv1.CronJob:
			t := w.Spec.JobTemplate.Spec.Template
			pods = append(pods, Pod{"CronJob/" + name(w.ObjectMeta), t.ObjectMeta, t.Spec})
		case *corev1.ReplicationController:
			if t := w.Spec.Template; t != nil {
				pods = append(pods, Pod{"ReplicationController/" + name(w.ObjectMeta), t.ObjectMeta, t.Spec})
			}
		}
	}
	return pods
}

// name is the object's name, or its generateName prefix followed by "*".
func name(m metav1.ObjectMeta) string {
	if m.Name == "" && m.GenerateName != "" {
		return m.GenerateName + "*"
	}
	return m.Name
}

// Restricted checks pods against the Pod Security Standards' "restricted"
// profile, with the checks the Kubernetes pod-security admission
// controller itself runs (k8s.io/pod-security-admission), at their latest
// version: a pod passing here is admitted by a namespace labelled
// pod-security.kubernetes.io/enforce=restricted.
type Restricted struct {
	evaluator policy.Evaluator
}

// NewRestricted builds the checker.
func NewRestricted() (*Restricted, error) {
	e, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
	if err != nil {
		return nil, fmt.Errorf("pod security checks: %w", err)
	}
	return &Restricted{evaluator: e}, nil
}

// Check returns one error per pod the profile forbids, naming the workload
// and every reason, e.g. `Deployment/autoresponder: seccompProfile (pod or
// container "bot" must set securityContext.seccompProfile.type to
// "RuntimeDefault" or "Localhost")`.
func (r *Restricted) Check(pods []Pod) error {
	lv := psaapi.LevelVersion{Level: psaapi.LevelRestricted, Version: psaapi.LatestVersion()}
	var errs []error
	for _, p := range pods {
		res := policy.AggregateCheckResults(r.evaluator.EvaluatePod(lv, &p.Meta, &p.Spec))
		if !res.Allowed {
			errs = append(errs, fmt.Errorf("%s: %s", p.Owner, res.ForbiddenDetail()))
		}
	}
	return errors.Join(errs...)
}
