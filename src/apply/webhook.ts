import { createHmac, timingSafeEqual } from 'node:crypto'
import type { GivenPrevious, GivenVia } from '../core/choose-previous.js'
import { recordOf, textOf } from '../core/json.js'
import { manifestUrl } from '../core/manifest.js'
import { countOf, createRouteLog, secretRedactor } from '../shared/format.js'
import type { FlipTrigger } from './apply.js'
import { resolveConfiguredProject, resolveVercelTarget, teamOf, type ConfiguredProject } from '../vercel/target.js'
import { readBoundedBody, reply, settledWithin } from '../shared/webhook-request.js'
import type { ApplyOptions, ApplyReport, WebhookOptions } from '../types.js'

type Handler = (request: Request) => Promise<Response>

/** Events remembered for redeliveries. */
const SEEN_LIMIT = 500

/**
 * A Fetch API handler for Vercel's deployment webhooks: `export const POST = createWebhookHandler()` in a
 * Next.js route, or any runtime that speaks Request/Response. It verifies `x-vercel-signature` before
 * reading anything else, then, for a production flip of this project (`deployment.promoted`,
 * `deployment.rollback`, and the end of a rolling release: `project.rolling-release.completed` or
 * `.aborted`), waits until production serves the new deployment and invalidates what changed between the
 * one that was live and it, as `apply` does. A redelivered event joins or repeats harmless work.
 */
export function createWebhookHandler(options: WebhookOptions = {}): Handler {
  const env = options.env ?? process.env
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024
  const secret = options.secret ?? env.IMAGE_INVALIDATE_WEBHOOK_SECRET
  const configured = resolveConfiguredProject(options, options.root ?? process.cwd(), env)
  const projects = createProjectMatcher(options, env)
  const say = createWebhookLog(secretRedactor(env, [secret, options.token]))
  // Event id -> its work, so a redelivery while it runs (or soon after) does not start it again.
  const seen = new Map<string, Promise<ApplyReport>>()

  return async (request) => {
    if (request.method !== 'POST') return say.refused(reply(405, { ok: false, reason: 'only POST' }), 'only POST')
    const event = await readVerifiedEvent(request, secret, maxBodyBytes)
    if ('refused' in event) return say.refused(event.refused, event.reason)
    const ignore = (reason: string) => {
      say.outcome(`${event.type} ${event.id}: ignored: ${reason}`)
      return reply(200, { ok: true, action: 'ignored', reason })
    }
    const flip = flipOf(event)
    if ('ignore' in flip) return ignore(flip.ignore)
    if (!flip.to) {
      const reason = `the ${event.type} event names no deployment id`
      return say.refused(reply(400, { ok: false, reason }), `${event.type} ${event.id}: ${reason}`)
    }
    const project = configured.projectId
    if (project && event.projectId && !(await projects.isSame(project, event.projectId))) return ignore(`project ${event.projectId} is not ${project}`)

    // Loaded on the first event, and before the redelivery check, which must not be split by an await: a
    // route that imports the handler does not load the HTTP client.
    const { applyFlip } = await import('./apply.js')
    let work = seen.get(event.id)
    if (!work) {
      work = applyFlip(applyOptionsFor(event, flip, options, configured), flip.trigger)
      remember(seen, event.id, work)
      void work.then((report) => say.run(event, flip.to, report))
    }
    return answer(event, work, options)
  }
}

/**
 * The handler's own lines, where a function's logs show them (Vercel's function logs read stdout and
 * stderr): each run's outcome in one line, every failure and refusal with its reason on stderr. Secrets and
 * the token never appear.
 */
function createWebhookLog(scrub: (text: string) => string) {
  const say = createRouteLog('webhook', scrub)
  return {
    outcome: (text: string) => say.info(text),
    refused(response: Response, reason: string): Response {
      say.error(`refused, ${response.status}: ${reason}`)
      return response
    },
    /** One run: the event, the flip P -> D, and what was sent or why not. */
    run(event: WebhookEvent, to: string | undefined, report: ApplyReport): void {
      const flip = `${report.previous?.buildId ?? 'P unknown'} -> ${report.plan?.buildId ?? to ?? 'D unknown'}`
      const head = `${event.type} ${event.id}, ${flip}`
      if (report.deferred) return say.info(`${head}: deferred: ${report.deferred}`)
      if (report.ok) return say.info(`${head}: ${describeSent(report)}`)
      const failed = report.failed.length > 0 ? `; ${countOf(report.failed.length, 'source image')} not invalidated: ${report.failed[0]?.reason}` : ''
      const error = report.error ? `: ${report.errorCode ?? 'IMAGE_INVALIDATE_UNEXPECTED'}: ${report.error}` : ''
      const sent = report.planned.length > 0 ? `, ${describeSent(report)}` : ''
      say.error(`${head}: failed${sent}${error}${failed}`)
    },
  }
}

