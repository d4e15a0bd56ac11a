// Command scorecard is webserver-operator's own scorecard test: run by
// `operator-sdk scorecard` in a pod, it creates a WebServer, checks that it becomes
// Available and answers HTTP through its Service, deletes it, and prints the result in
// the scorecard v1alpha3 format.
//
// usage: scorecard webserver-serves-http
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	scapiv1alpha3 "github.com/operator-framework/api/pkg/apis/scorecard/v1alpha3"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	webserverv1alpha1 "github.com/webserver-operator/webserver-operator/api/v1alpha1"
)

const (
	testName = "webserver-serves-http"
	greeting = "scorecard says hello"
	timeout  = 3 * time.Minute
)

func main() {
	result := scapiv1alpha3.TestResult{Name: testName, State: scapiv1alpha3.PassState}
	if len(os.Args) != 2 || os.Args[1] != testName {
		result.State = scapiv1alpha3.ErrorState
		result.Errors = []string{fmt.Sprintf("unknown test %v; the only test is %s", os.Args[1:], testName)}
	} else if log, err := webServerServesHTTP(); err != nil {
		result.State = scapiv1alpha3.FailState
		result.Errors = []string{err.Error()}
		result.Log = log
	} else {
		result.Log = log
	}
	out, err := json.MarshalIndent(scapiv1alpha3.TestStatus{Results: []scapiv1alpha3.TestResult{result}}, "", "  ")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(string(out))
}

// webServerServesHTTP creates a WebServer in the scorecard namespace and follows it until
// it answers; it returns a log of what it saw.
func webServerServesHTTP() (string, error) {
	var log strings.Builder
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()

	scheme := runtime.NewScheme()
	if err := webserverv1alpha1.AddToScheme(scheme); err != nil {
		return "", err
	}
	cfg, err := ctrl.GetConfig()
	if err != nil {
		return "", fmt.Errorf("in-cluster config: %w", err)
	}
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		return "", err
	}
	namespace := os.Getenv("SCORECARD_NAMESPACE")
	ws := &webserverv1alpha1.WebServer{
		ObjectMeta: metav1.ObjectMeta{GenerateName: "scorecard-", Namespace: namespace},
		Spec: webserverv1alpha1.WebServerSpec{
			Replicas: ptr.To[int32](1),
			Config: &webserverv1alpha1.ConfigSpec{
				Inline: "location / {\n  default_type text/plain;\n  return 200 \"" + greeting + "\\n\";\n}\n",
			},
		},
	}
	if err := c.Create(ctx, ws); err != nil {
		return "", fmt.Errorf("creating a WebServer: %w", err)
	}
	defer func() { _ = c.Delete(context.Background(), ws) }()
	fmt.Fprintf(&log, "created WebServer %s/%s\n", namespace, ws.Name)

	err = wait.PollUntilContextCancel(ctx, time.Second, true, func(ctx context.Context) (bool, error) {
		if err := c.Get(ctx, client.ObjectKeyFromObject(ws), ws); err != nil {
			return false, nil //nolint:nilerr // retried until the timeout
		}
		return meta.IsStatusConditionTrue(ws.Status.Conditions, webserverv1alpha1.ConditionAvailable), nil
	})
	if err != nil {
		return log.String(), fmt.Errorf("WebServer did not become Available within %s: conditions %+v", timeout, ws.Status.Conditions)
	}
	fmt.Fprintf(&log, "Available; status.url %s\n", ws.Status.URL)

	httpClient := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	var body string
	err = wait.PollUntilContextCancel(ctx, time.Second, true, func(ctx context.Context) (bool, error) {
		resp, err := httpClient.Get(ws.Status.URL + "/")
		if err != nil {
			return false, nil //nolint:nilerr // retried until the timeout
		}
		defer func() { _ = resp.Body.Close() }()
		raw, _ := io.ReadAll(resp.Body)
		body = string(raw)
		return resp.StatusCode == http.StatusOK && strings.Contains(body, greeting), nil
	})
	if err != nil {
		return log.String(), fmt.Errorf("GET %s/ did not answer 200 %q within %s (last body %q)", ws.Status.URL, greeting, timeout, body)
	}
	fmt.Fprintf(&log, "GET %s/ answered 200: %s", ws.Status.URL, body)
	return log.String(), nil
}
