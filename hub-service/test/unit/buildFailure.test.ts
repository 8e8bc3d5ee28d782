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
const captured = [
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

  test('terminal escapes and progress redraws are removed', () => {
    expect(
      plainText(
        '\x1b[91merror\x1b[0m: \x1b]0;title\x07x\x1b\\\nDownloading 10%\rDownloading 100%\r\n\x9b31mok\x07'
      )
    ).toBe('error: x\nDownloading 100%\nok');
  });
});
