// @ts-check
/**
 * A loopback stand-in for the part of Vercel's REST API this package uses. It checks requests the way the
 * real API documents them, answers with bodies of the real size and shape (./vercel-bodies.mjs), holds each
 * of them to `@vercel/sdk`'s schemas (./vercel-schemas.mjs: `close()` rejects when one could not come from
 * the real API), records every request, and injects faults on demand. Used by tests and the benchmark
 * (the demo has a small one of its own: src/demo/stand-ins.ts).
 *
 *   POST /v1/edge-cache/invalidate-by-src-images?projectIdOrName=&teamId=|slug=   {"srcImages": [1..8 strings]}
 *   POST /v1/edge-cache/dangerously-delete-by-src-images                            (same)
 *   GET  /v13/deployments/:idOrUrl?teamId=|slug=     the owner's full view
 *   GET  /v9/projects/:idOrName?teamId=|slug=        env, latestDeployments, targets.production, lastAliasRequest
 *   GET  /v1/webhooks?projectId=                     the team's webhooks for the project
 *   POST /v1/webhooks                                {"url", "events", "projectIds"}: the answer carries the secret
 *   DELETE /v1/webhooks/:id
 *   GET  /v10/projects/:idOrName/env                 the project's variables, values encrypted
 *   POST /v10/projects/:idOrName/env?upsert=true     {"key", "value", "type", "target"}
 *
 * The requests to the webhook and variable endpoints are held to the SDK's outbound schemas too: a
 * parameter or field the SDK could not send fails the test, as an answer the API could not send does.
 * A project is named by its id or its name, and a team by its id or its slug, as the real API takes either.
 */
import { createHash, randomBytes } from 'node:crypto'
import { createServer } from 'node:http'
import { deploymentBody, environmentVariable, listedDeployment, projectBody, storedVariable, webhookBody } from './vercel-bodies.mjs'
import { sdkRequestProblems, sdkSchemaProblems } from './vercel-schemas.mjs'

/**
 * @typedef {{ status: number, retryAfter?: string, body?: unknown | ((authorization: string | undefined) => unknown) } | 'stall' | 'reset'} Fault
 *   (a `body` function is called with the request's Authorization header: an API whose error text echoes it)
 * @typedef {{ status: number, rawBody: string }} ReadFault
 * @typedef {{
 *   readyState: string, aliasAssigned: boolean, aliasError?: { code: string, message: string } | null, url?: string,
 *   readySubstate?: string, gone?: 404 | 410,
 * }} DeploymentState
 * @typedef {{
 *   fromDeploymentId: string | null, toDeploymentId: string, type: 'promote' | 'rollback',
 *   jobStatus?: 'pending' | 'in-progress' | 'succeeded' | 'failed' | 'skipped', requestedAt?: number,
 * }} AliasRequest
 * @typedef {{
 *   method: string, path: string, query: Record<string, string>, authorization: string | undefined,
 *   rawQuery: string, body: unknown, status: number | 'stall' | 'reset', at: number, bytes: number,
 * }} RecordedCall
 * @typedef {{
 *   origin: string,
 *   calls: RecordedCall[],
 *   invalidations(): RecordedCall[],
 *   invalidated: string[],
 *   maxInFlight(): number,
 *   injectFaults(faults: Fault[]): void,
 *   injectReadFaults(faults: ReadFault[]): void,
 *   rejectImages(srcImages: string[]): void,
 *   setDeployment(idOrUrl: string, states: DeploymentState | DeploymentState[]): void,
 *   setSubstate(id: string, readySubstate: 'STAGED' | 'ROLLING' | 'PROMOTED'): void,
 *   setProduction(
 *     deploymentId: string | null,
 *     lastAliasRequest?: AliasRequest | null,
 *     production?: { readySubstate?: 'ROLLING' | 'PROMOTED' | 'STAGED' },
 *   ): void,
 *   webhooks: StoredWebhook[],
 *   variables: StoredVariable[],
 *   refuseNext(endpoint: string, status: number): void,
 *   close(): Promise<void>,
 * }} VercelApiStandIn
 * @typedef {{ id: string, url: string, events: string[], projectIds: string[], secret: string, createdAt: number }} StoredWebhook
 * @typedef {{ id: string, key: string, value: string, type: string, target: string[], createdAt: number, updatedAt: number }} StoredVariable
 */

