import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { readFile } from 'node:fs/promises'
import path from 'node:path'

// Loopback stand-ins for the production site and the three endpoints of Vercel's REST API that `apply` uses,
// small enough to ship: the demo runs against them with no account and no network. Their bodies are the
// shapes the real API sends (the suite holds them to @vercel/sdk's schemas), without the real sizes.

export interface DemoSite {
  origin: string
  /** Serves the build output in `dir` (the live deployment), or nothing. */
  serve(dir: string | null): void
  close(): Promise<void>
}

/** A production site: it serves one deployment's output folder until told to serve another. */
export async function startDemoSite(): Promise<DemoSite> {
  let live: string | null = null
  const server = createServer((req, res) => {
    void serveFile(live, req, res)
  })
  const origin = await listen(server)
  return {
    origin,
    serve: (dir) => {
      live = dir
    },
    close: () => close(server),
  }
}

async function serveFile(live: string | null, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://site').pathname)
  if (!live || pathname.includes('..')) return void res.writeHead(404).end('not found')
  try {
    const body = await readFile(path.join(live, pathname))
    res.writeHead(200, { 'content-type': pathname.endsWith('.json') ? 'application/json' : 'application/octet-stream' }).end(body)
  } catch {
    res.writeHead(404).end('not found')
  }
}

export interface DemoDeployment {
  readyState: 'READY' | 'BUILDING'
  aliasAssigned: boolean
  /** Where it serves its files: the API gives a host, or (a stand-in) an origin. */
  url: string
}

export interface DemoInvalidation {
  /** When it arrived (Date.now()). */
  at: number
  path: string
  projectIdOrName: string | null
  status: number
  srcImages: string[]
}

export interface DemoApi {
  origin: string
  /** Every invalidation call, in the order they arrived. */
  invalidations: DemoInvalidation[]
  setDeployment(id: string, state: DemoDeployment): void
  /** Production now serves `id`, promoted from the one it served before. */
  promote(id: string): void
  close(): Promise<void>
}

const CREATED = 1_767_225_600_000 // 2026-01-01
const OWNER = 'team_demo00000000000000000000'
const NAME = 'demo'

/**
 * `GET /v13/deployments/{idOrUrl}`, `GET /v9/projects/{idOrName}` and `POST
 * /v1/edge-cache/invalidate-by-src-images` (and `dangerously-delete-by-src-images`), for one project and one token.
 */
export async function startDemoApi(options: { token: string; projectId: string }): Promise<DemoApi> {
  const deployments = new Map<string, DemoDeployment>()
  const invalidations: DemoInvalidation[] = []
  const project: { production: string | null; lastAliasRequest: Record<string, unknown> | null } = { production: null, lastAliasRequest: null }

  /** Records the call; 404 for another project, 400 for a body the real API refuses, else 200. */
  const invalidateCall = (url: URL, body: string): { status: number; body?: unknown } => {
    const srcImages = srcImagesOf(body)
    const projectIdOrName = url.searchParams.get('projectIdOrName')
    const refusal = projectIdOrName === options.projectId ? undefined : { status: 404, body: apiError('not_found', 'Project not found') }
    const answer = refusal ?? (srcImages ? { status: 200 } : { status: 400, body: apiError('bad_request', 'srcImages must be an array of 1 to 8 strings') })
    invalidations.push({ at: Date.now(), path: url.pathname, projectIdOrName, status: answer.status, srcImages: srcImages ?? [] })
    return answer
  }

  const answer = (url: URL, method: string, body: string): { status: number; body?: unknown } => {
    const invalidate = /^\/v1\/edge-cache\/(invalidate|dangerously-delete)-by-src-images$/.test(url.pathname)
    if (invalidate && method === 'POST') return invalidateCall(url, body)
    const deployment = /^\/v13\/deployments\/([^/]+)$/.exec(url.pathname)
    if (deployment && method === 'GET') {
      const id = decodeURIComponent(deployment[1]!)
      const state = deployments.get(id)
      return state ? { status: 200, body: deploymentBody(id, state, options.projectId) } : { status: 404, body: apiError('not_found', 'Deployment not found') }
    }
    const projectPath = /^\/v9\/projects\/([^/]+)$/.exec(url.pathname)
    if (projectPath && method === 'GET') {
      if (decodeURIComponent(projectPath[1]!) !== options.projectId) return { status: 404, body: apiError('not_found', 'Project not found') }
      const production = project.production === null ? null : listedDeployment(project.production, deployments.get(project.production)!)
      return { status: 200, body: projectBody(options.projectId, production, project.lastAliasRequest) }
    }
    return { status: 404, body: apiError('not_found', `No route for ${method} ${url.pathname}`) }
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://api')
      const authorized = req.headers.authorization === `Bearer ${options.token}`
      const { status, body } = authorized
        ? answer(url, req.method ?? 'GET', Buffer.concat(chunks).toString('utf8'))
        : { status: 403, body: apiError('forbidden', 'Not authorized: the token is invalid or expired') }
      const text = body === undefined ? '' : JSON.stringify(body)
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text)
    })
  })
  const origin = await listen(server)
  return {
    origin,
    invalidations,
    setDeployment: (id, state) => {
      deployments.set(id, state)
    },
    promote: (id) => {
      project.lastAliasRequest = { fromDeploymentId: project.production, toDeploymentId: id, type: 'promote', jobStatus: 'succeeded', requestedAt: Date.now() }
      project.production = id
      const state = deployments.get(id)
      if (state) state.aliasAssigned = true
    },
    close: () => close(server),
  }
}

