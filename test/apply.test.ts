import path from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { apply } from '../src/apply/apply.js'
import type { ApplyOptions, ApplyReport } from '../src/types.js'
import { images, twoDeployments, writePlan } from './helpers/plan.js'
import { tempDir } from './helpers/tmp.js'
import { startSite, type SiteStandIn } from './stand-ins/site.mjs'
import { startVercelApi, type VercelApiStandIn } from './stand-ins/vercel-api.mjs'

const TOKEN = 'tok_DISTINCTIVE_a1b2c3d4e5f6'
let api: VercelApiStandIn
let site: SiteStandIn | undefined
afterEach(async () => {
  await api?.close()
  await site?.close()
  api = undefined as unknown as VercelApiStandIn
  site = undefined
})

async function run(srcImages: string[], options: Partial<ApplyOptions> = {}, env: Record<string, string> = {}) {
  api ??= await startVercelApi({ token: TOKEN, projectId: 'prj_1', teamId: 'team_1' })
  const dir = await tempDir()
  const plan = await writePlan(dir, srcImages)
  const lines: string[] = []
  const report = await apply({
    root: dir,
    plan,
    env: { VERCEL_TOKEN: TOKEN, VERCEL_PROJECT_ID: 'prj_1', VERCEL_TEAM_ID: 'team_1', IMAGE_INVALIDATE_API_URL: api.origin, ...env },
    log: (line) => lines.push(line),
    // These tests are about sending: the caller says the flip has happened (test/flip.test.ts waits).
    wait: false,
    ...options,
  })
  return { report, lines }
}

/** Resolves once `condition` holds, checking between turns of the event loop (not on timers, which a test may fake). */
async function until(condition: () => boolean, turns = 100_000) {
  for (let turn = 0; !condition(); turn++) {
    if (turn > turns) throw new Error('the condition never held')
    await new Promise((resolve) => setImmediate(resolve))
  }
}

/** Each successful call carried 1 to 8 images, and together they cover `planned` exactly once. */
function expectExactCoverage(planned: string[]) {
  const ok = api.invalidations().filter((call) => call.status === 200)
  for (const call of ok) {
    expect(call.body).toEqual({ srcImages: expect.any(Array) })
    const { srcImages } = call.body as { srcImages: string[] }
    expect(srcImages.length).toBeGreaterThanOrEqual(1)
    expect(srcImages.length).toBeLessThanOrEqual(8)
  }
  const sent = ok.flatMap((call) => (call.body as { srcImages: string[] }).srcImages)
  expect(sent.sort()).toEqual([...planned].sort())
  expect(new Set(sent).size).toBe(sent.length)
}

function expectNoSecret(report: ApplyReport, lines: string[]) {
  expect(JSON.stringify(report)).not.toContain(TOKEN)
  expect(lines.join('\n')).not.toContain(TOKEN)
}

