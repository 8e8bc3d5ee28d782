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
const check = (url: string, allowed: string[] = []) =>
  checkRepoUrl(url, allowed, resolve);

test('accepts public http(s) repositories', async () => {
  await expect(
    check('https://forge.example.org/a/b.git')
  ).resolves.toBeInstanceOf(URL);
});

test.each([
  ['ssh://forge.example.org/a.git', 'must use http or https'],
  ['file:///srv/repo', 'must use http or https'],
  [
    'https://user:secret@forge.example.org/a.git',
    'must not carry a user name or password'
  ],
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
  await expect(
    check('https://intranet.example.org/a.git', ['intranet.example.org'])
  ).resolves.toBeInstanceOf(URL);
  await expect(
    check('http://127.0.0.1:9999/a.git', ['127.0.0.1'])
  ).resolves.toBeInstanceOf(URL);
  await expect(
    check('http://127.0.0.1:9999/a.git', ['localhost'])
  ).rejects.toThrow('ENVHUB_ALLOWED_REPO_HOSTS');
});

// Every spelling of an internal address, with what the WHATWG URL parser makes of its host (which
// is what the policy checks and what git is given) and the kind of address the refusal names.
test.each([
  ['http://2130706433/a.git', '127.0.0.1', 'a loopback address'],
  ['http://0x7f000001/a.git', '127.0.0.1', 'a loopback address'],
  ['http://017700000001/a.git', '127.0.0.1', 'a loopback address'],
  ['http://0177.0.0.1/a.git', '127.0.0.1', 'a loopback address'],
  ['http://0177.1/a.git', '127.0.0.1', 'a loopback address'],
  ['http://0x7f.1/a.git', '127.0.0.1', 'a loopback address'],
  ['http://0x7f.0.0.1/a.git', '127.0.0.1', 'a loopback address'],
  ['http://127.1/a.git', '127.0.0.1', 'a loopback address'],
  ['http://127.0.1/a.git', '127.0.0.1', 'a loopback address'],
  ['http://127.0.0.1./a.git', '127.0.0.1', 'a loopback address'],
  ['http://%31%32%37.0.0.1/a.git', '127.0.0.1', 'a loopback address'],
  ['http://１２７.０.０.１/a.git', '127.0.0.1', 'a loopback address'],
  ['http://127。0。0。1/a.git', '127.0.0.1', 'a loopback address'],
  [
    'http://127.255.255.254:8080/a.git',
    '127.255.255.254',
    'a loopback address'
  ],
  ['http://[::1]/a.git', '[::1]', 'a loopback address'],
  ['http://[0:0:0:0:0:0:0:1]/a.git', '[::1]', 'a loopback address'],
  ['http://[::ffff:7f00:1]/a.git', '[::ffff:7f00:1]', 'a loopback address'],
  ['http://[::ffff:127.0.0.1]/a.git', '[::ffff:7f00:1]', 'a loopback address'],
  [
    'http://[0:0:0:0:0:ffff:127.0.0.1]/a.git',
    '[::ffff:7f00:1]',
    'a loopback address'
  ],
  ['http://[::ffff:0:7f00:1]/a.git', '[::ffff:0:7f00:1]', 'a loopback address'],
  ['http://[::127.0.0.1]/a.git', '[::7f00:1]', 'a loopback address'],
  ['http://[::2]/a.git', '[::2]', 'an unspecified address'],
  [
    'http://[64:ff9b::127.0.0.1]/a.git',
    '[64:ff9b::7f00:1]',
    'a loopback address'
  ],
  ['http://[2002:7f00:1::]/a.git', '[2002:7f00:1::]', 'a loopback address'],
  ['http://0/a.git', '0.0.0.0', 'an unspecified address'],
  ['http://0.0.0.0/a.git', '0.0.0.0', 'an unspecified address'],
  ['http://[::]/a.git', '[::]', 'an unspecified address'],
  ['http://167772165/a.git', '10.0.0.5', 'a private address'],
  ['http://012.0.0.5/a.git', '10.0.0.5', 'a private address'],
  ['http://0xa.5/a.git', '10.0.0.5', 'a private address'],
  ['http://172.16.0.1/a.git', '172.16.0.1', 'a private address'],
  ['http://172.31.255.255/a.git', '172.31.255.255', 'a private address'],
  ['http://0xc0a80101/a.git', '192.168.1.1', 'a private address'],
  ['http://[::ffff:a00:5]/a.git', '[::ffff:a00:5]', 'a private address'],
  ['http://[fd00::1]/a.git', '[fd00::1]', 'a private address'],
  ['http://[fc00::1]/a.git', '[fc00::1]', 'a private address'],
  ['http://100.64.0.1/a.git', '100.64.0.1', 'a carrier-grade NAT address'],
  [
    'http://100.127.255.254/a.git',
    '100.127.255.254',
    'a carrier-grade NAT address'
  ],
  ['http://169.254.169.254/latest', '169.254.169.254', 'a link-local address'],
  ['http://2852039166/latest', '169.254.169.254', 'a link-local address'],
  [
    'http://[2002:a9fe:a9fe::]/latest',
    '[2002:a9fe:a9fe::]',
    'a link-local address'
  ],
  ['http://[fe80::1]/a.git', '[fe80::1]', 'a link-local address'],
  ['http://224.0.0.1/a.git', '224.0.0.1', 'a multicast address'],
  ['http://[ff02::1]/a.git', '[ff02::1]', 'a multicast address'],
  ['http://255.255.255.255/a.git', '255.255.255.255', 'a reserved address'],
  ['http://198.18.0.1/a.git', '198.18.0.1', 'a reserved address']
])('refuses %s, whose host is %s: %s', async (url, host, kind) => {
  expect(new URL(url).hostname).toBe(host);
  const error = await check(url).catch((err: unknown) => err);
  expect(error).toMatchObject({ status: 403, code: 'repo_host_refused' });
  expect((error as Error).message).toContain(
    `(${host.replace(/^\[|\]$/g, '')}): ${kind}`
  );
});

