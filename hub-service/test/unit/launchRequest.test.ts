import { describe, expect, test } from '@jest/globals';
import { networkInterfaces } from 'node:os';
import { launchRequestFrom } from '../../src/launches/launchRequest.js';
import { internalAddressKind } from '../../src/repos/repoPolicy.js';

const path = `git/${encodeURIComponent('https://forge.example.org/a/b.git')}/main`;
const read = (query: string) =>
  launchRequestFrom(
    path,
    new URLSearchParams(query),
    'alice',
    'http://127.0.0.1:8000'
  );

describe('launch requests from URLs', () => {
  test('control parameters take 1/true and 0/false', () => {
    expect(read('update=1&restart=true&relaunch=0')).toMatchObject({
      update: true,
      restart: true,
      relaunch: false
    });
    expect(read('')).toMatchObject({
      update: false,
      restart: false,
      relaunch: false
    });
  });

  test.each([
    'update=yes',
    'update=',
    'relaunch=2',
    'restart=on',
    'update=1&update=0',
    'restart=1%0A'
  ])('%s is refused, naming the parameter', query => {
    expect(() => read(query)).toThrow(
      new RegExp(`${query.split('=')[0]} must be given once, as 1 or 0`)
    );
  });

  test('parameters a query parser would drop are refused as unknown', () => {
    expect(() => read('__proto__=x')).toThrow(/__proto__/);
    expect(() => read('constructor=x')).toThrow(/constructor/);
  });
});

describe('repository addresses of the host itself', () => {
  test('documentation ranges are refused', () => {
    expect(internalAddressKind('192.0.2.7')).toBe('a documentation address');
    expect(internalAddressKind('2001:db8::1')).toBe('a documentation address');
  });

  test("every address of this host's interfaces is refused", () => {
    const own = Object.values(networkInterfaces())
      .flatMap(list => list ?? [])
      .map(a => a.address);
    expect(own.length).toBeGreaterThan(0);
    for (const address of own)
      expect(internalAddressKind(address)).not.toBeNull();
  });
});