describe('apply: batches', () => {
  it.each([0, 1, 8, 9, 21, 1000])('invalidates %i images in exactly ceil(n/8) calls, each image once', async (n) => {
    api = await startVercelApi({ token: TOKEN, projectId: 'prj_1', teamId: 'team_1', latencyMs: 20 })
    const planned = images(n)
    const { report } = await run(planned, { concurrency: 4 })
    expect(report).toMatchObject({ ok: true, failed: [], retried: 0 })
    expect(report.invalidated.sort()).toEqual([...planned].sort())
    expect(api.invalidations()).toHaveLength(Math.ceil(n / 8))
    expectExactCoverage(planned)
    for (const call of api.invalidations()) {
      expect(call.path).toBe('/v1/edge-cache/invalidate-by-src-images')
      expect(call.query).toEqual({ projectIdOrName: 'prj_1', teamId: 'team_1' })
    }
    if (n >= 21) expect(api.maxInFlight()).toBeGreaterThan(1)
    expect(api.maxInFlight()).toBeLessThanOrEqual(4)
  })

  it('keeps to the concurrency it is given', async () => {
    api = await startVercelApi({ token: TOKEN, projectId: 'prj_1', teamId: 'team_1', latencyMs: 30 })
    await run(images(80), { concurrency: 2 })
    expect(api.invalidations()).toHaveLength(10)
    expect(api.maxInFlight()).toBe(2)
  })

  it('sends source images exactly as planned: spaces and non-ASCII letters, not percent-encoded', async () => {
    const planned = ['/docs/images/my photo.png', '/docs/images/café/crème brûlée.png']
    const { report } = await run(planned)
    expect(report.ok).toBe(true)
    expect(api.invalidated.sort()).toEqual([...planned].sort())
  })

  it('reports an image longer than 8192 characters and never sends it', async () => {
    const long = `/${'a'.repeat(8192)}.png`
    const { report } = await run(['/ok.png', long])
    expect(report.ok).toBe(false)
    expect(report.invalidated).toEqual(['/ok.png'])
    expect(report.failed).toEqual([{ srcImage: long, reason: 'longer than 8192 characters; not sent' }])
    expect(api.invalidations()).toHaveLength(1)
  })

  it('uses dangerously-delete only when asked', async () => {
    const { report } = await run(['/a.png'], { dangerouslyDelete: true })
    expect(report.ok).toBe(true)
    expect(api.invalidations().map((call) => call.path)).toEqual(['/v1/edge-cache/dangerously-delete-by-src-images'])
  })

  it('sends nothing in a dry run, and needs no token for it: it plans, and says that a real run would stop for the token', async () => {
    const { report, lines } = await run(images(9), { dryRun: true }, { VERCEL_TOKEN: '' })
    expect(report).toMatchObject({ ok: false, dryRun: true, errorCode: 'IMAGE_INVALIDATE_NO_TOKEN', invalidated: [], planned: images(9).sort() })
    expect(report.checks).toContainEqual({
      subject: 'token',
      status: 'problem',
      message: 'token: no Vercel token',
      fix: expect.stringContaining('set VERCEL_TOKEN'),
      code: 'IMAGE_INVALIDATE_NO_TOKEN',
    })
    expect(api.calls).toHaveLength(0)
    expect(lines).toContain('  would invalidate /img/0.png')
  })

  it('a dry run with all a real run needs is ok, each check said and nothing sent', async () => {
    const { report } = await run(images(3), { dryRun: true })
    expect(report).toMatchObject({ ok: true, dryRun: true, planned: images(3).sort(), invalidated: [] })
    expect(report.error).toBeUndefined()
    expect(report.checks?.map((check) => [check.subject, check.status])).toEqual([
      ['token', 'ok'],
      ['project', 'ok'],
      ['team', 'ok'],
      ['api', 'ok'],
      ['plan', 'ok'],
      ['watch', 'ok'],
      ['previous', 'note'],
      ['previous', 'note'],
    ])
    expect(report.checks?.find((check) => check.subject === 'team')?.message).toBe('team: team_1, sent as teamId, from VERCEL_TEAM_ID')
    expect(api.calls).toHaveLength(0)
  })
})

