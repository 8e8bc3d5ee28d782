import { createHash } from 'node:crypto';
import {
  escapeName,
  homeVolumeName,
  imageName,
  serverNameFromRepo
} from '../../src/naming.js';

test('escapes like BinderHub: every character outside [a-z0-9] becomes -<hex>', () => {
  expect(escapeName('binder-examples/octave')).toBe(
    'binder-2dexamples-2foctave'
  );
  expect(escapeName('Ab')).toBe('-41b');
});

test('image names are <prefix><escaped url>-<sha6>:<commit>', () => {
  const url = 'https://example.org/a.git';
  const sha6 = createHash('sha256').update(url).digest('hex').slice(0, 6);
  const commit = 'a'.repeat(40);
  expect(imageName('envhub-', url, commit)).toBe(
    `envhub-https-3a-2f-2fexample-2eorg-2fa-2egit-${sha6}:${commit}`
  );
});

test('image names stay within Docker limits for very long URLs', () => {
  const name = imageName(
    'envhub-',
    `https://example.org/${'x'.repeat(400)}.git`,
    'b'.repeat(40)
  );
  expect(name.split(':')[0].length).toBeLessThanOrEqual(200);
});

test('home volumes are unambiguous per owner and server', () => {
  expect(homeVolumeName('envhub', 'alice', 'x')).toBe('envhub-home-alice--x');
  expect(homeVolumeName('envhub', 'a-b', 'c')).not.toBe(
    homeVolumeName('envhub', 'a', 'b-c')
  );
});

test.each([
  ['https://example.org/group/Data_Course.git', 'data-course'],
  ['https://example.org/2024-notes', 'notes'],
  ['https://example.org/', 'server'],
  [
    `https://example.org/${'long-name-'.repeat(5)}`,
    'long-name-long-name-long-name'
  ]
])('derives a valid server name from %s', (url, name) => {
  expect(serverNameFromRepo(url)).toBe(name);
});
