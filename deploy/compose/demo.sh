#!/bin/sh
# The compose demo: preflight, bootstrap, stream, cutover, verify; exits with the result.
set -eu
common="--source-url jdbc:postgresql://source:5432/app --source-user postgres --target-url jdbc:postgresql://target:5432/app --target-user postgres"
tsmigrate check $common --connect http://connect:8083 --flavour postgres || true
tsmigrate bootstrap $common --hypertable public.readings:ts:1day --jobs 2
# With the compose profile "avro" a schema registry runs, and the change records travel as Avro.
format=""
getent hosts schema-registry >/dev/null 2>&1 && format="--converter avro --registry-url http://schema-registry:8080/apis/registry/v2"
tsmigrate start $common --connect http://connect:8083 $format
sleep 20
tsmigrate status $common --connect http://connect:8083
tsmigrate cutover $common --connect http://connect:8083 --kafka kafka:9092
tsmigrate verify $common
