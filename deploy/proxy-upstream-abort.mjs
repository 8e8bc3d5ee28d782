// Preloaded into configurable-http-proxy (`node --import`, see deploy/jupyterhub_config.py): when an
// upstream dies in the middle of a response, the client's response is cut off too. http-proxy-3
// (which configurable-http-proxy 5 uses) only passes on the upstream's `end`, so a client following
// the launch stream of an envhub service that was killed would otherwise wait forever.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
// The proxy's own copy of http-proxy-3, which it loads with require() and so shares with us.
const httpProxy = createRequire(require.resolve('configurable-http-proxy'))(
  'http-proxy-3'
);
const createProxyServer = httpProxy.createProxyServer;

httpProxy.createProxyServer = (...args) => {
  const proxy = createProxyServer(...args);
  proxy.on('proxyRes', (upstream, _req, res) => {
    // Destroyed rather than ended: a cut-off body must not look complete to the client.
    upstream.on('close', () => {
      if (!upstream.complete) {
        res.destroy();
      }
    });
  });
  return proxy;
};
