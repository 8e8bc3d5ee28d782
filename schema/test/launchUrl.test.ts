import {
  choicesOf,
  launchParameterNames,
  launchParameters,
  launchPath,
  launchQuery,
  parseLaunch,
  specDiff,
  specFromLaunch,
  validateSpec,
  type EnvironmentSpec
} from '../src/index.js';

const repo = 'https://example.org/group/a.git';

const full: EnvironmentSpec = {
  repo: 'http://127.0.0.1:8080/r.git?x=1&y=%41',
  ref: 'release/2.0',
  name: 'course',
  displayName: 'Climat : cours n° 3 & co + 50%',
  urlpath: 'lab/tree/Week 1/intro #1.ipynb',
  materials: [
    {
      repo: 'https://forge.example.org/course/materials.git',
      ref: 'main',
      path: 'week 1/notes'
    },
    { repo: 'https://example.org/m?x=1&y=2#frag', path: 'Émile' }
  ],
  mounts: [
    { source: 'course-data', target: '/mnt/data', readOnly: true },
    { source: 'scratch', target: '/home/jovyan/scratch space' }
  ],
  collaborators: {
    users: ['bob@example.org', 'Émile Zola'],
    groups: ['ta', 'course-2024']
  },
  public: true,
  credentials: true,
  resources: { memory: '1.5G', cpus: 0.29, idleTimeout: 3600, maxAge: 86400 }
};

const roundTripSpecs: Array<[string, EnvironmentSpec]> = [
  ['a minimal spec', { repo }],
  [
    'a spec with its defaults written out',
    {
      repo,
      ref: 'HEAD',
      mounts: [],
      collaborators: { users: [], groups: [] },
      public: false,
      resources: {}
    }
  ],
  ['a spec using every field', full],
  ['only resources', { repo, ref: 'v1', resources: { cpus: 64, maxAge: 60 } }],
  ['only collaborators groups', { repo, collaborators: { groups: ['g'] } }],
  [
    'a commit ref and a urlpath with a query',
    {
      repo,
      ref: '0123456789abcdef',
      urlpath: '/voila/render/a.ipynb?theme=dark'
    }
  ],
  [
    'a writable mount spelled out',
    { repo, mounts: [{ source: 'v', target: '/mnt/v', readOnly: false }] }
  ],
  ['credentials as environment variables too', { repo, credentials: 'env' }]
];

describe('launchPath and parseLaunch', () => {
  it.each(roundTripSpecs)('give back %s with its defaults', (_, spec) => {
    const expected = validateSpec(spec);
    expect(expected.ok).toBe(true);
    expect(parseLaunch(launchPath(spec))).toEqual(expected);
  });

  it.each(roundTripSpecs)(
    'give back %s when the query comes as a parsed object',
    (_, spec) => {
      const [path, search = ''] = launchPath(spec).split('?');
      const query: Record<string, string | string[]> = {};
      for (const [key, value] of new URLSearchParams(search)) {
        const seen = query[key];
        query[key] =
          seen === undefined
            ? value
            : [...(Array.isArray(seen) ? seen : [seen]), value];
      }
      expect(parseLaunch(`/${path}`, query)).toEqual(validateSpec(spec));
    }
  );

  it('writes a minimal spec as a plain Binder git URL', () => {
    expect(launchPath({ repo })).toBe(
      'v2/git/https%3A%2F%2Fexample.org%2Fgroup%2Fa.git/HEAD'
    );
  });

  it('is canonical: defaults written out or left out, key order, give the same URL', () => {
    const a: EnvironmentSpec = {
      repo,
      resources: { memory: '2G', cpus: 1 },
      name: 'x',
      public: false
    };
    const b: EnvironmentSpec = {
      name: 'x',
      ref: 'HEAD',
      resources: { cpus: 1, memory: '2G' },
      repo,
      mounts: [],
      credentials: false
    };
    expect(launchPath(a)).toBe(launchPath(b));
    expect(launchPath(a)).toBe(
      `${launchPath({ repo })}?name=x&memory=2G&cpus=1`
    );
  });

  it('carries every field in schema order, readable, with repeated parameters for lists', () => {
    expect(launchPath(full)).toBe(
      'v2/git/http%3A%2F%2F127.0.0.1%3A8080%2Fr.git%3Fx%3D1%26y%3D%2541/release/2.0' +
        '?name=course&displayName=Climat%20:%20cours%20n%C2%B0%203%20%26%20co%20%2B%2050%25' +
        '&urlpath=lab/tree/Week%201/intro%20%231.ipynb' +
        '&materials=https://forge.example.org/course/materials.git%23ref%3Dmain%26path%3Dweek%201/notes' +
        '&materials=https://example.org/m%3Fx%3D1%26y%3D2%23frag%23path%3D%C3%89mile' +
        '&mount=course-data:/mnt/data:ro&mount=scratch:/home/jovyan/scratch%20space' +
        '&user=bob%40example.org&user=%C3%89mile%20Zola&group=ta&group=course-2024' +
        '&public=1&credentials=1&memory=1.5G&cpus=0.29&idleTimeout=3600&maxAge=86400'
    );
  });

  it('accepts BinderHub shorthand providers and a missing v2/ prefix', () => {
    expect(
      parseLaunch('gh/binder-examples/requirements/main?name=req')
    ).toMatchObject({
      ok: true,
      spec: {
        repo: 'https://github.com/binder-examples/requirements',
        ref: 'main',
        name: 'req'
      }
    });
    expect(parseLaunch('/v2/gist/alice/abc123')).toMatchObject({
      ok: true,
      spec: { repo: 'https://gist.github.com/alice/abc123.git', ref: 'HEAD' }
    });
  });
});

