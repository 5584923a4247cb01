"""Operations: Prometheus metrics, health and readiness endpoints, the operator's status view."""
