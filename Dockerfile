# The proxy (and the page it serves) as a container:
#   docker build -t wazzup-chat-window .
#   docker run -p 8000:8000 -e WAZZUP_API_KEY=... -e LAUNCH_KEYS=... wazzup-chat-window
# The browser runtime is vendored in a build stage (npm + PyPI), so the image needs no
# network at run time and nothing is loaded from a CDN.

FROM python:3.12-slim AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends nodejs npm \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
RUN pip install --no-cache-dir "pyodide-lock[wheel]==0.1.2"
COPY runtime ./runtime
COPY scripts ./scripts
RUN python scripts/vendor_runtime.py

FROM python:3.12-slim
WORKDIR /app
COPY pyproject.toml README.md ./
RUN pip install --no-cache-dir .
COPY components ./components
COPY proxy ./proxy
COPY assets ./assets
COPY index.html main.py pyscript.toml site.json ./
COPY --from=runtime /app/vendor ./vendor
ENV HOST=0.0.0.0 PORT=8000
USER nobody
EXPOSE 8000
CMD ["python", "-m", "proxy"]
