/**
 * The web config while the exporter runs. exporter-toolkit reads its file on every request and its
 * certificates on every new connection; this does the same, but only reads again what changed since
 * the last look (one stat per file, microseconds), so a new password applies to the very next request
 * and a rotated certificate to the very next connection.
 *
 * A file that became invalid is one log line and changes nothing: the last good config stays, until the
 * file changes again. Whether TLS is served at all is decided at start (the listener is either TLS or
 * not, as with the toolkit): adding or removing tls_server_config takes a restart, and says so.
 */
import type { Logger } from 'pino';
import { createBasicAuth, type BasicAuth } from './web-config-auth.js';
import {
  fileStamp,
  loadTlsMaterial,
  readWebConfigFile,
  tlsStamp,
  type LoadedWebConfig,
  type TlsMaterial,
  type WebConfig,
} from './web-config.js';

export interface WebConfigRuntime {
  readonly path: string;
  /** The listener serves TLS: decided by the file as it was at start. */
  readonly tls: boolean;
  /** The config for a request: the file as it is now, or the last good one. */
  current(): WebConfig;
  /** Certificates and client policy for a new connection; null when serving plain HTTP. */
  currentTls(): TlsMaterial | null;
  readonly auth: BasicAuth;
}

export function createWebConfigRuntime(
  path: string,
  initial: LoadedWebConfig,
  logger: Logger,
  auth: BasicAuth = createBasicAuth(),
): WebConfigRuntime {
  const servesTls = initial.tls !== null;
  let config = initial.config;
  let configTried = initial.configStamp;
  let tls = initial.tls;
  let tlsTried = initial.tls?.stamp ?? null;

  const prepare = (c: WebConfig): void => {
    auth.prepare(c.users).catch((err: unknown) => logger.error({ file: path, err: (err as Error).message }, 'cannot prepare basic auth'));
  };
  prepare(config);
  logger.info(
    {
      file: path,
      tls: servesTls,
      clientAuth: tls?.clientAuth ?? null,
      basicAuthUsers: config.users.size,
      headers: config.headers.length,
      rateLimit: rateLimitText(config),
    },
    'web config loaded',
  );

  const current = (): WebConfig => {
    const stamp = fileStamp(path);
    if (stamp === configTried) return config;
    configTried = stamp;
    try {
      const next = readWebConfigFile(path);
      config = next;
      prepare(next);
      logger.info(
        { file: path, basicAuthUsers: next.users.size, headers: next.headers.length, rateLimit: rateLimitText(next) },
        'web config reloaded',
      );
      if ((next.tls !== null) !== servesTls) {
        logger.warn(
          { file: path },
          servesTls
            ? 'tls_server_config was removed: TLS stays on with the last good certificates until a restart'
            : 'tls_server_config was added: plain HTTP until a restart',
        );
      }
    } catch (err) {
      logger.error({ file: path, err: (err as Error).message }, 'web config reload failed; keeping the last good config');
    }
    return config;
  };

  const currentTls = (): TlsMaterial | null => {
    if (!servesTls) return null;
    const settings = current().tls;
    if (settings === null) return tls;
    const stamp = tlsStamp(settings);
    if (stamp === tlsTried) return tls;
    tlsTried = stamp;
    try {
      tls = loadTlsMaterial(settings);
      logger.info({ file: path, clientAuth: tls.clientAuth }, 'TLS config reloaded');
    } catch (err) {
      logger.error({ file: path, err: (err as Error).message }, 'TLS reload failed; keeping the last good TLS config');
    }
    return tls;
  };

  return { path, tls: servesTls, current, currentTls, auth };
}

/** "20 per 1000ms" or null, for the log. */
function rateLimitText(c: WebConfig): string | null {
  return c.rateLimit ? `burst ${c.rateLimit.burst}, one per ${c.rateLimit.intervalMs}ms` : null;
}
