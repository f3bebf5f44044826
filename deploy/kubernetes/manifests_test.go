package kubernetes

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// shapes are the deployment shapes shipped, each a directory of manifests.
var shapes = []struct {
	dir          string
	wantReplicas int32
	wantPDB      bool
	wantDB       bool
}{
	{"single", 1, false, false},
	{"replicas", 3, true, true},
}

type file struct {
	path string
	objs []Object
}

// loadDir decodes every manifest of a directory strictly.
func loadDir(t *testing.T, dir string) []file {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no manifests in %s (%v)", dir, err)
	}
	dec := newDecoder(t)
	var files []file
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		objs, err := dec.Decode(data)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		files = append(files, file{p, objs})
	}
	return files
}

func all(files []file) []Object {
	var objs []Object
	for _, f := range files {
		objs = append(objs, f.objs...)
	}
	return objs
}

func newDecoder(t *testing.T) *Decoder {
	t.Helper()
	d, err := NewDecoder()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func newRestricted(t *testing.T) *Restricted {
	t.Helper()
	r, err := NewRestricted()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// find returns the objects of one Go type.
func find[T any](objs []Object) []T {
	var out []T
	for _, o := range objs {
		if v, ok := o.Object.(T); ok {
			out = append(out, v)
		}
	}
	return out
}

func one[T any](t *testing.T, objs []Object, what string) T {
	t.Helper()
	found := find[T](objs)
	if len(found) != 1 {
		t.Fatalf("want exactly one %s, found %d", what, len(found))
	}
	return found[0]
}

func TestDecodeIsStrict(t *testing.T) {
	cases := []struct {
		name, doc, wantErr string
	}{
		{"unknown field", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec: {replica: 1}\n", `unknown field "spec.replica"`},
		{"unknown nested field", "apiVersion: v1\nkind: Pod\nmetadata: {name: x}\nspec:\n  containers:\n    - name: c\n      image: i\n      securityContext: {allowPrivilegeEscalaton: false}\n", `unknown field "spec.containers[0].securityContext.allowPrivilegeEscalaton"`},
		{"duplicate field", "apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec: {type: ClusterIP, type: NodePort}\n", `key "type" already set`},
		{"wrong type", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec: {replicas: three}\n", "replicas"},
		{"unknown kind", "apiVersion: v1\nkind: Podd\nmetadata: {name: x}\n", "Podd"},
		{"no kind", "apiVersion: v1\nmetadata: {name: x}\n", "'Kind' is missing"},
	}
	dec := newDecoder(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := dec.Decode([]byte("# a comment-only document is skipped\n---\n" + tc.doc))
			if err == nil {
				t.Fatalf("decoded without error:\n%s", tc.doc)
			}
			if !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), "document 2") {
				t.Errorf("error %q does not name document 2 and %q", err, tc.wantErr)
			}
		})
	}
}

// podYAML is a pod spec that passes the restricted profile; each field
// named in the markers can be dropped by restrictedCase.
const podYAML = `
      securityContext:
        runAsUser: 65532
        runAsNonRoot: true # runAsNonRoot
        seccompProfile: {type: RuntimeDefault} # seccompProfile
      containers:
        - name: bot
          image: autoresponder:latest
          securityContext:
            allowPrivilegeEscalation: false # allowPrivilegeEscalation
            capabilities: {drop: [ALL]} # capabilities`

// workloads wrap podYAML (indented for a template's spec) in each kind that
// creates pods.
var workloads = map[string]string{
	"Deployment/w": `apiVersion: apps/v1
kind: Deployment
metadata: {name: w}
spec:
  selector: {matchLabels: {app: w}}
  template:
    metadata: {labels: {app: w}}
    spec:` + podYAML,
	"StatefulSet/w": `apiVersion: apps/v1
kind: StatefulSet
metadata: {name: w}
spec:
  serviceName: w
  selector: {matchLabels: {app: w}}
  template:
    metadata: {labels: {app: w}}
    spec:` + podYAML,
	"Job/w-*": `apiVersion: batch/v1
kind: Job
metadata: {generateName: w-}
spec:
  template:
    spec:
      restartPolicy: OnFailure` + podYAML,
	"CronJob/w": `apiVersion: batch/v1
kind: CronJob
metadata: {name: w}
spec:
  schedule: "@daily"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure` + indent(podYAML, "    "),
}

