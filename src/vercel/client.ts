import { request, type Dispatcher } from 'undici'
import { ImageInvalidateError } from '../core/errors.js'
import { recordOf, textOf } from '../core/json.js'
import { formatBytes } from '../shared/format.js'
import { BodyTooLargeError, createHttpClient, describeHttpError, readTextLimited, type HttpOptions } from '../shared/http.js'
import { USER_AGENT } from '../shared/package.js'
import { MAX_BATCH_SIZE } from '../core/plan.js'

/** Which project, as whom, through which API origin. */
export interface VercelTarget {
  token: string
  /** `projectIdOrName` of the API. */
  projectId: string
  teamId?: string
  teamSlug?: string
  /** Origin of the REST API; `https://` unless loopback. */
  apiUrl: string
}

/**
 * A Vercel answer that is not a success (`IMAGE_INVALIDATE_VERCEL_API`), with its status and Vercel's own
 * `error.code` (`vercelCode`) and `error.message` when it sent them.
 */
export class VercelApiError extends ImageInvalidateError {
  override name = 'VercelApiError'
  constructor(
    readonly status: number,
    readonly vercelCode: string | undefined,
    readonly vercelMessage: string | undefined,
    /** What was asked: purging source images, reading the project or a deployment, or changing its webhooks or variables. */
    readonly action: VercelAction = 'purge',
    /**
     * Vercel's `error.invalidToken`: the token itself was refused. Vercel answers an expired or revoked token
     * with 403 `{"error":{"code":"forbidden","message":"Not authorized","invalidToken":true}}`, not 401.
     */
    readonly invalidToken = false,
  ) {
    super('IMAGE_INVALIDATE_VERCEL_API', explainStatus(invalidToken ? 401 : status, vercelMessage, action, status))
  }

  /** 401, 402, 403, 404 and 410 will fail the same way for every batch: stop instead of trying the rest. */
  get isFatal(): boolean {
    return this.status === 401 || this.status === 402 || this.status === 403 || this.status === 404 || this.status === 410
  }
}

/** What a request to the API was for, which the explanation of a refusal names. */
export type VercelAction = 'purge' | 'read' | 'configure'

/** A success status whose body is not the JSON object the endpoint documents (empty, HTML from a proxy, cut short, too large). */
export class VercelResponseError extends ImageInvalidateError {
  override name = 'VercelResponseError'
  constructor(message: string) {
    super('IMAGE_INVALIDATE_VERCEL_RESPONSE', message)
  }
}

/** A request that got no usable answer: network errors, timeouts, or 429/5xx after every retry. */
export class VercelTransportError extends ImageInvalidateError {
  override name = 'VercelTransportError'
  constructor(message: string) {
    super('IMAGE_INVALIDATE_VERCEL_TRANSPORT', message)
  }
}

/**
 * One sentence a user can act on, for each status that means "check your set-up". `meaning` is the status
 * the answer means (a refused token is a 401 whatever status it came with), `status` the one it came with.
 */
function explainStatus(meaning: number, vercelMessage: string | undefined, action: VercelAction, status = meaning): string {
  const said = vercelMessage ? ` Vercel said: ${vercelMessage}` : ''
  const team = 'the team (VERCEL_TEAM_ID, --team or .vercel/project.json)'
  switch (meaning) {
    case 400:
      return `Vercel rejected the request as invalid (400).${said}`
    case 401:
      return `Vercel did not accept the token (${status}): check that VERCEL_TOKEN is a valid access token, not expired or revoked.${said}`
    case 402:
      return (
        `Vercel refused for billing reasons (402): invalidation by source image needs the new image-optimization pricing; ` +
        `a team still on the legacy source-images pricing (Enterprise teams created before 2025-02-18) opts in under ` +
        `Team Settings > Billing > Image Optimization (https://vercel.com/d?to=%2F%5Bteam%5D%2F~%2Fsettings%2Fbilling%23image-optimization-new-price); ` +
        `otherwise check the team's plan and billing.${said}`
      )
    case 403:
      return `The token may not ${FORBIDDEN_ACTION[action]} (403): check that its scope includes the team that owns the project and that ${team} names that team.${said}`
    case 404:
      return `Vercel found no such project or deployment (404): check VERCEL_PROJECT_ID and ${team} (or the deployment id) and that the token's scope includes them.${said}`
    case 410:
      return `Vercel says this is gone (410): the deployment or project was deleted.${said}`
    default:
      return `Vercel answered HTTP ${status}.${said}`
  }
}

