import { createHmac } from 'node:crypto'
import path from 'node:path'
import { Vercel } from '@vercel/sdk'
import { describe, expect, it, onTestFinished } from 'vitest'
import { apply } from '../src/apply/apply.js'
import { VercelClient } from '../src/vercel/client.js'
import { flipStage } from '../src/apply/production-wait.js'
import { createWebhookHandler } from '../src/apply/webhook.js'
import { applyWithLog, later, sentImages, useFlipWorld } from './helpers/deployments.js'
import { repoRoot, run } from './helpers/fixture.js'
import { startVercelApi } from './stand-ins/vercel-api.mjs'

// Phase 2 against Vercel's API as it really answers: bodies of the size and shape @vercel/sdk publishes
// (the stand-in checks each one), every readyState, rolling releases, teams by slug, broken answers.

const TOKEN = 'tok_ANSWERS_SECRET_9f8e7d'
const SECRET = 'whsec_answers'
const scene = useFlipWorld(TOKEN)
const { setUp } = scene
const sent = () => sentImages(scene.api())
const firstSentAt = () =>
  Math.min(
    ...scene
      .api()
      .invalidations()
      .map((call) => call.at),
  )
const cli = (args: string[], env: Record<string, string>) =>
  run(process.execPath, [path.join(repoRoot, 'dist/cli.js'), 'apply', ...args], { cwd: repoRoot, env, timeoutMs: 30_000 })

describe('full-size answers', () => {
  it('apply --deployment through the CLI reads project bodies of over 212 KiB, waits for the flip, then sends exactly its set', async () => {
    const { a, b, env, world } = await setUp()
    world.goLive(a)
    let flipped = Infinity
    const flip = later(600).then(() => {
      world.goLive(b, { from: a, type: 'promote' })
      flipped = Date.now()
    })
    const result = await cli(['--deployment', 'dpl_B', '--json'], env)
    await flip
    expect(result.code, result.output).toBe(0)
    // P is A, seen in production before the flip or, if the CLI started after it, from lastAliasRequest.
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: true, previous: { buildId: 'dpl_A' }, planned: ['/logo.png'] })
    expect(sent()).toEqual(['/logo.png'])
    expect(firstSentAt()).toBeGreaterThanOrEqual(flipped)
    const projects = scene.api().calls.filter((call) => call.path === '/v9/projects/prj_1')
    expect(projects.length).toBeGreaterThan(1)
    for (const call of projects) expect(call.bytes).toBeGreaterThan(212 * 1024)
  })

  it('a 2xx that is empty, not JSON, or over 8 MiB where a deployment was expected: one sentence naming the endpoint, exit 1', async () => {
    const { env } = await setUp()
    const cases = [
      ['', 'an empty body'],
      ['<html>Bad gateway</html>', 'a body that is not JSON'],
    ] as const
    for (const [rawBody, what] of cases) {
      scene.api().injectReadFaults([{ status: 200, rawBody }])
      const result = await cli(['--deployment', 'dpl_B'], env)
      expect(result.code, result.output).toBe(1)
      expect(result.stdout).toBe(
        `error: Vercel answered GET /v13/deployments/dpl_B with ${what} where a JSON object was expected; try again, and if it persists, check IMAGE_INVALIDATE_API_URL\n`,
      )
    }
    scene.api().injectReadFaults([{ status: 200, rawBody: `{"id":"${'x'.repeat(9 * 1024 * 1024)}"}` }])
    const large = await cli(['--deployment', 'dpl_B'], env)
    expect(large.code).toBe(1)
    expect(large.stdout).toContain("Vercel's answer to GET /v13/deployments/dpl_B is larger than 8.0 MiB, the most this package reads")
    expect(scene.api().invalidations()).toHaveLength(0)
  })
})

