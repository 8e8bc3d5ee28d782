import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describeFailure, plainText } from '../../src/images/buildFailure.js';
import { planBuild } from '../../src/images/buildPlan.js';

type Files = Record<string, string | { content: string; mode: number }>;

const dirs: string[] = [];
afterAll(() =>
  Promise.all(dirs.map(d => rm(d, { recursive: true, force: true })))
);

/** The plan envhub makes for a repository holding `files`. */
async function planOf(files: Files) {
  const dir = await mkdtemp(join(tmpdir(), 'envhub-failure-'));
  dirs.push(dir);
  for (const [path, spec] of Object.entries(files)) {
    const { content, mode } =
      typeof spec === 'string' ? { content: spec, mode: 0o644 } : spec;
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
    await chmod(join(dir, path), mode);
  }
  return planBuild(dir, {
    baseImage: 'envhub-base:latest',
    availablePython: '3.11'
  });
}

/**
 * The last step of real failed builds (the legacy builder's output as envhub streams it, with the
 * colour codes Docker wraps stderr in) and Docker's error, captured from builds of these files.
 */
const captured: Array<{
  title: string;
  files: Files;
  log: string;
  error: string;
  expected: string;
}> = [
  {
    title: 'requirements.txt naming a package the index does not have',
    files: { 'requirements.txt': 'six\nenvhub-no-such-package-zz==9.9.9\n' },
    log: "Step 5/9 : RUN uv pip install --python /srv/venv/bin/python --no-cache --link-mode=copy --compile-bytecode -r /tmp/envhub-env/requirements.txt  && rm -rf /tmp/envhub-env\n ---> Running in 0bad8861b678\n\u001b[91mUsing Python 3.11.2 environment at: /srv/venv\u001b[0m\u001b[91m\n\u001b[0m\u001b[91merror\u001b[0m\u001b[91m: No solution found when resolving dependencies\n\u001b[0m\u001b[91m  cause\u001b[0m\u001b[91m:\u001b[0m\u001b[91m \u001b[0m\u001b[91mBecause envhub-no-such-package-zz was not found in the package registry and you require envhub-no-such-package-zz==9.9.9, we can conclude that your requirements are unsatisfiable.\n\u001b[0mRemoving intermediate container 0bad8861b678\n[envhub] build failed: The command '/bin/sh -c uv pip install --python /srv/venv/bin/python --no-cache --link-mode=copy --compile-bytecode -r /tmp/envhub-env/requirements.txt  && rm -rf /tmp/envhub-env' returned a non-zero code: 1\n",
    error:
      "The command '/bin/sh -c uv pip install --python /srv/venv/bin/python --no-cache --link-mode=copy --compile-bytecode -r /tmp/envhub-env/requirements.txt  && rm -rf /tmp/envhub-env' returned a non-zero code: 1",
    expected:
      'requirements.txt: no version of envhub-no-such-package-zz matches ==9.9.9 on the package index'
  },
  {
    title: 'requirements.txt pinning a version that does not exist',
    files: { 'requirements.txt': 'toolz==99.0.0\n' },
    log: "Step 5/9 : RUN uv pip install --python /srv/venv/bin/python --no-cache --link-mode=copy --compile-bytecode -r /tmp/envhub-env/requirements.txt  && rm -rf /tmp/envhub-env\n ---> Running in 08bcf7c5735c\n\u001b[91mUsing Python 3.11.2 environment at: /srv/venv\u001b[0m\u001b[91m\n\u001b[0m\u001b[91merror: No solution found when resolving dependencies\n  cause: Because there is no version of toolz==99.0.0 and you require toolz==99.0.0, we can conclude that your requirements are unsatisfiable.\n\u001b[0mRemoving intermediate container 08bcf7c5735c\n[envhub] build failed: The command '/bin/sh -c uv pip install --python /srv/venv/bin/python --no-cache --link-mode=copy --compile-bytecode -r /tmp/envhub-env/requirements.txt  && rm -rf /tmp/envhub-env' returned a non-zero code: 1\n",
    error:
      "The command '/bin/sh -c uv pip install --python /srv/venv/bin/python --no-cache --link-mode=copy --compile-bytecode -r /tmp/envhub-env/requirements.txt  && rm -rf /tmp/envhub-env' returned a non-zero code: 1",
    expected:
      'requirements.txt: no version of toolz matches ==99.0.0 on the package index'
  },
  {
    title: 'a range no release satisfies, in binder/',
    files: { 'binder/requirements.txt': 'toolz>=99\n' },
    log: "Step 5/9 : RUN uv pip install --python /srv/venv/bin/python --no-cache --link-mode=copy --compile-bytecode -r /tmp/envhub-env/binder/requirements.txt  && rm -rf /tmp/envhub-env\n ---> Running in b7e27a7e94df\n\u001b[91mUsing Python 3.11.2 environment at: /srv/venv\n\u001b[0m\u001b[91merror\u001b[0m\u001b[91m: No solution found when resolving dependencies\n  cause: Because only toolz<=1.2.0 is available and you require toolz>=99, we can conclude that your requirements are unsatisfiable.\n\u001b[0mRemoving intermediate container b7e27a7e94df\n[envhub] build failed: The command '/bin/sh -c uv pip install --python /srv/venv/bin/python --no-cache --link-mode=copy --compile-bytecode -r /tmp/envhub-env/binder/requirements.txt  && rm -rf /tmp/envhub-env' returned a non-zero code: 1\n",
    error:
      "The command '/bin/sh -c uv pip install --python /srv/venv/bin/python --no-cache --link-mode=copy --compile-bytecode -r /tmp/envhub-env/binder/requirements.txt  && rm -rf /tmp/envhub-env' returned a non-zero code: 1",
    expected:
      'binder/requirements.txt: no version of toolz matches >=99 on the package index'
  },
  {
    title: 'requirements that conflict',
    files: {
      'requirements.txt': 'toolz==0.12.1\ncytoolz==0.12.3\ntoolz==0.11.0\n'
    },
    log: "Step 5/9 : RUN uv pip install --python /srv/venv/bin/python --no-cache --link-mode=copy --compile-bytecode -r /tmp/envhub-env/requirements.txt  && rm -rf /tmp/envhub-env\n ---> Running in 5466930b391b\n\u001b[91mUsing Python 3.11.2 environment at: /srv/venv\u001b[0m\u001b[91m\n\u001b[0m\u001b[91merror\u001b[0m\u001b[91m: No solution found when resolving dependencies\n  cause: Because you require toolz==0.12.1 and toolz==0.11.0, we can conclude that your requirements are unsatisfiable.\n\u001b[0mRemoving intermediate container 5466930b391b\n[envhub] build failed: The command '/bin/sh -c uv pip install --python /srv/venv/bin/python --no-cache --link-mode=copy --compile-bytecode -r /tmp/envhub-env/requirements.txt  && rm -rf /tmp/envhub-env' returned a non-zero code: 1\n",
    error:
      "The command '/bin/sh -c uv pip install --python /srv/venv/bin/python --no-cache --link-mode=copy --compile-bytecode -r /tmp/envhub-env/requirements.txt  && rm -rf /tmp/envhub-env' returned a non-zero code: 1",
    expected:
      'requirements.txt: the requirements cannot all be met: you require toolz==0.12.1 and toolz==0.11.0'
  },
  {
    title: 'environment.yml naming a package PyPI does not have',
    files: {
      'environment.yml':
        'dependencies:\n  - envhub-no-such-package-zz=1.0\n  - pip:\n    - six\n'
    },
    log: "Step 5/9 : RUN uv pip install --python /srv/venv/bin/python --no-cache --link-mode=copy --compile-bytecode -r /tmp/envhub-env/.envhub-requirements.txt  && rm -rf /tmp/envhub-env\n ---> Running in 2e8bb5fd72e0\n\u001b[91mUsing Python 3.11.2 environment at: /srv/venv\n\u001b[0m\u001b[91merror\u001b[0m\u001b[91m:\u001b[0m\u001b[91m \u001b[0m\u001b[91mNo solution found when resolving dependencies\u001b[0m\u001b[91m\n\u001b[0m\u001b[91m  \u001b[0m\u001b[91mcause\u001b[0m\u001b[91m:\u001b[0m\u001b[91m \u001b[0m\u001b[91mBecause envhub-no-such-package-zz was not found in the package registry and you require envhub-no-such-package-zz==1.0.*, we can conclude that your requirements are unsatisfiable.\u001b[0m\u001b[91m\n\u001b[0mRemoving intermediate container 2e8bb5fd72e0\n[envhub] build failed: The command '/bin/sh -c uv pip install --python /srv/venv/bin/python --no-cache --link-mode=copy --compile-bytecode -r /tmp/envhub-env/.envhub-requirements.txt  && rm -rf /tmp/envhub-env' returned a non-zero code: 1\n",
    error:
      "The command '/bin/sh -c uv pip install --python /srv/venv/bin/python --no-cache --link-mode=copy --compile-bytecode -r /tmp/envhub-env/.envhub-requirements.txt  && rm -rf /tmp/envhub-env' returned a non-zero code: 1",
    expected:
      "environment.yml: no version of envhub-no-such-package-zz matches ==1.0.* on the package index (envhub installs environment.yml's packages from PyPI)"
  },
  {
    title: 'Pipfile naming a package the index does not have',
    files: { Pipfile: '[packages]\nenvhub-no-such-package-zz = "==2.0"\n' },
    log: "Step 5/9 : RUN uv pip install --python /srv/venv/bin/python --no-cache --link-mode=copy --compile-bytecode -r /tmp/envhub-env/.envhub-requirements.txt  && rm -rf /tmp/envhub-env\n ---> Running in 14ce72b03419\n\u001b[91mUsing Python 3.11.2 environment at: /srv/venv\n\u001b[0m\u001b[91merror: No solution found when resolving dependencies\n  cause: Because envhub-no-such-package-zz was not found in the package registry and you require envhub-no-such-package-zz==2.0, we can conclude that your requirements are unsatisfiable.\n\u001b[0mRemoving intermediate container 14ce72b03419\n[envhub] build failed: The command '/bin/sh -c uv pip install --python /srv/venv/bin/python --no-cache --link-mode=copy --compile-bytecode -r /tmp/envhub-env/.envhub-requirements.txt  && rm -rf /tmp/envhub-env' returned a non-zero code: 1\n",
    error:
      "The command '/bin/sh -c uv pip install --python /srv/venv/bin/python --no-cache --link-mode=copy --compile-bytecode -r /tmp/envhub-env/.envhub-requirements.txt  && rm -rf /tmp/envhub-env' returned a non-zero code: 1",
    expected:
      'Pipfile: no version of envhub-no-such-package-zz matches ==2.0 on the package index'
  },
  {
    title: 'a setup.py that fails',
    files: { 'setup.py': 'raise SystemExit("envhub setup.py failure")\n' },
    log: "Step 4/12 : RUN uv pip install --python /srv/venv/bin/python --no-cache --link-mode=copy --compile-bytecode /home/jovyan\n ---> Running in 5ea0f09edae5\n\u001b[91mUsing Python 3.11.2 environment at: /srv/venv\u001b[0m\u001b[91m\n\u001b[0m\u001b[91merror\u001b[0m\u001b[91m:\u001b[0m\u001b[91m \u001b[0m\u001b[91mThe build backend returned an error\u001b[0m\u001b[91m\n\u001b[0m\u001b[91m  \u001b[0m\u001b[91mcause\u001b[0m\u001b[91m:\u001b[0m\u001b[91m \u001b[0m\u001b[91mCall to `setuptools.build_meta:__legacy__.get_requires_for_build_wheel` failed (exit status: 1)\u001b[0m\u001b[91m\n\u001b[0m\u001b[91m\n\u001b[0m\u001b[91m         \u001b[0m\u001b[91m[stderr]\u001b[0m\u001b[91m\n\u001b[0m\u001b[91m         \u001b[0m\u001b[91menvhub setup.py failure\u001b[0m\u001b[91m\n\u001b[0mRemoving intermediate container 5ea0f09edae5\n[envhub] build failed: The command '/bin/sh -c uv pip install --python /srv/venv/bin/python --no-cache --link-mode=copy --compile-bytecode /home/jovyan' returned a non-zero code: 1\n",
    error:
      "The command '/bin/sh -c uv pip install --python /srv/venv/bin/python --no-cache --link-mode=copy --compile-bytecode /home/jovyan' returned a non-zero code: 1",
    expected:
      'setup.py: installing the repository as a Python package failed: envhub setup.py failure'
  },
  {
    title: 'apt.txt naming a package Debian does not have',
    files: { 'apt.txt': 'figlet\nenvhub-no-such-deb-zz\n' },
    log: "Step 5/10 : RUN apt-get update  && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends figlet envhub-no-such-deb-zz  && apt-get clean  && rm -rf /var/lib/apt/lists/*\n ---> Running in bd20cc55cf4c\nGet:1 http://deb.debian.org/debian bookworm InRelease [151 kB]\nGet:2 http://deb.debian.org/debian bookworm-updates InRelease [55.4 kB]\nGet:3 http://deb.debian.org/debian-security bookworm-security InRelease [34.8 kB]\nGet:4 http://deb.debian.org/debian bookworm/main amd64 Packages [8790 kB]\nGet:5 http://deb.debian.org/debian bookworm-updates/main amd64 Packages [6924 B]\nGet:6 http://deb.debian.org/debian-security bookworm-security/main amd64 Packages [383 kB]\nFetched 9422 kB in 2s (6209 kB/s)\nReading package lists...\nReading package lists...\nBuilding dependency tree...\nReading state information...\n\u001b[91mE: Unable to locate package envhub-no-such-deb-zz\n\u001b[0mRemoving intermediate container bd20cc55cf4c\n[envhub] build failed: The command '/bin/sh -c apt-get update  && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends figlet envhub-no-such-deb-zz  && apt-get clean  && rm -rf /var/lib/apt/lists/*' returned a non-zero code: 100\n",
    error:
      "The command '/bin/sh -c apt-get update  && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends figlet envhub-no-such-deb-zz  && apt-get clean  && rm -rf /var/lib/apt/lists/*' returned a non-zero code: 100",
    expected: 'apt.txt: no package envhub-no-such-deb-zz in the Debian archive'
  },
  {
    title: 'apt.txt naming a virtual package',
    files: { 'apt.txt': 'mail-transport-agent\n' },
    log: "Step 5/10 : RUN apt-get update  && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends mail-transport-agent  && apt-get clean  && rm -rf /var/lib/apt/lists/*\n ---> Running in 279a0e9f4d1e\nGet:1 http://deb.debian.org/debian bookworm InRelease [151 kB]\nGet:2 http://deb.debian.org/debian bookworm-updates InRelease [55.4 kB]\nGet:3 http://deb.debian.org/debian-security bookworm-security InRelease [34.8 kB]\nGet:4 http://deb.debian.org/debian bookworm/main amd64 Packages [8790 kB]\nGet:5 http://deb.debian.org/debian bookworm-updates/main amd64 Packages [6924 B]\nGet:6 http://deb.debian.org/debian-security bookworm-security/main amd64 Packages [383 kB]\nFetched 9422 kB in 1s (9575 kB/s)\nReading package lists...\nReading package lists...\nBuilding dependency tree...\nReading state information...\nPackage mail-transport-agent is a virtual package provided by:\n  exim4-daemon-light 4.96-15+deb12u11\n  exim4-daemon-heavy 4.96-15+deb12u11\n  ssmtp 2.64-11\n  sendmail-bin 8.17.1.9-2+deb12u2\n  postfix 3.7.11-0+deb12u1\n  opensmtpd 6.8.0p2-4+b4\n  nullmailer 1:2.2-4\n  msmtp-mta 1.8.23-1\n  esmtp-run 1.2-18\n  dma 0.13-1+b1\n  courier-mta 1.0.16-3+b6\n\n\u001b[91mE: Package 'mail-transport-agent' has no installation candidate\n\u001b[0mRemoving intermediate container 279a0e9f4d1e\n[envhub] build failed: The command '/bin/sh -c apt-get update  && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends mail-transport-agent  && apt-get clean  && rm -rf /var/lib/apt/lists/*' returned a non-zero code: 100\n",
    error:
      "The command '/bin/sh -c apt-get update  && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends mail-transport-agent  && apt-get clean  && rm -rf /var/lib/apt/lists/*' returned a non-zero code: 100",
    expected:
      'apt.txt: package mail-transport-agent has no installable version in the Debian archive'
  },
  {
    title: 'a postBuild exiting non-zero',
    files: {
      postBuild: {
        content:
          '#!/bin/bash\necho preparing data\nls /nonexistent-dir\nexit 3\n',
        mode: 0o755
      }
    },
    log: "Step 4/12 : RUN ./postBuild\n ---> Running in 688ff1577321\npreparing data\n\u001b[91mls: \u001b[0m\u001b[91mcannot access '/nonexistent-dir'\u001b[0m\u001b[91m: No such file or directory\u001b[0m\u001b[91m\n\u001b[0mRemoving intermediate container 688ff1577321\n[envhub] build failed: The command '/bin/sh -c ./postBuild' returned a non-zero code: 3\n",
    error: "The command '/bin/sh -c ./postBuild' returned a non-zero code: 3",
    expected:
      "postBuild failed (exit code 3): ls: cannot access '/nonexistent-dir': No such file or directory"
  },
  {
    title: 'a binder/postBuild printing in colour',
    files: {
      'binder/postBuild': { content: '#!/bin/bash\nexit 7\n', mode: 0o755 },
      'binder/requirements.txt': 'six\n'
    },
    log: "Step 4/12 : RUN ./binder/postBuild\n ---> Running in e69aa124af20\n\u001b[91m\u001b[31mred failure\u001b[0m\n\u001b[0mRemoving intermediate container e69aa124af20\n[envhub] build failed: The command '/bin/sh -c ./binder/postBuild' returned a non-zero code: 7\n",
    error:
      "The command '/bin/sh -c ./binder/postBuild' returned a non-zero code: 7",
    expected: 'binder/postBuild failed (exit code 7): red failure'
  },
  {
    title: 'a Dockerfile RUN step failing',
    files: {
      Dockerfile:
        'FROM envhub-base:latest AS base\nRUN echo building && false\n'
    },
    log: "Step 3/9 : RUN echo building && false\n ---> Running in 7679dda349b7\nbuilding\nRemoving intermediate container 7679dda349b7\n[envhub] build failed: The command '/bin/sh -c echo building && false' returned a non-zero code: 1\n",
    error:
      "The command '/bin/sh -c echo building && false' returned a non-zero code: 1",
    expected:
      'Dockerfile: RUN echo building && false failed (exit code 1): building'
  },
  {
    title: 'a postBuild killed at the memory limit',
    files: {
      postBuild: {
        content:
          '#!/bin/bash\necho allocating\npython3 -c "x = bytearray(1024 ** 3)"\n',
        mode: 0o755
      }
    },
    log: 'Step 4/12 : RUN ./postBuild\n ---> Running in 42da9379b121\nallocating\n\u001b[91m./postBuild: line 3:     7 Killed                  python3 -c "x = bytearray(1024 ** 3)"\n\u001b[0mRemoving intermediate container 42da9379b121\n[envhub] build failed: The command \'/bin/sh -c ./postBuild\' returned a non-zero code: 137\n',
    error: "The command '/bin/sh -c ./postBuild' returned a non-zero code: 137",
    expected:
      'postBuild failed (exit code 137: killed, most likely for using more than the memory a build may use): ./postBuild: line 3:     7 Killed                  python3 -c "x = bytearray(1024 ** 3)"'
  }
];

