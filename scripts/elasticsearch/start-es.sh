#!/bin/sh
# Start a throwaway single-node Elasticsearch (integ-test-zip from Maven Central, cached in ~/.m2 and
# .cache/es) on a free loopback port, security off, 512 MiB heap; prints its URL; Ctrl-C stops it and
# deletes its data. Version: PODLOG_ES_VERSION (default: test/servers/real-es.ts ES_VERSION).
# Needs mvn, unzip and a JDK >= 21; as root it runs Elasticsearch as nobody (setpriv).
set -eu
cd "$(dirname "$0")/../.."
exec ./node_modules/.bin/node --import tsx test/servers/real-es.ts