describe('every state of a deployment', () => {
  it.each([
    ['BLOCKED', { readyState: 'BLOCKED', aliasAssigned: false }, 'IMAGE_INVALIDATE_DEPLOYMENT_FAILED', 'deployment dpl_B ended in state BLOCKED'],
    ['gone (410)', { readyState: 'READY', aliasAssigned: false, gone: 410 as const }, 'IMAGE_INVALIDATE_DEPLOYMENT_GONE', 'deployment dpl_B is gone (410)'],
    [
      'unknown (404)',
      { readyState: 'READY', aliasAssigned: false, gone: 404 as const },
      'IMAGE_INVALIDATE_DEPLOYMENT_GONE',
      // A 404 for a deployment is also a wrong team: that is what the sentence must say.
      'it belongs to a team other than the one configured (VERCEL_TEAM_ID, --team)',
    ],
  ])('%s ends the wait at once: exit 1, the state named, nothing sent', async (_name, state, code, words) => {
    const { a, b, env, world, api } = await setUp()
    world.goLive(a)
    api.setDeployment('dpl_B', [
      { readyState: 'BUILDING', aliasAssigned: false, url: b.site.origin },
      { ...state, url: b.site.origin },
    ])
    // Far sooner than the timeout: 1.5 to 2 s in CI, 12 s once with three runs of the suite at once on two
    // cores; the bound is under the helper's 30 s kill, a fifth of --timeout.
    const started = Date.now()
    const result = await cli(['--plan', b.file, '--deployment', 'dpl_B', '--timeout', '120s', '--json'], env)
    expect(Date.now() - started).toBeLessThan(24_000)
    expect(result.code, result.output).toBe(1)
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: false, errorCode: code, error: expect.stringContaining(words) })
    expect(api.invalidations()).toHaveLength(0)
  })

  it('QUEUED, INITIALIZING and BUILDING keep waiting; READY too, until production serves it', async () => {
    const { a, b, world, env, api } = await setUp()
    world.goLive(a)
    const states = ['QUEUED', 'INITIALIZING', 'BUILDING', 'READY'].map((readyState) => ({ readyState, aliasAssigned: false, url: b.site.origin }))
    api.setDeployment('dpl_B', states)
    const lines: string[] = []
    const log = (line: string) => {
      lines.push(line)
      // The flip happens once the deployment was seen READY, and not yet live.
      if (line === 'waiting: READY, production serves dpl_A') world.goLive(b, { from: a, type: 'promote' })
    }
    const report = await apply({ plan: b.file, deployment: 'dpl_B', env, pollIntervalMs: 50, log })
    expect(report).toMatchObject({ ok: true, planned: ['/logo.png'] })
    expect(lines.slice(0, 4)).toEqual(['QUEUED', 'INITIALIZING', 'BUILDING', 'READY'].map((state) => `waiting: ${state}, production serves dpl_A`))
  })
})

