import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { PACKAGE_NAME } from '../shared/package.js'
import type { DetectedApp } from './frameworks.js'

/** The path of the webhook route under the app's base path. */
export const ROUTE_PATH = '/api/image-invalidate'

/** A file `init` writes: created when absent, or given new content (`.gitignore`). */
export interface FileChange {
  /** Absolute path. */
  file: string
  /** The content now; undefined for a new file. */
  before: string | undefined
  after: string
}

/** Where each framework serves a route at `<base>/api/image-invalidate`, as a path below the app's root. */
function routeFileOf(app: DetectedApp, root: string): string | undefined {
  const ext = app.typescript ? 'ts' : 'js'
  switch (app.framework.name) {
    case 'next':
      return path.join(existsSync(path.join(root, 'src', 'app')) ? 'src/app' : 'app', `api/image-invalidate/route.${ext}`)
    case 'astro':
      return `src/pages/api/image-invalidate.${ext}`
    case 'sveltekit':
      return `src/routes/api/image-invalidate/+server.${ext}`
    case 'nuxt':
      return `server/api/image-invalidate.post.${ext}`
    case 'react-router':
      return `app/routes/api.image-invalidate.${ext}`
    default:
      return undefined
  }
}

/** Whether the framework can serve the webhook route at all: a plain Vite app has no server. */
export function hasServerRoutes(app: DetectedApp): boolean {
  return routeFileOf(app, '.') !== undefined
}

/** A route file already there (any extension), which `init` keeps as it is. */
export function existingRouteFile(app: DetectedApp, root: string): string | undefined {
  const planned = routeFileOf(app, root)
  if (!planned) return undefined
  const stem = path.join(root, planned).replace(/\.(ts|js)$/, '')
  return ['ts', 'js', 'mts', 'mjs', 'tsx', 'jsx'].map((ext) => `${stem}.${ext}`).find((file) => existsSync(file))
}

/**
 * The webhook route for the app's framework, built on `createWebhookHandler` as the README shows it. With
 * `@vercel/functions` among the app's dependencies the work goes on after answering (`waitUntil`);
 * without, the handler answers within Vercel's 30 seconds on its own (`deadlineMs`).
 */
export function webhookRoute(app: DetectedApp, root: string): FileChange | undefined {
  const file = routeFileOf(app, root)
  if (!file) return undefined
  const waitUntil = app.dependencies.has('@vercel/functions')
  // From /routes: no bundler code in a route its framework bundles (Turbopack cannot resolve webpack there).
  const imports = [`import { createWebhookHandler } from '${PACKAGE_NAME}/routes'`, ...(waitUntil ? ["import { waitUntil } from '@vercel/functions'"] : [])]
  const handler = `createWebhookHandler({ ${waitUntil ? 'waitUntil, ' : ''}timeoutMs: 240_000 })`
  const header = [
    '// Vercel webhook (deployment.promoted, deployment.rollback, rolling releases) -> image-invalidate apply at',
    '// each production flip. Written by `image-invalidate init`. It answers 503 until IMAGE_INVALIDATE_WEBHOOK_SECRET',
    '// is set, and needs VERCEL_TOKEN (and VERCEL_TEAM_ID for a team) on the project for Production.',
  ]
  const ts = app.typescript
  const bodies: Record<string, string[]> = {
    next: ['export const maxDuration = 300', `export const POST = ${handler}`],
    astro: [
      ...(ts ? ["import type { APIRoute } from 'astro'", ''] : ['']),
      `const handle = ${handler}`,
      'export const prerender = false',
      `export const POST${ts ? ': APIRoute' : ''} = ({ request }) => handle(request)`,
    ],
    sveltekit: [
      ...(ts ? ["import type { RequestHandler } from './$types'", ''] : ['']),
      `const handle = ${handler}`,
      `export const POST${ts ? ': RequestHandler' : ''} = ({ request }) => handle(request)`,
    ],
    nuxt: [`const handle = ${handler}`, 'export default defineEventHandler(async (event) => sendWebResponse(event, await handle(toWebRequest(event))))'],
    'react-router': [`const handle = ${handler}`, `export const action = ({ request }${ts ? ': { request: Request }' : ''}) => handle(request)`],
  }
  const body = bodies[app.framework.name] ?? []
  const content = [...header, ...imports, ...(body[0] === '' ? [] : ['']), ...body].join('\n')
  return { file: path.join(root, file), before: undefined, after: `${content}\n` }
}

/** `.gitignore` with the manifest the framework writes into a source folder, when it does and the line is missing. */
export function gitignoreChange(app: DetectedApp, root: string): FileChange | undefined {
  const line = app.framework.gitignore
  if (!line) return undefined
  const file = path.join(root, '.gitignore')
  const before = existsSync(file) ? readFileSync(file, 'utf8') : undefined
  const listed = (before ?? '').split(/\r?\n/).some((entry) => [line, `/${line}`, '_image-invalidate.json', '/_image-invalidate.json'].includes(entry.trim()))
  if (listed) return undefined
  const lead = before === undefined || before === '' || before.endsWith('\n') ? (before ?? '') : `${before}\n`
  return { file, before, after: `${lead}# written by each build (unplugin-image-invalidate)\n/${line}\n` }
}

/** The CI step `init --way ci` prints: the README's recipe for a CI that deploys itself. */
export const CI_STEP = `export IMAGE_INVALIDATE=1 IMAGE_INVALIDATE_SITE_URL=https://<your production domain>
npx vercel pull --yes --environment=production --token="$VERCEL_TOKEN"
npx vercel build --prod --token="$VERCEL_TOKEN"        # the plugin plans
npx image-invalidate apply & apply=$!                  # watches the site: P now, D after the flip
npx vercel deploy --prebuilt --prod --token="$VERCEL_TOKEN"
wait "$apply"                                          # 0 only when every image was invalidated`
