import path from 'node:path'
import { request } from 'undici'
import { manifestUrl } from '../core/manifest.js'
import { protectionBypassHeaders, type Env } from '../shared/environment.js'
import { countOf } from '../shared/format.js'
import { createHttpClient, describeHttpError } from '../shared/http.js'
import { loadManifest, type ManifestLoad } from '../shared/load-manifest.js'
import { USER_AGENT } from '../shared/package.js'
import type { Project, VercelClient, Webhook } from '../vercel/client.js'
import { configHasPlugin, readConfigBasePath } from './config.js'
import { SetupError } from './errors.js'
import { existingRouteFile, ROUTE_PATH } from './files.js'
import { detectApp, type DetectedApp } from './frameworks.js'
import { connectToProject, parseSiteUrl, productionOrigin, type ConnectedProject } from './project.js'
import { forProduction, isForProject, missingEvents, SECRET_VARIABLE } from './webhook-setup.js'
import { findApplyWorkflow } from './workflow.js'

/** One check of `doctor`: passed, failed (with the fix), or not applicable here (with why). */
export interface DoctorCheck {
  name: 'plugin-in-config' | 'token-reads-project' | 'production-manifest' | 'webhook-route' | 'secret-variable'
  status: 'ok' | 'fail' | 'skip'
  /** What was found, in one line. */
  detail: string
  /** What to do, for a failed check. */
  fix?: string
}

export interface DoctorReport {
  ok: boolean
  checks: DoctorCheck[]
}

export interface DoctorOptions {
  root: string
  /** The production origin, or the webhook route's full URL. */
  url?: string
  projectId?: string
  teamId?: string
  env: Env
}

const pass = (name: DoctorCheck['name'], detail: string): DoctorCheck => ({ name, status: 'ok', detail })
const fail = (name: DoctorCheck['name'], detail: string, fix: string): DoctorCheck => ({ name, status: 'fail', detail, fix })
const skip = (name: DoctorCheck['name'], detail: string): DoctorCheck => ({ name, status: 'skip', detail })

/**
 * Checks a set-up end to end, each check on its own so that one failure does not hide the others: the
 * plugin in the config, the token reading the project, the production manifest, the webhook and its route,
 * the secret variable. Reads only: no check sends an invalidation or changes anything.
 */
export async function doctor(options: DoctorOptions): Promise<DoctorReport> {
  const app = detectApp(options.root)
  // A bad --url is a usage error before anything is asked.
  const given = options.url === undefined ? undefined : parseSiteUrl(options.url)
  const basePath = readConfigBasePath(app, options.root)
  const checks = [checkPluginInConfig(app)]
  const connection = await checkTokenReadsProject(options)
  checks.push(connection.check)
  const connected = connection.connected
  // The production origin: --url, else the project's domain, which only a token that reads it gives.
  const site = given ? given.origin : connected && productionOrigin(connected.project)
  const needsToken = 'needs a token that reads the project (above)'
  checks.push(
    site || connected
      ? await checkProductionManifest(site, manifestBasePath(app, basePath), options.env)
      : skip('production-manifest', `${needsToken}, or --url`),
  )
  if (!connected) {
    checks.push(skip('webhook-route', needsToken), skip('secret-variable', needsToken))
    return { ok: false, checks }
  }
  try {
    const webhook = await findProjectWebhook(connected, routeUrlFor(options.url, site, basePath))
    const way = wayOf(app, options.root, webhook)
    if (way.name !== 'webhook') {
      const why = way.workflow
        ? `apply runs from ${path.relative(options.root, way.workflow)}`
        : 'no webhook route, webhook or GitHub workflow: apply runs in your CI'
      checks.push(skip('webhook-route', why), skip('secret-variable', why))
    } else {
      checks.push(await checkWebhookRoute(webhook, options.env))
      checks.push(await checkSecretVariable(connected.client, connected.project))
    }
  } finally {
    await connected.client.close()
  }
  return { ok: checks.every((check) => check.status !== 'fail'), checks }
}

