import { readFile } from 'node:fs/promises';
import { HubClient } from '../../src/hub/hubClient.js';
import { hubApi, hubUrl, tokenFor } from './hubSession.js';

/**
 * The scopes of the envhub-service role, read from envhub/hub.py (the config the test hub runs),
 * so that tests calling the Hub "as the service" hold no more than the service does.
 */
export async function serviceScopes(): Promise<string[]> {
  const source = await readFile(
    new URL('../../../envhub/hub.py', import.meta.url),
    'utf8'
  );
  const match = /"name": "envhub-service",\s*"scopes": (\[[^\]]*\])/.exec(
    source
  );
  if (!match)
    throw new Error('cannot find the envhub-service role in envhub/hub.py');
  return JSON.parse(match[1]) as string[];
}

/**
 * A HubClient whose token has exactly the envhub service's scopes. The service's own token is not
 * readable from outside, so the Hub admin `admin` issues one restricted to those scopes.
 */
export async function serviceHubClient(): Promise<HubClient> {
  const admin = await tokenFor('admin');
  const response = await hubApi(admin, '/users/admin/tokens', {
    method: 'POST',
    body: JSON.stringify({
      note: 'envhub tests: service scopes',
      expires_in: 3600,
      scopes: await serviceScopes()
    })
  });
  if (response.status !== 201)
    throw new Error(
      `creating a service-scoped token failed: ${response.status} ${await response.text()}`
    );
  return new HubClient(
    `${hubUrl}/hub/api`,
    ((await response.json()) as { token: string }).token
  );
}
