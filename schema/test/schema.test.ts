import { gitProviderPath, parseProviderSpec, validateSpec } from '../src/index.js';

describe('validateSpec', () => {
  it('accepts a minimal spec and fills the default ref', () => {
    const result = validateSpec({ repo: 'https://example.org/a.git' });
    expect(result).toEqual({ ok: true, spec: { repo: 'https://example.org/a.git', ref: 'HEAD' } });
  });

  it.each([
    ['UPPER', 'must match pattern'],
    ['1abc', 'must match pattern'],
    ['a--b', 'must match pattern'],
    ['abc-', 'must match pattern'],
    ['a'.repeat(31), 'must NOT have more than 30 characters']
  ])('refuses the server name %j and says why', (name, why) => {
    const result = validateSpec({ repo: 'https://example.org/a.git', name });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors[0].field).toBe('name');
    expect(result.errors[0].message).toContain(why);
    expect(result.errors[0].message).toContain('starting with a letter');
  });

  it('names unknown fields and lists the known ones', () => {
    const result = validateSpec({ repo: 'https://example.org/a.git', image: 'evil:latest' });
    expect(result).toEqual({
      ok: false,
      errors: [{ field: 'image', message: 'unknown field "image"; known fields: repo, ref, name, urlpath' }]
    });
  });

  it('refuses refs that could be read as git options', () => {
    const result = validateSpec({ repo: 'https://example.org/a.git', ref: '--upload-pack=touch /tmp/x' });
    expect(result.ok).toBe(false);
  });

  it('reports a missing repo', () => {
    const result = validateSpec({});
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors[0].message).toMatch(/^repo is required/);
  });
});

describe('parseProviderSpec', () => {
  it('parses the git provider with an escaped URL and a ref containing slashes', () => {
    expect(parseProviderSpec('git/https%3A%2F%2Fexample.org%2Fa.git/feature/x')).toEqual({
      provider: 'git',
      repo: 'https://example.org/a.git',
      ref: 'feature/x'
    });
  });

  it('maps the gh, gl and gist shorthands to their forges', () => {
    expect(parseProviderSpec('gh/binder-examples/requirements/main').repo).toBe(
      'https://github.com/binder-examples/requirements'
    );
    expect(parseProviderSpec('gl/group%2Fproject/v1').repo).toBe('https://gitlab.com/group/project');
    expect(parseProviderSpec('gist/alice/abc123')).toEqual({
      provider: 'gist',
      repo: 'https://gist.github.com/alice/abc123.git',
      ref: 'HEAD'
    });
  });

  it('refuses unknown providers and malformed specs with a clear message', () => {
    expect(() => parseProviderSpec('svn/x/y')).toThrow('unknown provider "svn"; envhub supports: git, gh, gl, gist');
    expect(() => parseProviderSpec('git/https%3A%2F%2Fexample.org')).toThrow('not a valid git spec');
    expect(() => parseProviderSpec('git/%E0%A4%A/main')).toThrow('not a valid git spec');
  });

  it('round-trips with gitProviderPath', () => {
    const path = gitProviderPath('http://127.0.0.1:9/r.git?x=1', 'release/2.0');
    expect(parseProviderSpec(path)).toEqual({ provider: 'git', repo: 'http://127.0.0.1:9/r.git?x=1', ref: 'release/2.0' });
  });
});