func indent(s, by string) string {
	return strings.ReplaceAll(s, "\n", "\n"+by)
}

func TestRestrictedRejectsEachMissingField(t *testing.T) {
	dec := newDecoder(t)
	r := newRestricted(t)
	fields := []struct{ marker, reason string }{
		{"runAsNonRoot", "runAsNonRoot != true"},
		{"seccompProfile", "seccompProfile"},
		{"allowPrivilegeEscalation", "allowPrivilegeEscalation != false"},
		{"capabilities", "unrestricted capabilities"},
	}
	for owner, manifest := range workloads {
		t.Run(owner, func(t *testing.T) {
			pods := podsOf(t, dec, manifest)
			if len(pods) != 1 || pods[0].Owner != owner {
				t.Fatalf("Pods found %+v, want one pod of %s", pods, owner)
			}
			if err := r.Check(pods); err != nil {
				t.Fatalf("the complete pod fails: %v", err)
			}
			for _, f := range fields {
				without := dropLine(t, manifest, "# "+f.marker)
				err := r.Check(podsOf(t, dec, without))
				if err == nil {
					t.Errorf("a pod without %s passes", f.marker)
					continue
				}
				if !strings.Contains(err.Error(), owner+": ") || !strings.Contains(err.Error(), f.reason) {
					t.Errorf("without %s: error %q does not name %s and %q", f.marker, err, owner, f.reason)
				}
			}
		})
	}
}

func podsOf(t *testing.T, dec *Decoder, manifest string) []Pod {
	t.Helper()
	objs, err := dec.Decode([]byte(manifest))
	if err != nil {
		t.Fatalf("%v\n%s", err, manifest)
	}
	return Pods(objs)
}

func dropLine(t *testing.T, s, marker string) string {
	t.Helper()
	lines := strings.Split(s, "\n")
	kept := slices.DeleteFunc(slices.Clone(lines), func(l string) bool { return strings.HasSuffix(l, marker) })
	if len(kept) != len(lines)-1 {
		t.Fatalf("marker %q is not on exactly one line", marker)
	}
	return strings.Join(kept, "\n")
}

func TestManifestsPassRestrictedProfile(t *testing.T) {
	r := newRestricted(t)
	for _, shape := range shapes {
		t.Run(shape.dir, func(t *testing.T) {
			pods := Pods(all(loadDir(t, shape.dir)))
			if len(pods) == 0 {
				t.Fatal("no pods found")
			}
			if err := r.Check(pods); err != nil {
				t.Fatal(err)
			}
			for _, p := range pods {
				t.Logf("restricted: %s passes", p.Owner)
			}
		})
	}
}