describe('apply: faults', () => {
  it.each([
    // How long Retry-After holds the retry is the next test's, on fake timers: here, that a 429 loses nothing.
    ['429 with Retry-After', [{ status: 429, retryAfter: '0' }]],
    ['500', [{ status: 500 }]],
    ['502 then 503', [{ status: 502 }, { status: 503 }]],
    ['a stalled response', ['stall' as const]],
    ['a reset connection', ['reset' as const]],
  ])('survives %s with nothing lost and nothing sent again after success', async (_name, faults) => {
    api = await startVercelApi({ token: TOKEN, projectId: 'prj_1', teamId: 'team_1' })
    api.injectFaults(faults as never)
    const planned = images(21)
    const { report, lines } = await run(planned, { concurrency: 1, requestTimeoutMs: 1_000 })
    expect(report.ok, JSON.stringify(report)).toBe(true)
    expect(report.retried).toBe(faults.length)
    expect(api.invalidations()).toHaveLength(3 + faults.length)
    expectExactCoverage(planned)
    expectNoSecret(report, lines)
  })

  it('waits as long as Retry-After says, on its own clock', async () => {
    api = await startVercelApi({ token: TOKEN, projectId: 'prj_1', teamId: 'team_1' })
    api.injectFaults([{ status: 429, retryAfter: '2' }])
    // The retry's pause is a timer of this process (the HTTP client's): faked, so the test takes no 2 s.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    try {
      const running = run(['/a.png'])
      await until(() => api.invalidations().length === 1 && api.invalidations()[0]!.status === 429)
      await until(() => vi.getTimerCount() > 0)
      await vi.advanceTimersByTimeAsync(1_900)
      expect(api.invalidations()).toHaveLength(1)
      await vi.advanceTimersByTimeAsync(200)
      const { report, lines } = await running
      expect(report).toMatchObject({ ok: true, retried: 1, invalidated: ['/a.png'] })
      expect(lines).toContain('retrying after HTTP 429 in 2 s')
      expect(api.invalidations().map((call) => call.status)).toEqual([429, 200])
    } finally {
      vi.useRealTimers()
    }
  })

  it('gives up after the retry bound and reports the images that were not invalidated', async () => {
    api = await startVercelApi({ token: TOKEN, projectId: 'prj_1', teamId: 'team_1' })
    api.injectFaults([{ status: 503 }, { status: 503 }, { status: 503 }])
    const { report, lines } = await run(images(9), { concurrency: 1, retries: 2 })
    expect(report.ok).toBe(false)
    expect(report.invalidated).toEqual(images(9).sort().slice(8))
    expect(report.failed.map((failure) => failure.srcImage)).toEqual(images(9).sort().slice(0, 8))
    expect(report.failed[0]!.reason).toBe('HTTP 503')
    expectNoSecret(report, lines)
  })

  it('splits a batch rejected with 400 so that only the bad image fails', async () => {
    api = await startVercelApi({ token: TOKEN, projectId: 'prj_1', teamId: 'team_1' })
    const planned = images(8).sort()
    api.rejectImages([planned[5]!])
    const { report } = await run(planned)
    expect(report.invalidated.sort()).toEqual(planned.filter((src) => src !== planned[5]))
    expect(report.failed).toEqual([{ srcImage: planned[5], reason: expect.stringContaining(`Vercel said: Invalid source image: ${planned[5]}`) }])
    // [0-7] rejected -> [0-3] ok, [4-7] rejected -> [4,5] rejected -> [4] ok, [5] rejected; then [6,7] ok.
    expect(api.invalidations().map((call) => call.status)).toEqual([400, 200, 400, 400, 200, 400, 200])
    expect(report.calls.filter((call) => call.outcome === 'rejected')).toHaveLength(4)
  })

  it.each([
    [
      '401',
      { status: 401, body: { error: { code: 'unauthorized', message: 'Token expired' } } },
      /^Vercel did not accept the token \(401\): check that VERCEL_TOKEN .* Vercel said: Token expired$/,
    ],
    [
      '402',
      { status: 402, body: { error: { code: 'payment_required', message: 'Upgrade' } } },
      /\(402\): invalidation by source image needs the new image-optimization pricing; .*opts in under Team Settings > Billing > Image Optimization \(https:\/\/vercel\.com\/d\?to=.*\); otherwise check the team's plan and billing\. Vercel said: Upgrade$/,
    ],
    ['403', { status: 403, body: { error: { code: 'forbidden', message: 'No access' } } }, /\(403\): check that its scope includes the team/],
    // What Vercel answers an expired or revoked token with: 403, and invalidToken.
    [
      '403 with invalidToken',
      { status: 403, body: { error: { code: 'forbidden', message: 'Not authorized', invalidToken: true } } },
      /^Vercel did not accept the token \(403\): check that VERCEL_TOKEN is a valid access token, not expired or revoked\. Vercel said: Not authorized$/,
    ],
    [
      '404',
      { status: 404, body: { error: { code: 'not_found', message: 'Project not found' } } },
      /\(404\): check VERCEL_PROJECT_ID and the team \(VERCEL_TEAM_ID, --team or \.vercel\/project\.json\)/,
    ],
  ])('stops at %s, explains it in one sentence, and makes no further call', async (_name, fault, sentence) => {
    api = await startVercelApi({ token: TOKEN, projectId: 'prj_1', teamId: 'team_1' })
    api.injectFaults([fault])
    const { report, lines } = await run(images(21), { concurrency: 1 })
    expect(report).toMatchObject({ ok: false, errorCode: 'IMAGE_INVALIDATE_VERCEL_API' })
    expect(report.error).toMatch(sentence)
    expect(api.invalidations()).toHaveLength(1)
    expect(report.invalidated).toEqual([])
    expect(report.failed).toHaveLength(21)
    expectNoSecret(report, lines)
  })

  // The stand-in refuses as Vercel's error shape does ({"error":{"code","message"}}); its messages are its own.
  it("a wrong token, project or team stops the run with the API's status and its message passed on, never the token", async () => {
    api = await startVercelApi({ token: TOKEN, projectId: 'prj_1', teamId: 'team_1' })
    const wrongToken = await run(['/a.png'], {}, { VERCEL_TOKEN: 'tok_WRONG_zyxwvu987' })
    expect(wrongToken.report).toMatchObject({ ok: false, errorCode: 'IMAGE_INVALIDATE_VERCEL_API' })
    expect(wrongToken.report.error).toMatch(/\(403\).*Vercel said: Not authorized/)
    expectNoSecret(wrongToken.report, wrongToken.lines)
    expect(JSON.stringify(wrongToken.report)).not.toContain('tok_WRONG_zyxwvu987')
    const wrongProject = (await run(['/a.png'], {}, { VERCEL_PROJECT_ID: 'prj_other' })).report
    expect(wrongProject).toMatchObject({ errorCode: 'IMAGE_INVALIDATE_VERCEL_API', error: expect.stringMatching(/\(404\).*Project not found/) })
    const wrongTeam = (await run(['/a.png'], {}, { VERCEL_TEAM_ID: 'team_other' })).report
    expect(wrongTeam).toMatchObject({ errorCode: 'IMAGE_INVALIDATE_VERCEL_API', error: expect.stringMatching(/\(403\).*access to this team/) })
  })
})

