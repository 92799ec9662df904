# The image the pipeline ships: a builder that installs the locked dependencies into a virtual
# environment, a test stage (`docker build --target test .`) and a slim, non-root runtime.
# Builds with BuildKit on Docker 20.10+ and on buildx: no `# syntax=` line, heredocs or COPY --link.

# The one thing a mirror or an air-gapped build overrides. Its version must match .python-version
# (a test checks it; Dependabot bumps it).
ARG PYTHON_IMAGE=python:3.13-slim

FROM ${PYTHON_IMAGE} AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore
# The base's pip installs into a venv that has none of its own, so the runtime copy has no pip.
RUN python -m venv --without-pip /opt/venv
COPY requirements.txt /tmp/requirements.txt
# A private index (pip.conf) or a company CA reaches pip as a BuildKit secret, never as a layer:
#   docker build --secret id=pip.conf,src=$HOME/.config/pip/pip.conf --secret id=ca,src=ca.pem .
RUN --mount=type=cache,target=/root/.cache/pip \
    --mount=type=secret,id=pip.conf,target=/etc/pip.conf \
    --mount=type=secret,id=ca,target=/run/secrets/ca \
    if [ -s /run/secrets/ca ]; then export PIP_CERT=/run/secrets/ca; fi \
    && python -m pip --python /opt/venv/bin/python install --require-hashes --no-deps \
        -r /tmp/requirements.txt
WORKDIR /app
COPY app/ app/
RUN python -m compileall -q app

FROM builder AS test
COPY requirements-dev.txt /tmp/requirements-dev.txt
RUN --mount=type=cache,target=/root/.cache/pip \
    --mount=type=secret,id=pip.conf,target=/etc/pip.conf \
    --mount=type=secret,id=ca,target=/run/secrets/ca \
    if [ -s /run/secrets/ca ]; then export PIP_CERT=/run/secrets/ca; fi \
    && python -m pip --python /opt/venv/bin/python install --require-hashes --no-deps \
        -r /tmp/requirements-dev.txt
COPY pyproject.toml .flake8 ./
COPY tests/ tests/
RUN /opt/venv/bin/python -m pytest -p no:cacheprovider tests/app

FROM ${PYTHON_IMAGE} AS runtime
# The official slim image ships pip, setuptools and wheel in its system site-packages: the app
# needs none of them at run time, and each is one more package for a scanner to flag.
RUN find / -xdev -path '*-packages/*' \( -name 'pip' -o -name 'pip-*' -o -name 'setuptools' \
        -o -name 'setuptools-*' -o -name 'wheel' -o -name 'wheel-*' -o -name '_distutils_hack' \) \
        -prune -exec rm -rf {} + \
    && rm -rf /usr/local/bin/pip* /usr/bin/pip* /usr/local/lib/python3*/ensurepip \
    && groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin app
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    NAME=World \
    PORT=80
# Dependencies before code: a change to app/ rebuilds only the layer below this one.
COPY --from=builder /opt/venv /opt/venv
WORKDIR /app
COPY --from=builder /app/app app
# Build information last, so a new commit reuses every layer above.
ARG VERSION=dev \
    REVISION=unknown \
    CREATED=unknown \
    SOURCE=https://github.com/OWNER/REPO \
    TITLE=python-app
ENV APP_VERSION=$VERSION \
    APP_REVISION=$REVISION \
    APP_CREATED=$CREATED
LABEL org.opencontainers.image.title=$TITLE \
      org.opencontainers.image.version=$VERSION \
      org.opencontainers.image.revision=$REVISION \
      org.opencontainers.image.created=$CREATED \
      org.opencontainers.image.source=$SOURCE
USER 10001:10001
EXPOSE 80
# The slim image has no curl: Python's standard library does the probe.
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '80'), timeout=2)"]
# gunicorn is PID 1: SIGTERM drains in-flight requests within graceful_timeout, then exits 0.
CMD ["gunicorn", "--config", "app/gunicorn.conf.py"]
