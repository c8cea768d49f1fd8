// ICE candidate strings (RFC 8839 section 5.1) as the ndc transport handles them: mDNS names from
// browsers are dropped, host candidates are rewritten to the announced addresses, and the ufrag a
// trickled candidate belongs to is read so candidates of an older ICE generation are not applied.
import { isIP } from 'node:net';

const MDNS_CANDIDATE = /^\S*candidate:\S+ \d+ \S+ \d+ \S+\.local /i;

/** A browser hides host addresses behind mDNS names (RFC 8828); the SFU is never on its link. */
export function isMdnsCandidate(candidate: string): boolean {
  return MDNS_CANDIDATE.test(candidate);
}

/** "a=candidate:..." and "candidate:..." both become "candidate:...". */
export function bareCandidate(candidate: string): string {
  return candidate.startsWith('a=') ? candidate.slice(2) : candidate;
}

/** The "ufrag" extension attribute Chromium appends to trickled candidates, if any. */
export function candidateUfrag(candidate: string): string | undefined {
  const m = /\sufrag\s+(\S+)/.exec(candidate);
  return m?.[1];
}

/**
 * Replaces the address of a host candidate by each announced address of the same IP family (1:1
 * NAT, a Kubernetes node address): the SFU's single UDP port is reachable there. Candidates of a
 * family without announced addresses, and non-host candidates, are kept as they are.
 */
export function announce(candidate: string, announced: readonly string[]): string[] {
  if (announced.length === 0) return [candidate];
  const parts = candidate.split(' ');
  // candidate:<foundation> <component> <transport> <priority> <address> <port> typ <type> ...
  if (parts.length < 8 || parts[6] !== 'typ' || parts[7] !== 'host') return [candidate];
  const family = isIP(parts[4] ?? '');
  const same = announced.filter((a) => isIP(a) === family);
  if (same.length === 0) return [candidate];
  return same.map((address, i) => {
    const copy = [...parts];
    copy[0] = `${parts[0]}${i}`;
    copy[4] = address;
    return copy.join(' ');
  });
}