func TestDeploymentShape(t *testing.T) {
	for _, shape := range shapes {
		t.Run(shape.dir, func(t *testing.T) {
			objs := all(loadDir(t, shape.dir))
			dep := one[*appsv1.Deployment](t, objs, "Deployment")
			if dep.Spec.Replicas == nil || *dep.Spec.Replicas != shape.wantReplicas {
				t.Errorf("replicas = %v, want %d", dep.Spec.Replicas, shape.wantReplicas)
			}
			if shape.wantReplicas == 1 && dep.Spec.Strategy.Type != appsv1.RecreateDeploymentStrategyType {
				t.Error("the embedded store is owned by one process: the single-replica Deployment must use Recreate")
			}
			pod := dep.Spec.Template.Spec
			c := pod.Containers[0]
			if p := c.ReadinessProbe; p == nil || p.HTTPGet == nil || p.HTTPGet.Path != "/readyz" {
				t.Errorf("readiness probe = %+v, want GET /readyz", p)
			}
			if p := c.LivenessProbe; p == nil || p.HTTPGet == nil || p.HTTPGet.Path != "/healthz" {
				t.Errorf("liveness probe = %+v, want GET /healthz", p)
			}
			var grace time.Duration
			for _, e := range c.Env {
				if e.Name == "BOT_SHUTDOWN_GRACE" {
					grace, _ = time.ParseDuration(e.Value)
				}
			}
			if grace == 0 {
				t.Fatal("BOT_SHUTDOWN_GRACE is not set")
			}
			var preStop time.Duration
			if c.Lifecycle != nil && c.Lifecycle.PreStop != nil && c.Lifecycle.PreStop.Sleep != nil {
				preStop = time.Duration(c.Lifecycle.PreStop.Sleep.Seconds) * time.Second
			}
			if pod.TerminationGracePeriodSeconds == nil || time.Duration(*pod.TerminationGracePeriodSeconds)*time.Second <= grace+preStop {
				t.Errorf("terminationGracePeriodSeconds %v must exceed BOT_SHUTDOWN_GRACE %s plus preStop %s",
					pod.TerminationGracePeriodSeconds, grace, preStop)
			}
			pdbs := find[*policyv1.PodDisruptionBudget](objs)
			if shape.wantPDB {
				if len(pdbs) != 1 {
					t.Fatalf("%d PodDisruptionBudgets, want 1", len(pdbs))
				}
				if m := pdbs[0].Spec.MinAvailable; m == nil || m.IntValue() < 1 || int32(m.IntValue()) >= shape.wantReplicas {
					t.Errorf("PDB minAvailable = %v with %d replicas", m, shape.wantReplicas)
				}
			}
			secret := one[*corev1.Secret](t, objs, "Secret")
			if _, hasDB := secret.StringData["BOT_DATABASE_URL"]; hasDB != shape.wantDB {
				t.Errorf("BOT_DATABASE_URL in the secret: %v, want %v", hasDB, shape.wantDB)
			}
		})
	}
}

// TestNoKnownAdminToken: an admin token in an example is known to everyone
// who read it, and a copied example would switch the admin API on with it.
func TestNoKnownAdminToken(t *testing.T) {
	for _, shape := range shapes {
		t.Run(shape.dir, func(t *testing.T) {
			objs := all(loadDir(t, shape.dir))
			for _, s := range find[*corev1.Secret](objs) {
				_, inString := s.StringData["BOT_ADMIN_TOKEN"]
				_, inData := s.Data["BOT_ADMIN_TOKEN"]
				if inString || inData {
					t.Errorf("Secret %s sets BOT_ADMIN_TOKEN: the example would enable the admin API with a published token", s.Name)
				}
			}
			for _, p := range Pods(objs) {
				for _, c := range p.Spec.Containers {
					for _, e := range c.Env {
						if e.Name == "BOT_ADMIN_TOKEN" && e.Value != "" {
							t.Errorf("%s container %s sets BOT_ADMIN_TOKEN to a literal", p.Owner, c.Name)
						}
					}
				}
			}
		})
	}
}

// TestMigrateJobPerRelease: a Job's pod template is immutable, so a Job
// with a fixed name cannot be applied again for the next release. Each
// Job must get a new name per run (generateName, created with kubectl
// create, hence alone in its file since kubectl apply refuses generateName).
func TestMigrateJobPerRelease(t *testing.T) {
	files := loadDir(t, "replicas")
	dep := one[*appsv1.Deployment](t, all(files), "Deployment")
	var jobs int
	for _, f := range files {
		for _, job := range find[*batchv1.Job](f.objs) {
			jobs++
			if job.Name != "" || job.GenerateName == "" {
				t.Errorf("%s: Job name %q generateName %q: want generateName only, so every release runs a new Job", f.path, job.Name, job.GenerateName)
			}
			if len(f.objs) != 1 {
				t.Errorf("%s: a Job with generateName must be alone in its file (kubectl create), not with %d other objects", f.path, len(f.objs)-1)
			}
			if job.Spec.TTLSecondsAfterFinished == nil {
				t.Errorf("%s: no ttlSecondsAfterFinished: one Job per release would pile up", f.path)
			}
			c := job.Spec.Template.Spec.Containers[0]
			if !slices.Equal(c.Args, []string{"migrate"}) {
				t.Errorf("%s: args %q, want [migrate]", f.path, c.Args)
			}
			if c.Image != dep.Spec.Template.Spec.Containers[0].Image {
				t.Errorf("%s: image %q differs from the Deployment's %q", f.path, c.Image, dep.Spec.Template.Spec.Containers[0].Image)
			}
			if !slices.EqualFunc(c.EnvFrom, dep.Spec.Template.Spec.Containers[0].EnvFrom, func(a, b corev1.EnvFromSource) bool {
				return a.SecretRef != nil && b.SecretRef != nil && a.SecretRef.Name == b.SecretRef.Name
			}) {
				t.Errorf("%s: the Job does not read the Deployment's secret (BOT_DATABASE_URL)", f.path)
			}
		}
	}
	if jobs != 1 {
		t.Errorf("%d migration Jobs in replicas/, want 1", jobs)
	}
}