describe('rolling releases', () => {
  // Vercel does not document which deployment targets.production names while a rollout moves traffic:
  // each test runs with both (the target with ROLLING, or the base until the end); the deployment itself
  // is ROLLING either way.
  const shown = ['target', 'base'] as const

  it.each(shown)('nothing while traffic moves to B (production shown as the %s), then exactly A -> B once the rollout completes', async (shownAs) => {
    const { a, b, env, world } = await setUp()
    world.goLive(a)
    world.startRollout(a, b, shownAs)
    // No --deployment: a plan of B's build and the site, as the CI recipe runs it; the API is still watched.
    // The rollout completes once apply has seen it moving traffic.
    const rolling = 'waiting: READY, a rolling release toward dpl_B is moving traffic: both deployments serve visitors'
    const { report, at: completed } = await applyWithLog(
      { plan: b.file, env, siteUrl: world.production.origin },
      { line: rolling, then: () => world.completeRollout(a, b) },
    )
    expect(completed).toBeLessThan(Infinity)
    expect(report).toMatchObject({ ok: true, previous: { buildId: 'dpl_A' }, planned: ['/logo.png'] })
    expect(sent()).toEqual(['/logo.png'])
    expect(firstSentAt()).toBeGreaterThanOrEqual(completed)
  })

  it.each(shown)('a rollout aborted back to A (production shown as the %s): the same set, sent once production is A again, and said', async (shownAs) => {
    const { a, b, env, world } = await setUp()
    world.goLive(a)
    world.startRollout(a, b, shownAs)
    const rolling = 'waiting: READY, a rolling release toward dpl_B is moving traffic: both deployments serve visitors'
    const {
      report,
      lines,
      at: aborted,
    } = await applyWithLog({ plan: b.file, deployment: 'dpl_B', env }, { line: rolling, then: () => world.abortRollout(a, b) })
    expect(aborted).toBeLessThan(Infinity)
    expect(report).toMatchObject({
      ok: true,
      previous: { via: 'rollout-base', buildId: 'dpl_A' },
      waited: { on: 'production serves deployment dpl_A, the rolling release toward dpl_B having ended without it' },
      planned: ['/logo.png'],
    })
    expect(lines).toContain(
      'the rolling release toward dpl_B ended without it: production serves dpl_A; dpl_B served some visitors meanwhile, so what differs between the two is invalidated now',
    )
    expect(lines).toContain('back on dpl_A after the rolling release toward dpl_B: what differs between them, 1 source image in 1 call')
    expect(sent()).toEqual(['/logo.png'])
    expect(firstSentAt()).toBeGreaterThanOrEqual(aborted)
  })

  it('a wait that times out during a rollout names the rolling release and what to do', async () => {
    const { a, b, env, world } = await setUp()
    world.startRollout(a, b)
    const result = await cli(['--plan', b.file, '--deployment', 'dpl_B', '--timeout', '1s'], env)
    expect(result.code, result.output).toBe(1)
    expect(result.stdout).toMatch(
      /^error: deployment dpl_B was not live after 1 s; last seen: READY, a rolling release toward dpl_B is moving traffic: both deployments serve visitors; nothing was invalidated\. The rolling release toward dpl_B was still moving traffic: run apply again with a --timeout longer than the rollout, or let the webhook act on project\.rolling-release\.completed\n$/,
    )
    expect(scene.api().invalidations()).toHaveLength(0)
  })

  it('the webhook defers deployment.promoted during a rollout (200, nothing sent), acts on .completed and .aborted, ignores .started', async () => {
    const { a, b, env, world } = await setUp()
    const handler = createWebhookHandler({ secret: SECRET, env, pollIntervalMs: 50 })
    world.goLive(a)
    world.startRollout(a, b)
    const started = await (await handler(signed(rollout('evt_s', 'project.rolling-release.started', 'ACTIVE')))).json()
    expect(started).toMatchObject({ action: 'ignored', reason: expect.stringContaining('project.rolling-release.completed ends it') })
    const promoted = {
      id: 'evt_p',
      type: 'deployment.promoted',
      createdAt: Date.now(),
      payload: {
        team: { id: 'team_S5X' },
        user: { id: 'user_1' },
        deployment: { id: 'dpl_B', url: b.site.origin, name: 'site', meta: {} },
        target: 'production',
        project: { id: 'prj_1' },
      },
    }
    const deferred = await handler(signed(promoted))
    expect(deferred.status).toBe(200)
    expect(await deferred.json()).toMatchObject({
      action: 'deferred',
      reason: 'a rolling release toward dpl_B is moving traffic: its set is sent when it completes (project.rolling-release.completed)',
    })
    expect(scene.api().invalidations()).toHaveLength(0)

    world.completeRollout(a, b)
    const completed = (await (await handler(signed(rollout('evt_c', 'project.rolling-release.completed', 'COMPLETE')))).json()) as Record<string, any>
    expect(completed.report).toMatchObject({
      ok: true,
      previous: { via: 'rolling-release-event', buildId: 'dpl_A' },
      plan: { buildId: 'dpl_B' },
      planned: ['/logo.png'],
    })
    expect(sent()).toEqual(['/logo.png'])

    world.startRollout(a, b)
    world.abortRollout(a, b)
    const aborted = (await (await handler(signed(rollout('evt_a', 'project.rolling-release.aborted', 'ABORTED')))).json()) as Record<string, any>
    expect(aborted.report).toMatchObject({
      ok: true,
      previous: { via: 'rollout-base', buildId: 'dpl_A' },
      planned: ['/logo.png'],
    })
    expect(sent()).toEqual(['/logo.png', '/logo.png'])
  })

  it.each([
    // [deployment's substate, production, rollout seen before] -> stage
    [undefined, { id: 'dpl_B', readySubstate: undefined }, false, 'live'],
    ['PROMOTED', { id: 'dpl_B', readySubstate: 'PROMOTED' }, true, 'live'],
    ['ROLLING', { id: 'dpl_B', readySubstate: 'ROLLING' }, false, 'rolling'],
    ['ROLLING', { id: 'dpl_A', readySubstate: 'PROMOTED' }, false, 'rolling'],
    [undefined, { id: 'dpl_B', readySubstate: 'STAGED' }, true, 'staged'],
    ['PROMOTED', { id: 'dpl_A', readySubstate: 'PROMOTED' }, true, 'rollout-ended'],
    ['PROMOTED', { id: 'dpl_E', readySubstate: 'ROLLING' }, true, 'waiting'],
    [undefined, { id: 'dpl_A', readySubstate: undefined }, false, 'waiting'],
    [undefined, undefined, true, 'waiting'],
  ] as const)('flipStage for B: deployment %s, production %j, rollout seen %s -> %s', (readySubstate, production, rollingSeen, stage) => {
    expect(flipStage('dpl_B', { readySubstate }, production, rollingSeen)).toBe(stage)
  })
})

