import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { createWebhookHandler } from '../src/apply/webhook.js'
import { createManifest, serializeManifest } from '../src/core/manifest.js'
import { checkProductionManifest, type DoctorReport } from '../src/setup/doctor.js'
import { SECRET_VARIABLE } from '../src/setup/webhook-setup.js'
import { fixtureFiles, imageInvalidate, startProjectApi } from './helpers/setup-app.js'
import type { VercelApiStandIn } from './stand-ins/vercel-api.mjs'

let api: VercelApiStandIn | undefined
let site: ProductionSite | undefined
afterEach(async () => {
  await api?.close()
  await site?.close()
  api = site = undefined
})

interface ProductionSite {
  origin: string
  /** What the route does with an unsigned POST: verify it (the handler of createWebhookHandler), or take it. */
  route: 'verifying' | 'accepting'
  /** POSTs the route received: none of them may have made the handler act. */
  posts: number
  /** The secret the deployed route has: the variable's value when it was deployed. */
  secret: string
  /** Deployment protection: the manifest is served only with this bypass secret. */
  bypass?: string
  close(): Promise<void>
}

/** Production on loopback, as a deployed Next.js app serves it: its manifest, and the webhook route. */
async function startProductionSite(): Promise<ProductionSite> {
  const manifest = serializeManifest(
    createManifest({
      buildId: 'dpl_live',
      basePath: '',
      images: { '/images/hero.png': { hash: 'a'.repeat(64), size: 1 } },
      plan: { baseline: null, srcImages: [] },
    }),
  )
  const state: Omit<ProductionSite, 'origin' | 'close'> = { route: 'verifying', posts: 0, secret: '' }
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', async () => {
      if (state.bypass && req.headers['x-vercel-protection-bypass'] !== state.bypass) return void res.writeHead(401).end('Authentication Required')
      if (req.method === 'GET' && req.url?.startsWith('/_image-invalidate.json'))
        return void res.writeHead(200, { 'content-type': 'application/json' }).end(manifest)
      if (req.method !== 'POST' || req.url !== '/api/image-invalidate') return void res.writeHead(404).end('not found')
      state.posts++
      if (state.route === 'accepting') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}')
      const handle = createWebhookHandler({ secret: state.secret, env: {} })
      const answer = await handle(
        new Request(`http://site${req.url}`, { method: 'POST', headers: req.headers as Record<string, string>, body: Buffer.concat(chunks) }),
      )
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(await answer.text())
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return Object.assign(state, {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  })
}

/**
 * An app set up by `init --yes` (its webhook at the loopback site), then deployed: production serves it,
 * the route reading its secret from the variable `init` set.
 */
async function setUp(): Promise<string> {
  api = await startProjectApi()
  site = await startProductionSite()
  const dir = await fixtureFiles('next-app')
  const init = await imageInvalidate(api, dir, ['init', '--yes', '--url', site.origin])
  expect(init.code, init.output).toBe(0)
  site.secret = api.variables.find((variable) => variable.key === SECRET_VARIABLE)!.value
  return dir
}

async function doctor(dir: string): Promise<{ code: number | null; report: DoctorReport }> {
  const result = await imageInvalidate(api!, dir, ['doctor', '--json', '--url', site!.origin])
  return { code: result.code, report: JSON.parse(result.stdout) as DoctorReport }
}

const failed = (report: DoctorReport) => report.checks.filter((check) => check.status === 'fail').map((check) => check.name)

