// Public servers' temporary sessions, each a ratio against a baseline measured in the same run
// (see README). A visitor's time runs from POSTing the public page (anonymous, no cookies) until
// JupyterLab's api/status answers 200 through the proxy with the cookies that answer set:
//  (a) warm: a public server with a warm pool, which hands out a session started in advance;
//  (b) cold: a public server of the same image without a pool, which starts a session;
//  (c) baseline: `docker run` of that image running JupyterLab without auth, to its own api/status;
//  (d) 20 visitors arriving at once on the pooled server: failures (must be 0), p50 and max.
// Rounds interleave baseline, warm and cold, so that other load on the machine hits each alike.
// Starts its own hub (deploy/serve.sh) on port 8900 with the name prefix envhubbench and removes
// everything it made at the end. Needs the Docker engine and `make build`. Run: `make bench`.
// ENVHUB_BENCH_LOG=<file> keeps the hub's log there; ENVHUB_BENCH_REPETITIONS changes the 5 rounds.
import { randomBytes } from 'node:crypto';
import { GitServer } from '../hub-service/test/support/gitServer.js';
import { CookieJar, send } from '../hub-service/test/support/http.js';
import {
  answers,
  bareRun,
  machine,
  median,
  progress,
  samples,
  seconds,
  until,
  withHub
} from './support.js';

const port = 8900;
const prefix = 'envhubbench';
const hubUrl = `http://127.0.0.1:${port}`;
const service = `${hubUrl}/services/envhub`;
const password = randomBytes(12).toString('base64url');
const owner = 'bench-owner';
const warm = 'warm';
const cold = 'cold';
const poolSize = 2;
const crowd = 20;
const repetitions = Number(process.env.ENVHUB_BENCH_REPETITIONS ?? 5);
const nonce = Date.now().toString(36);

// The test helpers read where the hub is, and its password, when they are first imported.
process.env.ENVHUB_TEST_URL = hubUrl;
process.env.ENVHUB_TEST_PASSWORD = password;
const { buildUrl, hubApi, readEventStream, tokenFor } =
  await import('../hub-service/test/support/hubSession.js');

const siteConfig = {
  publicSessions: {
    idleTimeout: 3600,
    maxAge: 7200,
    maxSessions: crowd + 10,
    maxPerServer: crowd + 10,
    // Every visitor comes through the proxy from 127.0.0.1.
    perAddress: { sessions: 1000, window: 3600 },
    egress: true,
    pools: [{ owner, server: warm, size: poolSize }]
  }
};

/** One visitor's way in; never throws, so that a crowd's failures can be counted. */
interface Visit {
  ok: boolean;
  /** POST to api/status answering 200 (ms). */
  ms: number;
  /** POST to its 303 answer (ms). */
  toRedirect: number;
  user: string;
  problem?: string;
}

async function visit(server: string): Promise<Visit> {
  const start = performance.now();
  let toRedirect = NaN;
  let user = '';
  try {
    const started = await send(service, `/public/${owner}/${server}`, {
      method: 'POST',
      headers: { Accept: 'text/html' }
    });
    toRedirect = performance.now() - start;
    if (started.status !== 303)
      throw new Error(
        `POST answered ${started.status}: ${/<h1>([^<]*)/.exec(started.text)?.[1] ?? started.text.slice(0, 200)}`
      );
    user =
      /\/user\/([^/]+)\//.exec(String(started.headers.location))?.[1] ?? '';
    const jar = new CookieJar().take(started);
    await answers(`${hubUrl}/user/${user}/${server}/api/status`, {
      Cookie: jar.header()
    });
    return { ok: true, ms: performance.now() - start, toRedirect, user };
  } catch (err) {
    return {
      ok: false,
      ms: performance.now() - start,
      toRedirect,
      user,
      problem: (err as Error).message
    };
  }
}

