import { homeVolumeName } from '../../src/naming.js';
import { spawnFailureReason } from '../../src/hub/hubClient.js';
import {
  captureLogs,
  NAME_PREFIX,
  PREFIX,
  testApp,
  type TestApp
} from '../support/fakes.js';
import {
  authHeader,
  launchPath,
  seedFixtures,
  type Tokens
} from '../support/fixtures.js';
import { expectReady, expectStatus, streamEvents } from '../support/http.js';

describe("the reason of a failed spawn, as the Hub's progress stream words it", () => {
  test.each([
    [
      'Docker refusing to create a container',
      'Spawn failed: 400 Client Error for http+docker://localhost/v1.47/containers/create?name=envhub-a--b: Bad Request ("Minimum memory limit allowed is 6MB")',
      'Minimum memory limit allowed is 6MB'
    ],
    [
      'Docker refusing to start one (a reason with quotes and parentheses)',
      `Spawn failed: 500 Server Error for http+docker://localhost/v1.47/containers/0123abc/start: Internal Server Error ("error while mounting volume '/var/lib/docker/volumes/envhub-volume-x/_data': failed to mount local volume: mount /nowhere:/var/lib/docker/volumes/envhub-volume-x/_data, flags: 0x1000: no such file or directory")`,
      "error while mounting volume '/var/lib/docker/volumes/envhub-volume-x/_data': failed to mount local volume: mount /nowhere:/var/lib/docker/volumes/envhub-volume-x/_data, flags: 0x1000: no such file or directory"
    ],
    [
      'an image that went away',
      'Spawn failed: 404 Client Error for http+docker://localhost/v1.47/images/envhub-x:abc/json: Not Found ("No such image: envhub-x:abc")',
      'No such image: envhub-x:abc'
    ],
    [
      "envhub's own refusal, through the hook",
      'Spawn failed: HTTP 403: Forbidden (dave may not mount volume "private" (ask its owner, teacher, to add them as a member))',
      'dave may not mount volume "private" (ask its owner, teacher, to add them as a member)'
    ],
    [
      'anything else, as it is',
      "Spawn failed: Server at http://127.0.0.1:32768/user/a/b/ didn't respond in 120 seconds",
      "Server at http://127.0.0.1:32768/user/a/b/ didn't respond in 120 seconds"
    ],
    ['nothing', undefined, 'the Hub gave no reason (its log may have one)'],
    [
      'only the prefix',
      'Spawn failed: ',
      'the Hub gave no reason (its log may have one)'
    ]
  ])('%s', (_, message, reason) => {
    expect(spawnFailureReason(message)).toBe(reason);
  });
});

describe('a spawn that fails', () => {
  const logs = captureLogs();
  afterAll(() => logs.restore());

  let app: TestApp;
  let tokens: Tokens;
  beforeEach(async () => {
    app = await testApp();
    tokens = seedFixtures(app);
  });
  afterEach(() => app.close());

  const launch = () =>
    app.send(`${PREFIX}build/${launchPath(app)}`, {
      headers: {
        ...authHeader(tokens, 'collaborator'),
        Accept: 'text/event-stream'
      }
    });

  test('at the first start leaves no record, Hub server or home behind', async () => {
    app.hub.dockerRefusal = 'no space left on device';
    const stream = await launch();
    expectStatus(stream, 200);
    expect(streamEvents(stream.text).at(-1)).toEqual({
      phase: 'failed',
      message: 'server "launchme" failed to start: no space left on device'
    });
    expect(app.store.getServer('bob', 'launchme')).toBeUndefined();
    expect(await app.hub.getServer('bob', 'launchme')).toBeNull();
    expect(
      app.docker.volumes.has(homeVolumeName(NAME_PREFIX, 'bob', 'launchme'))
    ).toBe(false);
    expect(app.hub.callsOf('removeServer')).toEqual([['bob', 'launchme']]);
  });

  test('at a restart keeps the server: its record, its Hub entry and its home', async () => {
    expectReady((await launch()).text);
    const record = app.store.getServer('bob', 'launchme');
    await app.hub.stopServer('bob', 'launchme');
    app.hub.dockerRefusal = 'no space left on device';
    const stream = await launch();
    expect(streamEvents(stream.text).at(-1)).toEqual({
      phase: 'failed',
      message: 'server "launchme" failed to start: no space left on device'
    });
    expect(app.store.getServer('bob', 'launchme')).toEqual({
      ...record,
      updatedAt: expect.any(String)
    });
    expect(await app.hub.getServer('bob', 'launchme')).toMatchObject({
      ready: false,
      stopped: true
    });
    expect(
      app.docker.volumes.has(homeVolumeName(NAME_PREFIX, 'bob', 'launchme'))
    ).toBe(true);
    expect(app.hub.callsOf('removeServer')).toEqual([]);
  });
});
