import { createHmac } from 'node:crypto'
import { rm } from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { apply } from '../src/apply/apply.js'
import { createWebhookHandler } from '../src/apply/webhook.js'
import { A, applyWithLog, later, seenBy, sentImages, useFlipWorld, type StandInDeployment } from './helpers/deployments.js'
import { repoRoot, run } from './helpers/fixture.js'
import { writePlan } from './helpers/plan.js'
import { tempDir } from './helpers/tmp.js'

const TOKEN = 'tok_FLIP_SECRET_0a1b2c3d'
const SECRET = 'whsec_flip'

const scene = useFlipWorld(TOKEN)
const { setUp } = scene
const sent = () => sentImages(scene.api())

describe('apply at a flip', () => {
  it.each([
    ["B's plan and the site", {}],
    ['B named by --deployment, and the site', { deployment: 'dpl_B' }],
  ])(
    'back-to-back builds, %s (the API watched, the site read at each poll): nothing before B is live, then exactly what changed from A to B',
    async (_, extra) => {
      const { x, a, b, env, world } = await setUp()
      world.goLive(x)
      let flippedToB = Infinity
      const flips = (async () => {
        await later(300)
        world.goLive(a)
        // B goes live once A has been seen: two polls, the first of them answered before the second began.
        await seenBy(world.production)
        world.goLive(b)
        flippedToB = Date.now()
      })()
      const { report, lines } = await applyWithLog({ plan: b.file, siteUrl: world.production.origin, env, ...extra })
      await flips
      expect(report).toMatchObject({ ok: true, previous: { via: 'site-before', buildId: 'dpl_A' } })
      // logo was reverted: in; hero changed X -> A and kept: out, although B's build-time plan has it.
      expect(b.manifest.plan.srcImages).toEqual(['/hero.png', '/old.png'])
      expect(sent()).toEqual(['/logo.png'])
      expect(
        Math.min(
          ...scene
            .api()
            .invalidations()
            .map((call) => call.at),
        ),
      ).toBeGreaterThanOrEqual(flippedToB)
      expect(lines).toContain('flip dpl_A -> dpl_B, previous deployment from the production site before the flip: 1 source image in 1 call')
    },
  )

  it('apply --deployment B after a promotion A -> B known from lastAliasRequest: its manifest from its URL, exactly A -> B', async () => {
    const { a, b, env, world } = await setUp()
    world.goLive(a)
    world.goLive(b, { from: a, type: 'promote' })
    const result = await run(process.execPath, [path.join(repoRoot, 'dist/cli.js'), 'apply', '--deployment', 'dpl_B', '--json'], { cwd: await tempDir(), env })
    expect(result.code, result.output).toBe(0)
    const report = JSON.parse(result.stdout)
    expect(report).toMatchObject({
      ok: true,
      plan: { source: 'deployment dpl_B', buildId: 'dpl_B' },
      previous: { via: 'last-alias-request', buildId: 'dpl_A' },
      planned: ['/logo.png'],
    })
    expect(sent()).toEqual(['/logo.png'])
  })

  it('sends nothing while B is READY with aliasAssigned but production still serves A', async () => {
    const { a, b, env, world } = await setUp()
    world.goLive(a)
    let flipped = Infinity
    const lines: string[] = []
    const log = (line: string) => {
      lines.push(line)
      // The flip comes once apply has seen A in production, however slow the machine.
      if (line !== 'waiting: READY, production serves dpl_A' || flipped < Infinity) return
      world.goLive(b, { from: a, type: 'promote' })
      flipped = Date.now()
    }
    const report = await apply({ plan: b.file, deployment: 'dpl_B', env, pollIntervalMs: 50, log })
    // The API showed A in production while B waited: that is P, whatever lastAliasRequest says.
    expect(report).toMatchObject({
      ok: true,
      waited: { on: 'production serves deployment dpl_B' },
      previous: { via: 'production-before', buildId: 'dpl_A' },
    })
    expect(
      Math.min(
        ...scene
          .api()
          .invalidations()
          .map((call) => call.at),
      ),
    ).toBeGreaterThanOrEqual(flipped)
    expect(sent()).toEqual(['/logo.png'])
  })

  it('ends at once on an aliasError, with its message, sending nothing', async () => {
    const { a, b, env, world, api } = await setUp()
    world.goLive(a)
    api.setDeployment('dpl_B', {
      readyState: 'READY',
      aliasAssigned: false,
      aliasError: { code: 'cert_missing', message: 'No certificate for example.com' },
      url: b.site.origin,
    })
    const started = Date.now()
    const { report } = await applyWithLog({ plan: b.file, deployment: 'dpl_B', env, timeoutMs: 60_000 })
    expect(Date.now() - started).toBeLessThan(5_000)
    expect(report).toMatchObject({
      ok: false,
      errorCode: 'IMAGE_INVALIDATE_ALIAS_ERROR',
      error: expect.stringContaining('cert_missing: No certificate for example.com'),
    })
    expect(api.invalidations()).toHaveLength(0)
  })

  it('--no-wait sends at once; a plain apply with nothing to watch is a usage error (exit 2)', async () => {
    const { env } = await setUp()
    const dir = await tempDir()
    // A build outside Vercel: its id is no deployment id, and no site is known.
    const plan = await writePlan(dir, ['/a.png'], { buildId: 'build_local' })
    const cli = (args: string[]) => run(process.execPath, [path.join(repoRoot, 'dist/cli.js'), 'apply', '--plan', plan, ...args], { cwd: dir, env })
    const plain = await cli([])
    expect(plain.code).toBe(2)
    expect(plain.stdout).toContain('error: nothing tells when build_local is live, and nothing may be sent before: pass --site URL')
    expect(scene.api().invalidations()).toHaveLength(0)
    const noWait = await cli(['--no-wait'])
    expect(noWait.code, noWait.output).toBe(0)
    expect(noWait.stderr).toContain('the previous deployment could not be determined')
    expect(sent()).toEqual(['/a.png'])
  })

  it('--from names P as a manifest file, a deployment or site URL, or a deployment id; one with no manifest falls back, said', async () => {
    const { a, b, env, world } = await setUp()
    world.goLive(b)
    for (const from of [a.file, a.site.origin, `${a.site.origin}/_image-invalidate.json`, 'dpl_A']) {
      const { report } = await applyWithLog({ plan: b.file, from, wait: false, env })
      expect(report, from).toMatchObject({ ok: true, previous: { via: 'from', buildId: 'dpl_A' }, planned: ['/logo.png'] })
    }
    // A deployment built before this plugin: its URL has no manifest.
    const old = await world.deploy('dpl_old', {})
    await rm(path.join(old.dir, '_image-invalidate.json'))
    const { report, lines } = await applyWithLog({ plan: b.file, from: 'dpl_old', wait: false, env })
    expect(report).toMatchObject({ ok: true, previous: { via: 'build-plan', buildId: 'dpl_X' }, planned: ['/hero.png', '/old.png'] })
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^the previous deployment could not be determined: --from dpl_old: http:.*\/_image-invalidate\.json has no manifest \(HTTP 404; a deployment built before this plugin, or deleted\); using the build-time plan$/,
      ),
    )
  })

  // The README's table: a single deploy sends what the build planned plus the names that appear, when P is
  // known; without P, the build-time plan alone, which cannot know which names appear to visitors.
  it('a single deploy X -> B: with P known, what changed, went or appeared; with P unknown, the build-time plan: what changed or went', async () => {
    const { x, b, env, world } = await setUp()
    world.goLive(b)
    const known = await applyWithLog({ plan: b.file, from: x.file, wait: false, env })
    expect(known.report).toMatchObject({ ok: true, previous: { via: 'from', buildId: 'dpl_X' }, planned: ['/hero.png', '/new.png', '/old.png'] })
    const unknown = await applyWithLog({ plan: b.file, wait: false, env })
    expect(unknown.report).toMatchObject({ ok: true, previous: { via: 'build-plan', buildId: 'dpl_X' }, planned: ['/hero.png', '/old.png'] })
    expect(unknown.lines).toContain('plan dpl_B against dpl_X, the build-time plan: what changed or went, 2 source images in 1 call')
  })

  it('sends nothing for the plan of a dry-run build, and says why', async () => {
    const { x, env, world } = await setUp()
    const dry = await world.deploy('dpl_dry', A, x, { dryRun: true })
    const { report, lines } = await applyWithLog({ plan: dry.file, wait: false, env })
    expect(report).toMatchObject({ ok: true, planned: [] })
    expect(lines[0]).toBe('plan dpl_dry comes from a dry-run build (dryRun or IMAGE_INVALIDATE_DRY_RUN): nothing is sent for it')
    expect(scene.api().calls).toHaveLength(0)
  })
})

