// Launches over a swarm (see README, "Docker Swarm"): on the two-engine swarm deploy/swarm-lab.sh
// builds on this machine, with envhub in swarm mode (servers as swarm services, images through the
// lab's registry), 20 users launching one cached environment at once
//  (a) with both nodes taking servers, vs
//  (b) with the second node drained, so that every server runs on one engine (other users: homes
//      stay on their node);
// each: failures (must be 0), p50, p95, and how many servers each node ran. A launch's time runs
// from requesting its Binder link's event stream until JupyterLab's api/status answers through the
// proxy. Both nodes share this machine's cores: the point is that launches work and spread, not
// that two engines on one machine are faster. Needs root (the lab) and `make build`; starts its
// own hub on port 8600 (prefix envhubswarmbench) and the lab, and removes both at the end.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { GitServer } from '../hub-service/test/support/gitServer.js';
import {
  labManager,
  setAvailability
} from '../hub-service/test/support/swarmLab.js';
import {
  benchSession,
  machine,
  median,
  percentile,
  progress,
  samples,
  seconds,
  withHub,
  type Launch
} from './support.js';

const run = promisify(execFile);
const lab = new URL('../deploy/swarm-lab.sh', import.meta.url).pathname;
const port = 8600;
const prefix = 'envhubswarmbench';
const hubUrl = `http://127.0.0.1:${port}`;
const password = randomBytes(12).toString('base64url');
const server = 'spread';
const crowd = 20;
const nonce = Date.now().toString(36);
const manager = labManager;

const { buildUrl, tokenFor, launch, stop } = await benchSession(
  hubUrl,
  password
);

/** `crowd` new users launching `url` at once: their launches and the node of each server. */
async function crowdLaunch(url: string, group: string) {
  const users = Array.from({ length: crowd }, (_, i) => `${group}-${i}`);
  const tokens = await Promise.all(users.map(user => tokenFor(user)));
  const launches: Launch[] = await Promise.all(
    users.map((user, i) => launch(url, user, tokens[i], server))
  );
  const nodes = new Map<string, number>();
  for (const task of await manager.listTasks({
    filters: { 'desired-state': ['running'] }
  })) {
    const node = task.NodeID!.slice(0, 12);
    nodes.set(node, (nodes.get(node) ?? 0) + 1);
  }
  await Promise.all(users.map((user, i) => stop(user, tokens[i], server)));
  return { launches, nodes };
}

function report(
  label: string,
  result: Awaited<ReturnType<typeof crowdLaunch>>
) {
  const times = result.launches.map(l => l.ms);
  const failed = result.launches.filter(l => !l.ok);
  const spread = [...result.nodes]
    .map(([node, count]) => `${node}: ${count}`)
    .join(', ');
  console.log(
    `${label}: ${failed.length} failures, p50 ${seconds(median(times))}, p95 ${seconds(percentile(times, 95))} [${samples(times).join(', ')}]; servers per node: ${spread}`
  );
  for (const l of failed) console.log(`    failed: ${l.problem}`);
  return { failed: failed.length, p95: percentile(times, 95) };
}

await run(lab, ['down']);
progress('bringing up a swarm of two engines with a registry');
await run(lab, ['up', '2']);
try {
  await withHub(
    {
      port,
      prefix,
      password,
      // 20 servers of 1G fit one node's memory (the machine's).
      siteConfig: {
        resources: { defaults: { memory: '1G', cpus: 1 } }
      },
      env: {
        ENVHUB_HUB_IP: '10.99.0.1',
        ENVHUB_SWARM_MANAGER: 'unix:///run/envsw/n1.sock',
        ENVHUB_REGISTRY: '10.99.0.1:5000',
        ENVHUB_SWARM_NETWORK: 'envhub-net'
      }
    },
    async defer => {
      const git = await GitServer.start();
      defer(() => git.stop());
      await git.commit('spread', {
        'requirements.txt': '',
        'README.md': `# Spread over a swarm (${nonce})\n`
      });
      const url = buildUrl(git.url('spread'), 'main', { name: server });
      progress(
        'building, publishing and launching twice (a server on each node)'
      );
      // Both nodes pull the image before anything is measured: with the first server running, the
      // second lands on the other node.
      const warm = ['bench-owner', 'bench-other'];
      const warmTokens = await Promise.all(warm.map(user => tokenFor(user)));
      for (const [i, user] of warm.entries()) {
        const first = await launch(url, user, warmTokens[i], server);
        if (!first.ok) throw new Error(`launching ${user}: ${first.problem}`);
      }
      await Promise.all(
        warm.map((user, i) => stop(user, warmTokens[i], server))
      );

      progress(`${crowd} users launching at once over both nodes`);
      const spread = await crowdLaunch(url, 'spread');
      const nodes = await manager.listNodes();
      const worker = nodes.find(n => n.Spec?.Role === 'worker')!.ID!;
      progress(
        `${crowd} other users launching at once with the worker node drained`
      );
      await setAvailability(worker, 'drain');
      let single;
      try {
        single = await crowdLaunch(url, 'single');
      } finally {
        await setAvailability(worker, 'active');
      }

      console.log(await machine());
      console.log(
        'two swarm nodes (engines in network namespaces) on this one machine; each server 1G, 1 CPU'
      );
      const a = report(`(a) ${crowd} launches at once over 2 nodes`, spread);
      const b = report(`(b) ${crowd} launches at once on 1 node`, single);
      console.log(
        `p95 ratio (a)/(b): ${(a.p95 / b.p95).toFixed(2)}; target: 0 failures and servers on both nodes in (a): ${!a.failed && !b.failed && spread.nodes.size === 2 ? 'met' : 'missed'}`
      );
      if (a.failed || b.failed || spread.nodes.size !== 2) process.exitCode = 1;
    }
  );
} finally {
  progress('taking the swarm down');
  await run(lab, ['down']);
}
