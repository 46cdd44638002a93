#!/usr/bin/env bash
# Creates Cohortflow's topics with the configs the code expects (core's TopicNames.specs):
# (definitions, events, memberships, replies, dead letters, applied) and the service's compacted
# tables (aliases, schemas, audiences). deploy-check compares every `topic` line below with the code.
# Idempotent: an existing topic is left as it is. Run by docker/compose.yaml's `topics` container.
set -euo pipefail
bootstrap="${BOOTSTRAP:-kafka:9092}"
# Events are partitioned by user: the partition count bounds the job's useful parallelism.
partitions="${EVENT_PARTITIONS:-4}"
# Three replicas (with the brokers' min.insync.replicas 2), as rehearsed: RehearsalSettingsTest.
rf="${REPLICATION_FACTOR:-3}"

topic() { # name partitions [config=value ...]
  local name=$1 parts=$2
  shift 2
  local configs=()
  for c in "$@"; do configs+=(--config "$c"); done
  /opt/kafka/bin/kafka-topics.sh --bootstrap-server "$bootstrap" --create --if-not-exists \
    --topic "$name" --partitions "$parts" --replication-factor "$rf" "${configs[@]}"
}

topic cohortflow.definitions 1 cleanup.policy=compact segment.ms=3600000
topic cohortflow.events "$partitions"
topic cohortflow.memberships "$partitions"
topic cohortflow.replies "$partitions" retention.ms=3600000
topic cohortflow.dead-letter 1
topic cohortflow.estimates 1 retention.ms=3600000
topic cohortflow.applied 1 cleanup.policy=compact
topic cohortflow.aliases 1 cleanup.policy=compact segment.ms=3600000
topic cohortflow.schemas 1 cleanup.policy=compact
topic cohortflow.audiences 1 cleanup.policy=compact
echo "cohortflow topics ready on $bootstrap"
