import { jest } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { followed } from '../../src/images/progress.js';
import { baseImage } from '../support/builds.js';
import { exec } from '../support/docker.js';
import { labEngine } from '../support/swarmLab.js';

// The swarm deploy/test-swarm.sh brings up (deploy/swarm-lab.sh): two Docker engines on this
// machine, each in a network namespace of its own, a registry both pull from, one overlay network.
// Checked from outside as envhub uses it; test-swarm.sh tears it down and checks nothing is left.
jest.setTimeout(600_000);

const node = labEngine;
const registry = '10.99.0.1:5000';
const image = `${registry}/envhub-lab-probe:1`;

/** `docker save` on this machine's engine piped into `docker load` on node `n`. */
async function copyImage(tag: string, n: number): Promise<void> {
  const save = spawn('docker', ['save', tag], {
    stdio: ['ignore', 'pipe', 'inherit']
  });
  const load = spawn(
    'docker',
    ['-H', `unix:///run/envsw/n${n}.sock`, 'load', '-q'],
    {
      stdio: ['pipe', 'ignore', 'inherit']
    }
  );
  save.stdout.pipe(load.stdin);
  const exited = (child: ChildProcess) =>
    new Promise<number | null>(resolve => child.on('exit', resolve));
  const [saved, loaded] = await Promise.all([exited(save), exited(load)]);
  if (saved !== 0 || loaded !== 0)
    throw new Error(`copying ${tag} to node ${n} failed (${saved}, ${loaded})`);
}

afterAll(async () => {
  await node(1)
    .getService('envhub-lab-probe')
    .remove()
    .catch(() => {});
});

test('two engines form a swarm; images reach both through the registry; tasks on different nodes reach each other', async () => {
  const [one, two] = [node(1), node(2)];
  const nodes = await one.listNodes();
  expect(nodes.map(n => n.Status?.State)).toEqual(['ready', 'ready']);

  // An image built or loaded on node 1 reaches node 2 through the registry only.
  await copyImage(baseImage, 1);
  await one
    .getImage(baseImage)
    .tag({ repo: image.split(':').slice(0, 2).join(':'), tag: '1' });
  // The lab's registry asks no credentials; the engine still wants the header.
  const noAuth = { authconfig: { serveraddress: registry } };
  await followed(one, await one.getImage(image).push(noAuth));
  await followed(two, await two.pull(image, noAuth));
  expect((await two.getImage(image).inspect()).RepoTags).toContain(image);

  // One task per node on the overlay network, found by DNS round-robin (no IPVS here).
  await one.createService({
    Name: 'envhub-lab-probe',
    TaskTemplate: {
      ContainerSpec: {
        Image: image,
        Command: ['python3', '-m', 'http.server', '8000']
      },
      Networks: [{ Target: 'envhub-net' }],
      Placement: { MaxReplicas: 1 }
    },
    Mode: { Replicated: { Replicas: 2 } },
    EndpointSpec: { Mode: 'dnsrr' }
  });
  const running = async () =>
    (
      await one.listTasks({ filters: { service: ['envhub-lab-probe'] } })
    ).filter(t => t.Status?.State === 'running');
  for (let i = 0; i < 120 && (await running()).length < 2; i++)
    await new Promise(resolve => setTimeout(resolve, 1000));
  const tasks = await running();
  expect(new Set(tasks.map(t => t.NodeID)).size).toBe(2);
  const address = (task: (typeof tasks)[number]) =>
    (task.NetworksAttachments ?? [])
      .find(
        (a: { Network?: { Spec?: { Name?: string } } }) =>
          a.Network?.Spec?.Name === 'envhub-net'
      )
      ?.Addresses?.[0]?.split('/')[0];
  const onTwo = tasks.find(t => t.NodeID !== tasks[0].NodeID)!;
  const container = (
    await one.listContainers({
      filters: { label: ['com.docker.swarm.service.name=envhub-lab-probe'] }
    })
  )[0].Id;
  const answer = await exec(
    container,
    [
      'python3',
      '-c',
      `import urllib.request; print(urllib.request.urlopen("http://${address(onTwo)}:8000/", timeout=10).status)`
    ],
    one
  );
  expect(answer.trim()).toBe('200');
});
