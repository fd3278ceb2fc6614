# postman-sim: docker build -t postman-sim . && docker run --rm -p 8080:8080 postman-sim
# Your own scenarios: -v "$PWD/my-scenarios.yaml:/etc/postman-sim/scenarios.yaml:ro"
# Every flag of `postman-sim serve` is also an environment variable (POSTMAN_SIM_*): -e POSTMAN_SIM_CLOCK=manual
# Logs are JSON lines (POSTMAN_SIM_LOG_FORMAT=json), the start-up banner included (one line, event "listening").

# 1. The package as a wheel: the source stays in this stage, only the wheel reaches the image.
FROM python:3.11.13-slim AS wheel
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
# scenarios.yaml sits beside the package: simulator/bundled_scenarios.yaml links to it and the wheel copies it.
COPY pyproject.toml README.md scenarios.yaml ./
COPY simulator ./simulator
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

# 2. The image.
FROM python:3.11.13-slim
LABEL org.opencontainers.image.title="postman-sim" \
      org.opencontainers.image.description="Simulator of the Postman (postman.gov.sg) test environment and the WhatsApp providers behind it" \
      org.opencontainers.image.version="0.1.0" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.documentation="http://localhost:8080/_sim/docs"

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Dependencies first, in their own layer: pyproject.toml and an empty package, installed then uninstalled,
# leave exactly the dependencies behind. A code edit does not touch this layer, so it is not reinstalled.
WORKDIR /tmp/deps
COPY pyproject.toml README.md ./
RUN mkdir simulator && touch simulator/__init__.py \
    && pip install --no-cache-dir . \
    && pip uninstall --yes postman-sim \
    && rm -rf /tmp/deps

# Then the package alone (--no-deps), from the wheel stage through a bind mount: no copy of the source or
# the wheel stays in the image, only site-packages.
RUN --mount=type=bind,from=wheel,source=/wheels,target=/wheels \
    pip install --no-cache-dir --no-deps /wheels/*.whl \
    && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin postman-sim
COPY scenarios.yaml /etc/postman-sim/scenarios.yaml
WORKDIR /opt/postman-sim

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
