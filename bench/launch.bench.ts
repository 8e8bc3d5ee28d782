// Launch speed, each against a baseline measured in the same run (see README). A launch's time
// runs from requesting its Binder link's event stream (signed in, the environment already built)
// until JupyterLab's api/status answers 200 through the proxy with the user's token:
//  (a) a stopped server back, vs (b) `docker run` of the same image with the same memory and CPU
//      limits running JupyterLab without auth, to its own api/status; rounds interleave the two,
//      so that other load on the machine hits each alike;
//  (c) 20 users launching that environment at once, each a server of their own, vs (d) 20 bare
//      `docker run`s of the image at once, with the same limits: failures (must be 0), p50, p95.
// Starts its own hub (deploy/serve.sh) on port 8800 with the name prefix envhubbench and removes
// everything it made at the end. Needs the Docker engine and `make build`. Run: `make bench`.
// ENVHUB_BENCH_LOG=<file> keeps the hub's log there; ENVHUB_BENCH_REPETITIONS changes the 5 rounds.
import { randomBytes } from 'node:crypto';
import type { ServerView } from '@envhub/schema';
import { GitServer } from '../hub-service/test/support/gitServer.js';
import {
  bareRun,
  benchSession,
  machine,
  median,
  percentile,
  progress,
  samples,
  seconds,
  withHub,
  type Limits
} from './support.js';

const port = 8800;
const prefix = 'envhubbench';
const hubUrl = `http://127.0.0.1:${port}`;
const password = randomBytes(12).toString('base64url');
const server = 'speed';
const crowd = 20;
const repetitions = Number(process.env.ENVHUB_BENCH_REPETITIONS ?? 5);
const nonce = Date.now().toString(36);

const { buildUrl, envhubApi, tokenFor, ...session } = await benchSession(
  hubUrl,
  password
);
const launch = (url: string, user: string, token: string) =>
  session.launch(url, user, token, server);
const stop = (user: string, token: string) => session.stop(user, token, server);

const line = (label: string, times: number[]) =>
  `${label}: median ${seconds(median(times))} [${samples(times).join(', ')}]`;

await withHub({ port, prefix, password, siteConfig: {} }, async defer => {
  const git = await GitServer.start();
  defer(() => git.stop());
  await git.commit('speed', {
    'requirements.txt': '',
    'README.md': `# Launch speed (${nonce})\n`
  });
  const url = buildUrl(git.url('speed'), 'main', { name: server });

  const owner = 'bench-owner';
  const ownerToken = await tokenFor(owner);
  progress(`building and launching ${owner}/${server}`);
  const first = await launch(url, owner, ownerToken);
  if (!first.ok) throw new Error(`the first launch: ${first.problem}`);
  const view = (await (
    await envhubApi(ownerToken, `/servers/${owner}/${server}`)
  ).json()) as ServerView;
  const limits: Limits = {
    memory: view.resources.memory,
    cpus: view.resources.cpus
  };
  // Unmeasured: the first `docker run` of a command reads what later runs find in the page cache.
  await bareRun(view.image, `${prefix}-baseline-${nonce}-0`, limits);

  const restarts: number[] = [];
  const baseline: number[] = [];
  for (let round = 1; round <= repetitions; round++) {
    progress(`round ${round} of ${repetitions}`);
    await stop(owner, ownerToken);
    const back = await launch(url, owner, ownerToken);
    if (!back.ok) throw new Error(`restart: ${back.problem}`);
    restarts.push(back.ms);
    baseline.push(
      await bareRun(view.image, `${prefix}-baseline-${nonce}-${round}`, limits)
    );
  }
  await stop(owner, ownerToken);

  progress(`${crowd} users launching at once`);
  const users = Array.from({ length: crowd }, (_, i) => `bench-user-${i}`);
  const tokens = await Promise.all(users.map(user => tokenFor(user)));
  const launches = await Promise.all(
    users.map((user, i) => launch(url, user, tokens[i]))
  );
  await Promise.all(users.map((user, i) => stop(user, tokens[i])));
  progress(`${crowd} bare docker runs at once`);
  const bare = await Promise.all(
    users.map((_, i) =>
      bareRun(view.image, `${prefix}-crowd-${nonce}-${i}`, limits)
    )
  );

  const ratio = median(restarts) / median(baseline);
  const failed = launches.filter(l => !l.ok);
  const crowdTimes = launches.map(l => l.ms);
  const p95 = percentile(crowdTimes, 95);
  const bareP95 = percentile(bare, 95);
  console.log(await machine());
  console.log(
    `each server and each baseline container: memory ${limits.memory}, ${limits.cpus} CPU (the hub's defaults)`
  );
  console.log(line('(b) baseline, docker run to api/status', baseline));
  console.log(
    `${line('(a) stopped server back to api/status', restarts)} -> ratio ${ratio.toFixed(2)} vs (b) (target ≤ 1.5: ${ratio <= 1.5 ? 'met' : 'missed'})`
  );
  console.log(
    `(d) ${crowd} bare docker runs at once: p50 ${seconds(median(bare))}, p95 ${seconds(bareP95)} [${samples(bare).join(', ')}]`
  );
  console.log(
    `(c) ${crowd} users launching at once: ${failed.length} failures, p50 ${seconds(median(crowdTimes))}, p95 ${seconds(p95)} [${samples(crowdTimes).join(', ')}] -> p95 ratio ${(p95 / bareP95).toFixed(2)} vs (d) (target: 0 failures, ≤ 1: ${!failed.length && p95 <= bareP95 ? 'met' : 'missed'})`
  );
  for (const l of failed) console.log(`    failed: ${l.problem}`);
  if (failed.length) process.exitCode = 1;
});
