import { request, type Dispatcher } from 'undici'
import { createHttpClient, describeHttpError, readTextLimited, type HttpOptions } from '../http.js'

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

/** A Vercel answer that is not a success, with Vercel's own `error.code` and `error.message` when it sent them. */
export class VercelApiError extends Error {
  override name = 'VercelApiError'
  constructor(
    readonly status: number,
    readonly code: string | undefined,
    readonly vercelMessage: string | undefined,
  ) {
    super(explainStatus(status, vercelMessage))
  }

  /** 401, 402, 403 and 404 will fail the same way for every batch: stop instead of trying the rest. */
  get isFatal(): boolean {
    return this.status === 401 || this.status === 402 || this.status === 403 || this.status === 404
  }
}

/** A request that got no usable answer: network errors, timeouts, or 429/5xx after every retry. */
export class VercelTransportError extends Error {
  override name = 'VercelTransportError'
}

/** One sentence a user can act on, for each status that means "check your set-up". */
export function explainStatus(status: number, vercelMessage?: string): string {
  const said = vercelMessage ? ` Vercel said: ${vercelMessage}` : ''
  switch (status) {
    case 400:
      return `Vercel rejected the request as invalid (400).${said}`
    case 401:
      return `Vercel did not accept the token (401): check that VERCEL_TOKEN is a valid, unexpired access token.${said}`
    case 402:
      return `Vercel requires a plan or billing change for this (402): check the team's plan and billing in the Vercel dashboard.${said}`
    case 403:
      return `The token may not purge this project's cache (403): check that its scope includes the team that owns the project and that VERCEL_TEAM_ID names that team.${said}`
    case 404:
      return `Vercel found no such project or deployment (404): check VERCEL_PROJECT_ID and VERCEL_TEAM_ID (or the deployment id) and that the token's scope includes them.${said}`
    default:
      return `Vercel answered HTTP ${status}.${said}`
  }
}

export interface Deployment {
  id: string
  /** A host (`example-abc.vercel.app`), or an origin with its scheme where a stand-in gives one. */
  url: string
  readyState: string
  /** Why assigning the domains failed, when it did: the deployment will not go live. */
  aliasError: string | undefined
}

/** The project, as `GET /v9/projects/{idOrName}` gives it: what production serves, and the last flip. */
export interface Project {
  id: string
  name: string
  /** The deployment production serves now (`targets.production.id`). */
  productionDeploymentId: string | undefined
  /** The last promotion or rollback (`lastAliasRequest`); Vercel does not set it for every deploy. */
  lastAliasRequest: { fromDeploymentId: string | undefined; toDeploymentId: string; type: string | undefined } | undefined
}

const MAX_ERROR_BODY = 64 * 1024

/**
 * A small client for the few endpoints this package needs. It owns one keep-alive pool; `close()` it when
 * done. Error messages never contain the token.
 */
export class VercelClient {
  readonly #target: VercelTarget
  readonly #dispatcher: Dispatcher

  constructor(target: VercelTarget, http: HttpOptions & { dispatcher?: Dispatcher } = {}) {
    this.#target = target
    // The invalidation POST is idempotent, so it is retried like a GET.
    this.#dispatcher = http.dispatcher ?? createHttpClient({ ...http, methods: ['GET', 'POST'] })
  }

  /**
   * Marks 1 to 8 source images stale (`invalidate-by-src-images`), or deletes them
   * (`dangerously-delete-by-src-images`), which makes the next request regenerate in the foreground.
   */
  async invalidateSrcImages(srcImages: readonly string[], options: { dangerouslyDelete?: boolean } = {}): Promise<void> {
    if (srcImages.length < 1 || srcImages.length > 8) throw new RangeError(`a call takes 1 to 8 source images, not ${srcImages.length}`)
    const endpoint = options.dangerouslyDelete ? 'dangerously-delete-by-src-images' : 'invalidate-by-src-images'
    await this.#call('POST', `/v1/edge-cache/${endpoint}`, { projectIdOrName: this.#target.projectId }, { srcImages })
  }

  /** `GET /v13/deployments/{idOrUrl}`: the deployment's state. */
  async getDeployment(idOrUrl: string): Promise<Deployment> {
    const data = (await this.#call('GET', `/v13/deployments/${encodeURIComponent(idOrUrl)}`, {})) as Record<string, unknown>
    return {
      id: String(data.id ?? data.uid ?? ''),
      url: String(data.url ?? ''),
      readyState: String(data.readyState ?? data.status ?? 'UNKNOWN'),
      aliasError: describeAliasError(data.aliasError),
    }
  }

  /** `GET /v9/projects/{idOrName}`: the project's id and name, its production deployment and its last flip. */
  async getProject(idOrName: string = this.#target.projectId): Promise<Project> {
    const data = (await this.#call('GET', `/v9/projects/${encodeURIComponent(idOrName)}`, {})) as Record<string, unknown>
    const text = (value: unknown) => (typeof value === 'string' && value ? value : undefined)
    const production = (data.targets as { production?: { id?: unknown } } | undefined)?.production
    const request = data.lastAliasRequest as Record<string, unknown> | null | undefined
    const toDeploymentId = text(request?.toDeploymentId)
    return {
      id: String(data.id ?? ''),
      name: String(data.name ?? ''),
      productionDeploymentId: text(production?.id),
      lastAliasRequest: toDeploymentId ? { fromDeploymentId: text(request?.fromDeploymentId), toDeploymentId, type: text(request?.type) } : undefined,
    }
  }

  close(): Promise<void> {
    return this.#dispatcher.close()
  }

  async #call(method: 'GET' | 'POST', path: string, query: Record<string, string>, body?: unknown): Promise<unknown> {
    const url = new URL(path, this.#target.apiUrl)
    for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value)
    if (this.#target.teamId) url.searchParams.set('teamId', this.#target.teamId)
    else if (this.#target.teamSlug) url.searchParams.set('slug', this.#target.teamSlug)

    let response: Dispatcher.ResponseData
    try {
      response = await request(url, {
        method,
        dispatcher: this.#dispatcher,
        headers: {
          authorization: `Bearer ${this.#target.token}`,
          accept: 'application/json',
          'user-agent': 'unplugin-image-invalidate',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      })
    } catch (error) {
      // Built from the status or error code only: undici errors can carry request headers.
      throw new VercelTransportError(describeHttpError(error))
    }

    let text: string
    try {
      text = await readTextLimited(response.body, MAX_ERROR_BODY)
    } catch (error) {
      throw new VercelTransportError(`reading the response failed: ${describeHttpError(error)}`)
    }
    const data = parseJson(text)
    if (response.statusCode >= 200 && response.statusCode < 300) return data
    const error = (data as { error?: { code?: unknown; message?: unknown } } | undefined)?.error
    throw new VercelApiError(
      response.statusCode,
      typeof error?.code === 'string' ? error.code : undefined,
      typeof error?.message === 'string' ? error.message.slice(0, 500) : undefined,
    )
  }
}

function describeAliasError(value: unknown): string | undefined {
  if (!value) return undefined
  const { code, message } = value as { code?: unknown; message?: unknown }
  return [typeof code === 'string' ? code : undefined, typeof message === 'string' ? message.slice(0, 500) : undefined].filter(Boolean).join(': ') || 'alias error'
}

function parseJson(text: string): unknown {
  if (!text) return undefined
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}