async function main(
  defer: (cleanup: () => Promise<unknown>) => void
): Promise<void> {
  const [ownerToken, adminToken] = await Promise.all([
    tokenFor(owner),
    tokenFor('admin')
  ]);
  const api = (path: string, method = 'GET') =>
    fetch(`${service}/api${path}`, {
      method,
      headers: { Authorization: `token ${ownerToken}` }
    });
  const sessions = async () =>
    (
      (await (await api('/sessions')).json()) as {
        sessions: Array<{
          user: string;
          server: string;
          claimedAt: string | null;
        }>;
      }
    ).sessions;
  const end = async (users: string[]) => {
    const results = await Promise.all(
      users.map(user => api(`/sessions/${user}`, 'DELETE'))
    );
    const refused = results.filter(r => r.status !== 204);
    if (refused.length)
      throw new Error(`ending sessions answered ${refused[0].status}`);
  };
  /** The pool's sessions once all of them have started. */
  const poolFull = () =>
    until(
      `the warm pool to hold ${poolSize} started sessions`,
      async () => {
        const pooled = (await sessions()).filter(
          s => s.server === warm && s.claimedAt === null
        );
        if (pooled.length < poolSize) return null;
        const ready = await Promise.all(
          pooled.map(async s => {
            const user = await hubApi(adminToken, `/users/${s.user}`);
            return (
              user.ok &&
              (
                (await user.json()) as {
                  servers?: Record<string, { ready?: boolean }>;
                }
              ).servers?.[warm]?.ready === true
            );
          })
        );
        return ready.every(Boolean) ? pooled.map(s => s.user) : null;
      },
      300_000
    );

  const git = await GitServer.start();
  defer(() => git.stop());
  await git.commit('public', {
    'requirements.txt': '',
    'index.ipynb': JSON.stringify({
      cells: [{ cell_type: 'markdown', metadata: {}, source: ['Hello'] }],
      metadata: {},
      nbformat: 4,
      nbformat_minor: 5
    })
  });
  for (const name of [warm, cold]) {
    progress(`launching ${owner}/${name} (public)`);
    const { events, body } = await readEventStream(
      buildUrl(git.url('public'), 'main', {
        name,
        public: '1',
        urlpath: 'lab/tree/index.ipynb'
      }),
      ownerToken
    );
    if (events.at(-1)?.phase !== 'ready')
      throw new Error(`launching ${name} did not end ready:\n${body}`);
  }
  const imageOf = async (name: string) =>
    (
      (await (await api(`/servers/${owner}/${name}`)).json()) as {
        image: string;
      }
    ).image;
  const image = await imageOf(warm);
  if ((await imageOf(cold)) !== image)
    throw new Error('the two public servers run different images');

  progress('waiting for the warm pool');
  await poolFull();
  // Unmeasured: the first `docker run` of a command reads what later runs find in the page cache.
  await bareRun(image, `${prefix}-baseline-${nonce}-0`);

  const baseline: number[] = [];
  const warmVisits: Visit[] = [];
  const coldVisits: Visit[] = [];
  for (let round = 1; round <= repetitions; round++) {
    progress(`round ${round} of ${repetitions}`);
    const pooled = await poolFull();
    const fromPool = await visit(warm);
    if (!fromPool.ok) throw new Error(`warm visit: ${fromPool.problem}`);
    if (!pooled.includes(fromPool.user))
      throw new Error('the warm visit did not get a pooled session');
    warmVisits.push(fromPool);
    await end([fromPool.user]);

    await poolFull();
    const started = await visit(cold);
    if (!started.ok) throw new Error(`cold visit: ${started.problem}`);
    coldVisits.push(started);
    await end([started.user]);

    await poolFull();
    baseline.push(await bareRun(image, `${prefix}-baseline-${nonce}-${round}`));
  }

  progress(`${crowd} visitors at once`);
  const pooled = await poolFull();
  const crowdVisits = await Promise.all(
    Array.from({ length: crowd }, () => visit(warm))
  );
  await end(
    (await sessions())
      .filter(s => s.server === warm && s.claimedAt !== null)
      .map(s => s.user)
  );
  const failed = crowdVisits.filter(v => !v.ok);
  const crowdTimes = crowdVisits.map(v => v.ms);

  console.log(await machine());
  console.log(
    `each session: JupyterHub + DockerSpawner, the site's default session resources; baseline: plain \`docker run\` without limits`
  );
  const line = (label: string, visits: Visit[], target: number) => {
    const times = visits.map(v => v.ms);
    const ratio = median(times) / median(baseline);
    console.log(
      `${label}: median ${seconds(median(times))} [${samples(times).join(', ')}] (POST to 303: median ${seconds(median(visits.map(v => v.toRedirect)))}) -> ratio ${ratio.toFixed(2)} vs (c) (target ≤ ${target}: ${ratio <= target ? 'met' : 'missed'})`
    );
  };
  console.log(
    `(c) baseline, docker run to api/status: median ${seconds(median(baseline))} [${samples(baseline).join(', ')}]`
  );
  line('(a) warm pool to api/status', warmVisits, 0.5);
  line('(b) cold to api/status', coldVisits, 1.5);
  console.log(
    `(d) ${crowd} visitors at once (pool of ${poolSize}, ${crowdVisits.filter(v => pooled.includes(v.user)).length} served from it): ${failed.length} failures, p50 ${seconds(median(crowdTimes))}, max ${seconds(Math.max(...crowdTimes))} [${samples(crowdTimes).join(', ')}]`
  );
  for (const v of failed) console.log(`    failed: ${v.problem}`);
  if (failed.length) process.exitCode = 1;
}

await withHub({ port, prefix, password, siteConfig }, main);
