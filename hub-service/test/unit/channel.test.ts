import { Channel } from '../../src/builds/channel.js';

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

test('early and late subscribers both see every item, then the end', async () => {
  const channel = new Channel<number>();
  const early = collect(channel.subscribe());
  channel.push(1);
  await Promise.resolve();
  const late = collect(channel.subscribe());
  channel.push(2);
  channel.end();
  channel.push(3);
  expect(await early).toEqual([1, 2]);
  expect(await late).toEqual([1, 2]);
  expect(await collect(channel.subscribe())).toEqual([1, 2]);
});
