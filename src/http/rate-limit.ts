/**
 * rate_limit of the web config, as exporter-toolkit applies it (web/handler.go): one token bucket for
 * every request the server answers, golang.org/x/time/rate's Limiter with rate.Every(interval) and
 * `burst` tokens, full at start. A request that finds no token gets 429 before anything else is done
 * for it: before basic authentication (so it costs no bcrypt) and before the extra headers.
 *
 * As in the toolkit, a burst of 0 (or less) refuses every request, and an interval of 0 or less
 * means no limiter (web-config.ts turns both of the latter into null). One difference: the toolkit
 * builds its limiter once at start; here a changed rate_limit in the re-read file takes effect at the
 * next request, with a new, full bucket.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RateLimitSettings } from './web-config.js';
import type { WebConfigRuntime } from './web-config-reload.js';

export interface TokenBucket {
  /** Takes a token if there is one. */
  allow(): boolean;
}

/** `now` in milliseconds, monotonic. */
export function tokenBucket(settings: RateLimitSettings, now: () => number = () => performance.now()): TokenBucket {
  const { intervalMs, burst } = settings;
  let tokens = burst;
  let last = now();
  return {
    allow(): boolean {
      const t = now();
      tokens = Math.min(burst, tokens + Math.max(0, t - last) / intervalMs);
      last = t;
      if (burst < 1 || tokens < 1) return false;
      tokens -= 1;
      return true;
    },
  };
}

/** A fastify onRequest hook: 429 beyond the rate, as the toolkit's http.Error writes it. */
export function rateLimitHook(web: WebConfigRuntime): (req: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply | undefined> {
  let key = '';
  let bucket: TokenBucket | null = null;
  return async (_req, reply) => {
    const settings = web.current().rateLimit;
    const nextKey = settings === null ? '' : `${settings.intervalMs}/${settings.burst}`;
    if (nextKey !== key) {
      key = nextKey;
      bucket = settings === null ? null : tokenBucket(settings);
    }
    if (bucket === null || bucket.allow()) return undefined;
    reply.code(429).header('x-content-type-options', 'nosniff').type('text/plain; charset=utf-8').send('Too Many Requests\n');
    return reply;
  };
}
