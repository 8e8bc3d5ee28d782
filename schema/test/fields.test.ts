import { validateSpec } from '../src/index.js';

const repo = 'https://example.org/a.git';

/** Sets a dotted field in a minimal spec: `resources.memory` → `{ repo, resources: { memory } }`. */
function specWith(field: string, value: unknown): Record<string, unknown> {
  const spec: Record<string, unknown> = { repo };
  const keys = field.split('.');
  let at = spec;
  for (const key of keys.slice(0, -1))
    at = (at[key] ??= {}) as Record<string, unknown>;
  at[keys[keys.length - 1]] = value;
  return spec;
}

const mount = (target: string, source = 'course-data', readOnly?: boolean) => [
  readOnly === undefined ? { target, source } : { target, source, readOnly }
];

// field, value, where the error is reported, what the message says is wrong, a piece of the field's hint
type Invalid = [string, unknown, string, string, string];
const invalid: Invalid[] = [
  [
    'repo',
    'ftp://example.org/a.git',
    'repo',
    'does not have the expected form',
    'as an http(s) URL'
  ],
  [
    'repo',
    'https://user:secret@example.org/a.git',
    'repo',
    'does not have the expected form',
    'without a user name or password'
  ],
  [
    'repo',
    'example.org/a.git',
    'repo',
    'does not have the expected form',
    'http(s) URL'
  ],
  ['repo', 42, 'repo', 'must be string', 'http(s) URL'],
  [
    'ref',
    '--upload-pack=touch /tmp/x',
    'ref',
    'does not have the expected form',
    'A branch, tag or commit'
  ],
  [
    'ref',
    'main branch',
    'ref',
    'does not have the expected form',
    'A branch, tag or commit'
  ],
  [
    'ref',
    '',
    'ref',
    'must NOT have fewer than 1 characters',
    'A branch, tag or commit'
  ],
  [
    'name',
    'UPPER',
    'name',
    'does not have the expected form',
    'starting with a letter'
  ],
  [
    'name',
    '1abc',
    'name',
    'does not have the expected form',
    'starting with a letter'
  ],
  ['name', 'a--b', 'name', 'does not have the expected form', "without '--'"],
  [
    'name',
    'abc-',
    'name',
    'does not have the expected form',
    'ending with a letter or digit'
  ],
  [
    'name',
    'a'.repeat(31),
    'name',
    'must NOT have more than 30 characters',
    '1-30 characters'
  ],
  [
    'displayName',
    'x'.repeat(61),
    'displayName',
    'must NOT have more than 60 characters',
    '1-60 characters'
  ],
  [
    'displayName',
    '',
    'displayName',
    'must NOT have fewer than 1 characters',
    '1-60 characters'
  ],
  [
    'displayName',
    'two\nlines',
    'displayName',
    'does not have the expected form',
    'no line breaks'
  ],
  [
    'urlpath',
    '../etc/passwd',
    'urlpath',
    'does not have the expected form',
    "no '..' segments"
  ],
  [
    'urlpath',
    'lab/tree/../../x',
    'urlpath',
    'does not have the expected form',
    "no '..' segments"
  ],
  [
    'urlpath',
    'lab/tree/%2e%2E/x',
    'urlpath',
    'does not have the expected form',
    "no '..' segments"
  ],
  [
    'urlpath',
    'javascript:alert(1)',
    'urlpath',
    'does not have the expected form',
    'no scheme'
  ],
  [
    'urlpath',
    'https://evil.example/',
    'urlpath',
    'does not have the expected form',
    'no scheme'
  ],
  [
    'urlpath',
    '//evil.example/x',
    'urlpath',
    'does not have the expected form',
    'A path inside the server'
  ],
  [
    'urlpath',
    '/\\evil.example/x',
    'urlpath',
    'does not have the expected form',
    "no '\\'"
  ],
  [
    'urlpath',
    '',
    'urlpath',
    'must NOT have fewer than 1 characters',
    'A path inside the server'
  ],
  [
    'mounts',
    mount('/etc/shadow'),
    'mounts.0.target',
    'does not have the expected form',
    'below /home/jovyan/ or /mnt/'
  ],
  [
    'mounts',
    mount('/home/jovyan'),
    'mounts.0.target',
    'does not have the expected form',
    'below /home/jovyan/ or /mnt/'
  ],
  [
    'mounts',
    mount('/mnt/../etc'),
    'mounts.0.target',
    'does not have the expected form',
    "no '.' or '..' segments"
  ],
  [
    'mounts',
    mount('/mnt/a/..'),
    'mounts.0.target',
    'does not have the expected form',
    "no '.' or '..' segments"
  ],
  [
    'mounts',
    mount('/mnt/./a'),
    'mounts.0.target',
    'does not have the expected form',
    "no '.' or '..' segments"
  ],
  [
    'mounts',
    mount('/mnt/a:b'),
    'mounts.0.target',
    'does not have the expected form',
    "no ':'"
  ],
  // DockerSpawner formats mount paths as Python templates: braces would reach its namespace.
  [
    'mounts',
    mount('/mnt/{username}'),
    'mounts.0.target',
    'does not have the expected form',
    "'{' or '}'"
  ],
  [
    'mounts',
    mount('/mnt/data/'),
    'mounts.0.target',
    'does not have the expected form',
    'no trailing /'
  ],
  [
    'mounts',
    mount('mnt/data'),
    'mounts.0.target',
    'does not have the expected form',
    'An absolute path'
  ],
  [
    'mounts',
    mount('/mnt/data', 'Data'),
    'mounts.0.source',
    'does not have the expected form',
    'lower-case letters'
  ],
  [
    'mounts',
    mount('/mnt/data', '-data'),
    'mounts.0.source',
    'does not have the expected form',
    'starting with a letter or digit'
  ],
  [
    'mounts',
    mount('/mnt/data', 'a'.repeat(64)),
    'mounts.0.source',
    'does not have the expected form',
    '1-63'
  ],
  [
    'mounts',
    mount('/mnt/data', '/var/lib/docker'),
    'mounts.0.source',
    'does not have the expected form',
    'The name of a volume'
  ],
  [
    'mounts',
    mount('/mnt/data', 'data', 'yes' as unknown as boolean),
    'mounts.0.readOnly',
    'must be boolean',
    'read-only'
  ],
  [
    'mounts',
    Array.from({ length: 11 }, (_, i) => ({
      target: `/mnt/m${i}`,
      source: `v${i}`
    })),
    'mounts',
    'must NOT have more than 10 items',
    'at most 10'
  ],
  [
    'mounts',
    { target: '/mnt/a', source: 'a' },
    'mounts',
    'must be array',
    'Volumes to mount'
  ],
  [
    'collaborators.users',
    ['alice/../bob'],
    'collaborators.users.0',
    'does not have the expected form',
    "no '/'"
  ],
  [
    'collaborators.users',
    [''],
    'collaborators.users.0',
    'must NOT have fewer than 1 characters',
    'A Hub user name'
  ],
  [
    'collaborators.users',
    ['x'.repeat(101)],
    'collaborators.users.0',
    'must NOT have more than 100 characters',
    '1-100 characters'
  ],
  [
    'collaborators.users',
    ['bob', 'bob'],
    'collaborators.users',
    'must list each entry once',
    'each listed once'
  ],
  [
    'collaborators.users',
    Array.from({ length: 101 }, (_, i) => `u${i}`),
    'collaborators.users',
    'must NOT have more than 100 items',
    'at most 100'
  ],
  [
    'collaborators.users',
    'bob',
    'collaborators.users',
    'must be array',
    'Hub user names'
  ],
  [
    'collaborators.groups',
    ['a/b'],
    'collaborators.groups.0',
    'does not have the expected form',
    'A Hub group name'
  ],
  [
    'collaborators.groups',
    Array.from({ length: 101 }, (_, i) => `g${i}`),
    'collaborators.groups',
    'must NOT have more than 100 items',
    'at most 100'
  ],
  [
    'public',
    'yes',
    'public',
    'must be boolean',
    'people who are not signed in'
  ],
  ...[1, 'yes', 'ENV', null, 'true'].map((value): Invalid => [
    'credentials',
    value,
    'credentials',
    'must be false, true or "env"',
    'pass your credentials'
  ]),
  [
    'resources.memory',
    '2GB',
    'resources.memory',
    'does not have the expected form',
    'e.g. 512M or 2G'
  ],
  [
    'resources.memory',
    '512',
    'resources.memory',
    'does not have the expected form',
    'followed by M for megabytes or G'
  ],
  [
    'resources.memory',
    '0M',
    'resources.memory',
    'does not have the expected form',
    'Memory limit'
  ],
  ['resources.memory', 2, 'resources.memory', 'must be string', 'Memory limit'],
  [
    'resources.cpus',
    0,
    'resources.cpus',
    'must be > 0',
    'more than 0 and at most 64'
  ],
  [
    'resources.cpus',
    -1,
    'resources.cpus',
    'must be > 0',
    'more than 0 and at most 64'
  ],
  [
    'resources.cpus',
    65,
    'resources.cpus',
    'must be <= 64',
    'more than 0 and at most 64'
  ],
  [
    'resources.cpus',
    0.125,
    'resources.cpus',
    'must be multiple of 0.01',
    'in steps of 0.01'
  ],
  ['resources.cpus', '2', 'resources.cpus', 'must be number', 'Number of CPUs'],
  [
    'resources.idleTimeout',
    59,
    'resources.idleTimeout',
    'must be >= 60',
    'at least 60'
  ],
  [
    'resources.idleTimeout',
    90.5,
    'resources.idleTimeout',
    'must be integer',
    'a whole number'
  ],
  ['resources.maxAge', 30, 'resources.maxAge', 'must be >= 60', 'at least 60'],
  [
    'resources.maxAge',
    '1d',
    'resources.maxAge',
    'must be integer',
    'Seconds after its start'
  ]
];

