#!/bin/sh
# Creates the docker secrets that docker-compose.yml reads from ./secrets (mode 0700), once: files
# that exist are left alone. Random values come from openssl; the optional secrets start empty.
#
#   ./init-secrets.sh
#
# Afterwards, if you use the marketplace: put the Waldur API token into secrets/waldur_token and
# set WALDUR_TOKEN_FILE=/run/secrets/waldur_token in .env. The admin token for the backup service
# is created after the first start (see README.md).
set -eu
cd "$(dirname "$0")"
umask 022
mkdir -p secrets

POSTGRES_DB=${POSTGRES_DB:-agent_platform}
POSTGRES_USER=${POSTGRES_USER:-agent_platform}
if [ -f .env ]; then
  # Only the two names this script needs; .env is not sourced as a whole.
  v=$(sed -n 's/^POSTGRES_DB=//p' .env | tail -n1); [ -n "$v" ] && POSTGRES_DB=$v
  v=$(sed -n 's/^POSTGRES_USER=//p' .env | tail -n1); [ -n "$v" ] && POSTGRES_USER=$v
fi

make() { # name value
  if [ -e "secrets/$1" ]; then echo "secrets/$1 exists, kept"; return; fi
  printf '%s' "$2" > "secrets/$1"
  echo "secrets/$1 created"
}

make postgres_password "$(openssl rand -hex 24)"
make redis_password "$(openssl rand -hex 24)"
make database_url "postgres://${POSTGRES_USER}:$(cat secrets/postgres_password)@postgres:5432/${POSTGRES_DB}"
make redis_url "redis://:$(cat secrets/redis_password)@redis:6379/0"
make secrets_key "$(openssl rand -hex 32)"
make api_key_pepper "$(openssl rand -hex 32)"
make waldur_webhook_secret "$(openssl rand -hex 32)"
make session_secret "$(openssl rand -hex 32)"
make api_key_pepper_previous ""
make waldur_token ""
make waldur_webhook_secret_previous ""
make session_secret_previous ""
make backup_s3_access_key_id ""
make backup_s3_secret_access_key ""
make admin_token ""
# Compose bind-mounts each file with its host owner and mode, and the containers read them as
# other users (the platform as uid 1000, PostgreSQL as 999): the files are world-readable, the
# directory is not, so on the host only its owner (and root) can reach them.
chmod 0700 secrets
chmod 0644 secrets/*
