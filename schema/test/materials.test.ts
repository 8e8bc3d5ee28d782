import {
  decodeMaterial,
  encodeMaterial,
  environmentSchema,
  gitPullPath,
  launchPath,
  materialPath,
  materialPathProblem,
  parseLaunch,
  readGitPull,
  repositoryName,
  specDiff,
  specFromLaunch,
  validateSpec,
  type EnvironmentSpec,
  type Material
} from '../src/index.js';

const repo = 'https://example.org/env.git';
const materials = 'https://forge.example.org/course/materials.git';

/** nbgitpuller's Binder link, as docs/_static/link_gen/link.js (generateBinderUrl) writes it. */
function generateBinderUrl(
  hubUrl: string,
  userName: string,
  repoName: string,
  branch: string,
  urlPath: string,
  contentRepoUrl: string,
  contentRepoBranch: string,
  targetPath: string
): string {
  const url = new URL(hubUrl);
  const nextUrlParams = new URLSearchParams();
  nextUrlParams.append('repo', contentRepoUrl);
  if (urlPath) nextUrlParams.append('urlpath', urlPath);
  if (contentRepoBranch) nextUrlParams.append('branch', contentRepoBranch);
  if (targetPath) nextUrlParams.append('targetPath', targetPath);
  url.pathname = `/v2/gh/${userName}/${repoName}/${branch}`;
  url.searchParams.append('urlpath', `git-pull?${nextUrlParams}`);
  return url.toString();
}

/** A link's `v2/…` path and query, as the service reads it below its prefix. */
const launchOf = (link: string) => {
  const url = new URL(link);
  return `${url.pathname.replace(/^.*?\/v2\//, 'v2/')}${url.search}`;
};

const valid = (spec: EnvironmentSpec) => {
  const result = validateSpec(spec);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.spec;
};

const withMaterials = (...list: Material[]): EnvironmentSpec => ({
  repo,
  materials: list
});

