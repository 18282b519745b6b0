import { createHmac } from 'node:crypto'
import { afterEach, describe, expect, it, onTestFinished, vi } from 'vitest'
import { createWebhookHandler, verifySignature } from '../src/apply/webhook.js'
import type { WebhookOptions } from '../src/types.js'
import { images, writePlan } from './helpers/plan.js'
import { tempDir } from './helpers/tmp.js'
import { startSite, type SiteStandIn } from './stand-ins/site.mjs'
import { startVercelApi, type VercelApiStandIn } from './stand-ins/vercel-api.mjs'

const SECRET = 'whsec_test_0123456789'
const TOKEN = 'tok_WEBHOOK_SECRET_abcdef'

const sign = (body: string, secret = SECRET) => createHmac('sha1', secret).update(body).digest('hex')

function post(body: string, headers: Record<string, string> = {}) {
  return new Request('http://localhost/api/image-invalidate', { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } })
}
const signed = (event: unknown, secret = SECRET) => {
  const body = JSON.stringify(event)
  return post(body, { 'x-vercel-signature': sign(body, secret) })
}

function event(type: string, options: { id?: string; url?: string; deploymentId?: string; projectId?: string; target?: string | null } = {}) {
  return {
    id: options.id ?? 'evt_1',
    type,
    createdAt: Date.now(),
    region: null,
    payload: {
      team: { id: 'team_1' },
      user: { id: 'user_1' },
      deployment: { id: options.deploymentId ?? 'dpl_new', url: options.url ?? 'example-abc.vercel.app', name: 'example', meta: {} },
      links: {},
      target: options.target === undefined ? 'production' : options.target,
      project: { id: options.projectId ?? 'prj_1' },
    },
  }
}

let api: VercelApiStandIn | undefined
let site: SiteStandIn | undefined
afterEach(async () => {
  await api?.close()
  await site?.close()
  api = site = undefined
})

/** What the handler prints through console.log and console.error (Vercel's function logs), restored after the test. */
function captureConsole() {
  const output = { logs: [] as string[], errors: [] as string[] }
  const log = vi.spyOn(console, 'log').mockImplementation((line: string) => void output.logs.push(line))
  const error = vi.spyOn(console, 'error').mockImplementation((line: string) => void output.errors.push(line))
  onTestFinished(() => {
    log.mockRestore()
    error.mockRestore()
  })
  return output
}

const json = async (response: Response) => ({ status: response.status, body: (await response.json()) as Record<string, any> })

describe('verifySignature', () => {
  const body = Buffer.from('{"type":"deployment.promoted"}')
  const good = createHmac('sha1', SECRET).update(body).digest('hex')

  it('accepts the HMAC-SHA1 of the raw body, hex, in either case', () => {
    expect(verifySignature(body, good, SECRET)).toBe(true)
    expect(verifySignature(body, good.toUpperCase(), SECRET)).toBe(true)
  })

  it('refuses a missing, malformed, short or wrong signature, another secret and a tampered body', () => {
    expect(verifySignature(body, null, SECRET)).toBe(false)
    expect(verifySignature(body, '', SECRET)).toBe(false)
    expect(verifySignature(body, 'zz'.repeat(20), SECRET)).toBe(false)
    expect(verifySignature(body, good.slice(0, 38), SECRET)).toBe(false)
    expect(verifySignature(body, `${good.slice(0, 39)}${good.endsWith('0') ? '1' : '0'}`, SECRET)).toBe(false)
    expect(verifySignature(body, good, 'another-secret')).toBe(false)
    expect(verifySignature(Buffer.from('{"type":"deployment.promoted" }'), good, SECRET)).toBe(false)
    // A SHA-256 signature has another length: refused without throwing from the constant-time compare.
    expect(verifySignature(body, createHmac('sha256', SECRET).update(body).digest('hex'), SECRET)).toBe(false)
  })
})