/** What a 403 says the token may not do. */
const FORBIDDEN_ACTION: Record<VercelAction, string> = {
  purge: "purge this project's cache",
  read: 'read this project or deployment',
  configure: "change this project's webhooks or environment variables",
}

export interface Deployment {
  id: string
  /** A host (`example-abc.vercel.app`), or an origin with its scheme where a stand-in gives one. */
  url: string
  readyState: string
  /**
   * Where it stands with production traffic: `STAGED` (none yet), `ROLLING` (a rolling release is moving
   * traffic to it), `PROMOTED` (it has served production traffic, which it keeps once superseded).
   */
  readySubstate: string | undefined
  /** Why assigning the domains failed, when it did: the deployment will not go live. */
  aliasError: string | undefined
}

/** The project's last promotion or rollback (`lastAliasRequest`). */
export interface AliasRequest {
  fromDeploymentId: string | undefined
  toDeploymentId: string
  /** `pending`, `in-progress`, `succeeded`, `failed` or `skipped`. */
  jobStatus: string | undefined
  type: string | undefined
}

/** The project, as `GET /v9/projects/{idOrName}` gives it: what production serves, and the last flip. */
export interface Project {
  id: string
  name: string
  /**
   * The deployment production serves now (`targets.production`), and where it stands in a rolling release
   * (`readySubstate`): `ROLLING` while Vercel moves traffic to it step by step, `PROMOTED` once it serves
   * everyone, absent for projects without rolling releases.
   */
  production: { id: string; readySubstate: string | undefined } | undefined
  /** The last promotion or rollback; Vercel does not set it for every deploy. */
  lastAliasRequest: AliasRequest | undefined
  /** The domains production is served at (`alias` entries of the production environment that do not redirect). */
  productionDomains: string[]
}

/** An account webhook, as `GET /v1/webhooks` lists it (its secret is shown only when it is created). */
export interface Webhook {
  id: string
  url: string
  events: string[]
  /** The projects it is limited to; empty for every project of the team. */
  projectIds: string[]
}

/** What `POST /v1/webhooks` answers: the webhook and the secret that signs its deliveries, shown this once. */
export interface CreatedWebhook extends Webhook {
  secret: string
}

/** A project's environment variable, without its value. */
export interface ProjectVariable {
  id: string
  key: string
  /** `production`, `preview`, `development`. */
  target: string[]
  /** `encrypted`, `sensitive`, `plain`, `system`, `secret`. */
  type: string
}

/** A variable to create, or to update when one of the same key and target exists (`upsert`). */
export interface ProjectVariableInput {
  key: string
  value: string
  type: 'encrypted' | 'sensitive' | 'plain'
  target: Array<'production' | 'preview' | 'development'>
}

/**
 * Largest REST answer read: a project lists its environment variables, latest deployments and production
 * deployment in full, and a deployment its routes, so real answers run to hundreds of KiB. 8 MiB is more
 * than ten times the largest seen while still bounding what a broken proxy can make us buffer.
 */
const MAX_API_BODY_BYTES = 8 * 1024 * 1024

/**
 * A small client for the few endpoints this package needs. It owns one keep-alive pool; `close()` it when
 * done. Error messages never contain the token.
 */
export class VercelClient {
  readonly #target: VercelTarget
  readonly #dispatcher: Dispatcher

