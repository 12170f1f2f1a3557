# Parses Prometheus text format from stdin with the Prometheus project's own Python client
# parser (Debian package python3-prometheus-client) and prints every sample as one JSON line:
# {"name": ..., "labels": {...}, "value": ...}. Tests read the samples, never the raw text.
import json
import sys

from prometheus_client.parser import text_string_to_metric_families

for family in text_string_to_metric_families(sys.stdin.read()):
    for s in family.samples:
        print(json.dumps({"name": s.name, "labels": s.labels, "value": s.value}))
