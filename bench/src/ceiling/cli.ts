// npm run bench:ceiling -- [--fanout 8] [--input-pps 6000] [--seconds 4] [--bytes 1200] [--no-pin]
import { parseArgs } from 'node:util';
import { fmt, table } from '../stats.js';
import { pinProcess } from '../media/sfuProcess.js';
import { runCeiling, type CeilingResult } from './run.js';

export function ceilingTable(c: CeilingResult): string {
  const rows = [
    ['relay mode', 'offered in/s', 'forwarded/s', 'relay CPU %', 'us/fwd pkt', 'max fwd/s/core', 'saturated'],
  ];
  for (const m of c.modes) {
    rows.push([
      m.mode,
      fmt(m.offeredInPerSec, 0),
      fmt(m.forwardedPerSec, 0),
      fmt(m.relayCpuPercentOfOneCore, 0),
      fmt(m.cpuUsPerForwardedPacket, 2),
      fmt(m.projectedMaxForwardedPerCore, 0),
      m.saturated ? 'yes' : 'no',
    ]);
  }
  return table(rows);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      fanout: { type: 'string', default: '8' },
      'input-pps': { type: 'string', default: '6000' },
      seconds: { type: 'string', default: '4' },
      bytes: { type: 'string', default: '1200' },
      'no-pin': { type: 'boolean', default: false },
    },
  });
  const pin = !values['no-pin'];
  if (pin) pinProcess(process.pid, 0);
  const c = await runCeiling({
    fanout: Number(values.fanout),
    inputPps: Number(values['input-pps']),
    seconds: Math.min(60, Number(values.seconds)),
    packetBytes: Number(values.bytes),
    pin,
  });
  console.log(ceilingTable(c));
  console.log(JSON.stringify(c, null, 2));
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop() ?? '')) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