function describeSent(report: ApplyReport): string {
  if (report.planned.length === 0) return 'nothing to invalidate'
  return `invalidated ${report.invalidated.length} of ${countOf(report.planned.length, 'source image')}`
}

/**
 * The event in the request's body, once its signature is verified; otherwise the answer to give and why.
 * Fails closed: without a secret nothing can be verified, so nothing is done.
 */
async function readVerifiedEvent(
  request: Request,
  secret: string | undefined,
  maxBodyBytes: number,
): Promise<WebhookEvent | { refused: Response; reason: string }> {
  const refuse = (status: number, reason: string) => ({ refused: reply(status, { ok: false, reason }), reason })
  if (!secret) return refuse(503, 'not configured: set IMAGE_INVALIDATE_WEBHOOK_SECRET')
  const body = await readBoundedBody(request, maxBodyBytes)
  if (!body) return refuse(413, `body over ${maxBodyBytes} bytes`)
  if (!verifySignature(body, request.headers.get('x-vercel-signature'), secret)) return refuse(401, 'invalid or missing x-vercel-signature')
  return parseEvent(body) ?? refuse(400, 'the body is not a Vercel webhook event (JSON with type and payload)')
}

/** `apply`'s options for an event's flip: the configured project, else the event's, and its team when none is configured. */
function applyOptionsFor(event: WebhookEvent, flip: Flip, options: WebhookOptions, configured: ConfiguredProject): ApplyOptions {
  const teamConfigured = Boolean(configured.teamId ?? configured.teamSlug)
  return {
    ...options,
    env: options.env ?? process.env,
    projectId: configured.projectId ?? event.projectId,
    // A personal account has no team: the payload's team is used only when it is one.
    teamId: options.teamId ?? (teamConfigured ? undefined : teamOf(event.teamId)),
    plan: event.deploymentUrl && event.type === 'deployment.promoted' ? manifestUrl(event.deploymentUrl, options.basePath ?? '') : undefined,
    deployment: flip.to,
  }
}

/**
 * The answer, within Vercel's 30 seconds: with `waitUntil`, 202 at once; otherwise the report, or 202 at the
 * deadline while the work goes on. A failed run answers 500 so that Vercel redelivers; invalidating again
 * is harmless.
 */
async function answer(event: WebhookEvent, work: Promise<ApplyReport>, options: WebhookOptions): Promise<Response> {
  if (options.waitUntil) {
    options.waitUntil(work)
    return reply(202, { ok: true, action: 'accepted', event: event.id })
  }
  const report = await settledWithin(work, options.deadlineMs)
  if (!report) return reply(202, { ok: true, action: 'accepted', event: event.id, reason: 'still running after the deadline' })
  if (report.deferred) return reply(200, { ok: true, action: 'deferred', event: event.id, reason: report.deferred, report })
  return reply(report.ok ? 200 : 500, { ok: report.ok, action: 'applied', event: event.id, report })
}

/** The deployment production goes to, and what else the event tells `apply` (where it comes from, a rolling release). */
type Flip = { to: string | undefined; trigger: FlipTrigger }

/** The flip an event is about, or why it is ignored. */
function flipOf(event: WebhookEvent): Flip | { ignore: string } {
  switch (event.type) {
    // A rollback names both ends; `payload.deployment` is taken for the one it goes to when the second is missing.
    case 'deployment.rollback':
      return { to: event.toDeploymentId ?? event.deploymentId, trigger: { given: givenBy(event.fromDeploymentId, 'rollback-event') } }
    // A promotion that starts a rolling release is finished by project.rolling-release.completed: waiting
    // for it here would outlast the function and make Vercel redeliver.
    case 'deployment.promoted':
      if (event.target && event.target !== 'production') return { ignore: `target ${event.target} is not production` }
      return { to: event.deploymentId, trigger: { deferRollout: true } }
    // A rolling release ends the flip from its base to its target, or sends production back to a deployment
    // other than the target, which served some visitors meanwhile.
    case 'project.rolling-release.completed':
    case 'project.rolling-release.aborted':
      if (event.target && event.target !== 'production') return { ignore: `target ${event.target} is not production` }
      // An aborted rollout is one that was seen: production going to another deployment then ends it.
      if (event.type === 'project.rolling-release.aborted') return { to: event.rolloutTargetId, trigger: { rolloutSeen: true } }
      return { to: event.rolloutTargetId, trigger: { given: givenBy(event.rolloutBaseId, 'rolling-release-event') } }
    case 'project.rolling-release.started':
    case 'project.rolling-release.approved':
      return { ignore: `event ${event.type}: the rolling release is still moving traffic; project.rolling-release.completed ends it` }
    // deployment.succeeded is not handled: Vercel sends it once checks pass, not when production flips.
    default:
      return { ignore: `event ${event.type} is not handled` }
  }
}

