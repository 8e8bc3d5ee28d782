// Builder benchmarks, each a ratio against a baseline measured in the same run (see README):
//  (a) cold build of a requirements.txt repository vs `docker build` of the equivalent
//      hand-written pip Dockerfile on the same base image;
//  (b) a new commit that only changes a notebook: time to `built` vs the cold build;
//  (c) ten concurrent launches of one uncached commit: how many builds ran.
// Needs the Docker engine and the base image (`make build`). Run: `make bench`.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { prepareBuildNetwork } from '../hub-service/src/builds/buildNetwork.js';
import { setAllowedRepoHosts } from '../hub-service/src/repos/repoPolicy.js';
import { Store } from '../hub-service/src/store/store.js';
import {
  baseImage,
  buildRepo,
  testBuilder
} from '../hub-service/test/support/builds.js';
import { GitServer } from '../hub-service/test/support/gitServer.js';

const prefix = 'envhubbench';
const docker = new Docker();
const store = new Store(':memory:');
const nonce = Date.now().toString(36);
// A typical scientific-Python Binder environment; the nonce makes every run's environment new.
const requirements = `# benchmark run ${nonce}\nnumpy==2.1.3\npandas==2.2.3\nmatplotlib==3.9.2\nrequests==2.32.3\npyyaml==6.0.2\n`;
const notebook = (text: string) =>
  JSON.stringify({
    cells: [{ cell_type: 'markdown', metadata: {}, source: [text] }],
    metadata: {},
    nbformat: 4,
    nbformat_minor: 5
  });

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

async function timed<T>(
  work: () => Promise<T>
): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await work();
  return { ms: performance.now() - start, value };
}

async function main(): Promise<void> {
  // The benchmark's repository is served on 127.0.0.1, which a hub must allow to fetch from.
  setAllowedRepoHosts(['127.0.0.1']);
  const git = await GitServer.start();
  // envhub builds in its isolated network; the baseline builds there too, so both reach the same index the same way.
  const network = await prepareBuildNetwork(docker, {
    namePrefix: prefix,
    mirrors: []
  });
  const builder = await testBuilder(docker, store, {
    namePrefix: prefix,
    network: Promise.resolve(network),
    limits: { memory: 4 * 1024 ** 3, cpus: 2 }
  });
  const build = async (repo: string, commit: string) => {
    const { image, error } = await buildRepo(
      builder,
      git,
      repo,
      commit,
      prefix
    );
    if (error) throw new Error(error);
    return image;
  };
  const baselineDir = await mkdtemp(join(tmpdir(), 'envhub-bench-'));
  try {
    // (a) baseline: the hand-written pip Dockerfile a repository author would write.
    await writeFile(join(baselineDir, 'requirements.txt'), requirements);
    await writeFile(join(baselineDir, 'index.ipynb'), notebook('v1'));
    await writeFile(
      join(baselineDir, 'Dockerfile'),
      `FROM ${baseImage}\nCOPY --chown=1000:100 requirements.txt /tmp/requirements.txt\nRUN pip install --no-cache-dir -r /tmp/requirements.txt\nCOPY --chown=1000:100 . /home/jovyan/\n`
    );
    const baseline = await timed(async () =>
      execFileSync(
        'docker',
        [
          'build',
          '--network',
          network,
          '-q',
          '-t',
          `${prefix}-baseline:${nonce}`,
          baselineDir
        ],
        { stdio: ['ignore', 'pipe', 'inherit'] }
      )
    );
    const first = await git.commit('bench', {
      'requirements.txt': requirements,
      'index.ipynb': notebook('v1')
    });
    const cold = await timed(() => build('bench', first));

    // (b) a commit that only edits the notebook.
    const second = await git.commit('bench', { 'index.ipynb': notebook('v2') });
    const contentOnly = await timed(() => build('bench', second));

    // (c) ten concurrent launches of one uncached commit.
    const third = await git.commit('bench', { 'index.ipynb': notebook('v3') });
    const concurrent = await timed(() =>
      Promise.all(Array.from({ length: 10 }, () => build('bench', third)))
    );
    const builds = store.buildsOf(concurrent.value[0]).length;

    console.log(
      `machine: ${cpus().length} cores (${cpus()[0]?.model}), ${Math.round(totalmem() / 2 ** 30)} GiB, Docker ${(await docker.version()).Version}`
    );
    console.log(
      `(a) cold build, requirements.txt: envhub ${seconds(cold.ms)} vs hand-written pip Dockerfile ${seconds(baseline.ms)} -> ratio ${(cold.ms / baseline.ms).toFixed(2)}`
    );
    console.log(
      `(b) content-only commit to built: ${seconds(contentOnly.ms)} vs cold ${seconds(cold.ms)} -> ratio ${(contentOnly.ms / cold.ms).toFixed(3)}`
    );
    console.log(
      `(c) 10 concurrent launches of one uncached commit: ${builds} build(s), all done in ${seconds(concurrent.ms)}`
    );
    if (builds !== 1) process.exitCode = 1;
  } finally {
    await git.stop();
    await rm(baselineDir, { recursive: true, force: true });
    const ours = (await docker.listImages())
      .flatMap(i => i.RepoTags ?? [])
      .filter(tag => tag.startsWith(`${prefix}-`));
    for (const tag of ours)
      await docker
        .getImage(tag)
        .remove({ force: true })
        .catch(() => undefined);
  }
}

await main();
