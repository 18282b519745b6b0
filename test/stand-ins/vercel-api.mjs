// @ts-check
/**
 * A loopback stand-in for the part of Vercel's REST API this package uses. It checks requests the way the
 * real API documents them, records every one, and injects faults on demand. Used by tests, the demo and
 * the benchmark.
 *
 *   POST /v1/edge-cache/invalidate-by-src-images?projectIdOrName=&teamId=   {"srcImages": [1..8 strings]}
 *   POST /v1/edge-cache/dangerously-delete-by-src-images                     (same)
 *   GET  /v13/deployments/:idOrUrl?teamId=
 *   GET  /v9/projects/:idOrName?teamId=            {id, name, targets.production.id, lastAliasRequest}
 *
 * A project is named by its id or its name, as the real API takes either.
 */
import { createServer } from 'node:http'

/**
 * @typedef {{ status: number, retryAfter?: string, body?: unknown } | 'stall' | 'reset'} Fault
 * @typedef {{ readyState: string, aliasAssigned: boolean, aliasError?: { code: string, message: string } | null, url?: string }} DeploymentState
 * @typedef {{ fromDeploymentId: string | null, toDeploymentId: string, type: 'promote' | 'rollback', jobStatus?: string }} AliasRequest
 * @typedef {{
 *   method: string, path: string, query: Record<string, string>, authorization: string | undefined,
 *   body: unknown, status: number | 'stall' | 'reset', at: number,
 * }} RecordedCall
 * @typedef {{
 *   origin: string,
 *   calls: RecordedCall[],
 *   invalidations(): RecordedCall[],
 *   invalidated: string[],
 *   maxInFlight(): number,
 *   injectFaults(faults: Fault[]): void,
 *   rejectImages(srcImages: string[]): void,
 *   setDeployment(idOrUrl: string, states: DeploymentState | DeploymentState[]): void,
 *   setProduction(deploymentId: string | null, lastAliasRequest?: AliasRequest | null): void,
 *   close(): Promise<void>,
 * }} VercelApiStandIn
 */

const json = (/** @type {import('node:http').ServerResponse} */ res, /** @type {number} */ status, /** @type {unknown} */ body, headers = {}) => {
  const text = body === undefined ? '' : JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers }).end(text)
}
const error = (/** @type {string} */ code, /** @type {string} */ message) => ({ error: { code, message } })

/**
 * @param {{ token: string, projectId: string, projectName?: string, teamId?: string, latencyMs?: number }} options
 * @returns {Promise<VercelApiStandIn>}
 */
export async function startVercelApi(options) {
  /** @type {RecordedCall[]} */
  const calls = []
  /** @type {string[]} */
  const invalidated = []
  /** @type {Fault[]} */
  let faults = []
  /** @type {Set<string>} */
  let rejected = new Set()
  /** @type {Map<string, DeploymentState[]>} */
  const deployments = new Map()
  /** @type {Set<import('node:http').ServerResponse>} */
  const stalled = new Set()
  /** @type {{ production: string | null, lastAliasRequest: AliasRequest | null }} */
  const project = { production: null, lastAliasRequest: null }
  const isProject = (/** @type {string | null} */ idOrName) => idOrName === options.projectId || (options.projectName !== undefined && idOrName === options.projectName)
  let inFlight = 0
  let maxInFlight = 0

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
        authorization: req.headers.authorization,
        body: parseJson(text),
        status: 0,
        at: Date.now(),
      }
      calls.push(call)
      inFlight++
      maxInFlight = Math.max(maxInFlight, inFlight)
      res.on('close', () => inFlight--)
      if (options.latencyMs) await new Promise((resolve) => setTimeout(resolve, options.latencyMs))
      const respond = (/** @type {number} */ status, /** @type {unknown} */ body, headers = {}) => {
        call.status = status
        json(res, status, body, headers)
      }

      if (req.headers.authorization !== `Bearer ${options.token}`) {
        return respond(403, error('forbidden', 'Not authorized: the token is invalid or expired'))
      }
      if (options.teamId && url.searchParams.get('teamId') !== options.teamId) {
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
        if (fault) return respond(fault.status, fault.body ?? error('internal', 'injected fault'), fault.retryAfter ? { 'retry-after': fault.retryAfter } : {})

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

      const deployment = /^\/v13\/deployments\/([^/]+)$/.exec(url.pathname)
      if (deployment && req.method === 'GET') {
        const states = deployments.get(decodeURIComponent(deployment[1] ?? ''))
        if (!states) return respond(404, error('not_found', 'Deployment not found'))
        const state = states.length > 1 ? states.shift() : states[0]
        return respond(200, { id: deployment[1], url: `${deployment[1]}.vercel.app`, aliasError: null, ...state })
      }

      const projectPath = /^\/v9\/projects\/([^/]+)$/.exec(url.pathname)
      if (projectPath && req.method === 'GET') {
        if (!isProject(decodeURIComponent(projectPath[1] ?? ''))) return respond(404, error('not_found', 'Project not found'))
        return respond(200, {
          id: options.projectId,
          name: options.projectName ?? options.projectId,
          targets: project.production ? { production: { id: project.production, alias: [] } } : {},
          lastAliasRequest: project.lastAliasRequest,
        })
      }
      respond(404, error('not_found', `No route for ${req.method} ${url.pathname}`))
    })
  })
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
    rejectImages(srcImages) {
      rejected = new Set(srcImages)
    },
    setDeployment(idOrUrl, states) {
      deployments.set(idOrUrl, Array.isArray(states) ? [...states] : [states])
    },
    setProduction(deploymentId, lastAliasRequest) {
      project.production = deploymentId
      if (lastAliasRequest !== undefined) project.lastAliasRequest = lastAliasRequest
    },
    close: () =>
      new Promise((resolve) => {
        for (const res of stalled) res.destroy()
        server.closeAllConnections()
        server.close(() => resolve())
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
