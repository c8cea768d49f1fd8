/* global process, fetch, AbortSignal */
// Docker HEALTHCHECK (Kubernetes uses its own probes): liveness of the role this container runs.
// ORIGO_HEALTH_URL overrides the default, which is the HTTP port of the gateway and most roles.
const url = process.env.ORIGO_HEALTH_URL ?? 'http://127.0.0.1:8080/health/live';
try {
  const response = await fetch(url, { signal: AbortSignal.timeout(2500) });
  process.exit(response.ok ? 0 : 1);
} catch {
  process.exit(1);
}