/** A rolling-release event as Vercel sends it (the shape of payloads captured from a real project). */
function rollout(id: string, type: string, state: string) {
  const release = (stateOf: string, percentage: number) => ({
    projectId: 'prj_1',
    ownerId: 'team_S5X',
    deploymentIds: ['dpl_A', 'dpl_B'],
    state: stateOf,
    activeStageIndex: 0,
    default: {
      baseDeploymentId: 'dpl_A',
      targetDeploymentId: 'dpl_B',
      targetPercentage: percentage,
      targetStartAt: 1771556979212,
      targetUpdatedAt: 1771556979213,
    },
    config: { target: 'production', stages: [{ targetPercentage: 10, requireApproval: true }, { targetPercentage: 100 }] },
    writtenBy: 'deployment-ready',
  })
  return {
    id,
    type,
    createdAt: Date.now(),
    payload: {
      user: { id: 'user_1' },
      team: { id: 'team_S5X' },
      project: { id: 'prj_1' },
      projectId: 'prj_1',
      projectName: 'site',
      userId: 'user_1',
      rollingRelease: release(state, state === 'COMPLETE' ? 100 : 10),
      prevRollingRelease: release('ACTIVE', 10),
    },
  }
}

describe('what production served before the flip, and deployments still building', () => {
  it('P is what the API showed in production while D waited, when no site is known and lastAliasRequest says nothing', async () => {
    const { a, env, world, api } = await setUp()
    world.goLive(a)
    api.setProduction('dpl_A', null)
    const lines: string[] = []
    const log = (line: string) => {
      lines.push(line)
      if (line === 'waiting: READY, production serves dpl_A') api.setProduction('dpl_B', null)
    }
    const report = await apply({ deployment: 'dpl_B', env, pollIntervalMs: 50, log })
    expect(report).toMatchObject({ ok: true, previous: { via: 'production-before', buildId: 'dpl_A' }, planned: ['/logo.png'] })
    expect(lines).toContain('flip dpl_A -> dpl_B, previous deployment from production before the flip: 1 source image in 1 call')
  })

  it('apply --deployment D while D is still building waits for it to be ready, then for the flip', async () => {
    const { a, b, env, world, api } = await setUp()
    world.goLive(a)
    api.setDeployment(
      'dpl_B',
      ['QUEUED', 'BUILDING', 'BUILDING', 'READY'].map((readyState) => ({ readyState, aliasAssigned: false, url: b.site.origin })),
    )
    const lines: string[] = []
    const log = (line: string) => {
      lines.push(line)
      if (line === 'waiting: READY, production serves dpl_A') world.goLive(b, { from: a, type: 'promote' })
    }
    const report = await apply({ deployment: 'dpl_B', env, pollIntervalMs: 50, log })
    expect(report).toMatchObject({ ok: true, plan: { source: 'deployment dpl_B' }, planned: ['/logo.png'] })
    expect(lines.slice(0, 2)).toEqual(['waiting: QUEUED, not built yet', 'waiting: BUILDING, not built yet'])
  })

  it('a broken answer while polling is waited out; three in a row end the wait', async () => {
    const { a, b, env, world, api } = await setUp()
    world.goLive(a)
    api.injectReadFaults([{ status: 200, rawBody: '<html>' }])
    const flip = later(400).then(() => world.goLive(b, { from: a, type: 'promote' }))
    const { report } = await applyWithLog({ plan: b.file, deployment: 'dpl_B', env })
    await flip
    expect(report).toMatchObject({ ok: true, planned: ['/logo.png'] })
    api.injectReadFaults(Array.from({ length: 6 }, () => ({ status: 200, rawBody: '' })))
    const broken = await applyWithLog({ plan: b.file, deployment: 'dpl_B', env })
    expect(broken.report.error).toMatch(
      /^Vercel answered GET \/v(9\/projects\/prj_1|13\/deployments\/dpl_B) with an empty body where a JSON object was expected/,
    )
  })

  it('an aliasError on a deployment production already serves does not stop the run', async () => {
    const { a, b, env, world, api } = await setUp()
    world.goLive(b, { from: a, type: 'promote' })
    api.setDeployment('dpl_B', {
      readyState: 'READY',
      aliasAssigned: true,
      aliasError: { code: 'alias_in_use', message: 'an old attempt' },
      url: b.site.origin,
    })
    const { report } = await applyWithLog({ plan: b.file, deployment: 'dpl_B', env })
    expect(report).toMatchObject({ ok: true, planned: ['/logo.png'] })
  })

  it('a purge answered 200 with a body of any size is a success', async () => {
    const { a, b, env, world, api } = await setUp()
    world.goLive(b)
    api.injectFaults([{ status: 200, body: { note: 'x'.repeat(9 * 1024 * 1024) } }])
    const { report } = await applyWithLog({ plan: b.file, from: a.file, wait: false, env })
    expect(report).toMatchObject({ ok: true, invalidated: ['/logo.png'] })
  })
})

