import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type Docker from 'dockerode';
import express from 'express';
import { EventStreamParser, validateSpec } from '@envhub/schema';
import { Channel } from '../../src/builds/channel.js';
import { sendEventStream } from '../../src/builds/eventStream.js';
import type { BuildEvent } from '../../src/builds/events.js';
import type { HubClient } from '../../src/hub/hubClient.js';
import type { ImageBuilder } from '../../src/images/imageBuilder.js';
import { Launcher } from '../../src/launches/launcher.js';
import { DEFAULT_SITE_CONFIG } from '../../src/policy/siteConfig.js';
import { Store } from '../../src/store/store.js';
import { Volumes } from '../../src/volumes/volumes.js';
import { captureLogs } from '../support/fakes.js';

const logs = captureLogs();
afterAll(() => logs.restore());

/** Serves `events` as a launch stream and reads it as a client does: the events, and when the response ended. */
async function follow(
  events: Channel<BuildEvent>,
  whileOpen: () => void
): Promise<{ events: BuildEvent[]; endedAfterLastEventMs: number }> {
  const app = express().get(
    '/',
    (_req, res) => void sendEventStream(res, events)
  );
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    const response = await fetch(
      `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
    );
    whileOpen();
    const parser = new EventStreamParser();
    const received: BuildEvent[] = [];
    let lastEventAt = 0;
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      const parsed = parser.push(
        Buffer.from(chunk).toString('utf8')
      ) as BuildEvent[];
      if (parsed.length > 0) lastEventAt = Date.now();
      received.push(...parsed);
    }
    return {
      events: received,
      endedAfterLastEventMs: Date.now() - lastEventAt
    };
  } finally {
    server.closeAllConnections();
    server.close();
  }
}

test('the launch stream ends as soon as its final event is sent', async () => {
  for (const final of [
    { phase: 'ready', url: 'https://hub.example.org/user/a/b/' },
    { phase: 'failed', message: 'no' }
  ] as BuildEvent[]) {
    const events = new Channel<BuildEvent>();
    const { events: received, endedAfterLastEventMs } = await follow(
      events,
      () => {
        events.push({ phase: 'waiting' });
        // The channel stays open: the stream ends because the event is final, not because the launch did.
        events.push(final);
      }
    );
    expect(received.map(e => e.phase)).toEqual(['waiting', final.phase]);
    expect(endedAfterLastEventMs).toBeLessThan(200);
  }
});

describe('a service that stops', () => {
  const store = new Store(':memory:');
  // A Hub that never answers: the launch is stuck in flight until the service stops.
  const hub = {
    getServer: () => new Promise(() => undefined),
    userExists: async () => true,
    groupExists: async () => true
  } as unknown as HubClient;
  const volumes = new Volumes({} as Docker, store, hub, {
    namePrefix: 'envhub',
    baseImage: 'envhub-base:latest',
    volumesPerUser: 10,
    webdav: null,
    credentials: { find: async () => null, has: () => false }
  });
  const launcher = new Launcher(hub, store, {} as ImageBuilder, volumes, {
    namePrefix: 'envhub',
    servers: { proxyUrl: 'http://127.0.0.1:1', token: 'service-token' },
    allowedRepoHosts: ['127.0.0.1'],
    prefix: '/services/envhub/',
    site: DEFAULT_SITE_CONFIG
  });
  // A forge that answers git's first request, so that the repository check passes (the ref is a
  // full commit hash: no git runs).
  const forge = createServer((_req, res) => {
    res.writeHead(200, {
      'Content-Type': 'application/x-git-upload-pack-advertisement'
    });
    res.end('001e# service=git-upload-pack\n0000');
  });
  beforeAll(async () => {
    forge.listen(0, '127.0.0.1');
    await once(forge, 'listening');
  });
  afterAll(() => forge.close());
  const request = (name = 'a') => {
    const validation = validateSpec({
      repo: `http://127.0.0.1:${(forge.address() as AddressInfo).port}/a.git`,
      ref: 'a'.repeat(40),
      name
    });
    if (!validation.ok) throw new Error('invalid spec');
    return {
      owner: 'alice',
      spec: { ...validation.spec, name },
      publicOrigin: 'https://hub.example.org'
    };
  };

  test('ends every launch in flight with a failed event saying so, and takes no new ones', async () => {
    const events = await launcher.launch(request());
    const joined = await launcher.launch(request());
    const seen: BuildEvent[] = [];
    const done = (async () => {
      for await (const event of joined.subscribe()) seen.push(event);
    })();
    launcher.failInFlight('envhub is restarting; launch again in a moment');
    await done;
    expect(seen.map(e => e.phase)).toEqual(['waiting', 'failed']);
    expect(seen.at(-1)).toEqual({
      phase: 'failed',
      message: 'envhub is restarting; launch again in a moment'
    });
    expect(joined).toBe(events);
    await expect(launcher.launch(request('b'))).rejects.toMatchObject({
      status: 503,
      message: 'envhub is restarting; launch again in a moment'
    });
  });
});