describe('the materials field', () => {
  it('is optional, defaults to none, and takes a repository alone', () => {
    expect(valid({ repo }).materials).toEqual([]);
    expect(valid(withMaterials({ repo: materials })).materials).toEqual([
      { repo: materials }
    ]);
  });

  it.each([
    ['a branch and a folder', { repo: materials, ref: 'main', path: 'week1' }],
    ['a nested folder with spaces', { repo: materials, path: 'course/week 1' }],
    ['a folder in any language', { repo: materials, path: 'Cours n° 3/été' }],
    ['a folder of 255 characters', { repo: materials, path: 'a'.repeat(255) }],
    ['a branch with slashes', { repo: materials, ref: 'release/2026' }],
    ['dots inside a name', { repo: materials, path: 'week.1/a..b' }]
  ])('accepts %s', (_, material) => {
    expect(validateSpec(withMaterials(material)).ok).toBe(true);
  });

  // The rules nbgitpuller does not check (its issue #330): every folder stays inside the home.
  it.each([
    ['/etc', 'is absolute'],
    ['/home/jovyan/week1', 'is absolute'],
    ['../x', "climbs out of the home with '..'"],
    ['a/../../b', "climbs out of the home with '..'"],
    ['..', "climbs out of the home with '..'"],
    ['.', "starts with '.'"],
    ['.ssh', "starts with '.'"],
    ['a/.git', "starts with '.'"],
    ['.ipython/profile_default/startup', "starts with '.'"],
    ['a//b', 'has an empty part'],
    ['a/', 'has an empty part'],
    ['a\\b', "contains '\\', '{' or '}'"],
    ['..\\..\\etc', "contains '\\', '{' or '}'"],
    ['{home}', "contains '\\', '{' or '}'"],
    ['x/{username}', "contains '\\', '{' or '}'"],
    ['a\u0000b', 'contains a control character'],
    ['week\n1', 'contains a control character'],
    ['a'.repeat(300), 'has 300 characters, more than 255'],
    ['', 'is empty']
  ])('refuses the folder %j: it %s', (path, why) => {
    const result = validateSpec(withMaterials({ repo: materials, path }));
    expect(result).toEqual({
      ok: false,
      errors: [
        {
          field: 'materials.0.path',
          message: expect.stringContaining(why)
        }
      ]
    });
    if (!result.ok) {
      expect(result.errors[0].message).toMatch(/^materials\.0\.path /);
      // The hint says what a valid folder looks like.
      expect(result.errors[0].message).toContain('relative to the home');
    }
  });

  it('refuses a repository whose name, the folder it defaults to, is not a folder envhub allows', () => {
    expect(
      validateSpec(withMaterials({ repo: 'https://example.org/x/.profile' }))
    ).toEqual({
      ok: false,
      errors: [
        {
          field: 'materials.0.path',
          message: expect.stringContaining(
            `is left out, and the repository's name ".profile", which it defaults to, has a part that starts with '.'`
          )
        }
      ]
    });
  });

  it.each([
    [
      'the same folder given twice',
      [
        { repo: materials, path: 'week1' },
        { repo: 'https://example.org/other.git', path: 'week1' }
      ],
      '"week1" is the folder of materials.0 ("week1")'
    ],
    [
      'two repositories of one name, each in the folder it defaults to',
      [{ repo: materials }, { repo: 'https://example.org/x/materials' }],
      '"materials" is the folder of materials.0 ("materials")'
    ],
    [
      'a folder inside another',
      [
        { repo: materials, path: 'course' },
        { repo: 'https://example.org/b.git', path: 'course/week1' }
      ],
      '"course/week1" is inside the folder of materials.0 ("course")'
    ],
    [
      'a folder around another',
      [
        { repo: materials, path: 'course/week1' },
        { repo: 'https://example.org/b.git', path: 'course' }
      ],
      '"course" contains the folder of materials.0 ("course/week1")'
    ]
  ])('refuses %s', (_, list, message) => {
    expect(validateSpec(withMaterials(...list))).toEqual({
      ok: false,
      errors: [
        {
          field: 'materials.1.path',
          message: expect.stringContaining(message)
        }
      ]
    });
  });

  it('checks the folders after an entry it refused', () => {
    expect(
      validateSpec(
        withMaterials(
          { repo: materials, path: '../x' },
          { repo: materials, path: 'undefined/x' },
          { repo: 'https://example.org/a.git', path: 'undefined' }
        )
      )
    ).toMatchObject({
      ok: false,
      errors: [
        { field: 'materials.0.path' },
        {
          field: 'materials.2.path',
          message: expect.stringContaining(
            '"undefined" contains the folder of materials.1'
          )
        }
      ]
    });
  });

  it('accepts folders that only share the start of a name', () => {
    expect(
      validateSpec(
        withMaterials(
          { repo: materials, path: 'week1' },
          { repo: materials, path: 'week10' },
          { repo: materials, path: 'week1-solutions' }
        )
      ).ok
    ).toBe(true);
  });

  it.each([
    ['/home/jovyan/data', 'data', 'is'],
    ['/home/jovyan/course', 'course/week1', 'is inside'],
    ['/home/jovyan/course/data', 'course', 'contains']
  ])(
    'refuses pulling where a volume is mounted (%s, folder %s)',
    (target, path, relation) => {
      expect(
        validateSpec({
          repo,
          materials: [{ repo: materials, path }],
          mounts: [{ source: 'class', target, readOnly: true }]
        })
      ).toEqual({
        ok: false,
        errors: [
          {
            field: 'materials.0.path',
            message: expect.stringContaining(
              `"${path}" ${relation} where mounts.0 mounts volume class (${target})`
            )
          }
        ]
      });
    }
  );

  it('accepts a class volume mounted beside the materials', () => {
    expect(
      validateSpec({
        repo,
        materials: [{ repo: materials }],
        mounts: [
          { source: 'class', target: '/home/jovyan/class', readOnly: true },
          { source: 'data', target: '/mnt/materials' }
        ]
      }).ok
    ).toBe(true);
  });

  it.each([
    ['repo', { repo: 'ftp://example.org/m.git' }, 'materials.0.repo'],
    [
      'repo',
      { repo: 'https://user:secret@example.org/m.git' },
      'materials.0.repo'
    ],
    ['repo', { repo: 'file:///etc' }, 'materials.0.repo'],
    [
      'ref',
      { repo: materials, ref: '--upload-pack=touch /tmp/x' },
      'materials.0.ref'
    ],
    ['ref', { repo: materials, ref: 'a b' }, 'materials.0.ref'],
    ['ref', { repo: materials, ref: '' }, 'materials.0.ref']
  ])('refuses a bad %s with the field named', (_, material, field) => {
    const result = validateSpec(withMaterials(material as Material));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors.map(e => e.field)).toEqual([field]);
  });

  it('refuses unknown fields in an entry and more than 10 entries', () => {
    expect(
      validateSpec(
        withMaterials({ repo: materials, depth: 1 } as unknown as Material)
      )
    ).toMatchObject({
      ok: false,
      errors: [{ field: 'materials.0.depth' }]
    });
    const eleven = Array.from({ length: 11 }, (_, i) => ({
      repo: materials,
      path: `week${i}`
    }));
    expect(validateSpec(withMaterials(...eleven))).toMatchObject({
      ok: false,
      errors: [{ field: 'materials', message: expect.stringContaining('10') }]
    });
  });

  it('gives repo and ref the same rules as the environment repository and ref', () => {
    const { properties } = environmentSchema;
    const item = properties.materials.items.properties;
    for (const key of ['pattern', 'minLength', 'maxLength'] as const) {
      expect(item.repo[key]).toEqual(properties.repo[key]);
      expect(item.ref[key]).toEqual(properties.ref[key]);
    }
  });

  // The pattern keeps non-JavaScript readers of the schema (OpenAPI clients) to the same rules.
  it('has a folder pattern that agrees with materialPathProblem', () => {
    const pattern = new RegExp(
      environmentSchema.properties.materials.items.properties.path.pattern,
      'u'
    );
    const corpus = [
      'week1',
      'a/b/c',
      'Week 1',
      'é/ü',
      'a.b',
      'a..',
      '~',
      'x~/y',
      '/etc',
      '../x',
      'a/..',
      '.',
      '.ssh',
      'a/.git',
      'a//b',
      'a/',
      '/',
      'a\\b',
      '{x}',
      'a}',
      'a\u0000',
      'a\u007f',
      '\u001fa'
    ];
    for (const path of corpus)
      expect([path, pattern.test(path)]).toEqual([
        path,
        materialPathProblem(path) === null
      ]);
  });

  it('refuses a urlpath that opens nbgitpuller itself, which would pull unchecked', () => {
    for (const urlpath of [
      'git-pull?repo=https://example.org/m.git&targetPath=.ipython',
      '/git-pull/api?repo=x',
      'git-sync?repo=x',
      'interact?repo=x',
      'git%2Dpull?repo=x',
      './git-pull?repo=x',
      '%2E/git-pull?repo=x',
      'git-pull#x'
    ]) {
      expect(validateSpec({ repo, urlpath })).toEqual({
        ok: false,
        errors: [
          {
            field: 'urlpath',
            message: expect.stringContaining('give the repository as materials')
          }
        ]
      });
    }
    expect(validateSpec({ repo, urlpath: 'lab/tree/git-pull.ipynb' }).ok).toBe(
      true
    );
  });
});

