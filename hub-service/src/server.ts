import { join } from 'node:path';
import Docker from 'dockerode';
import { createApp } from './app.js';
import { HubAuth } from './auth/hubAuth.js';
import { prepareBuildNetwork } from './builds/buildNetwork.js';
import { ClassFiles } from './classes/classFiles.js';
import { Classes } from './classes/classes.js';
import { configFromEnv } from './config.js';
import { HubClient } from './hub/hubClient.js';
import { removeBuildLeftovers } from './images/buildLeftovers.js';
import { seccompProblem } from './images/daemonSecurity.js';
import { ImageCache } from './images/imageCache.js';
import { basePython, ImageBuilder } from './images/imageBuilder.js';
import { Launcher } from './launches/launcher.js';
import { Reaper } from './launches/reaper.js';
import { resyncGroupShares } from './launches/shares.js';
import { effectiveResources, loadSiteConfig } from './policy/siteConfig.js';
import { log } from './log.js';
import { setAllowedRepoHosts } from './repos/repoPolicy.js';
import { Credentials } from './credentials/credentials.js';
import { SecretBox } from './credentials/secretBox.js';
import { PublicSessions } from './sessions/publicSessions.js';
import { prepareVisitorNetwork } from './sessions/visitorNetwork.js';
import { Store } from './store/store.js';
import { Volumes } from './volumes/volumes.js';
import { Registry } from './swarm/registry.js';
import { dockerAt, Swarm } from './swarm/swarm.js';
import { EnvhubError } from './errors.js';
import { every } from './periodic.js';
import { metrics } from './usage/metrics.js';
import { Quotas } from './usage/quotas.js';
import { UsageRecorder } from './usage/recorder.js';
import { usageTotals } from './usage/reports.js';
import { OtherCatalogs } from './catalog/catalog.js';

const config = configFromEnv();
setAllowedRepoHosts(config.allowedRepoHosts);
const hub = new HubClient(config.hubApiUrl, config.apiToken);
const docker = new Docker();
// On a swarm: builds stay on this engine and are published to the registry; servers and the
// volumes envhub makes are the manager's.
const registry = config.registry
  ? new Registry(docker, config.registry)
  : undefined;
const swarm = config.swarmManager
  ? await Swarm.connect(dockerAt(config.swarmManager), registry!)
  : undefined;
const store = new Store(join(config.dataDir, 'envhub.sqlite'));
const credentials = new Credentials(
  store,
  SecretBox.fromKeyFile(config.credentialsKeyFile),
  config.singleSignOnHosts.length > 0
    ? {
        hosts: config.singleSignOnHosts,
        accessToken: user => hub.accessToken(user)
      }
    : null
);
const auth = new HubAuth(hub, {
  prefix: config.prefix,
  hubBaseUrl: config.hubBaseUrl,
  clientId: config.oauthClientId,
  clientSecret: config.apiToken,
  callbackUrl: config.oauthCallbackUrl,
  accessScopes: config.accessScopes
});
const cache = new ImageCache(docker, store, {
  namePrefix: config.namePrefix,
  budgetBytes: config.imageCacheBudget,
  baseImage: config.baseImage,
  registry
});
// Builds run in a network of their own behind a host firewall; while that is not in place, every build is refused.
const buildNetwork = prepareBuildNetwork(docker, {
  namePrefix: config.namePrefix,
  mirrors: [config.pipIndexUrl, config.aptMirror].filter(
    (url): url is string => !!url
  )
});
buildNetwork.catch((err: Error) =>
  log.error('builds.network_failed', { error: err.message })
);
const builder = new ImageBuilder(docker, store, cache, {
  network: buildNetwork,
  limits: { memory: config.buildMemory, cpus: config.buildCpus },
  baseImage: config.baseImage,
  namePrefix: config.namePrefix,
  pipIndexUrl: config.pipIndexUrl,
  aptMirror: config.aptMirror,
  strictRuntime: config.strictRuntime,
  availablePython: await basePython(docker, config.baseImage)
});
const interrupted = store.failInterruptedBuilds();
if (interrupted > 0) log.warn('builds.interrupted', { count: interrupted });
await removeBuildLeftovers(docker, config.namePrefix).catch((err: Error) =>
  log.error('builds.leftovers_failed', { error: err.message })
);
const seccomp = await seccompProblem(docker).catch(
  (err: Error) => `cannot tell: ${err.message}`
);
if (seccomp) log.warn('builds.seccomp_missing', { problem: seccomp });
const site = loadSiteConfig(config.siteConfigPath);
const volumes = new Volumes(swarm?.manager ?? docker, store, hub, {
  namePrefix: config.namePrefix,
  baseImage: swarm
    ? swarm.registry.reference(config.baseImage)
    : config.baseImage,
  volumesPerUser: site.volumesPerUser,
  webdav: {
    driver: config.webdavDriver,
    pluginDir: config.dockerPluginDir,
    allowedHosts: config.allowedRepoHosts
  },
  credentials
});
const classes = new Classes(
  hub,
  store,
  new ClassFiles(join(config.dataDir, 'classes'), site.exchange),
  volumes,
  {
    classesPerUser: site.classesPerUser,
    baseUrl: `${config.publicOrigin}${config.prefix}`
  }
);
const quotas = new Quotas(
  site.quotas,
  (users, from) => usageTotals(store, users, from),
  // A group the site gives a quota that the Hub does not have (yet) has no members.
  group =>
    hub.groupMembers(group).catch((err: EnvhubError) => {
      if (err.status === 404) return [];
      throw err;
    })
);
const launcher = new Launcher(hub, store, builder, volumes, {
  quotas,
  credentials,
  classRole: (user, id) => classes.roleOf(user, id),
  site,
  namePrefix: config.namePrefix,
  registry,
  servers: { proxyUrl: config.proxyUrl, token: config.apiToken },
  allowedRepoHosts: config.allowedRepoHosts,
  prefix: config.prefix
});

