package api

import "github.com/prometheus/client_golang/prometheus"

// busCollector reports tack_bus_events_received_total by kind from counts.
func busCollector(counts func() map[string]uint64) prometheus.Collector { return busMetrics{counts} }

type busMetrics struct{ counts func() map[string]uint64 }

var busReceivedDesc = prometheus.NewDesc("tack_bus_events_received_total",
	"Events this node's bus delivered to it, by kind (with interest routing, only those it wants).", []string{"kind"}, nil)

func (m busMetrics) Describe(ch chan<- *prometheus.Desc) { ch <- busReceivedDesc }

func (m busMetrics) Collect(ch chan<- prometheus.Metric) {
	for kind, n := range m.counts() {
		ch <- prometheus.MustNewConstMetric(busReceivedDesc, prometheus.CounterValue, float64(n), kind)
	}
}
