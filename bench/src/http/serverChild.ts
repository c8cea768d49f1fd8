// The HTTP target while the gateway role does not exist yet: the kit's standard HTTP service
// (request ids, tracing hooks, metrics, problem+json) with its /health endpoints, as every Origo
// service runs it. Pinned to its own core by the parent like the SFU.
import { createHttpService, createLogger, createMetrics } from '@origo/kit';

const service = 'bench-http';
const http = createHttpService({
  service,
  logger: createLogger({ service, level: 'warn' }),
  metrics: createMetrics(service),
});
const { port } = await http.listen(0, '127.0.0.1');
process.send?.({ ev: 'ready', port, pid: process.pid });
process.on('message', (m: { op: string; reqId?: number }) => {
  if (m.op === 'cpu') process.send?.({ ev: 'cpu', reqId: m.reqId, value: process.cpuUsage() });
  if (m.op === 'exit') void http.close().finally(() => process.exit(0));
});
process.on('disconnect', () => process.exit(0));