describe('the project and team', () => {
  it('lastAliasRequest toward D is P only when it succeeded or is under way; a failed one falls back, said', async () => {
    const { a, b, env, world } = await setUp()
    world.goLive(b, { from: a, type: 'promote', jobStatus: 'failed' })
    const { report, lines } = await applyWithLog({ plan: b.file, deployment: 'dpl_B', env })
    expect(report).toMatchObject({ ok: true, previous: { via: 'build-plan', buildId: 'dpl_X' }, planned: ['/hero.png', '/old.png'] })
    expect(lines).toContain(
      "the previous deployment could not be determined: no --from; no site was watched: --site or IMAGE_INVALIDATE_SITE_URL; the project's last promotion or rollback toward dpl_B has jobStatus failed, not succeeded or in-progress; using the build-time plan",
    )
  })

  it('a team given as team_… is sent as teamId, any other as slug', async () => {
    const { a, b, env, world, api } = await setUp({ teamId: 'team_acme', teamSlug: 'acme-web' })
    world.goLive(b, { from: a, type: 'promote' })
    for (const team of ['acme-web', 'team_acme']) {
      const result = await cli(['--deployment', 'dpl_B', '--team', team], env)
      expect(result.code, result.output).toBe(0)
    }
    const wrong = await cli(['--deployment', 'dpl_B', '--team', 'wrong-team'], env)
    expect(wrong.code).toBe(1)
    expect(wrong.stdout).toContain(
      'The token may not read this project or deployment (403): check that its scope includes the team that owns the project and that the team (VERCEL_TEAM_ID, --team or .vercel/project.json) names that team.',
    )
    const queries = api.calls.filter((call) => call.query.slug !== 'wrong-team').map((call) => call.query)
    expect(queries.filter((query) => query.slug === 'acme-web' && !('teamId' in query)).length).toBeGreaterThan(2)
    expect(queries.filter((query) => query.teamId === 'team_acme' && !('slug' in query)).length).toBeGreaterThan(2)
    expect(queries.every((query) => 'slug' in query || 'teamId' in query)).toBe(true)
  })
})