/** The plugin is in the framework's config. */
export function checkPluginInConfig(app: DetectedApp): DoctorCheck {
  const name = app.configFile ? path.basename(app.configFile) : app.framework.configs[0]!
  const found = configHasPlugin(app)
  if (found) return pass('plugin-in-config', `${name} adds the plugin (${app.framework.entry})`)
  const detail = found === undefined ? `no readable ${name}` : `${name} does not add the plugin`
  return fail('plugin-in-config', detail, `run image-invalidate init, or add:\n${app.framework.manualLines}`)
}

/** The token reads the project: the credentials `apply` and the route use work. */
export async function checkTokenReadsProject(options: DoctorOptions): Promise<{ check: DoctorCheck; connected?: ConnectedProject }> {
  try {
    const connected = await connectToProject({ projectId: options.projectId, teamId: options.teamId }, options.root, options.env)
    const { project } = connected
    return { check: pass('token-reads-project', `the token reads the project ${project.name} (${project.id})`), connected }
  } catch (error) {
    if (!(error instanceof SetupError)) throw error
    return {
      check: fail('token-reads-project', error.message, 'set VERCEL_TOKEN to a token whose scope includes the project, and the project and team as for apply'),
    }
  }
}

/** Production serves the manifest the last production build wrote (with the bypass header where protected). */
export async function checkProductionManifest(site: string | undefined, basePath: string | undefined, env: Env): Promise<DoctorCheck> {
  if (!site) return fail('production-manifest', 'the project has no production domain', 'deploy to production, or pass --url https://<your domain>')
  if (basePath === undefined) return fail('production-manifest', "the app's base path cannot be read from its config", 'pass --url with the full route URL')
  const url = manifestUrl(site, basePath)
  const loaded = await loadManifest(url, { headers: protectionBypassHeaders(env), fresh: true, timeoutMs: 15_000 })
  if (loaded.kind === 'found') {
    const { manifest } = loaded
    return pass('production-manifest', `${url} is the manifest of ${manifest.buildId} (${countOf(Object.keys(manifest.images).length, 'image')})`)
  }
  return fail('production-manifest', `${url}: ${loaded.reason}`, manifestFix(loaded, site))
}

/** What to do when the production site did not give its manifest, by what went wrong. */
function manifestFix(loaded: Exclude<ManifestLoad, { kind: 'found' }>, site: string): string {
  if (loaded.kind === 'missing') return 'deploy a production build with the plugin (the manifest is written at the end of each production build)'
  if (loaded.kind === 'invalid') return 'the file there is not a manifest of this package: check that nothing else is served at /_image-invalidate.json'
  if (/\b40[13]\b/.test(loaded.reason)) return 'deployments are protected: enable Protection Bypass for Automation and set VERCEL_AUTOMATION_BYPASS_SECRET here'
  return `check that ${site} resolves and answers from here (the project's production domain), or pass --url with the one it serves`
}

/**
 * A webhook of the project points at the route, with every event the route needs, and the route answers
 * an unsigned POST with 401: it is deployed, and has its secret (without one it answers 503).
 */
export async function checkWebhookRoute(webhook: Webhook | { missing: string }, env: Env): Promise<DoctorCheck> {
  if ('missing' in webhook) return fail('webhook-route', webhook.missing, 'run image-invalidate init (it creates the webhook and stores its secret)')
  const missing = missingEvents(webhook)
  if (missing.length > 0)
    return fail(
      'webhook-route',
      `the webhook ${webhook.id} lacks ${missing.join(', ')}`,
      'run image-invalidate init: it replaces the webhook with one for every event',
    )
  const status = await unsignedPostStatus(webhook.url, env)
  if (status === 401) return pass('webhook-route', `the webhook ${webhook.id} points at ${webhook.url}, which refuses an unsigned POST (401)`)
  return fail('webhook-route', `${webhook.url} answered an unsigned POST with ${status}`, routeFix(status))
}

function routeFix(status: number | string): string {
  if (status === 503) return `the route has no secret: set ${SECRET_VARIABLE} for Production (image-invalidate init) and redeploy`
  if (status === 404 || status === 405) return `the route is not deployed there: add it (image-invalidate init writes it) and deploy to production`
  if (typeof status === 'number' && status < 300)
    return 'the route accepts what it cannot verify: export the handler of createWebhookHandler() from unplugin-image-invalidate/routes'
  return 'check that the production deployment serves the route and that it is reachable'
}