describe('apply: set-up problems', () => {
  it('says what is missing and what to set, never echoing the token', async () => {
    const noToken = (await run(['/a.png'], {}, { VERCEL_TOKEN: '' })).report
    expect(noToken).toMatchObject({ ok: false, errorCode: 'IMAGE_INVALIDATE_NO_TOKEN', error: expect.stringContaining('set VERCEL_TOKEN') })
    const noProject = (await run(['/a.png'], {}, { VERCEL_PROJECT_ID: '' })).report
    expect(noProject).toMatchObject({ errorCode: 'IMAGE_INVALIDATE_NO_PROJECT', error: expect.stringContaining('set VERCEL_PROJECT_ID') })
    const spaced = await run(['/a.png'], {}, { VERCEL_TOKEN: `${TOKEN} extra` })
    expect(spaced.report.errorCode).toBe('IMAGE_INVALIDATE_TOKEN_UNUSABLE')
    expectNoSecret(spaced.report, spaced.lines)
    const plainHttp = (await run(['/a.png'], {}, { IMAGE_INVALIDATE_API_URL: 'http://api.example.com' })).report
    expect(plainHttp).toMatchObject({ errorCode: 'IMAGE_INVALIDATE_API_URL_REFUSED', error: expect.stringContaining('http://api.example.com') })
    expect(api.calls).toHaveLength(0)
  })

  it('reads the project and team from .vercel/project.json', async () => {
    api = await startVercelApi({ token: TOKEN, projectId: 'prj_linked', teamId: 'team_linked' })
    const dir = await tempDir({ '.vercel/project.json': JSON.stringify({ projectId: 'prj_linked', orgId: 'team_linked' }) })
    const report = await apply({
      root: dir,
      plan: await writePlan(dir, ['/a.png']),
      wait: false,
      env: { VERCEL_TOKEN: TOKEN, IMAGE_INVALIDATE_API_URL: api.origin },
    })
    expect(report.ok).toBe(true)
    expect(api.invalidations()[0]!.query).toEqual({ projectIdOrName: 'prj_linked', teamId: 'team_linked' })
  })

  it('says when there is no plan, and does nothing for an empty one', async () => {
    api = await startVercelApi({ token: TOKEN, projectId: 'prj_1', teamId: 'team_1' })
    const dir = await tempDir()
    const missing = await apply({ root: dir, env: { VERCEL_TOKEN: TOKEN, VERCEL_PROJECT_ID: 'prj_1' } })
    expect(missing).toMatchObject({ ok: false, errorCode: 'IMAGE_INVALIDATE_NO_PLAN' })
    expect(missing.error).toBe(
      `no plan at ${path.join(dir, 'node_modules/.cache/unplugin-image-invalidate/plan.json')} (no such file): run a production build first, or pass --plan or --deployment`,
    )
    const empty = await run([])
    expect(empty.report).toMatchObject({ ok: true, planned: [] })
    expect(api.invalidations()).toHaveLength(0)
  })
})