  constructor(target: VercelTarget, http: HttpOptions & { dispatcher?: Dispatcher } = {}) {
    this.#target = target
    // The invalidation POST is idempotent, so it is retried like a GET by default. A caller that creates
    // things (a webhook) names the methods it may retry instead.
    this.#dispatcher = http.dispatcher ?? createHttpClient({ ...http, methods: http.methods ?? ['GET', 'POST'] })
  }

  /**
   * Marks 1 to 8 source images stale (`invalidate-by-src-images`), or deletes them
   * (`dangerously-delete-by-src-images`), which makes the next request regenerate in the foreground.
   */
  async invalidateSrcImages(srcImages: readonly string[], options: { dangerouslyDelete?: boolean } = {}): Promise<void> {
    if (srcImages.length < 1 || srcImages.length > MAX_BATCH_SIZE)
      throw new RangeError(`a call takes 1 to ${MAX_BATCH_SIZE} source images, not ${srcImages.length}`)
    const endpoint = options.dangerouslyDelete ? 'dangerously-delete-by-src-images' : 'invalidate-by-src-images'
    await this.#call('POST', `/v1/edge-cache/${endpoint}`, { projectIdOrName: this.#target.projectId }, { srcImages })
  }

  /** `GET /v13/deployments/{idOrUrl}`: the deployment's state. */
  async getDeployment(idOrUrl: string): Promise<Deployment> {
    const data = await this.#getObject(`/v13/deployments/${encodeURIComponent(idOrUrl)}`, `reading deployment ${idOrUrl} from the API`)
    return {
      id: textOf(data.id) ?? textOf(data.uid) ?? '',
      url: textOf(data.url) ?? '',
      readyState: textOf(data.readyState) ?? textOf(data.status) ?? 'UNKNOWN',
      readySubstate: textOf(data.readySubstate),
      aliasError: describeAliasError(data.aliasError),
    }
  }

  /** `GET /v9/projects/{idOrName}`: the project's id and name, its production deployment and its last flip. */
  async getProject(idOrName: string = this.#target.projectId): Promise<Project> {
    const data = await this.#getObject(`/v9/projects/${encodeURIComponent(idOrName)}`, `reading project ${idOrName} from the API`)
    const production = recordOf(recordOf(data.targets)?.production)
    const productionId = textOf(production?.id)
    return {
      id: textOf(data.id) ?? '',
      name: textOf(data.name) ?? '',
      production: productionId ? { id: productionId, readySubstate: textOf(production?.readySubstate) } : undefined,
      lastAliasRequest: readAliasRequest(recordOf(data.lastAliasRequest)),
      productionDomains: readProductionDomains(data.alias),
    }
  }

  /** `GET /v1/webhooks?projectId=`: the team's webhooks for the project (and those for every project). */
  async listWebhooks(projectId: string): Promise<Webhook[]> {
    const { data, text } = await this.#call('GET', '/v1/webhooks', { projectId }, undefined, { action: 'read', doing: 'reading the webhooks from the API' })
    if (!Array.isArray(data)) throw unexpectedBody('GET /v1/webhooks', text, data, 'a JSON array')
    return data.flatMap((item) => {
      const webhook = readWebhook(recordOf(item))
      return webhook ? [webhook] : []
    })
  }

  /** `POST /v1/webhooks`: a webhook for `events` at `url`, limited to `projectIds`; the answer carries its secret. */
  async createWebhook(input: { url: string; events: readonly string[]; projectIds: readonly string[] }): Promise<CreatedWebhook> {
    const body = { url: input.url, events: [...input.events], projectIds: [...input.projectIds] }
    const { data, text } = await this.#call('POST', '/v1/webhooks', {}, body, { action: 'configure', doing: 'creating the webhook through the API' })
    const object = recordOf(data)
    const webhook = readWebhook(object)
    const secret = textOf(object?.secret)
    if (!webhook || !secret) throw unexpectedBody('POST /v1/webhooks', text, data, 'a webhook with its id and secret')
    return { ...webhook, secret }
  }