describe('launchQuery', () => {
  it('leaves out repo, ref, defaults and empty lists', () => {
    const query = launchQuery({
      repo,
      ref: 'main',
      mounts: [],
      collaborators: { users: [] },
      public: false,
      credentials: false,
      resources: {}
    });
    expect(query.toString()).toBe('');
  });

  it('names the parameters after the schema, flattening nested fields', () => {
    expect([...launchQuery(full).keys()]).toEqual([
      'name',
      'displayName',
      'urlpath',
      'materials',
      'materials',
      'mount',
      'mount',
      'user',
      'user',
      'group',
      'group',
      'public',
      'credentials',
      'memory',
      'cpus',
      'idleTimeout',
      'maxAge'
    ]);
    expect(launchParameterNames).toEqual([
      'name',
      'displayName',
      'urlpath',
      'materials',
      'class',
      'mount',
      'user',
      'group',
      'public',
      'credentials',
      'memory',
      'cpus',
      'idleTimeout',
      'maxAge',
      'labpath',
      'filepath'
    ]);
  });
});

describe('launchParameters', () => {
  it('gives each parameter its field and the schema node forms render from', () => {
    const byName = Object.fromEntries(launchParameters.map(p => [p.name, p]));
    expect(launchParameters.map(p => p.name)).toEqual(
      launchParameterNames.filter(n => n !== 'labpath' && n !== 'filepath')
    );
    expect(byName.memory.path).toEqual(['resources', 'memory']);
    expect(byName.memory.node).toMatchObject({
      type: 'string',
      title: 'Memory',
      description: expect.stringContaining('512M')
    });
    expect(byName.user.path).toEqual(['collaborators', 'users']);
    expect(byName.user.node.type).toBe('array');
    expect(byName.public.node).toMatchObject({
      type: 'boolean',
      default: false
    });
    expect(choicesOf(byName.credentials.node)).toEqual([
      expect.objectContaining({ const: false, title: 'No' }),
      expect.objectContaining({ const: true, title: 'As a file' }),
      expect.objectContaining({
        const: 'env',
        title: 'As a file and environment variables'
      })
    ]);
    expect(choicesOf(byName.public.node)).toBeNull();
  });
});

describe('credentials', () => {
  it.each([
    [false, ''],
    [true, 'credentials=1'],
    ['env', 'credentials=env']
  ])('%j is written "%s" and read back', (credentials, written) => {
    const spec: EnvironmentSpec = { repo, credentials };
    expect(launchQuery(spec).toString()).toBe(written);
    expect(parseLaunch(launchPath(spec))).toMatchObject({
      ok: true,
      spec: { credentials }
    });
  });

  it.each([
    ['0', false],
    ['false', false],
    ['1', true],
    ['true', true],
    ['env', 'env']
  ])('credentials=%s is read as %j', (text, credentials) => {
    expect(
      parseLaunch(`git/${encodeURIComponent(repo)}/HEAD`, { credentials: text })
    ).toMatchObject({
      ok: true,
      spec: { credentials }
    });
  });
});

