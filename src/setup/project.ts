import type { Env } from '../shared/environment.js'
import { VercelApiError, VercelClient, type Project, type VercelTarget } from '../vercel/client.js'
import { resolveVercelTarget, type VercelTargetInput } from '../vercel/target.js'
import { SetupError } from './errors.js'
import { ROUTE_PATH } from './files.js'

/** The project `init` and `doctor` work on, and a client for it. */
export interface ConnectedProject {
  client: VercelClient
  target: VercelTarget
  project: Project
}

/**
 * The token, project and team (options > environment > `.vercel/project.json`, as for `apply`), and the
 * project as the token reads it. A missing token or project is a usage error; a refusal names what to check.
 * The client retries reads and deletions only: creating a webhook twice would leave one nobody verifies.
 */
export async function connectToProject(input: VercelTargetInput, root: string, env: Env): Promise<ConnectedProject> {
  const target = resolveVercelTarget(input, root, env)
  if ('problem' in target) throw new SetupError('IMAGE_INVALIDATE_SETUP_NO_TARGET', target.problem, true)
  const client = new VercelClient(target, { retries: 2, methods: ['GET', 'DELETE'] })
  try {
    return { client, target, project: await client.getProject() }
  } catch (error) {
    await client.close()
    throw projectError(error, target.projectId)
  }
}

function projectError(error: unknown, projectId: string): unknown {
  if (!(error instanceof VercelApiError)) return error
  if (error.status === 404)
    return new SetupError('IMAGE_INVALIDATE_SETUP_PROJECT_NOT_FOUND', `${error.message} (project ${JSON.stringify(projectId)})`, false, { cause: error })
  if (error.status === 401 || error.status === 403) return new SetupError('IMAGE_INVALIDATE_SETUP_TOKEN_REFUSED', error.message, false, { cause: error })
  return error
}

/**
 * The production origin, as Vercel picks `VERCEL_PROJECT_PRODUCTION_URL`: the shortest custom domain, else
 * the shortest `vercel.app` one. Undefined before the first production deployment.
 */
export function productionOrigin(project: Project): string | undefined {
  const byLength = [...project.productionDomains].sort((a, b) => a.length - b.length)
  const domain = byLength.find((name) => !name.endsWith('.vercel.app')) ?? byLength[0]
  return domain && `https://${domain}`
}

/**
 * The URL of the webhook route: `--url` as given when it has a path, else its origin (or the production
 * domain's) with the app's base path and `/api/image-invalidate`. The secret travels there: https, or http
 * to a loopback address (a stand-in).
 */
export function routeUrl(given: string | undefined, project: Project, basePath: string | undefined, configName: string): string {
  const origin = given ?? productionOrigin(project)
  if (!origin) {
    throw new SetupError(
      'IMAGE_INVALIDATE_SETUP_NO_PRODUCTION_URL',
      `the project ${project.name} has no production domain yet: deploy it to production once, or pass --url https://<your domain>`,
      true,
    )
  }
  const url = parseSiteUrl(origin)
  if (url.pathname !== '/') return url.href.replace(/\/+$/, '')
  if (basePath === undefined) {
    throw new SetupError(
      'IMAGE_INVALIDATE_SETUP_UNKNOWN_BASE_PATH',
      `the base path in ${configName} is not a plain string init can read: pass --url with the route's full URL (https://<your domain>/<base>${ROUTE_PATH})`,
      true,
    )
  }
  return `${url.origin}${basePath}${ROUTE_PATH}`
}

/** `--url` as a URL: https, or http to loopback; anything else is a usage error naming it. */
export function parseSiteUrl(given: string): URL {
  let url: URL
  try {
    url = new URL(given)
  } catch {
    throw new SetupError('IMAGE_INVALIDATE_SETUP_BAD_URL', `--url ${JSON.stringify(given)} is not a URL: write it as https://example.com`, true)
  }
  const loopback = url.hostname === 'localhost' || url.hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(url.hostname)
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback))
    throw new SetupError('IMAGE_INVALIDATE_SETUP_BAD_URL', `--url ${JSON.stringify(given)} must be https:// (Vercel delivers webhooks over https)`, true)
  return url
}
