import { createHmac, timingSafeEqual } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { apply, type ApplyReport } from './apply.js'
import { MANIFEST_FILE_NAME } from './core/manifest.js'
import { isUrl } from './options.js'
import type { ApplyOptions } from './types.js'

export interface WebhookOptions extends Omit<ApplyOptions, 'plan' | 'wait' | 'deployment' | 'siteUrl'> {
  /** The webhook's secret, from the Vercel dashboard. Default: `IMAGE_INVALIDATE_WEBHOOK_SECRET`. */
  secret?: string
  /**
   * Also act on `deployment.succeeded` when its target is production (for projects that assign production
   * domains on success rather than by promotion).
   * @default false
   */
  onSucceeded?: boolean
  /** Prefix of the site's paths, as Next.js `basePath`: where the deployment serves its manifest. */
  basePath?: string
  /**
   * Keeps the function alive after the response, as `waitUntil` from `@vercel/functions`. With it, the
   * handler answers 202 at once and finishes the invalidations afterwards.
   */
  waitUntil?: (promise: Promise<unknown>) => void
  /** Largest body accepted, in bytes. @default 1048576 */
  maxBodyBytes?: number
  /** Without `waitUntil`: answer by then, and let the work go on. Vercel waits 30 seconds. @default 25000 */
  deadlineMs?: number
}

type Handler = (request: Request) => Promise<Response>

const ACTIONABLE = new Set(['deployment.promoted', 'deployment.succeeded'])
const SEEN_LIMIT = 500

/**
 * A Fetch API handler for Vercel's deployment webhooks: `export const POST = createWebhookHandler()` in a
 * Next.js route, or any runtime that speaks Request/Response. It verifies `x-vercel-signature` before
 * reading anything else, then, for a production deployment of this project going live, fetches the plan
 * that deployment serves and invalidates it. A redelivered event joins or repeats harmless work.
 */
export function createWebhookHandler(options: WebhookOptions = {}): Handler {
  const env = options.env ?? process.env
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024
  const deadlineMs = options.deadlineMs ?? 25_000
  // Event id -> its work, so a redelivery while it runs (or soon after) does not start it again.
  const seen = new Map<string, Promise<ApplyReport>>()

  return async (request) => {
    if (request.method !== 'POST') return reply(405, { ok: false, reason: 'only POST' })
    const secret = options.secret ?? env.IMAGE_INVALIDATE_WEBHOOK_SECRET
    // Fail closed: without a secret nothing can be verified, so nothing is done.
    if (!secret) return reply(503, { ok: false, reason: 'not configured: set IMAGE_INVALIDATE_WEBHOOK_SECRET' })

    const declared = Number(request.headers.get('content-length'))
    if (declared > maxBodyBytes) return reply(413, { ok: false, reason: `body over ${maxBodyBytes} bytes` })
    const body = await readBody(request, maxBodyBytes)
    if (!body) return reply(413, { ok: false, reason: `body over ${maxBodyBytes} bytes` })
    if (!verifySignature(body, request.headers.get('x-vercel-signature'), secret)) {
      return reply(401, { ok: false, reason: 'invalid or missing x-vercel-signature' })
    }

    const event = parseEvent(body)
    if (!event) return reply(400, { ok: false, reason: 'the body is not a Vercel webhook event (JSON with type and payload)' })
    const ignore = (reason: string) => reply(200, { ok: true, action: 'ignored', reason })
    if (!ACTIONABLE.has(event.type)) return ignore(`event ${event.type} is not handled`)
    if (event.type === 'deployment.succeeded' && !options.onSucceeded) return ignore('deployment.succeeded is handled only with onSucceeded')
    if (event.type === 'deployment.succeeded' && event.target !== 'production') return ignore(`target ${event.target ?? 'none'} is not production`)
    const projectId = options.projectId ?? env.VERCEL_PROJECT_ID
    if (projectId && event.projectId && event.projectId !== projectId) return ignore(`project ${event.projectId} is not ${projectId}`)
    if (!event.deploymentUrl || !event.deploymentId) return reply(400, { ok: false, reason: 'the event names no deployment id and url' })

    let work = seen.get(event.id)
    if (!work) {
      const origin = isUrl(event.deploymentUrl) ? event.deploymentUrl.replace(/\/+$/, '') : `https://${event.deploymentUrl}`
      work = apply({
        ...options,
        projectId: projectId ?? event.projectId,
        plan: `${origin}${options.basePath ?? ''}/${MANIFEST_FILE_NAME}`,
        deployment: event.deploymentId,
      })
      remember(seen, event.id, work)
    }

    if (options.waitUntil) {
      options.waitUntil(work)
      return reply(202, { ok: true, action: 'accepted', event: event.id })
    }
    const stop = new AbortController()
    const deadline = sleep(deadlineMs, undefined, { signal: stop.signal }).catch(() => undefined)
    const report = await Promise.race([work, deadline])
    stop.abort()
    if (!report) return reply(202, { ok: true, action: 'accepted', event: event.id, reason: 'still running after the deadline' })
    // A failed run answers 500 so that Vercel redelivers; invalidating again is harmless.
    return reply(report.ok ? 200 : 500, { ok: report.ok, action: 'applied', event: event.id, report })
  }
}

/** HMAC-SHA1 of the raw body with the secret, hex, compared in constant time. */
export function verifySignature(body: Uint8Array, signature: string | null, secret: string): boolean {
  if (!signature || !/^[0-9a-f]{40}$/i.test(signature)) return false
  const expected = createHmac('sha1', secret).update(body).digest()
  return timingSafeEqual(expected, Buffer.from(signature, 'hex'))
}

interface WebhookEvent {
  id: string
  type: string
  target: string | undefined
  projectId: string | undefined
  deploymentId: string | undefined
  deploymentUrl: string | undefined
}

function parseEvent(body: Uint8Array): WebhookEvent | undefined {
  let data: unknown
  try {
    data = JSON.parse(Buffer.from(body).toString('utf8'))
  } catch {
    return undefined
  }
  const event = data as { id?: unknown; type?: unknown; payload?: Record<string, unknown> }
  if (typeof event?.type !== 'string' || typeof event.payload !== 'object' || event.payload === null) return undefined
  const text = (value: unknown) => (typeof value === 'string' && value ? value : undefined)
  const deployment = (event.payload.deployment ?? {}) as Record<string, unknown>
  const project = (event.payload.project ?? {}) as Record<string, unknown>
  const deploymentId = text(deployment.id)
  return {
    id: text(event.id) ?? `${event.type}:${deploymentId ?? ''}`,
    type: event.type,
    target: text(event.payload.target) ?? text(deployment.target),
    projectId: text(project.id),
    deploymentId,
    deploymentUrl: text(deployment.url),
  }
}

async function readBody(request: Request, maxBytes: number): Promise<Uint8Array | undefined> {
  if (!request.body) return new Uint8Array()
  const chunks: Uint8Array[] = []
  let size = 0
  const reader = request.body.getReader()
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > maxBytes) {
      await reader.cancel()
      return undefined
    }
    chunks.push(value)
  }
  return Buffer.concat(chunks)
}

function remember(seen: Map<string, Promise<ApplyReport>>, id: string, work: Promise<ApplyReport>): void {
  seen.set(id, work)
  // A failed run is forgotten, so that Vercel's redelivery tries again.
  void work.then((report) => {
    if (!report.ok) seen.delete(id)
  })
  if (seen.size > SEEN_LIMIT) seen.delete(seen.keys().next().value!)
}

function reply(status: number, body: Record<string, unknown>): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } })
}