test.each([
  ['http://93.184.216.34/a.git'],
  ['http://100.128.0.1/a.git'],
  ['http://172.32.0.1/a.git'],
  ['http://[2606:2800:220:1::]/a.git'],
  ['http://[::ffff:5db8:d822]/a.git']
])('accepts the public address %s', async url => {
  await expect(check(url)).resolves.toBeInstanceOf(URL);
});

test.each([
  [['::ffff:127.0.0.1'], 'a loopback address'],
  [['::ffff:7f00:1'], 'a loopback address'],
  [['0:0:0:0:0:0:0:1'], 'a loopback address'],
  [['93.184.216.34', 'fe80::1%eth0'], 'a link-local address'],
  [['10.1.2.3'], 'a private address']
])('refuses a name whose resolver answers %j', async (addresses, kind) => {
  await expect(
    checkRepoUrl('https://forge.example.org/a.git', [], async () => addresses)
  ).rejects.toThrow(kind);
});

test.each([
  ['ext::sh -c touch% /tmp/pwned', 'the git remote helper "ext::"'],
  ['fd::3', 'the git remote helper "fd::"'],
  ['git://forge.example.org/a.git', 'not git'],
  ['ssh://git@forge.example.org/a.git', 'not ssh'],
  ['ftp://forge.example.org/a.git', 'not ftp'],
  ['forge.example.org:a/b.git', 'scp-style ssh address'],
  ['git@forge.example.org:a/b.git', 'scp-style ssh address'],
  ['https:forge.example.org/a.git', 'scp-style ssh address'],
  ['https://forge.example.org/a b.git', 'whitespace or a control character'],
  ['https://forge.example.org/a.git\r\n', 'whitespace or a control character'],
  [' https://forge.example.org/a.git', 'whitespace or a control character'],
  ['https//forge.example.org/a.git', 'is not a URL'],
  [
    'https://forge.example.org\u0000/a.git',
    'whitespace or a control character'
  ],
  [
    'https://user@forge.example.org/a.git',
    'must not carry a user name or password'
  ],
  [
    'https://:secret@forge.example.org/a.git',
    'must not carry a user name or password'
  ]
])('refuses %j with a 400 naming the problem', async (url, reason) => {
  await expect(check(url)).rejects.toMatchObject({
    status: 400,
    message: expect.stringContaining(reason)
  });
});

test('an allowed address allows the names that resolve to it, and nothing else', async () => {
  await expect(
    check('https://intranet.example.org/a.git', ['10.0.0.5'])
  ).resolves.toBeInstanceOf(URL);
  await expect(
    check('https://sneaky.example.org/a.git', ['93.184.216.34'])
  ).rejects.toThrow('(127.0.0.1)');
  await expect(
    check('http://[0:0:0:0:0:0:0:1]/a.git', ['::1'])
  ).resolves.toBeInstanceOf(URL);
  await expect(
    check('http://2130706433/a.git', ['127.0.0.1'])
  ).resolves.toBeInstanceOf(URL);
});
