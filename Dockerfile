# GPU image: CUDA runtime, the pinned requirements, the app. Data lives in the /data volume.
#   docker build -t alignui .
#   docker run --gpus all -p 7860:7860 -v alignui-data:/data \
#       -e ALIGNUI_ADMIN_USER=admin -e ALIGNUI_ADMIN_PASSWORD_FILE=/run/secrets/alignui_admin alignui
# The first admin comes from ALIGNUI_ADMIN_USER with ALIGNUI_ADMIN_PASSWORD or a mounted secret file
# (ALIGNUI_ADMIN_PASSWORD_FILE); an existing account is left alone. Without any account the app
# refuses to serve 0.0.0.0.
FROM nvidia/cuda:12.8.1-cudnn-runtime-ubuntu24.04

ENV DEBIAN_FRONTEND=noninteractive \
    PIP_NO_CACHE_DIR=1 \
    GRADIO_ANALYTICS_ENABLED=False \
    ALIGNUI_HOME=/data \
    HF_HOME=/data/hf-cache

RUN apt-get update \
    && apt-get install -y --no-install-recommends python3 python3-venv python3-dev build-essential \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
RUN python3 -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY app.py ./
COPY alignui ./alignui
COPY assets ./assets

VOLUME /data
EXPOSE 7860
# Inside the container the app must listen on all interfaces for the published port to reach it;
# app.py does so only with accounts, so the admin is created first.
CMD ["sh", "-c", "python -m alignui users bootstrap && exec python app.py --host 0.0.0.0 --port 7860"]
