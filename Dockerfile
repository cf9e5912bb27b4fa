# Spitzfeder in a container: `docker build -t spitzfeder .` (see README, "Running on a server").
# The install step is the one the tests run (.ci/run: pip install of this package), pinned to the tested
# versions by constraints.txt and with the postgres extra so compose.yaml can use PostgreSQL.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Pango and a font for PDF reports (WeasyPrint); HTML and CSV reports need neither.
RUN apt-get update && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
# Only what the build needs; .dockerignore keeps everything else out of the context.
COPY pyproject.toml README.md constraints.txt ./
COPY bot ./bot
# The prompt templates ship inside the package; PROMPTS_DIR may point at a mounted folder of own ones.
RUN pip install --no-cache-dir -c constraints.txt ".[postgres]"

RUN useradd --system --user-group --uid 10001 --home-dir /data --no-create-home --shell /usr/sbin/nologin spitzfeder \
    && mkdir /data && chown spitzfeder:spitzfeder /data

# Everything the bot keeps lives in /data; DATABASE_URL may point elsewhere (compose.yaml: PostgreSQL).
ENV SPITZFEDER_HOME=/data \
    DATABASE_URL=sqlite+aiosqlite:////data/spitzfeder.db
VOLUME ["/data"]
WORKDIR /data
USER spitzfeder

# `spitzfeder run` finishes its work and exits on SIGTERM (docker stop, compose down).
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 CMD ["spitzfeder", "health"]
CMD ["spitzfeder", "run"]
