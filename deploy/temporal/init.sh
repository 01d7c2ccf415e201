#!/bin/sh
# One-shot job (temporalio/admin-tools): wait for the Temporal server, create the namespace if it is missing, and
# register the custom search attributes the workflows keep current (the Temporal UI filters on them). Idempotent.
set -eu
ADDR="${TEMPORAL_ADDRESS:-temporal:7233}"
NS="${TEMPORAL_NAMESPACE:-default}"
echo "waiting for Temporal at ${ADDR}..."
i=0
until temporal operator cluster health --address "$ADDR" 2>/dev/null | grep -q SERVING; do
  i=$((i + 1))
  if [ "$i" -gt 120 ]; then echo "Temporal did not become healthy"; exit 1; fi
  sleep 2
done
if ! temporal operator namespace describe --address "$ADDR" --namespace "$NS" >/dev/null 2>&1; then
  temporal operator namespace create --address "$ADDR" --namespace "$NS" --retention "${TEMPORAL_RETENTION:-720h}"
fi
# A new namespace is served once the frontend's namespace cache has refreshed (up to ~10 s): until then the
# search-attribute calls answer "Namespace ... is not found".
i=0
until temporal operator search-attribute list --address "$ADDR" --namespace "$NS" >/dev/null 2>&1; do
  i=$((i + 1))
  if [ "$i" -gt 60 ]; then echo "namespace ${NS} is not served"; exit 1; fi
  sleep 1
done
for attr in IncidentId=Keyword AuraCalloutId=Int CalloutStatus=Keyword CalloutPhase=Keyword; do
  name="${attr%%=*}"
  type="${attr##*=}"
  if ! temporal operator search-attribute list --address "$ADDR" --namespace "$NS" | grep -qw "$name"; then
    temporal operator search-attribute create --address "$ADDR" --namespace "$NS" --name "$name" --type "$type"
  fi
done
echo "namespace ${NS} and search attributes ready"