/** The documented body: `{ "srcImages": [1 to 8 strings] }` and nothing else; undefined when it is not that. */
function srcImagesOf(body: string): string[] | undefined {
  try {
    const parsed = JSON.parse(body) as { srcImages?: unknown }
    const { srcImages } = parsed
    const valid = Object.keys(parsed).length === 1 && Array.isArray(srcImages) && srcImages.length >= 1 && srcImages.length <= 8
    return valid && srcImages.every((src) => typeof src === 'string') ? (srcImages as string[]) : undefined
  } catch {
    return undefined
  }
}

const apiError = (code: string, message: string) => ({ error: { code, message } })

const creator = { uid: 'user_demo000000000000000', username: 'demo' }

/** `GET /v13/deployments/{idOrUrl}`: the owner's view of a deployment. */
function deploymentBody(id: string, state: DemoDeployment, projectId: string): Record<string, unknown> {
  return {
    alias: state.aliasAssigned ? [`${NAME}.example.com`] : [],
    aliasAssigned: state.aliasAssigned,
    aliasError: null,
    bootedAt: CREATED,
    build: { env: [] },
    buildingAt: CREATED,
    buildSkipped: false,
    createdAt: CREATED,
    createdIn: 'iad1',
    creator,
    env: [],
    id,
    inspectorUrl: null,
    isInConcurrentBuildsQueue: false,
    isInSystemBuildsQueue: false,
    meta: {},
    name: NAME,
    ownerId: OWNER,
    plan: 'pro',
    projectId,
    projectSettings: {},
    public: false,
    readyState: state.readyState,
    regions: ['iad1'],
    routes: null,
    status: state.readyState,
    target: 'production',
    type: 'LAMBDAS',
    url: state.url,
    version: 2,
  }
}

/** A deployment as the project lists it (`targets.production`). */
function listedDeployment(id: string, state: DemoDeployment): Record<string, unknown> {
  return {
    alias: [`${NAME}.example.com`],
    aliasAssigned: CREATED + 60_000,
    aliasError: null,
    builds: [],
    createdAt: CREATED,
    createdIn: 'iad1',
    creator: { ...creator, email: 'demo@example.com' },
    deploymentHostname: state.url.replace(/^https?:\/\//, ''),
    forced: false,
    id,
    meta: {},
    name: NAME,
    plan: 'pro',
    private: true,
    readyState: state.readyState,
    target: 'production',
    type: 'LAMBDAS',
    url: state.url,
    userId: creator.uid,
  }
}

/** `GET /v9/projects/{idOrName}`: what production serves, and the last promotion. */
function projectBody(id: string, production: Record<string, unknown> | null, lastAliasRequest: Record<string, unknown> | null): Record<string, unknown> {
  return {
    accountId: OWNER,
    alias: [],
    createdAt: CREATED,
    defaultResourceConfig: { functionDefaultRegions: ['iad1'] },
    deploymentExpiration: { expirationDays: 90 },
    directoryListing: false,
    env: [],
    id,
    lastAliasRequest,
    latestDeployments: [],
    name: NAME,
    nodeVersion: '24.x',
    resourceConfig: { functionDefaultRegions: ['iad1'] },
    targets: production ? { production } : {},
    updatedAt: CREATED,
  }
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections()
    server.close(() => resolve())
  })
}
