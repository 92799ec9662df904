# The image the pipeline ships, on the model of astral-sh/uv-docker-example: a dependency stage
# that never sees the app, a `test` stage (`docker build --target test .`) and a non-root runtime
# whose last layer is the app alone, so an app change rebuilds and exports that small layer only.
# BuildKit (buildx, Engine 23+): cache, bind and secret mounts, COPY --link.

# What the server serves: a package (or module, or module:callable) in src/, the one place it is
# named (make adopt sets it). src/ is the adopter's; server/ beside it is the template's.
ARG APP=app

# Literal and pinned by digest, so Dependabot reads and bumps it (its version must match
# .python-version: a test checks it). A mirror or an air-gapped build replaces it without editing
# this file, by a named build context keyed by this exact reference (`make` does it from
# PYTHON_IMAGE; `python -m pipeline base-args` prints the flag):
#   docker buildx build --build-context \
#     python:3.13-slim@sha256:70729b46c69b4f1e97c4822c1af3df53a1476cf5ddc6c087c0c10bc3a5678c2f=docker-image://mirror.example.com/python:3.13-slim .
FROM python:3.13-slim@sha256:70729b46c69b4f1e97c4822c1af3df53a1476cf5ddc6c087c0c10bc3a5678c2f AS base

# uv, for the target's architecture but run on the builder's: pip picks the target's wheel by its
# tag, so a multi-platform build needs no emulation here. Hash-locked in requirements-build.txt.
FROM --platform=$BUILDPLATFORM base AS uv
ARG TARGETARCH
# A private index (a URL, possibly with a token) and a company CA reach pip and uv as secrets,
# never as a layer or a build argument:
#   docker build --secret id=index-url,env=INDEX_URL --secret id=ca,src=company-ca.pem .
RUN --mount=type=bind,source=requirements-build.txt,target=/tmp/requirements-build.txt \
    --mount=type=secret,id=index-url,env=PIP_INDEX_URL \
    --mount=type=secret,id=ca,target=/run/secrets/ca \
    if [ -s /run/secrets/ca ]; then export PIP_CERT=/run/secrets/ca; fi \
    && case "$TARGETARCH" in amd64) arch=x86_64 ;; arm64) arch=aarch64 ;; \
        *) echo "no uv wheel for $TARGETARCH" >&2; exit 1 ;; esac \
    && PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore python -m pip install \
        --quiet --no-cache-dir --no-deps --require-hashes --only-binary=:all: \
        --platform "manylinux_2_17_$arch" --target /uv -r /tmp/requirements-build.txt

# The dependencies, and nothing that changes with the app: an app change never reruns this.
FROM base AS deps
# The slim image ships pip, setuptools and wheel in its system site-packages: the app needs none
# of them at run time, and each is one more package for a scanner to flag.
RUN find / -xdev -path '*-packages/*' \( -name 'pip' -o -name 'pip-*' -o -name 'setuptools' \
        -o -name 'setuptools-*' -o -name 'wheel' -o -name 'wheel-*' -o -name '_distutils_hack' \) \
        -prune -exec rm -rf {} + \
    && rm -rf /usr/local/bin/pip* /usr/bin/pip* /usr/local/lib/python3*/ensurepip \
        /usr/lib/python3*/ensurepip \
    && groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin app
# uv is mounted, not copied: it is in no layer. Its cache mount keeps the wheels between builds,
# so adding one dependency downloads one wheel. The system trust store (UV_NATIVE_TLS) is the
# image's, where a derived base adds its CA.
# The venv is kept between builds too, in a cache mount per platform, remade whenever the base's
# Python changes: uv syncs it to the lock (adds, upgrades and removes), and only the files that
# sync changed are compiled again, so adding a dependency compiles that dependency alone. Then it
# is copied into this layer (relocatable: its scripts find their Python wherever it lies).
# Bytecode is hash-based and unchecked (valid whatever the files' times), tests directories skipped.
ARG TARGETPLATFORM
RUN --mount=type=bind,from=uv,source=/uv/bin/uv,target=/bin/uv \
    --mount=type=bind,source=requirements.txt,target=/tmp/requirements.txt \
    --mount=type=cache,id=uv,target=/root/.cache/uv,sharing=locked \
    --mount=type=cache,id=venv-$TARGETPLATFORM,target=/root/.cache/venv,sharing=locked \
    --mount=type=secret,id=index-url,env=UV_DEFAULT_INDEX \
    --mount=type=secret,id=ca,target=/run/secrets/ca \
    if [ -s /run/secrets/ca ]; then export SSL_CERT_FILE=/run/secrets/ca; fi \
    && export UV_NATIVE_TLS=1 UV_LINK_MODE=copy UV_PYTHON_DOWNLOADS=never \
    && venv=/root/.cache/venv/env && python3 -VV >/tmp/python \
    && if ! cmp -s /tmp/python "$venv.python"; then \
        rm -rf "$venv" "$venv.python" "$venv.compiled" \
        && uv venv --quiet --relocatable --python "$(command -v python3)" "$venv" \
        && cp /tmp/python "$venv.python"; fi \
    && uv pip sync --quiet --python "$venv/bin/python" --require-hashes /tmp/requirements.txt \
    && compile() { "$venv/bin/python" -m compileall -q --invalidation-mode unchecked-hash \
        -x '/tests?/' "$@"; } \
    && if [ -e "$venv.compiled" ]; then \
        find "$venv/lib" -name '*.py' -cnewer "$venv.compiled" >/tmp/changed \
        && if [ -s /tmp/changed ]; then compile -i /tmp/changed; fi; \
    else compile -j0 "$venv/lib"; fi \
    && touch "$venv.compiled" \
    && cp -a "$venv" /opt/venv \
    && rm -f /tmp/python /tmp/changed