describe('createWebhookHandler: before any work', () => {
  const handler = createWebhookHandler({ secret: SECRET, env: {} })

  it('answers 401 and does nothing for a missing or wrong signature', async () => {
    const body = JSON.stringify(event('deployment.promoted'))
    expect((await handler(post(body))).status).toBe(401)
    expect((await handler(post(body, { 'x-vercel-signature': sign(body, 'wrong') }))).status).toBe(401)
    expect((await handler(post(`${body} `, { 'x-vercel-signature': sign(body) }))).status).toBe(401)
  })

  it('answers 413 for a body over the bound, declared or not', async () => {
    const small = createWebhookHandler({ secret: SECRET, maxBodyBytes: 100, env: {} })
    const big = JSON.stringify({ ...event('deployment.promoted'), pad: 'x'.repeat(200) })
    // Declared: refused on the header alone, before a byte is read (the body here is small, the declaration not).
    const declared = post('{}', { 'x-vercel-signature': sign('{}'), 'content-length': '1000000' })
    expect(declared.headers.get('content-length')).toBe('1000000')
    expect((await small(declared)).status).toBe(413)
    expect(declared.bodyUsed).toBe(false)
    // Not declared (a string body has no Content-Length): refused once the read passes the bound.
    const undeclared = post(big, { 'x-vercel-signature': sign(big) })
    expect(undeclared.headers.get('content-length')).toBeNull()
    expect((await small(undeclared)).status).toBe(413)
    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(big))
        controller.close()
      },
    })
    const chunked = new Request('http://localhost/', { method: 'POST', body: stream, duplex: 'half' } as RequestInit)
    expect((await small(chunked)).status).toBe(413)
  })

  it('answers 400 for malformed JSON behind a valid signature', async () => {
    const body = '{"type": "deployment.promoted", '
    expect(await json(await handler(post(body, { 'x-vercel-signature': sign(body) })))).toMatchObject({ status: 400 })
  })

  it('is off, and says so, until a secret is configured', async () => {
    const unconfigured = createWebhookHandler({ env: {} })
    expect(await json(await unconfigured(signed(event('deployment.promoted'))))).toEqual({
      status: 503,
      body: { ok: false, reason: 'not configured: set IMAGE_INVALIDATE_WEBHOOK_SECRET' },
    })
  })

  it.each([
    ['deployment.created', {}, 'event deployment.created is not handled'],
    // Sent once checks pass, not when production flips.
    ['deployment.succeeded', {}, 'event deployment.succeeded is not handled'],
    ['deployment.promoted', { target: 'staging' }, 'target staging is not production'],
    ['deployment.promoted', { projectId: 'prj_other' }, 'project prj_other is not prj_1'],
  ])('ignores %s %j with 200 and a reason', async (type, options, reason) => {
    const scoped = createWebhookHandler({ secret: SECRET, projectId: 'prj_1', env: {} })
    expect(await json(await scoped(signed(event(type, options))))).toEqual({ status: 200, body: { ok: true, action: 'ignored', reason } })
  })
})