describe('Binder launch parameters', () => {
  const binder = 'gh/org/repo/main';

  it.each([
    ['labpath', 'notebooks/a.ipynb', 'lab/tree/notebooks/a.ipynb'],
    ['labpath', '/notebooks/a.ipynb', 'lab/tree/notebooks/a.ipynb'],
    ['filepath', 'index.ipynb', 'lab/tree/index.ipynb'],
    ['urlpath', 'tree/index.ipynb', 'tree/index.ipynb'],
    ['urlpath', '/rstudio', '/rstudio']
  ])('%s=%s opens %s', (key, value, urlpath) => {
    expect(parseLaunch(binder, { [key]: value })).toMatchObject({
      ok: true,
      spec: { urlpath }
    });
  });

  it('treats an empty urlpath as none, as Binder does', () => {
    const result = parseLaunch(`${binder}?urlpath=`);
    expect(result.ok && result.spec.urlpath).toBeUndefined();
  });

  it('refuses a labpath that climbs out of the tree, reporting it as urlpath', () => {
    const result = parseLaunch(binder, { labpath: '../../etc/passwd' });
    expect(result).toEqual({
      ok: false,
      errors: [
        {
          field: 'urlpath',
          message: expect.stringContaining("no '..' segments")
        }
      ]
    });
  });

  it('refuses more than one way of saying which file to open', () => {
    const result = parseLaunch(`${binder}?urlpath=lab&filepath=a.ipynb`);
    expect(result).toEqual({
      ok: false,
      errors: [
        {
          field: 'urlpath',
          message:
            'give only one of urlpath, labpath and filepath (got urlpath, filepath)'
        }
      ]
    });
  });

  it("ignores BinderHub's own build_only and _xsrf", () => {
    expect(
      parseLaunch(`${binder}?build_only=true&_xsrf=abc&name=x`)
    ).toMatchObject({ ok: true, spec: { name: 'x' } });
  });

  it.each(['toString', 'constructor', '__proto__'])(
    'treats %s as an unknown parameter, not as an object key',
    key => {
      const result = parseLaunch(`${binder}?${key}=x`);
      expect(result).toEqual({
        ok: false,
        errors: [
          {
            field: key,
            message: expect.stringContaining(
              `unknown launch parameter "${key}"`
            )
          }
        ]
      });
    }
  );

  it('refuses unknown parameters, listing the known ones', () => {
    const result = parseLaunch(`${binder}?image=evil:latest&repo=https://x`);
    const known =
      'known: name, displayName, urlpath, materials, class, mount, user, group, public, credentials, memory, cpus, idleTimeout, maxAge, labpath, filepath';
    expect(result).toEqual({
      ok: false,
      errors: [
        {
          field: 'image',
          message: `unknown launch parameter "image"; ${known}`
        },
        { field: 'repo', message: `unknown launch parameter "repo"; ${known}` }
      ]
    });
  });
});

describe('specFromLaunch', () => {
  it('parses numbers, booleans, lists and mounts into a candidate', () => {
    const query = new URLSearchParams(
      'cpus=0.5&idleTimeout=3600&public=true&credentials=0&user=a&user=b&mount=v:/mnt/v:ro&mount=w:/mnt/w:rw&mount=x:/mnt/x'
    );
    expect(
      specFromLaunch('git/https%3A%2F%2Fexample.org%2Fa.git/main', query)
    ).toEqual({
      candidate: {
        repo: 'https://example.org/a.git',
        ref: 'main',
        resources: { cpus: 0.5, idleTimeout: 3600 },
        public: true,
        credentials: false,
        collaborators: { users: ['a', 'b'] },
        mounts: [
          { source: 'v', target: '/mnt/v', readOnly: true },
          { source: 'w', target: '/mnt/w', readOnly: false },
          { source: 'x', target: '/mnt/x' }
        ]
      },
      errors: []
    });
  });

  it.each([
    [
      'cpus=two',
      'resources.cpus',
      'launch parameter cpus="two" is not a number (Number of CPUs'
    ],
    ['cpus=', 'resources.cpus', 'launch parameter cpus="" is not a number'],
    [
      'idleTimeout=1h',
      'resources.idleTimeout',
      'launch parameter idleTimeout="1h" is not a number (Seconds without activity'
    ],
    [
      'maxAge=0x10',
      'resources.maxAge',
      'launch parameter maxAge="0x10" is not a number'
    ],
    [
      'public=yes',
      'public',
      'launch parameter public="yes" must be 1 or 0 (true to give people'
    ],
    [
      'credentials=constructor',
      'credentials',
      'launch parameter credentials="constructor" must be 0, 1 or env (true to pass your credentials'
    ],
    [
      'credentials=ENV',
      'credentials',
      'launch parameter credentials="ENV" must be 0, 1 or env'
    ],
    [
      'name=a&name=b',
      'name',
      'launch parameter "name" is given 2 times; give it once'
    ],
    [
      'mount=data',
      'mounts.0',
      'launch parameter mount="data" must be volume:path or volume:path:ro'
    ],
    [
      'mount=v:/mnt/v&mount=data:/mnt/d:rx',
      'mounts.1',
      'launch parameter mount="data:/mnt/d:rx" must be volume:path or volume:path:ro'
    ]
  ])(
    'reports %s as a field error, not an exception',
    (search, field, message) => {
      const { errors } = specFromLaunch(
        'gh/org/repo/main',
        new URLSearchParams(search)
      );
      expect(errors).toEqual([
        { field, message: expect.stringContaining(message) }
      ]);
    }
  );

  it('reports a bad provider path as a repo error', () => {
    const { errors } = specFromLaunch('svn/x/y', {});
    expect(errors).toEqual([
      {
        field: 'repo',
        message: 'unknown provider "svn"; envhub supports: git, gh, gl, gist'
      }
    ]);
  });
});