describe("the same requests as Vercel's own SDK", () => {
  it('invalidate and dangerously-delete: method, path, query and body match @vercel/sdk, for any source image', async () => {
    const api = await startVercelApi({ token: TOKEN, projectId: 'prj_1', teamId: 'team_1', teamSlug: 'acme-web' })
    onTestFinished(() => api.close())
    const srcImages = ['/images/my photo.png', '/100%25 real.png', '/100% raw.png', '/images/café/crème brûlée.png', '/日本語/画像.webp', '/a?b=c&d.png']
    const sdk = new Vercel({ bearerToken: TOKEN, serverURL: api.origin, retryConfig: { strategy: 'none' } })
    const ours = (team: { teamId?: string; teamSlug?: string }) => new VercelClient({ token: TOKEN, projectId: 'prj_1', apiUrl: api.origin, ...team })
    for (const team of [{ teamId: 'team_1' }, { teamSlug: 'acme-web' }]) {
      const query = { projectIdOrName: 'prj_1', ...('teamId' in team ? { teamId: team.teamId } : { slug: team.teamSlug }) }
      await sdk.edgeCache.invalidateBySrcImages({ ...query, requestBody: { srcImages } })
      await sdk.edgeCache.dangerouslyDeleteBySrcImages({ ...query, requestBody: { srcImages } })
      const client = ours(team)
      await client.invalidateSrcImages(srcImages)
      await client.invalidateSrcImages(srcImages, { dangerouslyDelete: true })
      await client.close()
    }
    const calls = api.invalidations()
    expect(calls).toHaveLength(8)
    expect(calls.every((call) => call.status === 200)).toBe(true)
    const shape = ({ method, path, rawQuery, body, authorization }: (typeof calls)[number]) => ({ method, path, rawQuery, body, authorization })
    // Per team: SDK invalidate, SDK delete, ours invalidate, ours delete.
    for (const start of [0, 4]) {
      expect(shape(calls[start + 2]!)).toEqual(shape(calls[start]!))
      expect(shape(calls[start + 3]!)).toEqual(shape(calls[start + 1]!))
    }
    expect(calls[0]).toMatchObject({ path: '/v1/edge-cache/invalidate-by-src-images', body: { srcImages } })
    expect(calls[1]).toMatchObject({ path: '/v1/edge-cache/dangerously-delete-by-src-images' })
  })
})

describe("init's requests, as Vercel's own SDK sends them", () => {
  it('webhooks and project variables: method, path, query and body match @vercel/sdk, which reads the answers', async () => {
    const api = await startVercelApi({ token: TOKEN, projectId: 'prj_1', teamId: 'team_1', envCount: 3 })
    onTestFinished(() => api.close())
    const sdk = new Vercel({ bearerToken: TOKEN, serverURL: api.origin, retryConfig: { strategy: 'none' } })
    const client = new VercelClient({ token: TOKEN, projectId: 'prj_1', teamId: 'team_1', apiUrl: api.origin }, { methods: ['GET', 'DELETE'] })
    onTestFinished(() => client.close())
    const input = { url: 'https://example.com/api/image-invalidate', events: ['deployment.promoted', 'deployment.rollback'] as const, projectIds: ['prj_1'] }
    const variable = { key: 'IMAGE_INVALIDATE_WEBHOOK_SECRET', value: 'secret', type: 'encrypted', target: ['production'] } as const

    // Each pair: the SDK's call, then ours; the SDK parses every answer with its own schemas.
    await sdk.webhooks.getWebhooks({ projectId: 'prj_1', teamId: 'team_1' })
    await client.listWebhooks('prj_1')
    const made = await sdk.webhooks.createWebhook({ teamId: 'team_1', requestBody: { ...input, events: [...input.events] } })
    const ours = await client.createWebhook(input)
    await sdk.webhooks.deleteWebhook({ id: made.id, teamId: 'team_1' })
    await client.deleteWebhook(ours.id)
    await sdk.projects.filterProjectEnvs({ idOrName: 'prj_1', teamId: 'team_1' })
    await client.listProjectVariables('prj_1')
    await sdk.projects.createProjectEnv({ idOrName: 'prj_1', upsert: 'true', teamId: 'team_1', requestBody: { ...variable, target: [...variable.target] } })
    await client.upsertProjectVariable({ ...variable, target: [...variable.target] }, 'prj_1')

    const calls = api.calls
    expect(calls).toHaveLength(10)
    expect(calls.every((call) => call.status === 200 || call.status === 201 || call.status === 204)).toBe(true)
    // The webhook's id is the one each side made.
    const shape = ({ method, path, query, body, authorization }: (typeof calls)[number]) => ({
      method,
      path: path.replace(/account_hook_\w+/, ':id'),
      query,
      body,
      authorization,
    })
    for (let index = 0; index < calls.length; index += 2) expect(shape(calls[index + 1]!)).toEqual(shape(calls[index]!))
    expect(api.webhooks).toEqual([])
    expect(api.variables).toHaveLength(1)
  })
})

function signed(event: unknown) {
  const body = JSON.stringify(event)
  return new Request('http://localhost/api/image-invalidate', {
    method: 'POST',
    body,
    headers: { 'x-vercel-signature': createHmac('sha1', SECRET).update(body).digest('hex') },
  })
}