  /** `DELETE /v1/webhooks/{id}`. */
  async deleteWebhook(id: string): Promise<void> {
    await this.#call('DELETE', `/v1/webhooks/${encodeURIComponent(id)}`, {}, undefined, {
      action: 'configure',
      doing: `deleting webhook ${id} through the API`,
    })
  }

  /** `GET /v10/projects/{idOrName}/env`: the project's variables, without their values. */
  async listProjectVariables(idOrName: string = this.#target.projectId): Promise<ProjectVariable[]> {
    const path = `/v10/projects/${encodeURIComponent(idOrName)}/env`
    const data = await this.#getObject(path, `reading the variables of project ${idOrName} from the API`)
    // One variable alone is answered as the variable itself; a list as `envs`.
    const items = Array.isArray(data.envs) ? data.envs : [data]
    return items.flatMap((item) => {
      const variable = readVariable(recordOf(item))
      return variable ? [variable] : []
    })
  }

  /** `POST /v10/projects/{idOrName}/env?upsert=true`: creates the variable, or updates the one of that key and target. */
  async upsertProjectVariable(input: ProjectVariableInput, idOrName: string = this.#target.projectId): Promise<ProjectVariable> {
    const path = `/v10/projects/${encodeURIComponent(idOrName)}/env`
    const { data, text } = await this.#call(
      'POST',
      path,
      { upsert: 'true' },
      { ...input, target: [...input.target] },
      { action: 'configure', doing: `setting ${input.key} through the API` },
    )
    const answer = recordOf(data)
    const failed = Array.isArray(answer?.failed) ? answer.failed : []
    const refusal = recordOf(recordOf(failed[0])?.error)
    if (refusal) throw new VercelApiError(400, textOf(refusal.code), textOf(refusal.message)?.slice(0, 500), 'configure')
    const created = Array.isArray(answer?.created) ? answer.created[0] : answer?.created
    const variable = readVariable(recordOf(created))
    if (!variable) throw unexpectedBody(`POST ${path}`, text, data, 'the variable created')
    return variable
  }

  close(): Promise<void> {
    return this.#dispatcher.close()
  }

  /**
   * A GET whose success must be a JSON object: anything else is a `VercelResponseError` naming the endpoint.
   * `doing` says what was being read, should no answer come.
   */
  async #getObject(path: string, doing: string): Promise<Record<string, unknown>> {
    const { data, text } = await this.#call('GET', path, {}, undefined, { doing })
    const object = recordOf(data)
    if (object) return object
    throw unexpectedBody(`GET ${path}`, text, data, 'a JSON object')
  }

  /**
   * One request. The answer of a GET, and of a call made to `configure`, is read; a purge or a DELETE that
   * succeeded has said all it needs to, and whatever body comes with it is not read. `doing` says what was
   * being done, should no answer come.
   */
  async #call(
    method: Method,
    path: string,
    query: Record<string, string>,
    body?: unknown,
    { action, doing }: { action?: VercelAction; doing?: string } = {},
  ): Promise<{ data: unknown; text: string }> {
    const response = await this.#request(method, path, query, body, doing)
    const succeeded = response.statusCode >= 200 && response.statusCode < 300
    const said = action ?? (method === 'GET' ? 'read' : 'purge')
    if (succeeded && (said === 'purge' || method === 'DELETE')) {
      await response.body.dump()
      return { data: undefined, text: '' }
    }
    const text = await readAnswer(response, `${method} ${path}`)
    const data = parseJson(text)
    if (succeeded) return { data, text }
    const error = recordOf(recordOf(data)?.error)
    throw new VercelApiError(response.statusCode, textOf(error?.code), textOf(error?.message)?.slice(0, 500), said, error?.invalidToken === true)
  }

  async #request(method: Method, path: string, query: Record<string, string>, body: unknown, doing?: string): Promise<Dispatcher.ResponseData> {
    const url = new URL(path, this.#target.apiUrl)
    for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value)
    if (this.#target.teamId) url.searchParams.set('teamId', this.#target.teamId)
    else if (this.#target.teamSlug) url.searchParams.set('slug', this.#target.teamSlug)
    try {
      return await request(url, {
        method,
        dispatcher: this.#dispatcher,
        headers: {
          authorization: `Bearer ${this.#target.token}`,
          accept: 'application/json',
          'user-agent': USER_AGENT,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      })
    } catch (error) {
      // Built from the status or error code only: undici errors can carry request headers.
      throw new VercelTransportError(`${doing ? `${doing}: ` : ''}${describeHttpError(error)}`)
    }
  }
}

type Method = 'GET' | 'POST' | 'DELETE'

/** A success whose body is not what the endpoint documents, named with what was expected. */
function unexpectedBody(asked: string, text: string, data: unknown, expected: string): VercelResponseError {
  return new VercelResponseError(
    `Vercel answered ${asked} with ${describeBody(text, data)} where ${expected} was expected; try again, and if it persists, check IMAGE_INVALIDATE_API_URL`,
  )
}

/** What a body that is not a JSON object is, in a few words. */
function describeBody(text: string, data: unknown): string {
  if (text === '') return 'an empty body'
  if (data === undefined) return 'a body that is not JSON'
  return recordOf(data) ? 'a JSON object without those fields' : 'JSON that is not an object'
}

/** The body as text, up to `MAX_API_BODY_BYTES`. */
async function readAnswer(response: Dispatcher.ResponseData, asked: string): Promise<string> {
  try {
    return await readTextLimited(response.body, MAX_API_BODY_BYTES)
  } catch (error) {
    if (error instanceof BodyTooLargeError) {
      throw new VercelResponseError(
        `Vercel's answer to ${asked} is larger than ${formatBytes(MAX_API_BODY_BYTES)}, the most this package reads; nothing was done with it`,
      )
    }
    throw new VercelTransportError(`reading the response failed: ${describeHttpError(error)}`)
  }
}

function readAliasRequest(aliasRequest: Record<string, unknown> | undefined): AliasRequest | undefined {
  const toDeploymentId = textOf(aliasRequest?.toDeploymentId)
  if (!toDeploymentId) return undefined
  return {
    fromDeploymentId: textOf(aliasRequest?.fromDeploymentId),
    toDeploymentId,
    jobStatus: textOf(aliasRequest?.jobStatus),
    type: textOf(aliasRequest?.type),
  }
}

/** The production domains of a project's `alias` list, where production serves without redirecting. */
function readProductionDomains(alias: unknown): string[] {
  if (!Array.isArray(alias)) return []
  return alias.flatMap((item) => {
    const entry = recordOf(item)
    const domain = textOf(entry?.domain)
    return domain && entry?.environment === 'production' && !textOf(entry.redirect) ? [domain] : []
  })
}

function readWebhook(data: Record<string, unknown> | undefined): Webhook | undefined {
  const id = textOf(data?.id)
  const url = textOf(data?.url)
  if (!id || !url) return undefined
  return { id, url, events: textsOf(data?.events), projectIds: textsOf(data?.projectIds) }
}

function readVariable(data: Record<string, unknown> | undefined): ProjectVariable | undefined {
  const id = textOf(data?.id)
  const key = textOf(data?.key)
  if (!id || !key) return undefined
  // `target` is a list, or one environment alone.
  const target = typeof data?.target === 'string' ? [data.target] : textsOf(data?.target)
  return { id, key, target, type: textOf(data?.type) ?? '' }
}

function textsOf(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : []
}

function describeAliasError(value: unknown): string | undefined {
  if (!value) return undefined
  const error = recordOf(value)
  return [textOf(error?.code), textOf(error?.message)?.slice(0, 500)].filter(Boolean).join(': ') || 'alias error'
}

function parseJson(text: string): unknown {
  if (!text) return undefined
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}
