import { fileURLToPath } from 'node:url';

/**
 * Set by the bundle (deploy/bundle-service.mjs), whose files sit beside it in the envhub Python
 * package; unset when the service runs from this repository (`dist/` or, in tests, `src/`).
 */
declare const ENVHUB_BUNDLED: boolean | undefined;
const bundled = typeof ENVHUB_BUNDLED !== 'undefined' && ENVHUB_BUNDLED;

const at = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/** Files the service reads at run time. */
export const ASSETS = bundled
  ? {
      clientScripts: at('./client/'),
      stylesheets: at('./static/'),
      seccompProfile: at('./seccomp.json')
    }
  : {
      clientScripts: at('./pages/client/'),
      stylesheets: at('../static/'),
      seccompProfile: at('../../deploy/docker/seccomp.json')
    };