describe('createWebhookHandler: against the stand-ins', () => {
  async function setUp(options: { latencyMs?: number } = {}) {
    api = await startVercelApi({ token: TOKEN, projectId: 'prj_1', teamId: 'team_1', latencyMs: options.latencyMs })
    api.setDeployment('dpl_new', { readyState: 'READY', aliasAssigned: true })
    // Production already serves it, and no earlier flip is known: the build-time plan is what is sent.
    api.setProduction('dpl_new')
    const dir = await tempDir()
    await writePlan(dir, images(21), { buildId: 'dpl_new', name: '_image-invalidate.json' })
    site = await startSite({ dir, bypassSecret: 'bypass-123' })
    const options_: WebhookOptions = {
      secret: SECRET,
      env: {
        VERCEL_TOKEN: TOKEN,
        VERCEL_PROJECT_ID: 'prj_1',
        VERCEL_TEAM_ID: 'team_1',
        IMAGE_INVALIDATE_API_URL: api.origin,
        VERCEL_AUTOMATION_BYPASS_SECRET: 'bypass-123',
      },
    }
    return { options: options_, url: site.origin }
  }

  it('fetches the plan from the promoted deployment and invalidates exactly its images', async () => {
    const { options, url } = await setUp()
    const handler = createWebhookHandler(options)
    const { status, body } = await json(await handler(signed(event('deployment.promoted', { url }))))
    expect(status).toBe(200)
    expect(body).toMatchObject({ ok: true, action: 'applied', event: 'evt_1', report: { ok: true, failed: [] } })
    expect(api!.invalidated.sort()).toEqual(images(21).sort())
    expect(api!.invalidations()).toHaveLength(3)
    expect(site!.requests[0]!.url).toMatch(/^\/_image-invalidate\.json/)
    expect(site!.requests[0]!.headers['x-vercel-protection-bypass']).toBe('bypass-123')
    expect(JSON.stringify(body)).not.toContain(TOKEN)
  })

  it('makes a redelivered event harmless: the same delivery is not worked twice', async () => {
    const { options, url } = await setUp({ latencyMs: 50 })
    const handler = createWebhookHandler(options)
    const [first, again] = await Promise.all([handler(signed(event('deployment.promoted', { url }))), handler(signed(event('deployment.promoted', { url })))])
    expect(first.status).toBe(200)
    expect(again.status).toBe(200)
    const later = await handler(signed(event('deployment.promoted', { url })))
    expect(later.status).toBe(200)
    expect(api!.invalidations()).toHaveLength(3)
    expect(api!.invalidated.sort()).toEqual(images(21).sort())
  })

  it('with waitUntil answers 202 at once and finishes afterwards, even with a slow API', async () => {
    const { options, url } = await setUp({ latencyMs: 300 })
    const pending: Promise<unknown>[] = []
    const handler = createWebhookHandler({ ...options, concurrency: 1, waitUntil: (promise) => pending.push(promise) })
    const response = await handler(signed(event('deployment.promoted', { url })))
    // "At once": before the API has answered a single request.
    expect(api!.calls.filter((call) => call.status !== 0)).toEqual([])
    expect(await json(response)).toEqual({ status: 202, body: { ok: true, action: 'accepted', event: 'evt_1' } })
    expect(api!.invalidated).toHaveLength(0)
    expect(pending).toHaveLength(1)
    await pending[0]
    expect(api!.invalidated.sort()).toEqual(images(21).sort())
  })

  it('without waitUntil answers 202 at the deadline and lets the work go on', async () => {
    const { options, url } = await setUp({ latencyMs: 200 })
    const handler = createWebhookHandler({ ...options, concurrency: 1, deadlineMs: 100 })
    const response = await handler(signed(event('deployment.promoted', { url })))
    expect(await json(response)).toMatchObject({ status: 202, body: { action: 'accepted', reason: 'still running after the deadline' } })
    await expect.poll(() => api!.invalidated.length, { timeout: 5_000 }).toBe(21)
  })

  it("logs each run's outcome in one line, and a failed run with its reason on stderr, never a secret or the token", async () => {
    const { options, url } = await setUp()
    const output = captureConsole()
    // No token: the run fails before any call.
    const noToken = createWebhookHandler({ ...options, env: { ...options.env, VERCEL_TOKEN: '' } })
    expect((await noToken(signed(event('deployment.promoted', { url, id: 'evt_no_token' })))).status).toBe(500)
    // A token the API refuses, with a message that echoes the token and the secret.
    api!.injectFaults([{ status: 403, body: { error: { code: 'forbidden', message: `no access for ${TOKEN} ${SECRET}` } } }])
    const handler = createWebhookHandler({ ...options, concurrency: 1 })
    expect((await handler(signed(event('deployment.promoted', { url, id: 'evt_refused' })))).status).toBe(500)
    expect((await handler(signed(event('deployment.promoted', { url, id: 'evt_ok' })))).status).toBe(200)
    await handler(post('{}', { 'x-vercel-signature': sign('{}', 'wrong') }))

    expect(output.errors).toEqual([
      expect.stringMatching(
        /^\[image-invalidate\] webhook deployment\.promoted evt_no_token, P unknown -> dpl_new: failed: IMAGE_INVALIDATE_NO_TOKEN: no Vercel token: set VERCEL_TOKEN/,
      ),
      expect.stringMatching(
        /^\[image-invalidate\] webhook deployment\.promoted evt_refused, build_old -> dpl_new: failed, invalidated 0 of 21 source images: IMAGE_INVALIDATE_VERCEL_API: .*\(403\).*Vercel said: no access for \[redacted\] \[redacted\]; 21 source images not invalidated: /,
      ),
      '[image-invalidate] webhook refused, 401: invalid or missing x-vercel-signature',
    ])
    expect(output.logs).toEqual(['[image-invalidate] webhook deployment.promoted evt_ok, build_old -> dpl_new: invalidated 21 of 21 source images'])
    const all = [...output.errors, ...output.logs].join('\n')
    expect(all).not.toContain(TOKEN)
    expect(all).not.toContain(SECRET)
    expect(all).not.toContain('bypass-123')
  })

  it('answers 500 when the plan could not be applied, so that Vercel redelivers', async () => {
    const { options, url } = await setUp()
    api!.injectFaults([{ status: 403, body: { error: { code: 'forbidden', message: 'no' } } }])
    const handler = createWebhookHandler({ ...options, concurrency: 1 })
    const failed = await json(await handler(signed(event('deployment.promoted', { url }))))
    expect(failed.status).toBe(500)
    expect(failed.body.report).toMatchObject({ errorCode: 'IMAGE_INVALIDATE_VERCEL_API', error: expect.stringMatching(/\(403\)/) })
    // The redelivery works this time: a failed run is not remembered.
    expect((await handler(signed(event('deployment.promoted', { url })))).status).toBe(200)
    expect(api!.invalidated.sort()).toEqual(images(21).sort())
  })
})
