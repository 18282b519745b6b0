import { ImageInvalidateError } from '../core/errors.js'
import { countOf, createRouteLog, redactedCopy, secretRedactor, type RouteLog } from '../shared/format.js'
import { reply, safeEqual } from '../shared/webhook-request.js'
import type { CheckRemoteReport, RemoteCheckHandlerOptions } from '../types.js'

type Handler = (request: Request) => Promise<Response>

/**
 * A Fetch API handler for a Vercel Cron Job: `export const GET = createRemoteCheckHandler({ store })` in a
 * route, and the route's path in `vercel.json` `crons`. It verifies the `Authorization: Bearer <CRON_SECRET>`
 * Vercel sends before doing anything, then runs `checkRemote` and answers its report: 200 when every change
 * was invalidated (or none), 500 otherwise. Without a secret it answers 503 and does nothing. Each run leaves
 * one line in the function's logs (stdout, failures on stderr, or `log`); no answer or line holds a secret.
 */
export function createRemoteCheckHandler(options: RemoteCheckHandlerOptions): Handler {
  const env = options.env ?? process.env
  const scrub = secretRedactor(env, [options.secret, options.token])
  const say = createRouteLog('check-remote route', scrub, options.log)
  const refuse = (status: number, reason: string) => {
    say.error(`refused, ${status}: ${reason}`)
    return reply(status, { ok: false, reason })
  }
  return async (request) => {
    const secret = options.secret ?? env.CRON_SECRET
    if (!secret) return refuse(503, 'not configured: set CRON_SECRET')
    if (!isBearer(request.headers.get('authorization'), secret)) return refuse(401, 'not authorized')
    let report: CheckRemoteReport
    try {
      // Loaded on the first run: a route that only builds the handler does not load the HTTP client.
      const { checkRemote } = await import('./check-remote.js')
      report = redactedCopy(await checkRemote({ ...options, env }), scrub)
    } catch (error) {
      // checkRemote answers expected failures in its report; anything else is named, not echoed.
      const reason = error instanceof ImageInvalidateError ? error.message : `unexpected ${(error as Error)?.name ?? 'error'}`
      return refuse(500, scrub(reason))
    }
    logRun(say, report)
    return reply(report.ok ? 200 : 500, { ...report })
  }
}

/** One run in one line: checked, changed, sent, failed with the first reason, or what stopped it. */
function logRun(say: RouteLog, report: CheckRemoteReport): void {
  const counts = `checked ${report.checked}, changed ${report.changed.length}, sent ${report.invalidated.length}, failed ${report.failed.length}`
  const unreachable = report.unreachable.length > 0 ? `, ${countOf(report.unreachable.length, 'image')} unreachable` : ''
  const failure = report.failed[0] ? `; first failure: ${report.failed[0].srcImage}: ${report.failed[0].reason}` : ''
  const error = report.error ? `; ${report.errorCode ?? 'IMAGE_INVALIDATE_UNEXPECTED'}: ${report.error}` : ''
  const line = `${report.dryRun ? 'dry run: ' : ''}${counts}${unreachable}${failure}${error}`
  if (report.ok) say.info(line)
  else say.error(line)
}

/** Whether `header` is `Bearer <secret>`, compared in constant time. */
function isBearer(header: string | null, secret: string): boolean {
  return safeEqual(header ?? '', `Bearer ${secret}`)
}