describe('materialPath and repositoryName', () => {
  it.each([
    ['https://forge.example.org/course/materials.git', 'materials'],
    ['https://forge.example.org/course/materials', 'materials'],
    ['https://forge.example.org/course/materials.git/', 'materials'],
    ['https://forge.example.org/course/materials.bundle', 'materials'],
    ['https://forge.example.org/git.gitx', 'git.gitx'],
    ['https://forge.example.org/', 'forge.example.org']
  ])('names the folder of %s %j, as git clone does', (url, name) => {
    expect(repositoryName(url)).toBe(name);
    expect(materialPath({ repo: url })).toBe(name);
  });

  it('takes a given path first', () => {
    expect(materialPath({ repo: materials, path: 'week1' })).toBe('week1');
  });
});

describe('encodeMaterial and decodeMaterial', () => {
  it.each([
    [{ repo: materials }, materials],
    [{ repo: materials, ref: 'main' }, `${materials}#ref=main`],
    [{ repo: materials, path: 'week1' }, `${materials}#path=week1`],
    [
      { repo: materials, ref: 'main', path: 'week 1/notes' },
      `${materials}#ref=main&path=week 1/notes`
    ],
    [{ repo: 'https://x.org/a#b' }, 'https://x.org/a#b#']
  ])('writes %j as %s', (material, text) => {
    expect(encodeMaterial(material)).toBe(text);
    expect(decodeMaterial(text)).toEqual(material);
  });

  const hostileRepos = [
    'https://example.org/m.git?token=a&b=c',
    'https://example.org/m.git#ref=evil',
    'https://example.org/a#b#c',
    'https://example.org/a?x=#&y=%23',
    'https://example.org:8443/~user/@team/m.git',
    'http://[::1]:8080/r.git',
    'https://例え.jp/教材/週1.git',
    'https://example.org/m.git#'
  ];
  const hostileOptions = [
    {},
    { ref: 'main' },
    { ref: 'feature/a&b=c#d+e%41' },
    { path: 'week 1' },
    { path: 'a&path=b' },
    { path: 'x#ref=y' },
    { path: '100% + ça=ok?' },
    { ref: 'ü', path: '週1/ノート' }
  ];
  const cases = hostileRepos.flatMap(url =>
    hostileOptions.map(options => ({ repo: url, ...options }) as Material)
  );

  it.each(cases)('round-trips %j', material => {
    expect(decodeMaterial(encodeMaterial(material))).toEqual(material);
  });

  it.each(cases)('round-trips %j through a launch link', material => {
    const spec = { repo, materials: [material, { repo: materials }] };
    const candidate = specFromLaunch(
      launchPath(spec).split('?')[0].slice('v2/'.length),
      new URLSearchParams(launchPath(spec).split('?')[1])
    );
    expect(candidate).toEqual({
      candidate: expect.objectContaining({
        materials: [material, { repo: materials }]
      }),
      errors: []
    });
  });

  it.each([
    ['', 'an empty value'],
    ['#ref=main', 'no repository'],
    [`${materials}#main`, 'a branch without ref='],
    [`${materials}#branch=main`, 'an unknown option'],
    [`${materials}#ref=a&ref=b`, 'a repeated option']
  ])('reads %j (%s) as nothing', value => {
    expect(decodeMaterial(value)).toBeNull();
  });
});