const signed = (event: unknown) => {
  const body = JSON.stringify(event)
  return new Request('http://localhost/api/image-invalidate', {
    method: 'POST',
    body,
    headers: { 'x-vercel-signature': createHmac('sha1', SECRET).update(body).digest('hex') },
  })
}
const promoted = (to: StandInDeployment, project = 'prj_1', team: string | null = 'team_1') => ({
  id: `evt_promoted_${to.id}_${project}`,
  type: 'deployment.promoted',
  payload: {
    team: { id: team },
    user: { id: 'user_1' },
    deployment: { id: to.id, url: to.site.origin, name: 'site' },
    target: 'production',
    project: { id: project },
  },
})

describe('the webhook at a flip', () => {
  it('deployment.rollback from B to A: nothing before production is A, then exactly what changed from B to A', async () => {
    const { a, b, env, world } = await setUp()
    world.goLive(b)
    const handler = createWebhookHandler({ secret: SECRET, env, pollIntervalMs: 50 })
    let flipped = Infinity
    const flip = later(400).then(() => {
      world.goLive(a, { from: b, type: 'rollback' })
      flipped = Date.now()
    })
    // It can arrive before traffic has switched.
    const event = {
      id: 'evt_rollback',
      type: 'deployment.rollback',
      payload: { team: { id: 'team_1' }, project: { id: 'prj_1' }, fromDeploymentId: 'dpl_B', toDeploymentId: 'dpl_A' },
    }
    const response = await handler(signed(event))
    await flip
    const body = (await response.json()) as { report: Record<string, unknown> }
    expect(response.status, JSON.stringify(body)).toBe(200)
    expect(body.report).toMatchObject({ ok: true, previous: { via: 'rollback-event', buildId: 'dpl_B' }, planned: ['/logo.png'] })
    expect(sent()).toEqual(['/logo.png'])
    expect(
      Math.min(
        ...scene
          .api()
          .invalidations()
          .map((call) => call.at),
      ),
    ).toBeGreaterThanOrEqual(flipped)
  })

  it('deployment.promoted for B: A -> B from lastAliasRequest; with none, the build-time plan and a line saying so', async () => {
    const { a, b, env, world } = await setUp()
    world.goLive(a)
    world.goLive(b, { from: a, type: 'promote' })
    const lines: string[] = []
    const handler = createWebhookHandler({ secret: SECRET, env, pollIntervalMs: 50, log: (line) => lines.push(line) })
    const known = (await (await handler(signed(promoted(b)))).json()) as { report: Record<string, unknown> }
    expect(known.report).toMatchObject({ ok: true, previous: { via: 'last-alias-request', buildId: 'dpl_A' }, planned: ['/logo.png'] })

    scene.api().setProduction('dpl_B', null)
    const unknown = (await (await handler(signed({ ...promoted(b), id: 'evt_2' }))).json()) as { report: Record<string, unknown> }
    expect(unknown.report).toMatchObject({ ok: true, previous: { via: 'build-plan', buildId: 'dpl_X' }, planned: ['/hero.png', '/old.png'] })
    expect(lines.some((line) => line.startsWith('the previous deployment could not be determined'))).toBe(true)
  })

  it('acts for the project configured by name when the event carries its id, ignores another project, sends no teamId for a personal account', async () => {
    const { a, b, world } = await setUp({ projectName: 'my-site' })
    world.goLive(b, { from: a, type: 'promote' })
    const env = { VERCEL_TOKEN: TOKEN, VERCEL_PROJECT_ID: 'my-site', VERCEL_ORG_ID: 'user_personal', IMAGE_INVALIDATE_API_URL: scene.api().origin }
    const handler = createWebhookHandler({ secret: SECRET, env, pollIntervalMs: 50 })
    const other = (await (await handler(signed(promoted(b, 'prj_other', null)))).json()) as Record<string, unknown>
    expect(other).toMatchObject({ action: 'ignored', reason: 'project prj_other is not my-site' })
    expect(scene.api().invalidations()).toHaveLength(0)
    const ours = (await (await handler(signed(promoted(b, 'prj_1', null)))).json()) as { action: string; report: Record<string, unknown> }
    expect(ours).toMatchObject({ action: 'applied', report: { ok: true, planned: ['/logo.png'] } })
    expect(scene.api().calls.length).toBeGreaterThan(0)
    expect(scene.api().calls.every((call) => !('teamId' in call.query) && !('slug' in call.query))).toBe(true)
  })
})
