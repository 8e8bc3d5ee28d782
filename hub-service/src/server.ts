import { join } from 'node:path';
import Docker from 'dockerode';
import { createApp } from './app.js';
import { HubAuth } from './auth/hubAuth.js';
import { configFromEnv } from './config.js';
import { HubClient } from './hub/hubClient.js';
import { ImageCache } from './images/imageCache.js';
import { basePython, ImageBuilder } from './images/imageBuilder.js';
import { Launcher } from './launches/launcher.js';
import { Reaper } from './launches/reaper.js';
import { resyncGroupShares } from './launches/shares.js';
import { effectiveResources, loadSiteConfig } from './policy/siteConfig.js';
import { log } from './log.js';
import { Store } from './store/store.js';
import { Volumes } from './volumes/volumes.js';

const config = configFromEnv();
const hub = new HubClient(config.hubApiUrl, config.apiToken);
const docker = new Docker();
const store = new Store(join(config.dataDir, 'envhub.sqlite'));
const auth = new HubAuth(hub, {
  prefix: config.prefix,
  hubBaseUrl: config.hubBaseUrl,
  clientId: config.oauthClientId,
  clientSecret: config.apiToken,
  callbackUrl: config.oauthCallbackUrl,
  accessScopes: config.accessScopes
});
const cache = new ImageCache(docker, store, { namePrefix: config.namePrefix, budgetBytes: config.imageCacheBudget, baseImage: config.baseImage });
const builder = new ImageBuilder(docker, store, cache, {
  baseImage: config.baseImage,
  namePrefix: config.namePrefix,
  pipIndexUrl: config.pipIndexUrl,
  aptMirror: config.aptMirror,
  strictRuntime: config.strictRuntime,
  availablePython: await basePython(docker, config.baseImage)
});
const interrupted = store.failInterruptedBuilds();
if (interrupted > 0) log.warn('builds.interrupted', { count: interrupted });
const site = loadSiteConfig(config.siteConfigPath);
const volumes = new Volumes(docker, store, hub, { namePrefix: config.namePrefix, baseImage: config.baseImage, volumesPerUser: site.volumesPerUser });
const launcher = new Launcher(hub, store, builder, volumes, {
  site,
  namePrefix: config.namePrefix,
  baseImage: config.baseImage,
  allowedRepoHosts: config.allowedRepoHosts,
  prefix: config.prefix
});

// Stops servers past their idle timeout or maximum age (the spec's, within the site's caps).
const reaper = new Reaper(
  hub,
  () =>
    store.allServers().map(record => {
      const { idleTimeout, maxAge } = effectiveResources(record.spec, site);
      return { owner: record.owner, name: record.name, idleTimeout, maxAge };
    }),
  { intervalMs: 60_000 }
);

// Group collaborators are shared with member by member (JupyterHub 6.1 leaves group shares out of
// tokens), so group changes are followed every few minutes: joiners get in, leavers lose access.
const GROUP_RESYNC_MS = 5 * 60_000;
const resyncGroups = (): void => {
  const servers = store.allServers().map(record => ({ owner: record.owner, name: record.name, collaborators: record.spec.collaborators }));
  void resyncGroupShares(hub, servers)
    .catch((err: unknown) => log.error('shares.resync_failed', { error: (err as Error).message }))
    .finally(() => setTimeout(resyncGroups, GROUP_RESYNC_MS).unref());
};

const version = await hub.version();
reaper.start();
setTimeout(resyncGroups, GROUP_RESYNC_MS).unref();
const server = createApp({ site, hubBaseUrl: config.hubBaseUrl, prefix: config.prefix, internalSecret: config.internalSecret, publicUrl: config.publicUrl, hub, auth, launcher, store, docker, volumes }).listen(
  config.listenPort,
  config.listenHost,
  () => log.info('service.listening', { host: config.listenHost, port: config.listenPort, prefix: config.prefix, hub: version })
);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    log.info('service.stopping', { signal });
    reaper.stop();
    server.close();
    store.close();
    process.exit(0);
  });
}