// privatePaths are what the bot serves besides webhooks; none may be
// routed from outside.
var privatePaths = []string{"/metrics", "/readyz", "/healthz", "/-/reload", "/admin/dlq", "/admin/history", "/debug/pprof/"}

// prefixMatch is an Ingress Prefix match: element by element on "/".
func prefixMatch(prefix, path string) bool {
	p := strings.Split(strings.Trim(prefix, "/"), "/")
	q := strings.Split(strings.Trim(path, "/"), "/")
	if len(p) == 1 && p[0] == "" {
		return true // "/" matches everything
	}
	return len(q) >= len(p) && slices.Equal(p, q[:len(p)])
}

func TestPrefixMatch(t *testing.T) {
	for _, tc := range []struct {
		prefix, path string
		want         bool
	}{
		{"/webhooks/", "/webhooks/intercom", true},
		{"/webhooks", "/webhooks/whmcs", true},
		{"/webhooks/", "/webhooksx", false},
		{"/", "/admin/dlq", true},
		{"/admin", "/admin/dlq", true},
		{"/webhooks/", "/metrics", false},
	} {
		if got := prefixMatch(tc.prefix, tc.path); got != tc.want {
			t.Errorf("prefixMatch(%q, %q) = %v", tc.prefix, tc.path, got)
		}
	}
}

// listeners are the bot container's two ports, resolved to numbers: the
// webhook listener (BOT_LISTEN, default :8080) and the admin listener
// (BOT_ADMIN_LISTEN), which alone serves /metrics, /-/reload and /admin/
// (TestAdminListenerSeparatesPrivateRoutes in internal/e2e).
type listeners struct {
	c             corev1.Container
	public, admin int32
}

// listenersOf reads the listeners from the container's environment and
// checks that each has a declared container port.
func listenersOf(t *testing.T, c corev1.Container) listeners {
	t.Helper()
	env := map[string]string{}
	for _, e := range c.Env {
		env[e.Name] = e.Value
	}
	portOf := func(name, def string) int32 {
		addr := env[name]
		if addr == "" {
			addr = def
		}
		if addr == "" {
			t.Fatalf("container %s does not set %s: /metrics and /admin/ would share the webhook port", c.Name, name)
		}
		_, p, err := net.SplitHostPort(addr)
		n, perr := strconv.ParseInt(p, 10, 32)
		if err != nil || perr != nil || n <= 0 {
			t.Fatalf("container %s: %s=%q has no fixed port", c.Name, name, addr)
		}
		return int32(n)
	}
	l := listeners{c: c, public: portOf("BOT_LISTEN", ":8080"), admin: portOf("BOT_ADMIN_LISTEN", "")}
	if l.public == l.admin {
		t.Fatalf("container %s: BOT_LISTEN and BOT_ADMIN_LISTEN share port %d", c.Name, l.public)
	}
	for _, want := range []int32{l.public, l.admin} {
		if !slices.ContainsFunc(c.Ports, func(p corev1.ContainerPort) bool { return p.ContainerPort == want }) {
			t.Errorf("container %s listens on %d but declares no container port for it (ports %+v)", c.Name, want, c.Ports)
		}
	}
	return l
}

// resolve turns a port reference (a container port's name or a number)
// into the number the container listens on; 0 when the name is unknown.
func (l listeners) resolve(p intstr.IntOrString) int32 {
	if p.Type == intstr.Int {
		return p.IntVal
	}
	for _, cp := range l.c.Ports {
		if cp.Name == p.StrVal {
			return cp.ContainerPort
		}
	}
	return 0
}

