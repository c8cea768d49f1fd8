// Which addresses the SFU puts into its host candidates besides the interfaces the WebRTC stack finds.
// Stacks skip loopback and "internal" interfaces, so a host with only `lo` (an offline laptop, a CI box, a
// network namespace) offers no candidate at all; and behind NAT or on Kubernetes the reachable address is
// not on any local interface. Pure, so both transports share it and it is tested alone.
import { isIPv4, isIPv6 } from 'node:net';
import type { NetworkInterfaceInfo } from 'node:os';

/** True when some interface has an address a remote peer could reach (not loopback, not link-local). */
export function hasRoutableAddress(
  interfaces: NodeJS.Dict<NetworkInterfaceInfo[]>,
  ipv4Only: boolean,
): boolean {
  for (const list of Object.values(interfaces)) {
    for (const a of list ?? []) {
      if (a.internal) continue;
      if (a.family === 'IPv4') return true;
      if (!ipv4Only && a.family === 'IPv6' && !a.address.toLowerCase().startsWith('fe80')) return true;
    }
  }
  return false;
}

/**
 * Extra host-candidate addresses: the announced ones (configuration) when given, else loopback when the
 * host has nothing routable, so a browser on the same machine can still connect.
 */
export function extraHostAddresses(
  announced: readonly string[],
  interfaces: NodeJS.Dict<NetworkInterfaceInfo[]>,
  ipv4Only: boolean,
): string[] {
  const usable = announced.filter((a) => isIPv4(a) || (!ipv4Only && isIPv6(a)));
  if (usable.length > 0) return [...new Set(usable)];
  return hasRoutableAddress(interfaces, ipv4Only) ? [] : ['127.0.0.1'];
}
