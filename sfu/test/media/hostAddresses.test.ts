import type { NetworkInterfaceInfo } from 'node:os';
import { describe, expect, it } from 'vitest';
import { extraHostAddresses, hasRoutableAddress } from '../../src/media/hostAddresses.js';

const lo: NetworkInterfaceInfo[] = [
  {
    address: '127.0.0.1',
    netmask: '255.0.0.0',
    family: 'IPv4',
    mac: '00:00:00:00:00:00',
    internal: true,
    cidr: '127.0.0.1/8',
  },
  {
    address: '::1',
    netmask: 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
    family: 'IPv6',
    mac: '00:00:00:00:00:00',
    internal: true,
    cidr: '::1/128',
    scopeid: 0,
  },
];
const eth: NetworkInterfaceInfo[] = [
  {
    address: '192.0.2.2',
    netmask: '255.255.255.0',
    family: 'IPv4',
    mac: '02:00:00:00:00:01',
    internal: false,
    cidr: '192.0.2.2/24',
  },
];
const linkLocal6: NetworkInterfaceInfo[] = [
  {
    address: 'fe80::1',
    netmask: 'ffff:ffff:ffff:ffff::',
    family: 'IPv6',
    mac: '02:00:00:00:00:02',
    internal: false,
    cidr: 'fe80::1/64',
    scopeid: 2,
  },
];

describe('extra host-candidate addresses', () => {
  it('offers loopback on a host with only lo, so an offline laptop still gets media', () => {
    expect(hasRoutableAddress({ lo }, true)).toBe(false);
    expect(extraHostAddresses([], { lo }, true)).toEqual(['127.0.0.1']);
    expect(extraHostAddresses([], { lo, eth2: linkLocal6 }, false)).toEqual(['127.0.0.1']);
  });

  it('adds nothing when an interface is routable (the stack finds it itself)', () => {
    expect(extraHostAddresses([], { lo, eth0: eth }, true)).toEqual([]);
  });

  it('announces the configured addresses (NAT, Kubernetes) instead, without duplicates or unusable families', () => {
    expect(extraHostAddresses(['203.0.113.7', '203.0.113.7', '2001:db8::7'], { lo }, true)).toEqual([
      '203.0.113.7',
    ]);
    expect(extraHostAddresses(['2001:db8::7'], { lo, eth0: eth }, false)).toEqual(['2001:db8::7']);
  });
});