ENV PATH=/opt/venv/bin:$PATH \
    VIRTUAL_ENV=/opt/venv \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1

FROM deps AS test
RUN --mount=type=bind,from=uv,source=/uv/bin/uv,target=/bin/uv \
    --mount=type=bind,source=requirements-dev.txt,target=/tmp/requirements-dev.txt \
    --mount=type=cache,id=uv,target=/root/.cache/uv,sharing=locked \
    --mount=type=secret,id=index-url,env=UV_DEFAULT_INDEX \
    --mount=type=secret,id=ca,target=/run/secrets/ca \
    if [ -s /run/secrets/ca ]; then export SSL_CERT_FILE=/run/secrets/ca; fi \
    && export UV_NATIVE_TLS=1 UV_LINK_MODE=copy UV_PYTHON_DOWNLOADS=never \
    && uv pip install --quiet --python /opt/venv/bin/python --require-hashes \
        -r /tmp/requirements-dev.txt
WORKDIR /app
COPY pyproject.toml .flake8 ./
COPY tests/ tests/
COPY src/ src/
RUN python -m pytest -p no:cacheprovider tests

# The app's own files: everything in src/ (its package, and the folders beside it: migrations,
# translations, config) but the instance folder and a developer's local secrets (.dockerignore).
FROM deps AS app
WORKDIR /app/src
COPY src/ ./
# The app's build step, if it has one: runs with the dependencies, in src/; what it writes there
# ships. For example:
# RUN pybabel compile -d app/translations

FROM deps AS runtime
# src/ is the app's root, as its repository's root is on a laptop: every process starts here, so
# paths relative to it (migrations/, config files) resolve as they do there.
WORKDIR /app/src
# Flask's instance folder (src/instance, beside the app's package) is the one place the app may
# write: a volume, so a read-only container gets one; smoke mounts a fresh volume there,
# production a named volume.
RUN install -d -o 10001 -g 10001 instance
VOLUME /app/src/instance
# src/ is importable as in the tests; server/ beside it.
ENV PORT=80 \
    PYTHONPATH=/app/src:/app
USER 10001:10001
EXPOSE 80
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
    CMD ["python", "-m", "server.probe"]
# Every process (the server, a Procfile's release and workers, `docker run IMAGE flask ...`) gets
# the secrets mounted in /run/secrets as environment variables of their own names.
ENTRYPOINT ["python", "-m", "server.entry"]
# gunicorn is PID 1 (the entry point execs it): SIGTERM drains in-flight requests within
# graceful_timeout, then exits 0.
CMD ["gunicorn", "--config", "/app/server/gunicorn.conf.py"]
COPY --link server/ /app/server/
# The last layer, and the only one an app change makes: --link builds it apart from the layers
# below, which are reused as they are (not copied again, not re-exported). Root-owned: the app
# user can write none of it. Not precompiled: compiling a small app takes about 0.5 ms per worker
# (measured), a RUN to precompile it would add about 0.4 s to every app-change build.
ARG APP
# FLASK_APP: `flask` commands (flask db upgrade) find the app as the server does.
ENV APP=$APP \
    FLASK_APP=$APP
COPY --link --from=app /app/src/ ./
# Build information is configuration, not a layer: a new commit reuses every layer above.
ARG VERSION=dev \
    REVISION=unknown \
    CREATED=unknown \
    SOURCE="" \
    TITLE=""
ENV APP_VERSION=$VERSION \
    APP_REVISION=$REVISION \
    APP_CREATED=$CREATED
LABEL org.opencontainers.image.title=$TITLE \
      org.opencontainers.image.version=$VERSION \
      org.opencontainers.image.revision=$REVISION \
      org.opencontainers.image.created=$CREATED \
      org.opencontainers.image.source=$SOURCE
