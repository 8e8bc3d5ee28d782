import {
  environmentSchema,
  gitProviderPath,
  parseProviderSpec,
  validateSpec
} from '../src/index.js';

const repo = 'https://example.org/a.git';

describe('validateSpec', () => {
  it('accepts a minimal spec and fills in every default', () => {
    expect(validateSpec({ repo })).toEqual({
      ok: true,
      spec: {
        repo,
        ref: 'HEAD',
        materials: [],
        mounts: [],
        collaborators: { users: [], groups: [] },
        public: false,
        credentials: false,
        resources: {}
      }
    });
  });

  it('does not change the candidate it was given', () => {
    const candidate = {
      repo,
      mounts: [{ source: 'data', target: '/mnt/data' }]
    };
    validateSpec(candidate);
    expect(candidate).toEqual({
      repo,
      mounts: [{ source: 'data', target: '/mnt/data' }]
    });
  });

  it('names unknown fields and lists the known ones', () => {
    const result = validateSpec({ repo, image: 'evil:latest' });
    expect(result).toEqual({
      ok: false,
      errors: [
        {
          field: 'image',
          message:
            'unknown field "image"; known fields: repo, ref, name, displayName, urlpath, materials, class, mounts, collaborators, public, credentials, resources'
        }
      ]
    });
  });

  it.each([
    [
      'resources',
      { gpu: 1 },
      'unknown field "resources.gpu"; known fields: memory, cpus, idleTimeout, maxAge'
    ],
    [
      'collaborators',
      { roles: [] },
      'unknown field "collaborators.roles"; known fields: users, groups'
    ],
    [
      'mounts',
      [{ source: 'a', target: '/mnt/a', mode: 'ro' }],
      'unknown field "mounts.0.mode"; known fields: target, source, readOnly'
    ]
  ])(
    'names unknown fields inside %s with their dotted name',
    (key, value, message) => {
      const result = validateSpec({ repo, [key]: value });
      expect(result.ok).toBe(false);
      if (!result.ok)
        expect(result.errors).toEqual([
          { field: message.split('"')[1], message }
        ]);
    }
  );

  it('reports a missing repo, and a missing mount source with its dotted name', () => {
    const missingRepo = validateSpec({});
    expect(missingRepo.ok).toBe(false);
    if (!missingRepo.ok)
      expect(missingRepo.errors[0].message).toMatch(
        /^repo is required: The git repository to launch/
      );
    const missingSource = validateSpec({
      repo,
      mounts: [{ target: '/mnt/a' }]
    });
    expect(missingSource.ok).toBe(false);
    if (!missingSource.ok) {
      expect(missingSource.errors).toEqual([
        {
          field: 'mounts.0.source',
          message: expect.stringMatching(
            /^mounts\.0\.source is required: The name of a volume/
          )
        }
      ]);
    }
  });

  it('refuses a spec that is not an object', () => {
    const result = validateSpec('https://example.org/a.git');
    expect(result).toEqual({
      ok: false,
      errors: [
        { field: '(spec)', message: expect.stringContaining('must be object') }
      ]
    });
  });

  it('refuses two mounts at the same target, naming the second and the first', () => {
    const result = validateSpec({
      repo,
      mounts: [
        { source: 'a', target: '/mnt/data' },
        { source: 'b', target: '/mnt/other' },
        { source: 'c', target: '/mnt/data', readOnly: true }
      ]
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0].field).toBe('mounts.2.target');
    expect(result.errors[0].message).toContain(
      '"/mnt/data" is already the target of mounts.0'
    );
    expect(result.errors[0].message).toContain('below /home/jovyan/ or /mnt/');
  });

  it('reports duplicate targets together with the schema errors', () => {
    const result = validateSpec({
      repo,
      name: 'UPPER',
      mounts: [
        { source: 'a', target: '/mnt/x' },
        { source: 'b', target: '/mnt/x' }
      ]
    });
    expect(result.ok).toBe(false);
    if (!result.ok)
      expect(result.errors.map(e => e.field)).toEqual([
        'name',
        'mounts.1.target'
      ]);
  });

  it('gives every field a title and a description, and closes every object', () => {
    const problems: string[] = [];
    const visit = (node: Record<string, unknown>, at: string) => {
      if (node.type === 'object' && node.additionalProperties !== false)
        problems.push(`${at} allows unknown fields`);
      for (const [key, child] of Object.entries(
        (node.properties ?? {}) as Record<string, Record<string, unknown>>
      )) {
        if (
          typeof child.title !== 'string' ||
          typeof child.description !== 'string'
        )
          problems.push(`${at}.${key} lacks a title or description`);
        visit(child, `${at}.${key}`);
      }
      if (node.items) visit(node.items as Record<string, unknown>, `${at}[]`);
    };
    visit(environmentSchema as unknown as Record<string, unknown>, 'spec');
    expect(problems).toEqual([]);
  });
});

describe('parseProviderSpec', () => {
  it('parses the git provider with an escaped URL and a ref containing slashes', () => {
    expect(
      parseProviderSpec('git/https%3A%2F%2Fexample.org%2Fa.git/feature/x')
    ).toEqual({
      provider: 'git',
      repo: 'https://example.org/a.git',
      ref: 'feature/x'
    });
  });

  it('maps the gh, gl and gist shorthands to their forges', () => {
    expect(parseProviderSpec('gh/binder-examples/requirements/main').repo).toBe(
      'https://github.com/binder-examples/requirements'
    );
    expect(parseProviderSpec('gl/group%2Fproject/v1').repo).toBe(
      'https://gitlab.com/group/project'
    );
    expect(parseProviderSpec('gist/alice/abc123')).toEqual({
      provider: 'gist',
      repo: 'https://gist.github.com/alice/abc123.git',
      ref: 'HEAD'
    });
  });

  it('refuses unknown providers and malformed specs with a clear message', () => {
    expect(() => parseProviderSpec('svn/x/y')).toThrow(
      'unknown provider "svn"; envhub supports: git, gh, gl, gist'
    );
    expect(() => parseProviderSpec('git/https%3A%2F%2Fexample.org')).toThrow(
      'not a valid git spec'
    );
    expect(() => parseProviderSpec('git/%E0%A4%A/main')).toThrow(
      'not a valid git spec'
    );
  });

  it('round-trips with gitProviderPath', () => {
    const path = gitProviderPath('http://127.0.0.1:9/r.git?x=1', 'release/2.0');
    expect(parseProviderSpec(path)).toEqual({
      provider: 'git',
      repo: 'http://127.0.0.1:9/r.git?x=1',
      ref: 'release/2.0'
    });
  });
});
