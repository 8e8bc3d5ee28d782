import { checkRepoUrl, type Resolve } from '../../src/repos/repoPolicy.js';

const dns: Record<string, string[]> = {
  'forge.example.org': ['93.184.216.34'],
  'intranet.example.org': ['10.0.0.5'],
  'sneaky.example.org': ['93.184.216.34', '127.0.0.1'],
  'v6.example.org': ['::1']
};
const resolve: Resolve = async host => {
  if (!dns[host]) throw new Error('ENOTFOUND');
  return dns[host];
};
const check = (url: string, allowed: string[] = []) => checkRepoUrl(url, allowed, resolve);

test('accepts public http(s) repositories', async () => {
  await expect(check('https://forge.example.org/a/b.git')).resolves.toBeInstanceOf(URL);
});

test.each([
  ['ssh://forge.example.org/a.git', 'must use http or https'],
  ['file:///srv/repo', 'must use http or https'],
  ['https://user:secret@forge.example.org/a.git', 'must not carry a user name or password'],
  ['not a url', 'is not a URL'],
  ['http://127.0.0.1:9999/a.git', 'loopback, private or link-local'],
  ['http://[::1]/a.git', 'loopback, private or link-local'],
  ['http://[::ffff:10.0.0.1]/a.git', 'loopback, private or link-local'],
  ['http://169.254.169.254/latest', 'loopback, private or link-local'],
  ['http://192.168.1.10/a.git', 'loopback, private or link-local'],
  ['https://intranet.example.org/a.git', '(10.0.0.5)'],
  ['https://sneaky.example.org/a.git', '(127.0.0.1)'],
  ['https://v6.example.org/a.git', '(::1)'],
  ['https://nowhere.example.org/a.git', 'cannot be resolved']
])('refuses %s', async (url, reason) => {
  await expect(check(url)).rejects.toThrow(reason);
});

test('an admin can allow a private host by name or address', async () => {
  await expect(check('https://intranet.example.org/a.git', ['intranet.example.org'])).resolves.toBeInstanceOf(URL);
  await expect(check('http://127.0.0.1:9999/a.git', ['127.0.0.1'])).resolves.toBeInstanceOf(URL);
  await expect(check('http://127.0.0.1:9999/a.git', ['localhost'])).rejects.toThrow('ENVHUB_ALLOWED_REPO_HOSTS');
});
