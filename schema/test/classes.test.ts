import {
  CLASS_ID_PATTERN,
  launchPath,
  parseLaunch,
  validateClassBody,
  validateUpload
} from '../src/index.js';

const file = (path: string) => ({ path, content: 'eA==' });

describe('class bodies', () => {
  it('takes an id, a title, members and an environment', () => {
    const body = {
      id: 'intro101',
      title: 'Intro',
      instructors: { users: ['alice'], groups: ['tas'] },
      students: { groups: ['intro101-students'] },
      repo: 'https://forge.example.org/course/env.git',
      ref: 'main'
    };
    expect(validateClassBody(body)).toEqual({
      ok: true,
      value: {
        ...body,
        students: { users: [], groups: ['intro101-students'] }
      }
    });
  });

  it.each([
    [{ id: 'a+b' }, 'id'],
    [{ id: '../x' }, 'id'],
    [{ id: '-x' }, 'id'],
    [{ students: { users: 'ann' } }, 'students.users'],
    [{ students: { users: ['ann', 'ann'] } }, 'students.users'],
    [{ instructors: { users: ['a/b'] } }, 'instructors.users.0'],
    [{ repo: 'file:///etc' }, 'repo'],
    [{ roster: [] }, 'roster']
  ])('refuses %j, naming %s', (body, field) => {
    const result = validateClassBody(body);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.errors.map(e => e.field)).toContain(field);
  });

  it('class ids are what nbgrader takes in a path and a Hub group name', () => {
    for (const id of ['intro101', 'CS_1-a', 'x'])
      expect(CLASS_ID_PATTERN.test(id)).toBe(true);
    for (const id of ['', 'a+b', 'a.b', 'a b', '_x', 'a'.repeat(65)])
      expect(CLASS_ID_PATTERN.test(id)).toBe(false);
  });
});

describe('exchange uploads', () => {
  it('takes relative paths once each, base64 contents and a due date', () => {
    const upload = {
      files: [file('ps1.ipynb'), file('data/x.csv')],
      dueAt: '2026-12-24T12:00:00+01:00'
    };
    expect(validateUpload(upload)).toEqual({ ok: true, value: upload });
  });

  it.each([
    '/etc/passwd',
    '../x',
    'a/../b',
    'a/./b',
    '.',
    'a//b',
    'a/',
    'a\\\\b',
    'a\\nb'
  ])('refuses the path %j', path => {
    expect(validateUpload({ files: [file(path)] }).ok).toBe(false);
  });

  it('refuses a file listed twice, or a file where another is a folder', () => {
    for (const files of [
      [file('a.ipynb'), file('a.ipynb')],
      [file('a'), file('a/b.ipynb')]
    ]) {
      const result = validateUpload({ files });
      expect(result.ok).toBe(false);
      expect(!result.ok && result.errors[0].message).toContain('clashes');
    }
  });

  it('refuses contents that are not base64 and due dates without a time zone', () => {
    expect(
      validateUpload({ files: [{ path: 'a', content: 'not base64!' }] }).ok
    ).toBe(false);
    expect(
      validateUpload({ files: [file('a')], dueAt: '2026-12-24 12:00' }).ok
    ).toBe(false);
  });
});

describe('the class in launch links', () => {
  it('rides as class=<id> and reads back', () => {
    const spec = {
      repo: 'https://forge.example.org/course/env.git',
      ref: 'main',
      name: 'intro101',
      class: 'intro101'
    };
    const path = launchPath(spec);
    expect(path).toContain('class=intro101');
    expect(parseLaunch(path)).toMatchObject({
      ok: true,
      spec: { class: 'intro101' }
    });
    expect(parseLaunch(path.replace('class=intro101', 'class=a%2Bb')).ok).toBe(
      false
    );
  });
});