func (l listeners) role(port int32) string {
	switch port {
	case l.public:
		return "the webhook port"
	case l.admin:
		return "the admin port (/metrics, /admin/)"
	}
	return fmt.Sprintf("port %d, where the bot does not listen", port)
}

// TestPublicPathIsWebhooksOnly: the Ingress is the only public path, and
// it leads to the webhook port, where /metrics, /-/reload and /admin/
// answer 404; it also routes nothing but /webhooks/. The Service is not
// exposed on nodes or a load balancer and does not carry the admin port.
func TestPublicPathIsWebhooksOnly(t *testing.T) {
	for _, shape := range shapes {
		t.Run(shape.dir, func(t *testing.T) {
			objs := all(loadDir(t, shape.dir))
			dep := one[*appsv1.Deployment](t, objs, "Deployment")
			l := listenersOf(t, dep.Spec.Template.Spec.Containers[0])
			svc := one[*corev1.Service](t, objs, "Service")
			if svc.Spec.Type != "" && svc.Spec.Type != corev1.ServiceTypeClusterIP {
				t.Errorf("Service type %s puts the bot on a public address; use ClusterIP behind the Ingress", svc.Spec.Type)
			}
			svcTarget := map[string]int32{}
			for _, sp := range svc.Spec.Ports {
				target := sp.TargetPort
				if target.Type == intstr.Int && target.IntVal == 0 {
					target = intstr.FromInt32(sp.Port) // Kubernetes' default
				}
				port := l.resolve(target)
				if port != l.public {
					t.Errorf("Service port %s leads to %s: only the webhook port belongs behind the Service", sp.Name, l.role(port))
				}
				svcTarget[sp.Name] = port
				svcTarget[strconv.Itoa(int(sp.Port))] = port
			}

			ing := one[*networkingv1.Ingress](t, objs, "Ingress")
			if ing.Spec.DefaultBackend != nil {
				t.Error("the Ingress has a default backend: every path would be routed")
			}
			routesWebhooks := false
			for _, rule := range ing.Spec.Rules {
				if rule.HTTP == nil {
					continue
				}
				for _, p := range rule.HTTP.Paths {
					if p.PathType == nil || (*p.PathType != networkingv1.PathTypePrefix && *p.PathType != networkingv1.PathTypeExact) {
						t.Errorf("path %q: pathType must be Prefix or Exact (ImplementationSpecific may be a regular expression)", p.Path)
						continue
					}
					b := p.Backend.Service
					if b == nil || b.Name != svc.Name {
						t.Errorf("path %q does not lead to Service %s", p.Path, svc.Name)
						continue
					}
					key := b.Port.Name
					if key == "" {
						key = strconv.Itoa(int(b.Port.Number))
					}
					if port, ok := svcTarget[key]; !ok || port != l.public {
						t.Errorf("the Ingress path %q leads to Service port %q, not the webhook port %d", p.Path, key, l.public)
					}
					for _, private := range privatePaths {
						if prefixMatch(p.Path, private) {
							t.Errorf("the Ingress path %q routes %s from outside", p.Path, private)
						}
					}
					if prefixMatch(p.Path, "/webhooks/intercom") {
						routesWebhooks = true
					}
				}
			}
			if !routesWebhooks {
				t.Error("the Ingress does not route /webhooks/: the platforms cannot reach the bot")
			}
		})
	}
}