describe('materials in launch links', () => {
  const spec: EnvironmentSpec = {
    repo,
    ref: 'main',
    urlpath: 'lab/tree/materials/week1.ipynb',
    materials: [
      { repo: materials, ref: 'main' },
      { repo: 'https://example.org/data.git', path: 'data/week 1' }
    ],
    mounts: [{ source: 'class', target: '/home/jovyan/class', readOnly: true }]
  };

  it('are repeated parameters, one value per material, readable', () => {
    expect(launchPath(spec)).toBe(
      'v2/git/https%3A%2F%2Fexample.org%2Fenv.git/main' +
        '?urlpath=lab/tree/materials/week1.ipynb' +
        '&materials=https://forge.example.org/course/materials.git%23ref%3Dmain' +
        '&materials=https://example.org/data.git%23path%3Ddata/week%201' +
        '&mount=class:/home/jovyan/class:ro'
    );
    expect(parseLaunch(launchPath(spec))).toEqual(validateSpec(spec));
  });

  it('name the material a value cannot be read for, and how to write it', () => {
    expect(
      parseLaunch(
        `v2/git/${encodeURIComponent(repo)}/HEAD?materials=${encodeURIComponent(materials)}&materials=${encodeURIComponent(`${materials}#main`)}`
      )
    ).toEqual({
      ok: false,
      errors: [
        {
          field: 'materials.1',
          message: expect.stringContaining(
            'must be a repository URL, optionally followed by #ref=<branch>&path=<folder>'
          )
        }
      ]
    });
  });

  it('refuse a hostile folder before anything starts', () => {
    const link = `v2/git/${encodeURIComponent(repo)}/HEAD?materials=${encodeURIComponent(`${materials}#path=../../.ssh`)}`;
    expect(parseLaunch(link)).toEqual({
      ok: false,
      errors: [
        {
          field: 'materials.0.path',
          message: expect.stringContaining("climbs out of the home with '..'")
        }
      ]
    });
  });
});

