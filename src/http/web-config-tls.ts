/**
 * TLS for the HTTPS server from the web config, fresh for each connection as exporter-toolkit's
 * GetConfigForClient: the files are looked at (and read again if they changed) when a connection is
 * accepted, before its handshake starts.
 *
 * Why not SNICallback: clients that connect to an IP address (Prometheus scraping 10.0.0.5:9733) send
 * no server name, and then Node never calls it. A 'connection' listener put in front of the TLS
 * server's own runs for every TCP connection, synchronously, just before the TLS socket is made from
 * the server's current context and client policy: that is where the context is replaced when it
 * changed.
 *
 * Go's client auth policies onto OpenSSL's two switches (requestCert, rejectUnauthorized), and a check
 * after the handshake for the two OpenSSL cannot express: RequireAnyClientCert (some certificate,
 * verified or not) and VerifyClientCertIfGiven (none, or one that verifies). client_allowed_sans is
 * checked at the same point (client-sans.ts). cipher_suites and curve_preferences are in the context
 * options (web-config.ts).
 */
import type { Socket } from 'node:net';
import type { ServerOptions } from 'node:https';
import type { Server as TlsServer, TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import type { WebConfigRuntime } from './web-config-reload.js';
import type { TlsMaterial } from './web-config.js';
import { sanRefusal } from './client-sans.js';

/** tls.Server keeps the client policy in these two fields and reads them for each new connection. */
interface ClientPolicyFields {
  requestCert: boolean;
  rejectUnauthorized: boolean;
}

/** Options for https.createServer from the certificates and policy in force at start. */
export function httpsServerOptions(material: TlsMaterial): ServerOptions {
  return { ...material.contextOptions, requestCert: material.requestCert, rejectUnauthorized: material.rejectUnauthorized };
}

/** `initial` is what the server was created with (httpsServerOptions). */
export function attachWebConfigTls(server: TlsServer, initial: TlsMaterial, runtime: WebConfigRuntime, logger: Logger): void {
  let applied = initial;

  server.prependListener('connection', (_socket: Socket) => {
    try {
      const material = runtime.currentTls();
      if (material === null || material === applied) return;
      server.setSecureContext(material.contextOptions);
      const policy = server as unknown as ClientPolicyFields;
      policy.requestCert = material.requestCert;
      policy.rejectUnauthorized = material.rejectUnauthorized;
      applied = material;
    } catch (err) {
      // Never thrown from an event listener: the connection goes on with the previous context.
      logger.error({ err: (err as Error).message }, 'cannot apply the reloaded TLS config');
    }
  });

  server.prependListener('secureConnection', (socket: TLSSocket) => {
    const reason = clientCertRefusal(applied.clientAuth, socket) ?? allowedSansRefusal(applied, socket);
    if (reason === null) return;
    logger.debug({ remote: socket.remoteAddress, reason }, 'TLS client refused');
    socket.destroy();
  });

  server.on('tlsClientError', (err: Error, socket: TLSSocket) => {
    logger.debug({ remote: socket.remoteAddress, err: err.message.trim() }, 'TLS handshake failed');
  });
}

/**
 * client_allowed_sans, checked where Go checks it (VerifyPeerCertificate): on every handshake that
 * asked for a client certificate. With NoClientCert none is asked for and nothing is checked; when one
 * was asked for and none came, Go's check fails too (it reads the first certificate).
 */
function allowedSansRefusal(material: TlsMaterial, socket: TLSSocket): string | null {
  if (material.clientAllowedSans === null || material.clientAuth === 'NoClientCert') return null;
  return sanRefusal(material.clientAllowedSans, socket.getPeerX509Certificate()?.raw ?? null);
}

/** Why a completed handshake must still be refused under the policy, or null. */
function clientCertRefusal(policy: TlsMaterial['clientAuth'], socket: TLSSocket): string | null {
  const cert = socket.getPeerCertificate();
  const given = cert !== null && cert !== undefined && Object.keys(cert).length > 0;
  switch (policy) {
    case 'NoClientCert':
    case 'RequestClientCert':
      return null;
    case 'RequireAnyClientCert':
      return given ? null : 'no client certificate';
    case 'VerifyClientCertIfGiven':
      return !given || socket.authorized ? null : `client certificate does not verify: ${String(socket.authorizationError)}`;
    case 'RequireAndVerifyClientCert':
      // OpenSSL has failed the handshake already; checked again so that no path lets one through.
      return given && socket.authorized ? null : 'no verified client certificate';
  }
}
