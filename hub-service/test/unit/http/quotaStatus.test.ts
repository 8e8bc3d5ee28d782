import {
  captureLogs,
  PREFIX,
  testApp,
  type TestApp
} from '../../support/fakes.js';
import {
  authHeader,
  homePage,
  seedFixtures,
  signIn,
  type Tokens
} from '../../support/fixtures.js';
import { expectStatus } from '../../support/http.js';

/**
 * A list of servers shows each one's month against its owner's quotas. Group quotas need the
 * group's members from the Hub: one call per group and request, however many servers are listed.
 */

const logs = captureLogs();
afterAll(() => logs.restore());

let app: TestApp;
let tokens: Tokens;
beforeEach(async () => {
  app = await testApp({
    site: {
      quotas: {
        user: { cpuHours: 10 },
        groups: { team: { cpuHours: 1 }, staff: { gbHours: 5 } },
        stopAt: 'day'
      }
    }
  });
  tokens = seedFixtures(app);
});
afterEach(() => app.close());

const memberCalls = () => app.hub.callsOf('groupMembers').map(([g]) => g);

test("api/servers reads each quota group's members once for all of the owner's servers", async () => {
  const response = await app.send(`${PREFIX}api/servers`, {
    headers: authHeader(tokens, 'owner')
  });
  expectStatus(response, 200);
  const servers = response.json.servers as { usage: { quota: unknown } }[];
  expect(servers.length).toBeGreaterThan(1);
  for (const server of servers)
    expect(server.usage.quota).toEqual({ cpuHours: 10 });
  expect(memberCalls().sort()).toEqual(['staff', 'team']);
});

test('so does the home page, and each request reads them afresh', async () => {
  const jar = await signIn(app, 'alice');
  await homePage(app, jar);
  expect(memberCalls().sort()).toEqual(['staff', 'team']);
  await homePage(app, jar);
  expect(memberCalls()).toHaveLength(4);
});
