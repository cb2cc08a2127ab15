#!/usr/bin/env bash
# Renders the worker's properties from CONNECT_* environment variables (CONNECT_GROUP_ID -> group.id), then
# runs Kafka's distributed Connect worker. Secrets stay in the environment: connector configs refer to them
# with ${env:NAME} through the EnvVarConfigProvider configured below.
set -euo pipefail
props=/etc/kafka-connect/connect.properties
: >"$props"
while IFS='=' read -r name value; do
  case "$name" in
    CONNECT_*)
      key=$(printf '%s' "${name#CONNECT_}" | tr 'A-Z' 'a-z' | tr '_' '.')
      printf '%s=%s\n' "$key" "$value" >>"$props" ;;
  esac
done < <(env)
grep -q '^listeners=' "$props" || printf 'listeners=http://0.0.0.0:%s\n' "${CONNECT_REST_PORT:-8083}" >>"$props"
grep -q '^config.providers=' "$props" || cat >>"$props" <<'PROPS'
config.providers=file,env
config.providers.file.class=org.apache.kafka.common.config.provider.FileConfigProvider
config.providers.env.class=org.apache.kafka.common.config.provider.EnvVarConfigProvider
connector.client.config.override.policy=All
PROPS
exec /opt/kafka/bin/connect-distributed.sh "$props"