/** Sends `body` as JSON (nothing for undefined, as the invalidation endpoints answer) and returns its size. */
const json = (/** @type {import('node:http').ServerResponse} */ res, /** @type {number} */ status, /** @type {unknown} */ body, headers = {}) => {
  const text = body === undefined ? '' : JSON.stringify(body)
  const bytes = Buffer.byteLength(text)
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': bytes, ...headers }).end(text)
  return bytes
}
const error = (/** @type {string} */ code, /** @type {string} */ message) => ({ error: { code, message } })

/**
 * @param {{
 *   token: string, projectId: string, projectName?: string, teamId?: string, teamSlug?: string, latencyMs?: number,
 *   envCount?: number, accountWebhooks?: boolean,
 * }} options `envCount`: environment variables the project lists (default 300, as a project in use has).
 *   `accountWebhooks: false`: the team is on the Hobby plan, whose webhook creation is refused (403).
 * @returns {Promise<VercelApiStandIn>}
 */
export async function startVercelApi(options) {
  /** @type {RecordedCall[]} */
  const calls = []
  /** @type {string[]} */
  const invalidated = []
  /** @type {Fault[]} */
  let faults = []
  /** @type {ReadFault[]} */
  let readFaults = []
  /** @type {Set<string>} */
  let rejected = new Set()
  /** @type {Map<string, DeploymentState[]>} */
  const deployments = new Map()
  /** @type {Set<import('node:http').ServerResponse>} */
  const stalled = new Set()
  /** @type {{ production: string | null, readySubstate: string | undefined, lastAliasRequest: AliasRequest | null, requestedAt: number }} */
  const project = { production: null, readySubstate: undefined, lastAliasRequest: null, requestedAt: Date.now() }
  /** @type {string[]} */
  const violations = []
  const name = options.projectName ?? 'site'
  const isProject = (/** @type {string | null} */ idOrName) =>
    idOrName === options.projectId || (options.projectName !== undefined && idOrName === options.projectName)
  const isTeam = (/** @type {URLSearchParams} */ query) =>
    query.get('teamId') === options.teamId || (options.teamSlug !== undefined && query.get('slug') === options.teamSlug)
  let inFlight = 0
  let maxInFlight = 0
  /** @type {StoredWebhook[]} */
  const webhooks = []
  /** @type {StoredVariable[]} */
  const variables = []
  /** One-shot refusals, by endpoint (`POST /v1/webhooks`), for failures in the middle of a set-up. */
  const refusals = new Map()
  /** A request checked against the SDK's outbound schema for its endpoint. */
  const checkRequest = (/** @type {Parameters<typeof sdkRequestProblems>[0]} */ endpoint, /** @type {Parameters<typeof sdkRequestProblems>[1]} */ request) =>
    violations.push(...sdkRequestProblems(endpoint, request))

  /** A deployment's id, by its id or its URL's host, as the API takes either. */
  const idOf = (/** @type {string} */ idOrUrl) =>
    deployments.has(idOrUrl) ? idOrUrl : [...deployments].find(([, states]) => states[0]?.url?.replace(/^https?:\/\//, '') === idOrUrl)?.[0]
  /** The current state of a deployment: each read takes the next of a list, the last one staying. */
  const stateOf = (/** @type {string} */ id, advance = false) => {
    const states = deployments.get(id)
    if (!states) return undefined
    return advance && states.length > 1 ? states.shift() : states[0]
  }
  const listed = (/** @type {string} */ id, /** @type {string | undefined} */ readySubstate) => {
    const state = stateOf(id)
    return listedDeployment({ id, url: state?.url ?? `${id}.vercel.app`, readyState: state?.readyState ?? 'READY', readySubstate, name })
  }
  /** Bodies already held to the schemas: polls repeat the same answer many times, and a check costs 30 ms and more. */
  const checkedBodies = new Set()
  /** A body checked against the SDK's schema for its endpoint before it is sent. */
  const checked = (/** @type {Parameters<typeof sdkSchemaProblems>[0]} */ endpoint, /** @type {unknown} */ body) => {
    const digest = createHash('sha1').update(JSON.stringify(body)).digest('hex')
    if (!checkedBodies.has(digest)) violations.push(...sdkSchemaProblems(endpoint, body))
    checkedBodies.add(digest)
    return body
  }

  const server = createServer((req, res) => {
    const chunks = /** @type {Buffer[]} */ ([])
    req.on('data', (chunk) => chunks.push(chunk))
    req.on('end', async () => {
      const url = new URL(req.url ?? '/', 'http://api')
      const text = Buffer.concat(chunks).toString('utf8')
      /** @type {RecordedCall} */
      const call = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        rawQuery: url.search,
        authorization: req.headers.authorization,
        body: parseJson(text),
        status: 0,
        at: Date.now(),
        bytes: 0,
      }
      calls.push(call)
      inFlight++
      maxInFlight = Math.max(maxInFlight, inFlight)
      res.on('close', () => inFlight--)
      if (options.latencyMs) await new Promise((resolve) => setTimeout(resolve, options.latencyMs))
      const respond = (/** @type {number} */ status, /** @type {unknown} */ body, headers = {}) => {
        call.status = status
        call.bytes = json(res, status, body, headers)
      }

      if (req.headers.authorization !== `Bearer ${options.token}`) {
        return respond(403, error('forbidden', 'Not authorized: the token is invalid or expired'))
      }
      if (options.teamId && !isTeam(url.searchParams)) {
        return respond(403, error('forbidden', 'You do not have access to this team'))
      }

      const invalidate = /^\/v1\/edge-cache\/(invalidate|dangerously-delete)-by-src-images$/.exec(url.pathname)
      if (invalidate && req.method === 'POST') {
        const fault = faults.shift()
        if (fault === 'stall') {
          call.status = 'stall'
          stalled.add(res)
          return
        }
        if (fault === 'reset') {
          call.status = 'reset'
          return req.socket.destroy()
        }
        if (fault) {
          const body = typeof fault.body === 'function' ? fault.body(req.headers.authorization) : fault.body
          return respond(fault.status, body ?? error('internal', 'injected fault'), fault.retryAfter ? { 'retry-after': fault.retryAfter } : {})
        }

        if (!isProject(url.searchParams.get('projectIdOrName'))) return respond(404, error('not_found', 'Project not found'))
        if (req.headers['content-type'] !== 'application/json') return respond(400, error('bad_request', 'Expected application/json'))
        const problem = checkBody(call.body)
        if (problem) return respond(400, error('bad_request', problem))
        const srcImages = /** @type {{ srcImages: string[] }} */ (call.body).srcImages
        const bad = srcImages.find((src) => rejected.has(src))
        if (bad) return respond(400, error('bad_request', `Invalid source image: ${bad}`))
        invalidated.push(...srcImages)
        return respond(200, undefined)
      }

      if (req.method === 'GET' && readFaults.length > 0) {
        const fault = /** @type {ReadFault} */ (readFaults.shift())
        call.status = fault.status
        call.bytes = Buffer.byteLength(fault.rawBody)
        return res.writeHead(fault.status, { 'content-type': 'application/json', 'content-length': call.bytes }).end(fault.rawBody)
      }

      const deployment = /^\/v13\/deployments\/([^/]+)$/.exec(url.pathname)
      if (deployment && req.method === 'GET') {
        const id = idOf(decodeURIComponent(deployment[1] ?? ''))
        const state = id && stateOf(id, true)
        if (!id || !state) return respond(404, error('not_found', 'Deployment not found'))
        if (state.gone === 410) return respond(410, error('gone', 'The deployment was deleted'))
        if (state.gone === 404) return respond(404, error('not_found', 'Deployment not found'))
        const body = deploymentBody({
          id,
          url: state.url ?? `${id}.vercel.app`,
          name,
          projectId: options.projectId,
          readyState: state.readyState,
          readySubstate: state.readySubstate,
          aliasAssigned: state.aliasAssigned,
          aliasError: state.aliasError ?? null,
        })
        return respond(200, checked('GET /v13/deployments/{idOrUrl}', body))
      }

      const projectPath = /^\/v9\/projects\/([^/]+)$/.exec(url.pathname)
      if (projectPath && req.method === 'GET') {
        if (!isProject(decodeURIComponent(projectPath[1] ?? ''))) return respond(404, error('not_found', 'Project not found'))
        const known = [...deployments.keys()].filter((id) => id.startsWith('dpl_'))
        const fillers = Array.from({ length: Math.max(0, 10 - known.length) }, (_, index) => `dpl_earlier${index}`)
        const body = projectBody({
          id: options.projectId,
          name,
          production: project.production ? listed(project.production, project.readySubstate) : null,
          latest: [...known, ...fillers].slice(0, 10).map((id) => listed(id, id === project.production ? project.readySubstate : undefined)),
          lastAliasRequest: project.lastAliasRequest && { requestedAt: project.requestedAt, jobStatus: 'succeeded', ...project.lastAliasRequest },
          envCount: options.envCount ?? 300,
        })
        return respond(200, checked('GET /v9/projects/{idOrName}', body))
      }
      const setUp = answerSetUp(req.method ?? 'GET', url, call.body)
      if (setUp) return respond(setUp.status, setUp.body)
      respond(404, error('not_found', `No route for ${req.method} ${url.pathname}`))
    })
  })
  /**
   * The webhook and variable endpoints (`image-invalidate init` and `doctor`), or undefined for another path.
   * @param {string} method @param {URL} url @param {unknown} body
   * @returns {{ status: number, body?: unknown } | undefined}
   */
  function answerSetUp(method, url, body) {
    const query = Object.fromEntries(url.searchParams)
    const webhookPath = /^\/v1\/webhooks(?:\/([^/]+))?$/.exec(url.pathname)
    const envPath = /^\/v10\/projects\/([^/]+)\/env$/.exec(url.pathname)
    const endpoint = webhookPath ? `${method} /v1/webhooks${webhookPath[1] ? '/{id}' : ''}` : envPath && `${method} /v10/projects/{idOrName}/env`
    if (!endpoint) return undefined
    const refusal = refusals.get(endpoint)
    if (refusal) {
      refusals.delete(endpoint)
      return { status: refusal, body: error('internal', 'injected refusal') }
    }
    const idOrName = envPath ? decodeURIComponent(envPath[1] ?? '') : undefined
    switch (endpoint) {
      case 'GET /v1/webhooks': {
        checkRequest(endpoint, { params: {}, query })
        if (query.projectId !== undefined && !/^[a-zA-z0-9_]+$/.test(query.projectId)) return { status: 400, body: error('bad_request', 'Invalid projectId') }
        const listed = webhooks.filter((webhook) => query.projectId === undefined || webhook.projectIds.includes(query.projectId))
        return {
          status: 200,
          body: checked(
            endpoint,
            listed.map((webhook) => webhookBody(webhook, { id: options.projectId, name })),
          ),
        }
      }
      case 'POST /v1/webhooks': {
        checkRequest(endpoint, { params: {}, query, body })
        if (options.accountWebhooks === false) return { status: 403, body: error('forbidden', 'Webhooks are only available on Pro and Enterprise plans') }
        const { url: target, events, projectIds = [] } = /** @type {{ url: string, events: string[], projectIds?: string[] }} */ (body)
        if (!projectIds.every((id) => id === options.projectId)) return { status: 404, body: error('not_found', 'Project not found') }
        const webhook = {
          id: `account_hook_${randomBytes(8).toString('hex')}`,
          url: target,
          events,
          projectIds,
          secret: randomBytes(12).toString('hex'),
          createdAt: Date.now(),
        }
        webhooks.push(webhook)
        return { status: 200, body: checked(endpoint, { ...webhookBody(webhook), secret: webhook.secret }) }
      }
      case 'DELETE /v1/webhooks/{id}': {
        const id = decodeURIComponent(webhookPath?.[1] ?? '')
        checkRequest(endpoint, { params: { id }, query })
        const index = webhooks.findIndex((webhook) => webhook.id === id)
        if (index < 0) return { status: 404, body: error('not_found', 'Webhook not found') }
        webhooks.splice(index, 1)
        return { status: 204 }
      }
      case 'GET /v10/projects/{idOrName}/env': {
        checkRequest(endpoint, { params: { idOrName: idOrName ?? '' }, query })
        if (!isProject(idOrName ?? null)) return { status: 404, body: error('not_found', 'Project not found') }
        const fillers = Array.from({ length: Math.min(options.envCount ?? 300, 20) }, (_, index) => environmentVariable(index))
        // The list says, for each variable, what Vercel's checks found wrong with it: nothing here.
        const envs = [...fillers, ...variables.map(storedVariable)].map((variable) => ({ ...variable, securityIssues: [] }))
        return { status: 200, body: checked(endpoint, { envs, pagination: { count: envs.length, next: null, prev: null } }) }
      }
      case 'POST /v10/projects/{idOrName}/env': {
        checkRequest(endpoint, { params: { idOrName: idOrName ?? '' }, query, body })
        if (!isProject(idOrName ?? null)) return { status: 404, body: error('not_found', 'Project not found') }
        const input = /** @type {{ key: string, value: string, type: string, target: string[] }} */ (body)
        const existing = variables.find((variable) => variable.key === input.key && variable.target.some((target) => input.target.includes(target)))
        if (existing && query.upsert !== 'true')
          return { status: 400, body: error('ENV_ALREADY_EXISTS', `A variable with the name "${input.key}" already exists for the target`) }
        const now = Date.now()
        const variable = existing ?? {
          id: `env_${randomBytes(8).toString('hex')}`,
          key: input.key,
          value: '',
          type: '',
          target: [],
          createdAt: now,
          updatedAt: now,
        }
        Object.assign(variable, { value: input.value, type: input.type, target: input.target, updatedAt: now })
        if (!existing) variables.push(variable)
        return { status: 201, body: checked(endpoint, { created: storedVariable(variable), failed: [] }) }
      }
      default:
        return { status: 405, body: error('method_not_allowed', `${method} is not allowed here`) }
    }
  }

  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)))
  const address = /** @type {import('node:net').AddressInfo} */ (server.address())

  return {
    origin: `http://127.0.0.1:${address.port}`,
    calls,
    invalidations: () => calls.filter((call) => call.path.startsWith('/v1/edge-cache/')),
    invalidated,
    maxInFlight: () => maxInFlight,
    injectFaults(list) {
      faults = [...list]
    },
    injectReadFaults(list) {
      readFaults = [...list]
    },
    rejectImages(srcImages) {
      rejected = new Set(srcImages)
    },
    setDeployment(idOrUrl, states) {
      deployments.set(idOrUrl, Array.isArray(states) ? [...states] : [states])
    },
    setSubstate(id, readySubstate) {
      for (const state of deployments.get(id) ?? []) state.readySubstate = readySubstate
    },
    setProduction(deploymentId, lastAliasRequest, production = {}) {
      project.production = deploymentId
      project.readySubstate = production.readySubstate
      if (lastAliasRequest !== undefined) [project.lastAliasRequest, project.requestedAt] = [lastAliasRequest, Date.now()]
    },
    webhooks,
    variables,
    refuseNext(endpoint, status) {
      refusals.set(endpoint, status)
    },
    close: () =>
      new Promise((resolve, reject) => {
        for (const res of stalled) res.destroy()
        server.closeAllConnections()
        server.close(() => {
          // A body the real API could not send fails the test that caused it.
          if (violations.length > 0) reject(new Error(`the Vercel API stand-in answered what the real API could not:\n${[...new Set(violations)].join('\n')}`))
          else resolve()
        })
      }),
  }
}

/** The documented body: only `srcImages`, 1 to 8 strings of at most 8192 characters. */
function checkBody(/** @type {unknown} */ body) {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'The body must be a JSON object'
  const keys = Object.keys(body)
  if (keys.length !== 1 || keys[0] !== 'srcImages') return `Unexpected fields: ${keys.filter((key) => key !== 'srcImages').join(', ') || 'srcImages missing'}`
  const { srcImages } = /** @type {{ srcImages: unknown }} */ (body)
  if (!Array.isArray(srcImages) || srcImages.length < 1 || srcImages.length > 8) return 'srcImages must be an array of 1 to 8 items'
  if (!srcImages.every((src) => typeof src === 'string' && src.length <= 8192)) return 'srcImages must hold strings of at most 8192 characters'
  return undefined
}

function parseJson(/** @type {string} */ text) {
  if (!text) return undefined
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}
