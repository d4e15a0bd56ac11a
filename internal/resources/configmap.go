package resources

import (
	"crypto/sha256"
	"encoding/hex"
	"sort"

	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"

	webserverv1alpha1 "github.com/webserver-operator/webserver-operator/api/v1alpha1"
)

// Keys of the operator's config ConfigMap.
const (
	NginxConfKey = "nginx.conf"
	// DefaultIndexKey is the page served when the spec has no content.
	DefaultIndexKey = "index.html"
)

// RenderedConfig is the operator's config for one WebServer, named by its content hash:
// a change makes a new immutable ConfigMap and rolls the pods to it, and a rollback is
// a move back to the previous name.
type RenderedConfig struct {
	Data map[string]string
	Hash string
}

// Name is the ConfigMap name for this config.
func (c RenderedConfig) Name(ws *webserverv1alpha1.WebServer) string {
	return ConfigMapName(ws, c.Hash)
}

// ConfigMapName names the config ConfigMap of ws with the given hash.
func ConfigMapName(ws *webserverv1alpha1.WebServer, hash string) string {
	return ws.Name + "-config-" + hash
}

// ContentConfigMapName names the snapshot of the content of ws with the given hash.
func ContentConfigMapName(ws *webserverv1alpha1.WebServer, hash string) string {
	return ws.Name + "-content-" + hash
}

// RenderConfig renders nginx.conf (and a default page when there is no content).
func RenderConfig(ws *webserverv1alpha1.WebServer, serverBlock string) RenderedConfig {
	data := map[string]string{
		NginxConfKey: RenderNginxConf(ws, serverBlock, ContainerResources(ws)),
	}
	if ws.Spec.Content == nil {
		data[DefaultIndexKey] = defaultIndexHTML(ws)
	}
	return RenderedConfig{Data: data, Hash: HashData(data, nil)}
}

// HashData is a short, stable hash of ConfigMap-like data.
func HashData(data map[string]string, binaryData map[string][]byte) string {
	keys := make([]string, 0, len(data)+len(binaryData))
	for k := range data {
		keys = append(keys, k)
	}
	for k := range binaryData {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	h := sha256.New()
	for _, k := range keys {
		h.Write([]byte(k))
		h.Write([]byte{0})
		if v, ok := data[k]; ok {
			h.Write([]byte(v))
		} else {
			h.Write(binaryData[k])
		}
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:10]
}

// ConfigMap is the immutable config ConfigMap of ws.
func ConfigMap(ws *webserverv1alpha1.WebServer, config RenderedConfig) *corev1ac.ConfigMapApplyConfiguration {
	return corev1ac.ConfigMap(config.Name(ws), ws.Namespace).
		WithLabels(Labels(ws)).
		WithOwnerReferences(OwnerReference(ws)).
		WithImmutable(true).
		WithData(config.Data)
}

// ContentConfigMap is the immutable snapshot of the user's content ConfigMap (data and
// binaryData) that the pods mount, named by its hash: edits to the user's ConfigMap make a
// new snapshot and roll the pods to it, and a rollback can return to an older one.
func ContentConfigMap(ws *webserverv1alpha1.WebServer, data map[string]string, binaryData map[string][]byte) *corev1ac.ConfigMapApplyConfiguration {
	cm := corev1ac.ConfigMap(ContentConfigMapName(ws, HashData(data, binaryData)), ws.Namespace).
		WithLabels(Labels(ws)).
		WithOwnerReferences(OwnerReference(ws)).
		WithImmutable(true)
	if len(data) > 0 {
		cm.WithData(data)
	}
	if len(binaryData) > 0 {
		cm.WithBinaryData(binaryData)
	}
	return cm
}

func defaultIndexHTML(ws *webserverv1alpha1.WebServer) string {
	return "<!DOCTYPE html>\n<html><head><title>" + ws.Name + "</title></head>\n" +
		"<body><h1>" + ws.Name + "</h1><p>Served by webserver-operator. Set spec.content to serve your own files.</p></body></html>\n"
}
