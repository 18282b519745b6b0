import { appendFile, readFile, rename, rm } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { Manifest } from '../src/core/manifest.js'
import { DEFAULT_PLAN_FILE } from '../src/shared/environment.js'
import { copyFixture, repoRoot, run, viteBuild, type Fixture } from './helpers/fixture.js'
import { images, writePlan } from './helpers/plan.js'
import { tempDir } from './helpers/tmp.js'
import { startSite, type SiteStandIn } from './stand-ins/site.mjs'
import { startVercelApi, type VercelApiStandIn } from './stand-ins/vercel-api.mjs'

const TOKEN = 'tok_RECIPE_5f4e3d2c1b'
const cli = path.join(repoRoot, 'dist/cli.js')

let fixture: Fixture | undefined
let site: SiteStandIn | undefined
let api: VercelApiStandIn | undefined
afterEach(async () => {
  await site?.close()
  await api?.close()
  await fixture?.remove()
  fixture = site = api = undefined
})

describe('recipe: a CI that deploys itself', () => {
  it('build, deploy, `apply --wait`: the local plan is applied once the site serves the new build', async () => {
    fixture = await copyFixture('vite-app')
    site = await startSite()
    api = await startVercelApi({ token: TOKEN, projectId: 'prj_ci', teamId: 'team_ci' })
    // The README's recipe sets these two; `vercel build` would add VERCEL_* of its own.
    const recipe = { IMAGE_INVALIDATE: '1', IMAGE_INVALIDATE_SITE_URL: site.origin }
    const credentials = { VERCEL_TOKEN: TOKEN, VERCEL_PROJECT_ID: 'prj_ci', VERCEL_ORG_ID: 'team_ci', IMAGE_INVALIDATE_API_URL: api.origin }

    expect((await viteBuild(fixture, recipe)).code).toBe(0)
    await rename(fixture.path('dist'), fixture.path('deployed-1'))
    site.serve(fixture.path('deployed-1'))

    await appendFile(fixture.path('public/images/hero.png'), 'changed')
    await rm(fixture.path('public/icons/LOGO.PNG'))
    expect((await viteBuild(fixture, recipe)).code).toBe(0)
    const plan = await fixture.readJson<Manifest>(DEFAULT_PLAN_FILE)
    expect(plan.plan.srcImages).toEqual(['/icons/LOGO.PNG', '/images/hero.png'])

    // `vercel deploy --prebuilt --prod` returns before the new deployment serves traffic.
    const promotion = site.promoteIn(2_500, fixture.path('dist'))
    const applied = await run(process.execPath, [cli, 'apply', '--json'], { cwd: fixture.dir, env: { ...recipe, ...credentials } })
    expect(applied.code, applied.output).toBe(0)
    const first = await fixture.readJson<Manifest>('deployed-1/_image-invalidate.json')
    expect(JSON.parse(applied.stdout)).toMatchObject({
      ok: true,
      invalidated: ['/icons/LOGO.PNG', '/images/hero.png'],
      plan: { buildId: plan.buildId },
      previous: { via: 'site-before', buildId: first.buildId },
    })
    expect(api.invalidations()).toHaveLength(1)
    expect(api.invalidations()[0]!.at).toBeGreaterThanOrEqual(promotion.at)
    expect(api.invalidations()[0]!.query).toEqual({ projectIdOrName: 'prj_ci', teamId: 'team_ci' })
  })
})

describe('recipe: the GitHub workflow on repository_dispatch', () => {
  it("runs the example workflow's script with a payload as Vercel sends it", async () => {
    const workflow = await readFile(path.join(repoRoot, 'examples/github-workflow.yml'), 'utf8')
    const script = workflow
      .split('run: |\n')[1]!
      .replace(/^ {10}/gm, '')
      .replace('npx image-invalidate', `"${process.execPath}" "${cli}"`)
    expect(script).toContain('apply --deployment "$DEPLOYMENT_ID" --plan')
    expect(workflow).toContain("github.event.client_payload.environment == 'production'")
    expect(workflow).toContain('github.event.client_payload.project.id == vars.VERCEL_PROJECT_ID')

    api = await startVercelApi({ token: TOKEN, projectId: 'prj_gh', teamId: 'team_gh' })
    api.setDeployment('dpl_promoted', { readyState: 'READY', aliasAssigned: true })
    api.setProduction('dpl_promoted')
    const deployment = await tempDir()
    await writePlan(deployment, images(10), { buildId: 'dpl_promoted', name: '_image-invalidate.json' })
    site = await startSite({ dir: deployment, bypassSecret: 'bypass-gh' })
    const env = {
      VERCEL_TOKEN: TOKEN,
      VERCEL_AUTOMATION_BYPASS_SECRET: 'bypass-gh',
      VERCEL_PROJECT_ID: 'prj_gh',
      VERCEL_TEAM_ID: 'team_gh',
      IMAGE_INVALIDATE_API_URL: api.origin,
      DEPLOYMENT_ID: 'dpl_promoted',
      DEPLOYMENT_URL: site.origin,
    }
    const result = await run('bash', ['-euo', 'pipefail', '-c', script], { cwd: deployment, env })
    expect(result.code, result.output).toBe(0)
    expect(result.stdout).toContain('invalidated 10 of 10 in 2 successful calls')
    // Production was seen serving it (through the API) before the first invalidation.
    const firstCall = api.invalidations()[0]!.at
    expect(api.calls.some((call) => call.path === '/v9/projects/prj_gh' && call.at <= firstCall)).toBe(true)
    expect(api.invalidations()).toHaveLength(2)
    expect(result.stderr).toContain('the previous deployment could not be determined')
    expect(api.invalidated.sort()).toEqual(images(10).sort())
  })
})