// Visitors' throw-away copies of public servers; without egress they run in a firewalled network.
const visitorNetwork = site.publicSessions.egress
  ? null
  : swarm
    ? Promise.reject(
        new EnvhubError(
          503,
          'session_isolation_unavailable',
          "public sessions without egress need envhub's firewalled visitor network, which it makes on one engine only; on a swarm the site configuration must allow them egress (README, Docker Swarm)"
        )
      )
    : prepareVisitorNetwork(docker, {
        namePrefix: config.namePrefix,
        hubApiUrl: config.hubApiUrl
      });
visitorNetwork?.catch((err: Error) =>
  log.error('sessions.network_failed', { error: err.message })
);
const sessions = new PublicSessions(hub, store, volumes, {
  namePrefix: config.namePrefix,
  site,
  publicOrigin: config.publicOrigin,
  proxyUrl: config.proxyUrl,
  network: visitorNetwork
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

// Usage accounting: the servers' containers read every ENVHUB_USAGE_INTERVAL seconds, storage every hour; quotas applied.
const recorder = new UsageRecorder(
  swarm
    ? [
        swarm.manager,
        ...config.swarmEngines.map(url => dockerAt(url, 'ENVHUB_SWARM_ENGINES'))
      ]
    : [docker],
  store,
  hub,
  quotas,
  {
    namePrefix: config.namePrefix,
    intervalMs: config.usageIntervalMs,
    storageEveryMs: 3600_000
  }
);
metrics.observeState({
  images: () => cache.held(),
  runningServers: () => recorder.runningServers,
  publicSessions: () => {
    const all = store.allSessions();
    const claimed = all.filter(s => s.claimedAt !== null).length;
    return { claimed, pooled: all.length - claimed };
  }
});

// Group collaborators are shared with member by member (JupyterHub 6.1 leaves group shares out of
// tokens), so group changes are followed every few minutes: joiners get in, leavers lose access.
const GROUP_RESYNC_MS = 5 * 60_000;
const resyncGroups = () =>
  resyncGroupShares(
    hub,
    store.allServers().map(record => ({
      owner: record.owner,
      name: record.name,
      collaborators: record.spec.collaborators
    }))
  );

const version = await hub.version();
// Servers' layers come from the base image: the first launch should not wait for its push.
swarm?.registry
  .publish(config.baseImage)
  .catch((err: Error) =>
    log.error('registry.base_image_failed', { error: err.message })
  );
reaper.start();
recorder.start();
sessions.startSweeping();
every(GROUP_RESYNC_MS, 'shares.resync_failed', resyncGroups);
const settled = <T>(check: Promise<T>) =>
  check.then(
    version => ({
      ok: true as const,
      ...(typeof version === 'string' ? { version } : {})
    }),
    (err: Error) => ({ ok: false as const, message: err.message })
  );
// Builds: refused without their network; a daemon without envhub's seccomp profile is reported, not fatal.
const builds = async () => {
  const network = await settled(buildNetwork.then(() => undefined));
  return network.ok && seccomp ? { ...network, warning: seccomp } : network;
};
const health = async () => ({
  hub: await settled(hub.version()),
  docker: await settled(docker.ping()),
  builds: await builds(),
  ...(swarm
    ? {
        swarm: await settled(swarm.manager.ping()),
        registry: await settled(swarm.registry.digest(config.baseImage))
      }
    : {})
});
const app = createApp({
  site,
  hubBaseUrl: config.hubBaseUrl,
  prefix: config.prefix,
  internalSecret: config.internalSecret,
  publicOrigin: config.publicOrigin,
  hub,
  auth,
  launcher,
  store,
  volumes,
  classes,
  sessions,
  credentials,
  swarm,
  quotas,
  usageIntervalMs: config.usageIntervalMs,
  otherCatalogs: new OtherCatalogs(site.otherHubs),
  health
});
const server = app.listen(config.listenPort, config.listenHost, () =>
  log.info('service.listening', {
    host: config.listenHost,
    port: config.listenPort,
    prefix: config.prefix,
    hub: version
  })
);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    log.info('service.stopping', { signal });
    reaper.stop();
    recorder.stop();
    sessions.stopSweeping();
    // Clients following a launch get a `failed` event, not a stream that stops mid-way; the streams
    // end with it, so the server closes once they are written (or gives up after a few seconds).
    launcher.failInFlight('envhub is restarting; launch again in a moment');
    const exit = () => {
      store.close();
      process.exit(0);
    };
    server.close(exit);
    setTimeout(exit, 3000).unref();
  });
}
