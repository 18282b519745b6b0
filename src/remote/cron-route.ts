import { reply, safeEqual } from '../shared/webhook-request.js'
import type { CheckRemoteReport, RemoteCheckHandlerOptions } from '../types.js'

type Handler = (request: Request) => Promise<Response>

/**
 * A Fetch API handler for a Vercel Cron Job: `export const GET = createRemoteCheckHandler({ store })` in a
 * route, and the route's path in `vercel.json` `crons`. It verifies the `Authorization: Bearer <CRON_SECRET>`
 * Vercel sends before doing anything, then runs `checkRemote` and answers its report: 200 when every change
 * was invalidated (or none), 500 otherwise. Without a secret it answers 503 and does nothing.
 */
export function createRemoteCheckHandler(options: RemoteCheckHandlerOptions): Handler {
  const env = options.env ?? process.env
  return async (request) => {
    const secret = options.secret ?? env.CRON_SECRET
    if (!secret) return reply(503, { ok: false, reason: 'not configured: set CRON_SECRET' })
    if (!isBearer(request.headers.get('authorization'), secret)) return reply(401, { ok: false, reason: 'not authorized' })
    // Loaded on the first run: a route that only builds the handler does not load the HTTP client.
    const { checkRemote } = await import('./check-remote.js')
    const report: CheckRemoteReport = await checkRemote({ ...options, env })
    return reply(report.ok ? 200 : 500, { ...report })
  }
}

/** Whether `header` is `Bearer <secret>`, compared in constant time. */
function isBearer(header: string | null, secret: string): boolean {
  return safeEqual(header ?? '', `Bearer ${secret}`)
}
