import { EventStreamParser } from '../src/eventStream.js';

describe('EventStreamParser', () => {
  it('reads data blocks split anywhere, skips comments and other fields', () => {
    const text =
      ':keepalive\n\n' +
      'event: x\ndata: {"phase":"waiting","message":"queued"}\n\n' +
      'data: {"phase":"building",\ndata: "message":"two lines"}\r\n\r\n' +
      'id: 3\ndata:{"phase":"ready","url":"/user/alice/y/"}\n\n';
    for (const size of [1, 2, 7, text.length]) {
      const parser = new EventStreamParser();
      const events: unknown[] = [];
      for (let at = 0; at < text.length; at += size)
        events.push(...parser.push(text.slice(at, at + size)));
      events.push(...parser.end());
      expect(events).toEqual([
        { phase: 'waiting', message: 'queued' },
        { phase: 'building', message: 'two lines' },
        { phase: 'ready', url: '/user/alice/y/' }
      ]);
    }
  });

  it('gives a last block without an empty line after it at the end', () => {
    const parser = new EventStreamParser();
    expect(parser.push('data: {"phase":"failed","message":"no"}')).toEqual([]);
    expect(parser.end()).toEqual([{ phase: 'failed', message: 'no' }]);
  });

  it('skips data that is not JSON, and parses a whole text at once', () => {
    expect(
      EventStreamParser.parse(
        'data: not json\n\ndata: {"progress": 50}\n\ndata: {"ready": true}'
      )
    ).toEqual([{ progress: 50 }, { ready: true }]);
  });
});