describe('apply: wait until live', () => {
  it.each(['ERROR', 'CANCELED'])('ends the wait when the deployment is %s, sending nothing', async (state) => {
    api = await startVercelApi({ token: TOKEN, projectId: 'prj_1', teamId: 'team_1' })
    api.setDeployment('dpl_new', [
      { readyState: 'BUILDING', aliasAssigned: false },
      { readyState: state, aliasAssigned: false },
    ])
    const { report } = await run(images(3), { deployment: 'dpl_new', pollIntervalMs: 20, wait: undefined })
    expect(report).toMatchObject({ ok: false, errorCode: 'IMAGE_INVALIDATE_DEPLOYMENT_FAILED', error: expect.stringContaining(`ended in state ${state}`) })
    expect(api.invalidations()).toHaveLength(0)
  })

  it("waits for the site to serve the plan's buildId, then invalidates", async () => {
    api = await startVercelApi({ token: TOKEN, projectId: 'prj_1', teamId: 'team_1' })
    const { live, next } = await twoDeployments(images(9), tempDir)
    site = await startSite({ dir: live })
    const promotion = site.promoteIn(400, next)
    const { report } = await run(images(9), { wait: true, siteUrl: site.origin, pollIntervalMs: 50 })
    expect(report).toMatchObject({ ok: true, previous: { via: 'site-before', buildId: 'build_old' } })
    expect(site.requests.length).toBeGreaterThan(2)
    expect(api.invalidations()).toHaveLength(2)
    expect(api.invalidations()[0]!.at).toBeGreaterThanOrEqual(promotion.at)
    expect(site.requests.every((request) => request.headers['cache-control'] === 'no-cache')).toBe(true)
  })

  it('gives up at the timeout and sends nothing', async () => {
    api = await startVercelApi({ token: TOKEN, projectId: 'prj_1', teamId: 'team_1' })
    // The new deployment is never promoted.
    const { live } = await twoDeployments(images(9), tempDir)
    site = await startSite({ dir: live })
    const started = Date.now()
    const { report } = await run(images(9), { wait: true, siteUrl: site.origin, pollIntervalMs: 50, timeoutMs: 600 })
    expect(Date.now() - started).toBeLessThan(5_000)
    expect(report).toMatchObject({ ok: false, errorCode: 'IMAGE_INVALIDATE_WAIT_TIMEOUT' })
    // What it last saw is the point: the site still serving the old build.
    expect(report.error).toContain('last seen: serving build_old')
    expect(api.invalidations()).toHaveLength(0)
  })
})
