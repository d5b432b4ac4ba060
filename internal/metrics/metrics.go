// Package metrics exposes the server's Prometheus metrics: HTTP requests by
// route and status, token issuance by grant and result, latency histograms,
// and counters other packages keep (script runs, rate-limit rejections,
// audit-log drops, database pool statistics).
package metrics

import (
	"database/sql"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics is the server's registry.
type Metrics struct {
	reg          *prometheus.Registry
	httpRequests *prometheus.CounterVec
	httpDuration *prometheus.HistogramVec
	tokens       *prometheus.CounterVec
	grants       map[string]bool // bounds the grant label
}

// New makes a registry with the Go runtime and process collectors. grants
// are the grant types the token endpoint knows: ObserveToken counts any
// other as "other", so that the label set stays bounded.
func New(grants ...string) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry(), grants: make(map[string]bool, len(grants))}
	for _, g := range grants {
		m.grants[g] = true
	}
	m.httpRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "monban_http_requests_total",
		Help: "HTTP requests answered, by route, method and status code.",
	}, []string{"route", "method", "code"})
	m.httpDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "monban_http_request_duration_seconds",
		Help:    "Time to answer an HTTP request, by route.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
	}, []string{"route"})
	m.tokens = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "monban_token_requests_total",
		Help: "Token endpoint requests, by grant type and result (ok, or the OAuth error code).",
	}, []string{"grant", "result"})
	m.reg.MustRegister(m.httpRequests, m.httpDuration, m.tokens,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// ObserveHTTP counts one answered request. route is the matched pattern,
// so the label set stays bounded whatever paths clients send.
func (m *Metrics) ObserveHTTP(route, method string, code int, d time.Duration) {
	if route == "" {
		route = "unmatched"
	}
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions:
	default:
		method = "other"
	}
	m.httpRequests.WithLabelValues(route, method, strconv.Itoa(code)).Inc()
	m.httpDuration.WithLabelValues(route).Observe(d.Seconds())
}

// ObserveToken counts one token request; result is "ok" or an OAuth error
// code. A grant type New was not given is counted as "other".
func (m *Metrics) ObserveToken(grant, result string) {
	if !m.grants[grant] {
		grant = "other"
	}
	if result == "" {
		result = "ok"
	}
	m.tokens.WithLabelValues(grant, result).Inc()
}

// CounterFunc registers a counter whose value f reads from elsewhere.
func (m *Metrics) CounterFunc(name, help string, f func() float64) {
	m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, f))
}

// GaugeFunc registers a gauge whose value f reads from elsewhere.
func (m *Metrics) GaugeFunc(name, help string, f func() float64) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, f))
}

// Register adds a collector.
func (m *Metrics) Register(c prometheus.Collector) { m.reg.MustRegister(c) }

// DBStats exports a database pool's statistics.
func (m *Metrics) DBStats(db *sql.DB) {
	m.reg.MustRegister(collectors.NewDBStatsCollector(db, "monban"))
}

// Sample is one labelled value of a family read at scrape time.
type Sample struct {
	Labels []string
	Value  float64
}

// funcCollector reads a family's samples from fn at each scrape.
type funcCollector struct {
	desc      *prometheus.Desc
	valueType prometheus.ValueType
	fn        func() []Sample
}

func (c *funcCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *funcCollector) Collect(ch chan<- prometheus.Metric) {
	for _, s := range c.fn() {
		ch <- prometheus.MustNewConstMetric(c.desc, c.valueType, s.Value, s.Labels...)
	}
}

// CounterVecFunc registers a labelled counter family whose samples fn
// returns at scrape time (for counters another package keeps).
func (m *Metrics) CounterVecFunc(name, help string, labels []string, fn func() []Sample) {
	m.reg.MustRegister(&funcCollector{desc: prometheus.NewDesc(name, help, labels, nil), valueType: prometheus.CounterValue, fn: fn})
}