describe('a failed build says the cause first, in words', () => {
  test.each(captured)('$title', async ({ files, log, error, expected }) => {
    const message = describeFailure(
      await planOf(files),
      `[envhub] build pack: …\nStep 1/9 : FROM envhub-base:latest\n ---> 268a6987e0a7\n${log}`,
      error
    );
    expect(message).toBe(expected);
    // eslint-disable-next-line no-control-regex -- no control character may be left
    expect(message).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f\x9b]/);
  });

  test('anything else: the last line the failing step printed', async () => {
    const plan = await planOf({ 'requirements.txt': 'six\n' });
    const log =
      'Step 5/9 : RUN uv pip install -r /tmp/envhub-env/requirements.txt\n ---> Running in 1\n\x1b[91merror: Request failed after 3 retries\n  Caused by: Failed to fetch: `https://pypi.org/simple/six/`\n\x1b[0m';
    expect(
      describeFailure(
        plan,
        log,
        "The command '/bin/sh -c uv pip install -r /tmp/envhub-env/requirements.txt' returned a non-zero code: 2"
      )
    ).toBe(
      'requirements.txt: installing the Python packages failed: Caused by: Failed to fetch: `https://pypi.org/simple/six/`'
    );
    expect(
      describeFailure(
        plan,
        'Step 2/3 : COPY x y\n',
        'COPY failed: file not found in build context'
      )
    ).toBe('the build failed: COPY failed: file not found in build context');
    expect(
      describeFailure(
        undefined,
        '',
        '\x1b]8;;https://evil.example\x07link\x1b]8;;\x07 \x1b[1mbold\x1b[0m'
      )
    ).toBe('the build failed: link bold');
  });

  test("a lock's hashes that the index's files do not match, as uv and pip report it", async () => {
    const plan = await planOf({
      'Pipfile.lock': JSON.stringify({
        default: {
          toolz: { hashes: [`sha256:${'0'.repeat(64)}`], version: '==0.12.1' }
        }
      })
    });
    const command =
      '/bin/sh -c { uv pip install --python /srv/venv/bin/python --no-deps -r /tmp/envhub-env/.envhub-requirements.txt 2>&1; echo $? > /tmp/envhub-uv.status; } | tee /tmp/envhub-uv.log';
    const failure = (output: string) =>
      describeFailure(
        plan,
        `Step 6/6 : RUN ${command.slice(11)}\n ---> Running in 1\n${output}`,
        `The command '${command}' returned a non-zero code: 1`
      );
    // uv 0.13's words (a fresh venv, the hash above).
    expect(
      failure(
        `Using Python 3.11.7 environment at: /srv/venv\nResolved 1 package in 134ms\nerror: Failed to download \`toolz==0.12.1\`\n  cause: Hash mismatch for \`toolz==0.12.1\`\n\n         Expected:\n           sha256:${'0'.repeat(64)}\n\n         Computed:\n           sha256:d22731364c07d72eea0a0ad45bafb2c2937ab6fd38a3507bf55eae8744aa7d85\n`
      )
    ).toBe(
      'Pipfile.lock: the files of toolz==0.12.1 on the package index do not match the pinned hashes: pin the hashes the index serves (for a Pipfile.lock, run `pipenv lock`)'
    );
    expect(
      failure(
        'ERROR: THESE PACKAGES DO NOT MATCH THE HASHES FROM THE REQUIREMENTS FILE. If you have updated the package versions, please update the hashes. Otherwise, examine the package contents carefully; someone may have tampered with them.\n    toolz==0.12.1 from https://files.pythonhosted.org/packages/b7/8a/d82202c9f89eab30f9fc05380daae87d617e2ad11571ab23d7c13a29bb54/toolz-0.12.1-py3-none-any.whl (from -r /tmp/envhub-env/.envhub-requirements.txt (line 2)):\n        Expected sha256 0000000000000000000000000000000000000000000000000000000000000000\n             Got        d22731364c07d72eea0a0ad45bafb2c2937ab6fd38a3507bf55eae8744aa7d85\n'
      )
    ).toMatch(
      /^Pipfile\.lock: the files of toolz==0\.12\.1 on the package index do not match the pinned hashes/
    );
  });

  test("after a Pipfile's fallback to pip, pip's failure is the cause, not uv's refusal", async () => {
    const plan = await planOf({
      'Pipfile.lock': JSON.stringify({
        default: { 'envhub-no-such-package-zz': { version: '==1.1' } }
      })
    });
    const dockerfile = plan.environmentDockerfile!;
    const command = `/bin/sh -c ${dockerfile
      .slice(dockerfile.lastIndexOf('\nRUN ') + 5)
      .replace(/\\\n/g, '')
      .trim()}`;
    const log = [
      `Step 6/6 : RUN ${command.slice(11)}`,
      ' ---> Running in 1',
      'error: No solution found when resolving dependencies',
      '  cause: Because there is no version of python-networkdays==1.1 and you require python-networkdays==1.1, we can conclude that your requirements are unsatisfiable.',
      '[envhub] warning: uv refused a package in Pipfile.lock (see its error above: metadata with a legacy version string, which pip still reads); installing Pipfile.lock with pip instead, as pipenv does',
      'ERROR: Could not find a version that satisfies the requirement envhub-no-such-package-zz==1.1 (from versions: none)',
      'ERROR: No matching distribution found for envhub-no-such-package-zz==1.1',
      ''
    ].join('\n');
    expect(
      describeFailure(
        plan,
        log,
        `The command '${command}' returned a non-zero code: 1`
      )
    ).toBe(
      'Pipfile.lock: no version of envhub-no-such-package-zz matches ==1.1 on the package index'
    );
  });

  test('terminal escapes and progress redraws are removed', () => {
    expect(
      plainText(
        '\x1b[91merror\x1b[0m: \x1b]0;title\x07x\x1b\\\nDownloading 10%\rDownloading 100%\r\n\x9b31mok\x07'
      )
    ).toBe('error: x\nDownloading 100%\nok');
  });
});