describe('Binder + nbgitpuller links', () => {
  // The example of nbgitpuller's documentation, made by its link generator.
  const generated = generateBinderUrl(
    'https://mybinder.org',
    'org',
    'env',
    'main',
    'lab/tree/materials/week1.ipynb',
    'https://github.com/org/materials',
    'main',
    ''
  );
  const sameAsMaterials =
    'v2/gh/org/env/main?urlpath=lab/tree/materials/week1.ipynb' +
    '&materials=https://github.com/org/materials%23ref%3Dmain';

  it("are what nbgitpuller's link generator writes", () => {
    expect(generated).toBe(
      'https://mybinder.org/v2/gh/org/env/main?urlpath=git-pull%3Frepo%3Dhttps%253A%252F%252Fgithub.com%252Forg%252Fmaterials%26urlpath%3Dlab%252Ftree%252Fmaterials%252Fweek1.ipynb%26branch%3Dmain'
    );
  });

  it('mean the same spec as a link with materials', () => {
    const binder = parseLaunch(launchOf(generated));
    const envhub = parseLaunch(sameAsMaterials);
    expect(binder).toEqual({
      ok: true,
      spec: expect.objectContaining({
        repo: 'https://github.com/org/env',
        ref: 'main',
        urlpath: 'lab/tree/materials/week1.ipynb',
        materials: [{ repo: 'https://github.com/org/materials', ref: 'main' }]
      })
    });
    if (!binder.ok || !envhub.ok) throw new Error('both links are valid');
    expect(specDiff(binder.spec, envhub.spec)).toEqual([]);
    // The canonical link of both is the materials form.
    expect(launchPath(binder.spec)).toBe(launchPath(envhub.spec));
    expect(launchPath(binder.spec)).toBe(
      'v2/git/https%3A%2F%2Fgithub.com%2Forg%2Fenv/main' +
        '?urlpath=lab/tree/materials/week1.ipynb' +
        '&materials=https://github.com/org/materials%23ref%3Dmain'
    );
  });

  it('keep every character of the generator through its double encoding', () => {
    const link = generateBinderUrl(
      'https://hub.example.org/services/envhub/',
      'org',
      'env',
      'main',
      'lab/tree/week 1/intro #1.ipynb',
      'https://forge.example.org/c/m.git?x=1&y=@:é',
      'release/2',
      'week 1'
    );
    expect(parseLaunch(launchOf(link))).toMatchObject({
      ok: true,
      spec: {
        urlpath: 'lab/tree/week 1/intro #1.ipynb',
        materials: [
          {
            repo: 'https://forge.example.org/c/m.git?x=1&y=@:é',
            ref: 'release/2',
            path: 'week 1'
          }
        ]
      }
    });
  });

  const expected = {
    materials: [
      {
        repo: 'https://github.com/org/materials',
        ref: 'main',
        path: 'week1'
      }
    ],
    urlpath: 'lab/tree/week1/a.ipynb'
  };
  it.each([
    [
      'encoded once, as the issue writes it',
      'urlpath=git-pull%3Frepo%3Dhttps://github.com/org/materials%26branch%3Dmain%26targetPath%3Dweek1%26urlpath%3Dlab%2Ftree%2Fweek1%2Fa.ipynb'
    ],
    [
      'with a leading /',
      'urlpath=%2Fgit-pull%3Frepo%3Dhttps%253A%252F%252Fgithub.com%252Forg%252Fmaterials%26branch%3Dmain%26targetPath%3Dweek1%26urlpath%3Dlab%252Ftree%252Fweek1%252Fa.ipynb'
    ],
    [
      'percent-encoded once more',
      'urlpath=git-pull%253Frepo%253Dhttps%253A%252F%252Fgithub.com%252Forg%252Fmaterials%2526branch%253Dmain%2526targetPath%253Dweek1%2526urlpath%253Dlab%252Ftree%252Fweek1%252Fa.ipynb'
    ],
    [
      "with nbgitpuller's other spellings, targetpath and urlPath",
      'urlpath=git-pull%3Frepo%3Dhttps://github.com/org/materials%26branch%3Dmain%26targetpath%3Dweek1%26urlPath%3Dlab/tree/week1/a.ipynb'
    ],
    [
      'targetpath taken before targetPath, as nbgitpuller does',
      'urlpath=git-pull%3Frepo%3Dhttps://github.com/org/materials%26branch%3Dmain%26targetPath%3Dother%26targetpath%3Dweek1%26urlpath%3Dlab/tree/week1/a.ipynb'
    ],
    [
      'with depth and app, which the hub decides',
      'urlpath=git-pull%3Frepo%3Dhttps://github.com/org/materials%26branch%3Dmain%26targetPath%3Dweek1%26urlpath%3Dlab/tree/week1/a.ipynb%26depth%3D1%26app%3Dlab'
    ]
  ])('are read %s', (_, query) => {
    expect(parseLaunch(`v2/gh/org/env/main?${query}`)).toMatchObject({
      ok: true,
      spec: expected
    });
  });

  it("open the material's folder when they name nothing to open, as nbgitpuller does", () => {
    const link = (inner: string) =>
      `v2/gh/org/env/main?urlpath=${encodeURIComponent(`git-pull?${inner}`)}`;
    expect(
      parseLaunch(link('repo=https://github.com/org/materials.git'))
    ).toMatchObject({ ok: true, spec: { urlpath: 'lab/tree/materials' } });
    expect(
      parseLaunch(
        link('repo=https://github.com/org/m&targetPath=c&subPath=week1')
      )
    ).toMatchObject({ ok: true, spec: { urlpath: 'lab/tree/c/week1' } });
  });

  it('add their material after those the link lists', () => {
    const link =
      `${sameAsMaterials.replace(/urlpath=[^&]*&/, '')}` +
      `&urlpath=${encodeURIComponent('git-pull?repo=https://example.org/b.git')}`;
    expect(parseLaunch(link)).toMatchObject({
      ok: true,
      spec: {
        materials: [
          { repo: 'https://github.com/org/materials', ref: 'main' },
          { repo: 'https://example.org/b.git' }
        ],
        urlpath: 'lab/tree/b'
      }
    });
  });

  it.each([
    [
      'a hostile targetPath',
      'git-pull?repo=https://example.org/m.git&targetPath=.ipython/profile_default/startup',
      'materials.0.path',
      "has a part that starts with '.'"
    ],
    [
      'an absolute targetPath',
      'git-pull?repo=https://example.org/m.git&targetpath=/etc',
      'materials.0.path',
      'is absolute'
    ],
    [
      'no repo',
      'git-pull?branch=main',
      'urlpath',
      'needs repo=<repository URL>'
    ],
    [
      'backup and resync',
      'git-pull?repo=https://example.org/m.git&backup=true',
      'urlpath',
      "backup and resync is offered in JupyterLab's Course materials panel"
    ],
    [
      'an unknown parameter',
      'git-pull?repo=https://example.org/m.git&image=evil',
      'urlpath',
      'parameters envhub does not read: image'
    ],
    [
      'a repo given twice',
      'git-pull?repo=https://example.org/a.git&repo=https://example.org/b.git',
      'urlpath',
      'gives repo 2 times'
    ],
    [
      'a git-pull inside a git-pull',
      `git-pull?repo=https://example.org/m.git&urlpath=${encodeURIComponent('git-pull?repo=https://example.org/n.git&targetPath=/etc')}`,
      'urlpath',
      'opens nbgitpuller'
    ],
    [
      'a repository that is not http(s)',
      'git-pull?repo=file:///etc',
      'materials.0.repo',
      'does not have the expected form'
    ]
  ])('are refused with %s', (_, urlpath, field, message) => {
    const result = parseLaunch(
      `v2/gh/org/env/main?urlpath=${encodeURIComponent(urlpath)}`
    );
    expect(result).toMatchObject({
      ok: false,
      errors: [{ field, message: expect.stringContaining(message) }]
    });
  });

  it("say where nbgitpuller's parameters left outside an unencoded git-pull belong", () => {
    expect(
      parseLaunch(
        'v2/gh/org/env/main?urlpath=git-pull?repo=https://example.org/m.git&branch=main'
      )
    ).toEqual({
      ok: false,
      errors: [
        {
          field: 'branch',
          message: expect.stringContaining(
            'If branch belongs to urlpath=git-pull?…, percent-encode that urlpath as a whole'
          )
        }
      ]
    });
  });

  it('cannot be combined with labpath', () => {
    expect(
      parseLaunch(
        `v2/gh/org/env/main?labpath=a.ipynb&urlpath=${encodeURIComponent('git-pull?repo=https://example.org/m.git')}`
      )
    ).toMatchObject({ ok: false, errors: [{ field: 'urlpath' }] });
  });

  it('are written for mybinder.org by gitPullPath, and read back as the same spec', () => {
    for (const material of [
      { repo: 'https://github.com/org/materials', ref: 'main' },
      { repo: 'https://github.com/org/materials', path: 'week 1' },
      // nbgitpuller would clone into materials.git: the folder is named.
      { repo: 'https://github.com/org/materials.git' }
    ]) {
      const urlpath = gitPullPath(material, 'lab/tree/week1/a.ipynb');
      const read = readGitPull(urlpath);
      expect(read?.urlpath).toBe('lab/tree/week1/a.ipynb');
      expect(materialPath(read!.material)).toBe(materialPath(material));
      const link = `v2/gh/org/env/main?urlpath=${encodeURIComponent(urlpath)}`;
      const parsed = parseLaunch(link);
      expect(parsed.ok).toBe(true);
    }
    expect(
      gitPullPath({ repo: 'https://github.com/org/materials', ref: 'main' })
    ).toBe(
      'git-pull?repo=https%3A%2F%2Fgithub.com%2Forg%2Fmaterials&branch=main'
    );
    expect(readGitPull('lab/tree/git-pull')).toBeNull();
  });
});
