// Preloaded into configurable-http-proxy (`node --import`, see deploy/jupyterhub_config.py) to fix
// two of its answers to broken requests:
// - when an upstream dies in the middle of a response, the client's response is cut off too.
//   http-proxy-3 (which configurable-http-proxy 5 uses) only passes on the upstream's `end`, so a
//   client following the launch stream of an envhub service that was killed would wait forever;
// - a path with a malformed percent-escape is the client's error (400), not the proxy's (500):
//   the proxy decodes paths to find their route and let the URIError through as its own failure.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);
const proxyMain = require.resolve('configurable-http-proxy');
// The proxy's own copy of http-proxy-3, which it loads with require() and so shares with us.
const httpProxy = createRequire(proxyMain)('http-proxy-3');
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

// The module instance the proxy's command imports (ES modules are cached by URL).
const { default: ConfigurableProxy } = await import(
  pathToFileURL(proxyMain).href
);
const handleProxyError = ConfigurableProxy.prototype.handleProxyError;
ConfigurableProxy.prototype.handleProxyError = function (
  code,
  kind,
  req,
  res,
  e
) {
  if (!(e instanceof URIError)) {
    return handleProxyError.call(this, code, kind, req, res, e);
  }
  if (kind !== 'web') {
    return res.destroy();
  }
  res.writeHead(400, { 'Content-Type': 'application/json' });
  res.end(
    JSON.stringify({
      status: 400,
      code: 'invalid_path',
      message: 'the URL has a malformed percent-escape (%XX)'
    })
  );
};