describe('image-invalidate doctor', () => {
  it('a healthy set-up: every check passes, and nothing is invalidated or changed', async () => {
    const dir = await setUp()
    const calls = api!.calls.length
    const { code, report } = await doctor(dir)
    expect(report.checks.map((check) => [check.name, check.status])).toEqual([
      ['plugin-in-config', 'ok'],
      ['token-reads-project', 'ok'],
      ['production-manifest', 'ok'],
      ['webhook-route', 'ok'],
      ['secret-variable', 'ok'],
    ])
    expect(code).toBe(0)
    expect(api!.calls.slice(calls).every((call) => call.method === 'GET')).toBe(true)
    expect(api!.invalidations()).toEqual([])
    expect(site!.posts).toBe(1)
  })

  it.each([
    [
      'no webhook',
      (): unknown => api!.webhooks.splice(0),
      'webhook-route',
      /no webhook of the project points at http:\/\/127\.0\.0\.1:\d+\/api\/image-invalidate/,
      /run image-invalidate init/,
    ],
    [
      'a route that answers 200 to an unsigned POST',
      (): unknown => (site!.route = 'accepting'),
      'webhook-route',
      /answered an unsigned POST with 200/,
      /createWebhookHandler/,
    ],
    [
      'the secret variable missing',
      (): unknown => api!.variables.splice(0),
      'secret-variable',
      /IMAGE_INVALIDATE_WEBHOOK_SECRET is not set for Production/,
      /run image-invalidate init/,
    ],
  ] as const)('%s: exactly that check fails, with its fix; exit 1', async (_name, breakIt, check, detail, fix) => {
    const dir = await setUp()
    breakIt()
    const { code, report } = await doctor(dir)
    expect(failed(report)).toEqual([check])
    const failure = report.checks.find((item) => item.name === check)!
    expect(failure.detail).toMatch(detail)
    expect(failure.fix).toMatch(fix)
    expect(code).toBe(1)
    expect(api!.invalidations()).toEqual([])
  })

  it('without a token: that check fails with its fix, the manifest is still checked at --url, the rest skipped', async () => {
    const dir = await setUp()
    const result = await imageInvalidate(api!, dir, ['doctor', '--json', '--url', site!.origin], { VERCEL_TOKEN: '' })
    const report = JSON.parse(result.stdout) as DoctorReport
    expect(report.checks.map((check) => [check.name, check.status])).toEqual([
      ['plugin-in-config', 'ok'],
      ['token-reads-project', 'fail'],
      ['production-manifest', 'ok'],
      ['webhook-route', 'skip'],
      ['secret-variable', 'skip'],
    ])
    expect(report.checks[1]).toMatchObject({ detail: expect.stringContaining('no Vercel token'), fix: expect.stringContaining('set VERCEL_TOKEN') })
    expect(result.code).toBe(1)
  })

  it('apply runs from the GitHub workflow init wrote: the webhook checks are skipped, saying why', async () => {
    api = await startProjectApi()
    site = await startProductionSite()
    const dir = await fixtureFiles('vite-app')
    expect((await imageInvalidate(api, dir, ['init', '--yes'])).code).toBe(0)
    const { code, report } = await doctor(dir)
    expect(report.checks.map((check) => [check.name, check.status])).toEqual([
      ['plugin-in-config', 'ok'],
      ['token-reads-project', 'ok'],
      ['production-manifest', 'ok'],
      ['webhook-route', 'skip'],
      ['secret-variable', 'skip'],
    ])
    expect(report.checks[3]!.detail).toBe('apply runs from .github/workflows/invalidate-images.yml')
    expect(code).toBe(0)
  })

  it('protected deployments: the manifest is read with VERCEL_AUTOMATION_BYPASS_SECRET, and without it the fix says so', async () => {
    const dir = await setUp()
    site!.bypass = 'bypass_DOCTOR_0123456789'
    const without = await imageInvalidate(api!, dir, ['doctor', '--json', '--url', site!.origin])
    const refused = (JSON.parse(without.stdout) as DoctorReport).checks.find((check) => check.name === 'production-manifest')!
    expect(refused).toMatchObject({ status: 'fail', fix: expect.stringContaining('Protection Bypass for Automation') })
    const withSecret = await imageInvalidate(api!, dir, ['doctor', '--json', '--url', site!.origin], { VERCEL_AUTOMATION_BYPASS_SECRET: site!.bypass })
    const report = JSON.parse(withSecret.stdout) as DoctorReport
    expect(failed(report)).toEqual([])
    expect(withSecret.output).not.toContain(site!.bypass)
    expect(withSecret.code).toBe(0)
  })

  it('a production site that cannot be reached: the fix says to check the domain, not to deploy again', async () => {
    const check = await checkProductionManifest('http://127.0.0.1:9', '', {})
    expect(check).toMatchObject({ status: 'fail', detail: expect.stringContaining('ECONNREFUSED') })
    expect(check.fix).toBe(
      "check that http://127.0.0.1:9 resolves and answers from here (the project's production domain), or pass --url with the one it serves",
    )
  })

  it('prints one line per check, and the fix under the one that failed', async () => {
    const dir = await setUp()
    site!.route = 'accepting'
    const result = await imageInvalidate(api!, dir, ['doctor', '--url', site!.origin])
    expect(result.code).toBe(1)
    const lines = result.stdout.trim().split('\n')
    expect(lines.filter((line) => /^(ok {2}|FAIL|skip) /.test(line)).map((line) => line.slice(0, 4))).toEqual(['ok  ', 'ok  ', 'ok  ', 'FAIL', 'ok  '])
    expect(result.stdout).toMatch(/FAIL webhook-route: .*\n {5}fix: the route accepts what it cannot verify/)
    expect(lines.at(-1)).toBe('1 check failed')
  })
})
