# postman-sim: docker build -t postman-sim . && docker run --rm -p 8080:8080 postman-sim
# Your own scenarios: -v "$PWD/my-scenarios.yaml:/etc/postman-sim/scenarios.yaml:ro"
# Every flag of `postman-sim serve` is also an environment variable (POSTMAN_SIM_*): -e POSTMAN_SIM_CLOCK=manual
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /opt/postman-sim
# scenarios.yaml sits beside the package: simulator/bundled_scenarios.yaml links to it and the wheel copies it.
COPY pyproject.toml README.md scenarios.yaml ./
COPY simulator ./simulator
RUN pip install --no-cache-dir . \
    && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin postman-sim
COPY scenarios.yaml /etc/postman-sim/scenarios.yaml

ENV POSTMAN_SIM_HOST=0.0.0.0 \
    POSTMAN_SIM_PORT=8080 \
    POSTMAN_SIM_SCENARIOS=/etc/postman-sim/scenarios.yaml \
    POSTMAN_SIM_CLOCK=real \
    POSTMAN_SIM_LOG_FORMAT=json

USER 10001
EXPOSE 8080
# slim has no curl: the health check is a line of Python against /_sim/health on the container's own port.
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/_sim/health' % os.environ.get('POSTMAN_SIM_PORT', '8080'), timeout=2)"]
STOPSIGNAL SIGTERM
# Exec form: postman-sim is PID 1 and gets SIGTERM itself; it stops within its 3 s shutdown timeout.
CMD ["postman-sim", "serve"]
