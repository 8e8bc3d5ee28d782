import {
  collectDefaultMetrics,
  Counter,
  Gauge,
  Histogram,
  Registry
} from 'prom-client';

/**
 * envhub's Prometheus metrics (`GET metrics`). BinderHub's names and labels where BinderHub has the
 * metric (launches and builds: times by status, counts by status, provider and repository, in
 * progress), `envhub_` for the rest. Gauges that describe state (images, running servers, public
 * sessions) are read when Prometheus scrapes, through `observeState`.
 */
const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'envhub_service_' });

// BinderHub's buckets: builds take minutes, launches seconds.
const BUILD_BUCKETS = [60, 120, 300, 600, 1800, 3600, 7200];
const LAUNCH_BUCKETS = [2, 5, 10, 20, 30, 60, 120, 300, 600];

/** What the state gauges read at scrape time. */
export interface ObservedState {
  images: () => Promise<{ count: number; bytes: number }>;
  runningServers: () => number;
  publicSessions: () => { claimed: number; pooled: number };
}

export const metrics = {
  registry,
  launchTime: new Histogram({
    name: 'binderhub_launch_time_seconds',
    help: 'Histogram of launch times: from the request to the server ready (or the failure)',
    labelNames: ['status', 'retries'] as const,
    buckets: LAUNCH_BUCKETS,
    registers: [registry]
  }),
  launchPhaseTime: new Histogram({
    name: 'envhub_launch_phase_seconds',
    help: 'Histogram of the time launches spent in each phase (fetching, building, launching)',
    labelNames: ['phase'] as const,
    buckets: [0.1, 0.5, 1, ...LAUNCH_BUCKETS],
    registers: [registry]
  }),
  launches: new Counter({
    name: 'binderhub_launch_count_total',
    help: 'Counter of launches by repo',
    labelNames: ['status', 'provider', 'repo'] as const,
    registers: [registry]
  }),
  launchesInProgress: new Gauge({
    name: 'binderhub_inprogress_launches',
    help: 'Launches currently in progress',
    registers: [registry]
  }),
  buildTime: new Histogram({
    name: 'binderhub_build_time_seconds',
    help: 'Histogram of build times',
    labelNames: ['status'] as const,
    buckets: BUILD_BUCKETS,
    registers: [registry]
  }),
  builds: new Counter({
    name: 'binderhub_build_count_total',
    help: 'Counter of builds by repo',
    labelNames: ['status', 'provider', 'repo'] as const,
    registers: [registry]
  }),
  buildsInProgress: new Gauge({
    name: 'binderhub_inprogress_builds',
    help: 'Builds currently in progress',
    registers: [registry]
  }),
  imageCache: new Counter({
    name: 'envhub_image_cache_total',
    help: "Launches by whether their environment's image was already built (hit) or had to be built (miss)",
    labelNames: ['result'] as const,
    registers: [registry]
  }),
  exchangeOperations: new Counter({
    name: 'envhub_exchange_operations_total',
    help: 'Operations on the nbgrader exchange by kind and outcome',
    labelNames: ['operation', 'status'] as const,
    registers: [registry]
  }),
  quotaRefusals: new Counter({
    name: 'envhub_quota_refusals_total',
    help: 'Launches and starts refused because a quota was reached, by the resource',
    labelNames: ['resource'] as const,
    registers: [registry]
  }),

  /** Registers the state gauges, read at each scrape. */
  observeState(state: ObservedState): void {
    let images: Promise<{ count: number; bytes: number }> | null = null;
    // One look at the engine per scrape, for both image gauges.
    const readImages = () => {
      images ??= state
        .images()
        .finally(() => setTimeout(() => (images = null), 1000));
      return images;
    };
    new Gauge({
      name: 'envhub_images',
      help: 'Environment images envhub built that the engine holds',
      registers: [registry],
      async collect() {
        this.set((await readImages()).count);
      }
    });
    new Gauge({
      name: 'envhub_images_bytes',
      help: 'Disk those images take, in bytes',
      registers: [registry],
      async collect() {
        this.set((await readImages()).bytes);
      }
    });
    new Gauge({
      name: 'envhub_running_servers',
      help: "Users' servers running, at the last usage sample",
      registers: [registry],
      collect() {
        this.set(state.runningServers());
      }
    });
    new Gauge({
      name: 'envhub_public_sessions',
      help: "Visitors' temporary sessions of public servers, claimed or waiting in the warm pool",
      labelNames: ['state'] as const,
      registers: [registry],
      collect() {
        const { claimed, pooled } = state.publicSessions();
        this.set({ state: 'claimed' }, claimed);
        this.set({ state: 'pooled' }, pooled);
      }
    });
  }
};

/** The status label of BinderHub's metrics for an outcome. */
export const outcome = (ok: boolean) => (ok ? 'success' : 'failure');
