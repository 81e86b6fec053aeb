# The serving image: CPU-only torch, non-root, health-checked.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    OMP_NUM_THREADS=1 \
    MATCH_HOST=0.0.0.0 \
    MATCH_PORT=8000 \
    MATCH_HOME=/data \
    MATCH_DATA_DIR=/app/data

WORKDIR /app
COPY pyproject.toml README.md ./
COPY service ./service
COPY matching ./matching
COPY embeddings ./embeddings
COPY training ./training
COPY data ./data

# The CPU wheel of torch first, from PyTorch's CPU index, so the pinned 2.13.0 never pulls CUDA.
RUN pip install --index-url https://download.pytorch.org/whl/cpu torch==2.13.0 \
 && pip install .

RUN useradd --create-home --uid 10001 matchmaker \
 && mkdir -p /data && chown matchmaker:matchmaker /data
USER matchmaker
VOLUME /data
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4).status != 200)"

CMD ["matchmaker", "serve"]