/** P as an event names it, when it does. */
function givenBy(deploymentId: string | undefined, via: GivenVia): GivenPrevious | undefined {
  return deploymentId ? { name: deploymentId, via } : undefined
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
  teamId: string | undefined
  deploymentId: string | undefined
  deploymentUrl: string | undefined
  /** deployment.rollback: the deployment production leaves, and the one it goes back to. */
  fromDeploymentId: string | undefined
  toDeploymentId: string | undefined
  /** project.rolling-release.*: the deployment the rollout starts from, and the one it moves traffic to. */
  rolloutBaseId: string | undefined
  rolloutTargetId: string | undefined
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
  const deployment = recordOf(event.payload.deployment) ?? {}
  const project = recordOf(event.payload.project) ?? {}
  const team = recordOf(event.payload.team) ?? {}
  const deploymentId = textOf(deployment.id)
  const toDeploymentId = textOf(event.payload.toDeploymentId)
  const rollout = recordOf(event.payload.rollingRelease)
  const rolloutDefault = recordOf(rollout?.default)
  return {
    id: textOf(event.id) ?? `${event.type}:${toDeploymentId ?? deploymentId ?? ''}`,
    type: event.type,
    target: textOf(event.payload.target) ?? textOf(deployment.target) ?? textOf(recordOf(rollout?.config)?.target),
    projectId: textOf(project.id) ?? textOf(event.payload.projectId),
    teamId: textOf(team.id),
    deploymentId,
    deploymentUrl: textOf(deployment.url),
    fromDeploymentId: textOf(event.payload.fromDeploymentId),
    toDeploymentId,
    rolloutBaseId: textOf(rolloutDefault?.baseDeploymentId),
    rolloutTargetId: textOf(rolloutDefault?.targetDeploymentId),
  }
}

/**
 * Compares the configured project, an id or a name, with an event's project id. A name is resolved once
 * through `GET /v9/projects/{name}`; when it cannot be (no token), the event is acted on rather than
 * ignored: invalidating another project's images is refused by the API, missing this project's is not seen.
 */
function createProjectMatcher(options: WebhookOptions, env: Record<string, string | undefined>) {
  const resolved = new Map<string, Promise<string | undefined>>()
  return {
    async isSame(configured: string, eventProjectId: string): Promise<boolean> {
      if (configured === eventProjectId) return true
      if (configured.startsWith('prj_')) return false
      let id = resolved.get(configured)
      if (!id) {
        id = resolveProjectId(configured, options, env)
        resolved.set(configured, id)
        // A failed lookup is tried again with the next event.
        void id.then((value) => {
          if (value === undefined) resolved.delete(configured)
        })
      }
      const value = await id
      return value === undefined || value === eventProjectId
    },
  }
}

async function resolveProjectId(name: string, options: WebhookOptions, env: Record<string, string | undefined>): Promise<string | undefined> {
  const target = resolveVercelTarget({ ...options, projectId: name }, options.root ?? process.cwd(), env)
  if ('problem' in target) return undefined
  const { VercelClient } = await import('../vercel/client.js')
  const client = new VercelClient(target, { retries: 2, timeoutMs: options.requestTimeoutMs })
  try {
    return (await client.getProject(name)).id || undefined
  } catch {
    return undefined
  } finally {
    await client.close()
  }
}

function remember(seen: Map<string, Promise<ApplyReport>>, id: string, work: Promise<ApplyReport>): void {
  seen.set(id, work)
  // A failed run is forgotten, so that Vercel's redelivery tries again.
  void work.then((report) => {
    if (!report.ok) seen.delete(id)
  })
  if (seen.size > SEEN_LIMIT) seen.delete(seen.keys().next().value!)
}
