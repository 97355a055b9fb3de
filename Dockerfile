FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends make curl && rm -rf /var/lib/apt/lists/*
COPY requirements.lock .
RUN python -m venv .venv && .venv/bin/pip install --no-cache-dir -r requirements.lock && touch .venv/.install-stamp
COPY . .
# collectstatic needs a key at build time only; the real one comes from the environment at run time.
RUN SECRET_KEY=build-only .venv/bin/python manage.py collectstatic --noinput
EXPOSE 8000
CMD ["make", "serve"]