/** The status of an unsigned POST of an empty event, which a route that verifies refuses before reading it. */
async function unsignedPostStatus(url: string, env: Env): Promise<number | string> {
  const dispatcher = createHttpClient({ retries: 1, timeoutMs: 15_000 })
  try {
    const response = await request(url, {
      method: 'POST',
      dispatcher,
      headers: { 'content-type': 'application/json', 'user-agent': USER_AGENT, ...protectionBypassHeaders(env) },
      body: '{}',
    })
    await response.body.dump()
    return response.statusCode
  } catch (error) {
    return describeHttpError(error)
  } finally {
    await dispatcher.close()
  }
}

/** The secret variable exists for Production (its value cannot be read back, only its presence). */
export async function checkSecretVariable(client: VercelClient, project: Project): Promise<DoctorCheck> {
  const variable = forProduction(await client.listProjectVariables(project.id), SECRET_VARIABLE)
  if (variable) return pass('secret-variable', `${SECRET_VARIABLE} is set for Production (${variable.type})`)
  return fail(
    'secret-variable',
    `${SECRET_VARIABLE} is not set for Production`,
    'run image-invalidate init (the webhook secret is shown only when the webhook is created, so it makes a new one), then redeploy',
  )
}

/** The project's webhook at the route's URL when one is known, else the one whose path is the route's. */
async function findProjectWebhook(connected: ConnectedProject, url: string | undefined): Promise<Webhook | { missing: string }> {
  const webhooks = (await connected.client.listWebhooks(connected.project.id)).filter((webhook) => isForProject(webhook, connected.project.id))
  const matches = webhooks.filter((webhook) => (url ? webhook.url === url : new URL(webhook.url).pathname.endsWith(ROUTE_PATH)))
  const complete = matches.find((webhook) => missingEvents(webhook).length === 0)
  return complete ?? matches[0] ?? { missing: `no webhook of the project points at ${url ?? `a ${ROUTE_PATH} route`}` }
}

function routeUrlFor(given: string | undefined, site: string | undefined, basePath: string | undefined): string | undefined {
  if (given && parseSiteUrl(given).pathname !== '/') return parseSiteUrl(given).href.replace(/\/+$/, '')
  return site && basePath !== undefined ? `${site}${basePath}${ROUTE_PATH}` : undefined
}

/** Astro's Vercel adapter and React Router on Vercel serve public files at the root, whatever the base. */
function manifestBasePath(app: DetectedApp, basePath: string | undefined): string | undefined {
  return app.framework.name === 'astro' || app.framework.name === 'react-router' ? '' : basePath
}

/**
 * How apply runs here, as the app shows it: a route or a webhook, else a workflow of the repository (at its
 * root, where GitHub reads them), else a CI of its own.
 */
function wayOf(app: DetectedApp, root: string, webhook: Webhook | { missing: string }): { name: 'webhook' | 'github' | 'ci'; workflow?: string } {
  if (existingRouteFile(app, root) || !('missing' in webhook)) return { name: 'webhook' }
  const workflow = findApplyWorkflow(root)
  return workflow ? { name: 'github', workflow } : { name: 'ci' }
}

const MARKS: Record<DoctorCheck['status'], string> = { ok: 'ok  ', fail: 'FAIL', skip: 'skip' }

/** One line per check, and the fix under each that failed. */
export function describeDoctorReport(report: DoctorReport): string {
  const lines = report.checks.flatMap((check) => [
    `${MARKS[check.status]} ${check.name}: ${check.detail}`,
    ...(check.fix ? check.fix.split('\n').map((line, index) => `     ${index === 0 ? 'fix: ' : '     '}${line}`) : []),
  ])
  const failed = report.checks.filter((check) => check.status === 'fail').length
  lines.push(failed ? `${countOf(failed, 'check')} failed` : 'every check passed')
  return `${lines.join('\n')}\n`
}