describe.each(invalid)('%s = %j', (field, value, reportedAs, wrong, hint) => {
  it(`is refused as ${reportedAs}: ${wrong}, with the hint`, () => {
    const result = validateSpec(specWith(field, value));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toHaveLength(1);
    const [error] = result.errors;
    expect(error.field).toBe(reportedAs);
    expect(error.message.startsWith(`${reportedAs} `)).toBe(true);
    expect(error.message).toContain(wrong);
    expect(error.message).toContain(hint);
  });
});

const valid: Array<[string, unknown]> = [
  ['repo', 'http://127.0.0.1:8080/r.git'],
  ['repo', 'https://forge.example.org/group/sub/project'],
  ['ref', 'feature/x'],
  ['ref', '0123456789abcdef0123456789abcdef01234567'],
  ['name', 'a'],
  ['name', 'climate-2024'],
  ['name', 'a'.repeat(30)],
  ['displayName', 'Climat : cours n° 3, semaine 2 — 気候'],
  ['displayName', 'x'.repeat(60)],
  ['urlpath', 'lab/tree/index.ipynb'],
  ['urlpath', '/lab/tree/notebooks/Week 1.ipynb'],
  ['urlpath', 'rstudio'],
  ['urlpath', 'voila/render/a.ipynb?voila-theme=dark'],
  ['urlpath', 'lab/tree/a...b/.hidden/x'],
  ['mounts', mount('/mnt/data')],
  ['mounts', mount('/home/jovyan/shared/course data', 'course_2024.v1', true)],
  [
    'mounts',
    Array.from({ length: 10 }, (_, i) => ({
      target: `/mnt/m${i}`,
      source: `v${i}`
    }))
  ],
  ['collaborators.users', ['alice', 'bob@example.org', 'Émile Zola']],
  ['collaborators.groups', ['course-2024']],
  ['public', true],
  ['credentials', false],
  ['credentials', true],
  ['credentials', 'env'],
  ['resources.memory', '512M'],
  ['resources.memory', '1.5G'],
  ['resources.cpus', 0.01],
  ['resources.cpus', 0.29],
  ['resources.cpus', 64],
  ['resources.idleTimeout', 60],
  ['resources.maxAge', 86400]
];

describe.each(valid)('%s = %j', (field, value) => {
  it('is accepted as given', () => {
    const result = validateSpec(specWith(field, value));
    expect(result).toMatchObject({ ok: true, spec: specWith(field, value) });
  });
});

describe('defaults', () => {
  it('fills readOnly in each mount and the other collaborator list', () => {
    const result = validateSpec({
      repo,
      mounts: [{ source: 'a', target: '/mnt/a' }],
      collaborators: { users: ['bob'] }
    });
    expect(result.ok && result.spec.mounts).toEqual([
      { source: 'a', target: '/mnt/a', readOnly: false }
    ]);
    expect(result.ok && result.spec.collaborators).toEqual({
      users: ['bob'],
      groups: []
    });
  });

  it('leaves resources for the service to fill from its admin defaults', () => {
    const result = validateSpec({ repo, resources: { memory: '1G' } });
    expect(result.ok && result.spec.resources).toEqual({ memory: '1G' });
  });
});
