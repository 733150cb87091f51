# Prometheus (Debian's package) with mbi's scrape configuration mounted at /etc/prometheus.
ARG BASE_IMAGE=mbi/debian-base:bookworm
FROM ${BASE_IMAGE}
RUN apt-get update && apt-get install -y --no-install-recommends prometheus && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /prometheus && chown 10001:10001 /prometheus
USER 10001:10001
EXPOSE 9090
ENTRYPOINT ["/usr/bin/prometheus"]
CMD ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus"]
