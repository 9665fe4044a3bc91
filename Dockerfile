# One image for the API and every worker: `docker run IMAGE api|worker|migrate|keys ...`.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# README.md is the package's long description, so the build needs it.
COPY pyproject.toml README.md /tmp/src/
COPY lexgraph /tmp/src/lexgraph
# EXTRAS="[vllm]" builds the GPU worker's image (compose service gpu-worker).
ARG EXTRAS=""
RUN pip install "/tmp/src${EXTRAS}" && rm -rf /tmp/src

# Blobs live under the data dir; compose mounts a shared volume there, which takes this
# directory's ownership when it is first created.
RUN useradd --system --uid 10001 --user-group --home-dir /var/lib/lexgraph --no-create-home \
        --shell /usr/sbin/nologin lexgraph \
    && mkdir -p /var/lib/lexgraph \
    && chown lexgraph:lexgraph /var/lib/lexgraph
ENV LEXGRAPH_DATA_DIR=/var/lib/lexgraph
WORKDIR /var/lib/lexgraph
USER lexgraph

EXPOSE 8000
ENTRYPOINT ["lexgraph"]
CMD ["--help"]