describe('parseLaunch errors', () => {
  it('reports a field once, from the URL if the URL was wrong, then the schema errors', () => {
    const result = parseLaunch(
      'v2/gh/org/repo/main?cpus=lots&memory=2GB&mount=bad&mount=v:/etc:ro&user=a/b'
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.map(e => e.field)).toEqual([
      'resources.cpus',
      'mounts.0',
      'mounts.1.target',
      'collaborators.users.0',
      'resources.memory'
    ]);
  });

  it('does not add "repo is required" to a bad provider', () => {
    const result = parseLaunch('v2/nope/x?memory=1G');
    expect(result).toEqual({
      ok: false,
      errors: [
        {
          field: 'repo',
          message: expect.stringContaining('unknown provider "nope"')
        }
      ]
    });
  });

  it('validates numbers after parsing them', () => {
    const result = parseLaunch('v2/gh/org/repo/main?idleTimeout=90.5&cpus=-1');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toEqual([
      {
        field: 'resources.cpus',
        message: expect.stringContaining('resources.cpus must be > 0')
      },
      {
        field: 'resources.idleTimeout',
        message: expect.stringContaining(
          'resources.idleTimeout must be integer'
        )
      }
    ]);
  });

  it('refuses duplicate mount targets from a URL', () => {
    const result = parseLaunch(
      'v2/gh/org/repo/main?mount=a:/mnt/x&mount=b:/mnt/x:ro'
    );
    expect(result).toEqual({
      ok: false,
      errors: [
        {
          field: 'mounts.1.target',
          message: expect.stringContaining('already the target of mounts.0')
        }
      ]
    });
  });
});

describe('specDiff', () => {
  it('finds nothing between a spec and itself with defaults written out', () => {
    const withDefaults = validateSpec(full);
    expect(withDefaults.ok).toBe(true);
    if (withDefaults.ok) expect(specDiff(full, withDefaults.spec)).toEqual([]);
    expect(
      specDiff(
        { repo },
        { repo, ref: 'HEAD', public: false, collaborators: {}, resources: {} }
      )
    ).toEqual([]);
  });

  it('names nested fields with dots, in schema order, with undefined for a field left out', () => {
    const a: EnvironmentSpec = {
      repo,
      resources: { memory: '1G', cpus: 1 },
      collaborators: { users: ['bob'] }
    };
    const b: EnvironmentSpec = {
      repo,
      ref: 'main',
      resources: { cpus: 2, maxAge: 600 },
      collaborators: { users: ['bob'], groups: ['ta'] },
      public: true
    };
    expect(specDiff(a, b)).toEqual([
      { field: 'ref', from: 'HEAD', to: 'main' },
      { field: 'collaborators.groups', from: [], to: ['ta'] },
      { field: 'public', from: false, to: true },
      { field: 'resources.memory', from: '1G', to: undefined },
      { field: 'resources.cpus', from: 1, to: 2 },
      { field: 'resources.maxAge', from: undefined, to: 600 }
    ]);
  });

  it('compares lists as wholes, including order and readOnly defaults', () => {
    const one = { source: 'a', target: '/mnt/a' };
    const two = { source: 'b', target: '/mnt/b' };
    expect(
      specDiff(
        { repo, mounts: [one, two] },
        { repo, mounts: [{ ...one, readOnly: false }, two] }
      )
    ).toEqual([]);
    expect(
      specDiff({ repo, mounts: [one, two] }, { repo, mounts: [two, one] })
    ).toEqual([
      {
        field: 'mounts',
        from: [
          { ...one, readOnly: false },
          { ...two, readOnly: false }
        ],
        to: [
          { ...two, readOnly: false },
          { ...one, readOnly: false }
        ]
      }
    ]);
    expect(
      specDiff(
        { repo, mounts: [one] },
        { repo, mounts: [{ ...one, readOnly: true }] }
      ).map(d => d.field)
    ).toEqual(['mounts']);
    expect(
      specDiff(
        { repo, collaborators: { users: ['a', 'b'] } },
        { repo, collaborators: { users: ['a'] } }
      )
    ).toEqual([{ field: 'collaborators.users', from: ['a', 'b'], to: ['a'] }]);
  });

  it('does not change the specs it compares', () => {
    const a: EnvironmentSpec = { repo };
    specDiff(a, { repo, name: 'x' });
    expect(a).toEqual({ repo });
  });
});
