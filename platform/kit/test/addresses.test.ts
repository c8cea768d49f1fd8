import { describe, expect, it } from 'vitest';
import { createBusKv } from '../src/bus/index.js';
import { AddressBook, parseSfuWorkerRegistration, sfuWorkerAddresses } from '../src/index.js';

describe('parseSfuWorkerRegistration', () => {
  const reg = {
    workerId: 'w1',
    nodeId: 'n1',
    grpcAddress: '10.0.0.2:50051',
    httpUrl: 'http://10.0.0.2:9100',
  };

  it('reads what an SFU worker registers', () => {
    expect(parseSfuWorkerRegistration(JSON.stringify(reg))).toEqual(reg);
  });

  it.each([
    ['not JSON', '{'],
    ['null', 'null'],
    ['a string', '"sfu"'],
    ['a missing field', JSON.stringify({ ...reg, grpcAddress: undefined })],
    ['an empty field', JSON.stringify({ ...reg, grpcAddress: '' })],
    ['a field of the wrong type', JSON.stringify({ ...reg, nodeId: 7 })],
  ])('returns null for %s', (_, raw) => {
    expect(parseSfuWorkerRegistration(raw)).toBeNull();
  });
});

describe('AddressBook', () => {
  it('hands a published address to a role that waited for it', async () => {
    const book = new AddressBook();
    const waiting = book.wait('control.grpc', 5_000);
    book.set('control.grpc', '127.0.0.1:4000');
    await expect(waiting).resolves.toBe('127.0.0.1:4000');
  });

  it('tells which address never came', async () => {
    const book = new AddressBook();
    await expect(book.wait('sfu.workers', 10)).rejects.toThrow('No address for sfu.workers');
  });
});

describe('sfuWorkerAddresses', () => {
  it('joins configured workers and those published in this process, each once', async () => {
    const book = new AddressBook();
    book.set('sfu.workers', '127.0.0.1:5001, 127.0.0.1:5002,');
    const busKv = await createBusKv({ namespace: `sfuaddr${Date.now()}:` });
    try {
      const found = await sfuWorkerAddresses({
        configured: ['10.0.0.9:50051', '127.0.0.1:5001'],
        addresses: book,
        busKv,
      });
      expect(found).toEqual(['10.0.0.9:50051', '127.0.0.1:5001', '127.0.0.1:5002']);
    } finally {
      await busKv.close();
    }
  });
});