// TestNetworkPolicySeparatesCallers: a NetworkPolicy filters by port, so
// with the private routes on their own port it can give each caller one:
// whoever may reach the webhook port (the ingress controller) cannot reach
// the admin port, and only the monitoring namespace reaches the admin
// port, where Prometheus scrapes /metrics.
func TestNetworkPolicySeparatesCallers(t *testing.T) {
	for _, shape := range shapes {
		t.Run(shape.dir, func(t *testing.T) {
			objs := all(loadDir(t, shape.dir))
			dep := one[*appsv1.Deployment](t, objs, "Deployment")
			podLabels := dep.Spec.Template.Labels
			l := listenersOf(t, dep.Spec.Template.Spec.Containers[0])

			np := one[*networkingv1.NetworkPolicy](t, objs, "NetworkPolicy")
			for k, v := range np.Spec.PodSelector.MatchLabels {
				if podLabels[k] != v {
					t.Errorf("the NetworkPolicy selects %s=%s; the bot's pods are labelled %v", k, v, podLabels)
				}
			}
			if len(np.Spec.PodSelector.MatchLabels) == 0 {
				t.Error("the NetworkPolicy selects no labels")
			}
			if !slices.Contains(np.Spec.PolicyTypes, networkingv1.PolicyTypeIngress) {
				t.Error("the NetworkPolicy does not restrict ingress")
			}
			// Namespaces admitted to each port.
			admitted := map[int32][]string{}
			for i, rule := range np.Spec.Ingress {
				if len(rule.From) == 0 {
					t.Errorf("ingress rule %d has no from: it admits every source", i)
				}
				var namespaces []string
				for _, peer := range rule.From {
					ns := ""
					if sel := peer.NamespaceSelector; sel != nil && len(sel.MatchExpressions) == 0 {
						ns = sel.MatchLabels["kubernetes.io/metadata.name"]
					}
					if peer.IPBlock != nil || peer.PodSelector != nil || ns == "" || len(peer.NamespaceSelector.MatchLabels) != 1 {
						t.Errorf("ingress rule %d admits %+v: name the namespace (kubernetes.io/metadata.name)", i, peer)
						continue
					}
					namespaces = append(namespaces, ns)
				}
				if len(rule.Ports) == 0 {
					t.Errorf("ingress rule %d opens every port, the admin port included", i)
				}
				for _, p := range rule.Ports {
					if p.Port == nil || p.EndPort != nil {
						t.Errorf("ingress rule %d opens a range of ports: name one", i)
						continue
					}
					port := l.resolve(*p.Port)
					if port != l.public && port != l.admin {
						t.Errorf("ingress rule %d opens %s", i, l.role(port))
					}
					admitted[port] = append(admitted[port], namespaces...)
				}
			}
			if len(admitted[l.public]) == 0 {
				t.Error("no namespace may reach the webhook port: the ingress controller cannot forward webhooks")
			}
			for _, ns := range admitted[l.public] {
				if slices.Contains(admitted[l.admin], ns) {
					t.Errorf("namespace %s reaches both the webhook port and the admin port: the public path reaches /admin/ and /metrics", ns)
				}
			}
			if !slices.Equal(admitted[l.admin], []string{"monitoring"}) {
				t.Errorf("the admin port admits %v, want only the monitoring namespace (Prometheus)", admitted[l.admin])
			}
		})
	}
}

// TestProbesReachAListener: /healthz and /readyz answer on both
// listeners, so a probe works on either port but on no other.
func TestProbesReachAListener(t *testing.T) {
	for _, shape := range shapes {
		t.Run(shape.dir, func(t *testing.T) {
			dep := one[*appsv1.Deployment](t, all(loadDir(t, shape.dir)), "Deployment")
			c := dep.Spec.Template.Spec.Containers[0]
			l := listenersOf(t, c)
			for what, p := range map[string]*corev1.Probe{"readiness": c.ReadinessProbe, "liveness": c.LivenessProbe} {
				if p == nil || p.HTTPGet == nil {
					t.Errorf("no %s probe over HTTP", what)
					continue
				}
				if port := l.resolve(p.HTTPGet.Port); port != l.public && port != l.admin {
					t.Errorf("the %s probe asks %s", what, l.role(port))
				}
			}
		})
	}
}

func Example() {
	dec, _ := NewDecoder()
	objs, err := dec.Decode([]byte("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: busybox}]}\n"))
	if err != nil {
		fmt.Println(err)
		return
	}
	r, _ := NewRestricted()
	fmt.Println(r.Check(Pods(objs)))
	// Output: Pod/p: allowPrivilegeEscalation != false (container "c" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container "c" must set securityContext.capabilities.drop=["ALL"]), runAsNonRoot != true (pod or container "c" must set securityContext.runAsNonRoot=true), seccompProfile (pod or container "c" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")
}
